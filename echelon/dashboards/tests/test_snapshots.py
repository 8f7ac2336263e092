"""The daily snapshot (the trend lines): every unit with units below it in the batch, the day's rows replaced
(idempotent), equal to the dashboard's live totals of the same unit and day; leaves have none; past days'
progress rebuilt "as of" each day from the phase actuals (partial rows); the trend selector, the page
partial, the API, the commands and the worker's daily run."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from echelon.campaigns import services as campaign_services
from echelon.campaigns.models import Batch, Participation
from echelon.core.models import AuditEvent
from echelon.dashboards import figures, jobs, trends
from echelon.dashboards.models import Snapshot
from echelon.dashboards.services.snapshots import BACKFILL_MARK, snapshot_backfill, snapshot_take
from echelon.supervision.tests import kit as sv

pytestmark = pytest.mark.django_db
DAY = date(2014, 3, 20)  # the study phase of the kit's village is open (since 1 March)


@pytest.fixture
def world(tree: Any, personas: dict[str, Any], settings: Any, tmp_path: Any) -> SimpleNamespace:
    settings.MEDIA_ROOT = tmp_path
    ctx = SimpleNamespace(tree=tree, personas=personas)
    found = sv.world(ctx)
    found.ctx = ctx
    found.tree = tree
    found.batch = Batch.objects.select_related("campaign").get(campaign=found.campaign, key="second")
    return found


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _full(batch: Batch, figures_: dict[str, Any]) -> dict[str, int | None]:
    return {k: trends.value_of(figures_, k) for k in trends.keys_for(batch)}


def test_units_with_units_below_are_snapshotted_leaves_are_not(world: SimpleNamespace) -> None:
    tree, batch = world.tree, world.batch
    n = snapshot_take(batch=batch, day=DAY)
    paths = set(Snapshot.objects.filter(batch=batch, day=DAY).values_list("path", flat=True))
    assert n == len(paths)
    # the region (its own participation is in batch one, but units below it are in batch two), the league,
    # the county, the townships; never a village
    for unit in (tree.region, tree.league, tree.county, tree.township, tree.community_township):
        assert unit.path in paths, unit.name
    for unit in (tree.village, tree.community, tree.organ):
        assert unit.path not in paths, unit.name
    assert all(s.unit.path == s.path for s in Snapshot.objects.filter(batch=batch).select_related("unit"))


def test_a_snapshot_equals_the_dashboards_totals_of_the_same_unit_and_day(world: SimpleNamespace) -> None:
    tree, batch = world.tree, world.batch
    snapshot_take(batch=batch, day=DAY)
    for unit in (tree.region, tree.county, tree.township):
        row = Snapshot.objects.get(batch=batch, unit=unit, day=DAY)
        live = figures.totals(batch, unit, DAY)
        assert _full(batch, row.figures) == {k: live.get(k, 0) for k in trends.keys_for(batch)}, unit.name
    county = Snapshot.objects.get(batch=batch, unit=tree.county, day=DAY).figures
    assert (
        county["units"]
        == Participation.objects.filter(batch=batch, path__startswith=tree.county.path).count()
    )
    assert county["open"] == 1  # the village's submission
    assert 0 not in county.values()  # zeros are left out (read back as 0)


def test_taking_the_days_snapshot_again_replaces_it(world: SimpleNamespace) -> None:
    batch = world.batch
    first = snapshot_take(batch=batch, day=DAY)
    before = sorted(Snapshot.objects.filter(batch=batch).values_list("path", "day", "figures"))
    assert snapshot_take(batch=batch, day=DAY) == first
    assert sorted(Snapshot.objects.filter(batch=batch).values_list("path", "day", "figures")) == before
    snapshot_take(batch=batch, day=DAY + timedelta(days=1))
    assert Snapshot.objects.filter(batch=batch).count() == 2 * first
    events = AuditEvent.objects.filter(verb="snapshot.take")
    assert events.count() == 3
    assert events.first() is not None and events.first().after["rows"] == first


def test_a_snapshot_of_a_future_day_is_refused(world: SimpleNamespace) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError, match="不能为今天以后的日期"):
        snapshot_take(batch=world.batch, day=tomorrow)
    assert not Snapshot.objects.exists()


def test_an_outsider_may_not_take_the_campaigns_snapshot(world: SimpleNamespace) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        snapshot_take(actor=world.ctx.personas["outsider"], batch=world.batch, day=DAY)
    snapshot_take(actor=world.ctx.personas["region_office"], batch=world.batch, day=DAY)
    assert (
        AuditEvent.objects.filter(verb="snapshot.take", actor=world.ctx.personas["region_office"]).count()
        == 1
    )


def test_the_backfill_rebuilds_progress_as_of_each_day(world: SimpleNamespace) -> None:
    tree, batch = world.tree, world.batch
    # the kit's village closed its preparation on 1 March 2014 (``PREPARED``), its study phase is open
    before, after = date(2014, 2, 20), date(2014, 3, 6)
    rows = snapshot_backfill(batch=batch, start=before, end=after, step_days=7)  # 20 Feb, 27 Feb, 6 Mar
    days = sorted(set(Snapshot.objects.filter(batch=batch).values_list("day", flat=True)))
    assert days == [date(2014, 2, 20), date(2014, 2, 27), date(2014, 3, 6)]
    assert rows == Snapshot.objects.count()
    township = {s.day: s.figures for s in Snapshot.objects.filter(batch=batch, unit=tree.township)}
    assert all(f[BACKFILL_MARK] == 1 for f in township.values())
    assert "open" not in township[after] and "members" not in township[after]  # unknown, not zero
    assert township[date(2014, 2, 27)]["phase:study"] == 0
    assert township[after]["phase:study"] == 1  # the village, as of 6 March
    # the township itself has not started: its subtree's one start is the village's, on 1 March
    assert (township[date(2014, 2, 27)]["started"], township[after]["started"]) == (0, 1)
    assert township[after]["units"] == 2 and township[after]["not_started"] == 1
    # a day with a real snapshot is left alone; a second backfill replaces only partial days
    snapshot_take(batch=batch, day=after)
    snapshot_backfill(batch=batch, start=before, end=after, step_days=7)
    real = Snapshot.objects.get(batch=batch, unit=tree.township, day=after).figures
    assert BACKFILL_MARK not in real and real["open"] == 1
    assert AuditEvent.objects.filter(verb="snapshot.backfill").count() == 2


@pytest.mark.parametrize(
    "start, end, step, message",
    [
        (date(2014, 3, 1), date(2014, 2, 1), 7, "结束日期不能早于开始日期"),
        (date(2014, 3, 1), date(2014, 3, 9), 0, "间隔天数至少为 1 天"),
        (date(2010, 1, 1), date(2014, 3, 1), 1, "一次最多补 400 天"),
    ],
)
def test_a_bad_backfill_is_refused(
    world: SimpleNamespace, start: date, end: date, step: int, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        snapshot_backfill(batch=world.batch, start=start, end=end, step_days=step)
    assert not Snapshot.objects.exists()


def test_the_trend_of_a_unit_and_of_a_leaf(world: SimpleNamespace) -> None:
    tree, batch = world.tree, world.batch
    snapshot_backfill(batch=batch, start=date(2014, 2, 20), end=date(2014, 3, 6), step_days=7)
    snapshot_take(batch=batch, day=date(2014, 3, 13))
    data = trends.trend(batch, tree.county, ["started", "open", "nonsense"], days=60, today=date(2014, 3, 13))
    assert data["days"] == ["2014-02-20", "2014-02-27", "2014-03-06", "2014-03-13"]
    assert list(data["series"]) == ["started", "open"]  # an unknown measure is dropped
    assert data["series"]["open"] == [None, None, None, 1]  # backfilled days do not know the gates
    assert data["partial"] == ["2014-02-20", "2014-02-27", "2014-03-06"]
    assert data["note"] == ""
    short = trends.trend(batch, tree.county, ["open"], days=7, today=date(2014, 3, 13))
    assert short["days"] == ["2014-03-13"]
    leaf = trends.trend(batch, tree.village, ["done"], today=date(2014, 3, 13))
    assert leaf["days"] == [] and "不做每日快照" in leaf["note"]
    assert "还没有快照" in trends.trend(batch, tree.league, ["done"], today=date(2013, 1, 1))["note"]


def test_the_trend_partial_renders_its_data_for_the_script(world: SimpleNamespace) -> None:
    tree, batch = world.tree, world.batch
    snapshot_take(batch=batch, day=DAY)
    html = render_to_string("dashboards/_trend.html", {"trend": trends.chart(batch, tree.county, today=DAY)})
    assert '<div id="board-trend"' in html and "dashboards/trend.js" in html and "<script>" not in html
    data = json.loads(html.split('id="board-trend-data" type="application/json">')[1].split("</script>")[0])
    assert data["days"] == [DAY.isoformat()]
    assert [s["label"] for s in data["series"]][:2] == ["已开始", "全部环节通过"]
    leaf = render_to_string("dashboards/_trend.html", {"trend": trends.chart(batch, tree.village, today=DAY)})
    assert "不做每日快照" in leaf and '<div id="board-trend"' not in leaf


def test_the_trend_api(world: SimpleNamespace) -> None:
    tree, batch = world.tree, world.batch
    snapshot_take(batch=batch)
    client = _client(world.ctx.personas["county_office"])
    url = f"/api/v1/dashboard/{tree.county.code}/trends/?keys=done,open&batch={batch.pk}"
    body = client.get(url).json()
    assert body["days"] == [timezone.localdate().isoformat()]
    assert [s["key"] for s in body["series"]] == ["done", "open"]
    assert body["series"][1]["values"] == [1]
    assert client.get(f"/api/v1/dashboard/{tree.county.code}/trends/?keys=done,bogus").status_code == 400
    assert client.get(f"/api/v1/dashboard/{tree.county.code}/trends/?days=-3").status_code == 400
    leaf = client.get(f"/api/v1/dashboard/{tree.village.code}/trends/").json()
    assert leaf["days"] == [] and leaf["note"]
    outsider = _client(world.ctx.personas["outsider"])
    assert outsider.get(f"/api/v1/dashboard/{tree.county.code}/trends/").status_code == 404


def test_the_commands(world: SimpleNamespace, capsys: Any) -> None:
    campaign = world.campaign
    call_command("snapshot", "--campaign", str(campaign.pk), "--day", DAY.isoformat())
    assert Snapshot.objects.filter(day=DAY).exists()
    call_command(
        "snapshot", "--campaign", str(campaign.pk), "--backfill-from", "2014-02-20", "--day", "2014-03-06"
    )
    assert Snapshot.objects.filter(day=date(2014, 2, 20)).exists()
    out = capsys.readouterr().out
    assert "补算 2014-02-20～2014-03-06" in out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不能为今天以后的日期"):
        call_command("snapshot", "--campaign", str(campaign.pk), "--day", "2999-01-01")
    with pytest.raises(CommandError, match="日期“x”无效"):
        call_command("snapshot", "--day", "x")


def test_the_daily_run_of_the_worker(world: SimpleNamespace) -> None:
    from django_tasks_db.models import DBTaskResult

    campaign_services.campaign_publish(actor=None, campaign=world.campaign)
    day = date(2014, 4, 1)
    result = jobs.daily_run(today=day)
    keys = {r.batch.key for r in result.batches}
    assert keys == {"second"}  # batch one (the region's own bodies) ended on 19 January: past the grace
    assert Snapshot.objects.filter(day=day).count() == result.batches[0].snapshots > 0
    assert AuditEvent.objects.filter(verb="alert.refresh").count() == 1
    # the worker's schedule: queued once, for the next run at 01:30 local time
    when = jobs.schedule().next_run
    assert when is not None and timezone.localtime(when).time().isoformat() == "01:30:00"
    assert jobs.schedule().next_run is None
    assert DBTaskResult.objects.filter(task_path="echelon.dashboards.jobs.daily_task").count() == 1
    now = timezone.make_aware(datetime(2014, 3, 20, 1, 0))
    assert jobs.next_run(now).date() == date(2014, 3, 20)
    assert jobs.next_run(now + timedelta(hours=1)).date() == date(2014, 3, 21)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_trend_is_drawn_in_a_browser(
    browser: Any, live_server: Any, settings: Any, tmp_path: Any
) -> None:
    """The warnings page of the county draws its trend lines (trend.js loads ECharts itself: the page has
    no map), with no script error under the CSP."""
    from echelon.accounts import services as account_services
    from echelon.conftest import PERSONAS, build_tree
    from echelon.supervision.tests.helpers import make_campaign
    from echelon.testing.browser import login

    settings.MEDIA_ROOT = tmp_path
    tree = build_tree()
    attr, role = PERSONAS["county_office"]
    user = account_services.user_create(actor=None, username="county_office", password="Trend-Pass-2014")
    account_services.grant_add(actor=None, user=user, unit=getattr(tree, attr), role=role)
    campaign = make_campaign(tree.region)
    batch = Batch.objects.select_related("campaign").get(campaign=campaign, key="second")
    today = timezone.localdate()
    snapshot_backfill(
        batch=batch, start=today - timedelta(days=60), end=today - timedelta(days=1), step_days=14
    )
    snapshot_take(batch=batch)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live_server, "county_office", "Trend-Pass-2014")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/dashboard/u/{tree.county.code}/warnings/?batch={batch.pk}")
    page.wait_for_selector("#board-trend canvas", timeout=10_000)
    assert page.evaluate("typeof window.echarts") == "object"
    option = page.evaluate("echarts.getInstanceByDom(document.getElementById('board-trend')).getOption()")
    assert [s["name"] for s in option["series"]] == ["预警", "当前环节逾期", "被打回", "任务逾期"]
    assert len(option["xAxis"][0]["data"]) == 6  # 5 backfilled days (every 14 days) and today
    assert option["series"][1]["data"][:5] == [
        trends.value_of(Snapshot.objects.get(batch=batch, unit=tree.county, day=day).figures, "overdue")
        for day in (today - timedelta(days=60 - 14 * i) for i in range(5))
    ]
    assert option["series"][0]["data"][:5] == [None] * 5  # the warnings are not known on backfilled days
    assert errors == []
    page.screenshot(path=str(tmp_path / "trend.png"), full_page=True)
    context.close()
