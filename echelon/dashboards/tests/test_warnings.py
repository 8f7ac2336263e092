"""Early warnings (预警), template-tunable: each rule finds what it should and not what it should not, in
situations built through the services the users use; ``since`` is kept from one day's run to the next; a
template's parameters tune a rule and a rule turned off finds nothing; a bad ``warnings:`` section is refused
in Chinese; the offices are told once a day and see the warnings in their to-do list; the pages and the API
show the caller's part only."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from echelon.campaigns import services as campaign_services
from echelon.campaigns import specs
from echelon.campaigns.models import Batch, Campaign, PlanPhase
from echelon.conftest import make_member
from echelon.core.models import AuditEvent, Notification
from echelon.dashboards.models import Alert
from echelon.dashboards.services.warnings import describe, find, warnings_notify, warnings_refresh
from echelon.dashboards.todo import warning_items as todo_items
from echelon.ledger.services.opinions import opinion_record
from echelon.ledger.services.problems import problem_create
from echelon.ledger.services.tasks import task_add
from echelon.supervision import services
from echelon.supervision.models import Decision, GroupKind
from echelon.supervision.services import CheckResult
from echelon.supervision.tests.helpers import BUILTIN, ahead, group, part, user
from echelon.supervision.tests.test_gate_rules import do_phase

pytestmark = pytest.mark.django_db
START = date(2014, 2, 10)  # the township and the village close their preparation and open their study phase
CHECKS = {k: CheckResult(True) for k in ("thinking", "materials", "work")}


def campaign_with(tree: Any, section: str | None = None) -> Campaign:
    """The built-in campaign on the region (scheduled, published), with ``section`` as its template's
    ``warnings:`` (None: the built-in one)."""
    found = specs.find_builtin(BUILTIN)
    assert found is not None
    text = found.text
    if section is not None:
        text = (
            text.split("\nwarnings:\n")[0] + "\nwarnings:\n" + textwrap.indent(textwrap.dedent(section), "  ")
        )
    campaign = campaign_services.campaign_create(
        actor=None, spec=specs.load(text), root=tree.region, start=date(2014, 1, 20), end=date(2014, 9, 30)
    )
    assert campaign_services.campaign_schedule(actor=None, campaign=campaign).feasible
    campaign_services.campaign_publish(actor=None, campaign=campaign)
    campaign.refresh_from_db()
    return campaign


def setup(tree: Any, personas: dict[str, Any], section: str | None = None, township: bool = True) -> Any:
    """The township (the county group's) and the village (the instructor's), their preparation closed on
    ``START`` (the township's only with ``township``) and their study actions done."""
    campaign = campaign_with(tree, section)
    w = SimpleNamespace(campaign=campaign, tree=tree, personas=personas)
    w.batch = Batch.objects.select_related("campaign").get(campaign=campaign, key="second")
    w.reviewer, w.instructor = user(f"county_reviewer_{campaign.pk}"), user(f"instructor_{campaign.pk}")
    w.township, w.village = part(campaign, tree.township), part(campaign, tree.village)
    services.assign(
        actor=None,
        group=group(campaign, tree.county, "县督导组", members=(w.reviewer,)),
        participation=w.township,
    )
    services.assign(
        actor=None,
        group=group(campaign, tree.township, "指导员", members=(w.instructor,), kind=GroupKind.INSTRUCTOR),
        participation=w.village,
    )
    w.operator, w.secretary = personas["township_operator"], personas["village_secretary"]
    for actor, p in ((w.operator, w.township), (w.secretary, w.village)):
        if p == w.township and not township:
            continue
        do_phase(actor, p, START)
        services.gate_submit(actor=actor, participation=p, day=START)
        p.refresh_from_db()
        do_phase(actor, p, START)
    return w


def run(w: Any, today: date) -> dict[str, dict[int, Alert]]:
    """Refresh the warnings as of ``today``: {rule: {unit id: alert}}."""
    warnings_refresh(batch=w.batch, today=today)
    out: dict[str, dict[int, Alert]] = {}
    for a in Alert.objects.filter(batch=w.batch):
        out.setdefault(a.rule, {})[a.unit_id] = a
    return out


def study_end(w: Any, p: Any) -> date:
    return PlanPhase.objects.get(participation=p, phase=1).end


def pass_study(w: Any, p: Any, day: date) -> None:
    actor, reviewer = (w.secretary, w.instructor) if p == w.village else (w.operator, w.reviewer)
    review = services.gate_submit(actor=actor, participation=p, day=day)
    services.gate_decide(actor=reviewer, review=review, decision=Decision.PASS, checks=CHECKS, day=day)


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- the rules ----------------------------------------------------------------------------------------


def test_phase_overdue(tree, personas):
    w = setup(tree, personas)
    end = study_end(w, w.village)
    assert tree.village.pk not in run(w, end).get("phase_overdue", {})
    late = run(w, end + timedelta(days=12))["phase_overdue"][tree.village.pk]
    assert late.detail == {
        "phase": "study",
        "phase_name": "学习教育、听取意见",
        "end": end.isoformat(),
        "days": 12,
    }
    assert late.level == 5 and late.path == tree.village.path
    assert describe("phase_overdue", late.detail, end) == (
        f"“学习教育、听取意见”计划 {end.month}月{end.day}日结束，已逾期 12 天"
    )
    # a phase closed in time is not overdue: the village passes its study phase
    ahead(w.village)
    pass_study(w, w.village, START + timedelta(days=20))
    w.village.refresh_from_db()
    found = run(w, end + timedelta(days=12))["phase_overdue"]
    assert tree.village.pk not in found or found[tree.village.pk].detail["phase"] != "study"


def test_phase_overdue_tuned_by_the_template(tree, personas):
    w = setup(tree, personas, "phase_overdue: {days: 10}\n")
    end = study_end(w, w.village)
    assert tree.village.pk not in run(w, end + timedelta(days=9)).get("phase_overdue", {})
    assert run(w, end + timedelta(days=10))["phase_overdue"][tree.village.pk].detail["days"] == 10


def test_stalled(tree, personas):
    w = setup(tree, personas)
    now = timezone.localdate()  # the study actions were recorded today
    # the township submits its study phase: it waits for its group, which is not the unit stalling
    services.gate_submit(actor=w.operator, participation=w.township, day=START + timedelta(days=15))
    found = run(w, now + timedelta(days=30)).get("stalled", {})
    assert found[tree.village.pk].detail == {
        "phase": "study",
        "phase_name": "学习教育、听取意见",
        "last": now.isoformat(),
        "days": 30,
    }
    assert tree.township.pk not in found  # waiting for the county group
    assert tree.community.pk not in found  # not started
    assert "起已 30 天没有新的工作记录" in describe("stalled", found[tree.village.pk].detail, now)
    # recorded today: not stalled 13 days on, stalled 14 days on (the template's 14 days)
    assert tree.village.pk not in run(w, now + timedelta(days=13)).get("stalled", {})
    assert run(w, now + timedelta(days=14))["stalled"][tree.village.pk].detail["days"] == 14


def test_stalled_tuned_by_the_template(tree, personas):
    w = setup(tree, personas, "stalled: {days: 45}\n")
    now = timezone.localdate()
    assert tree.village.pk not in run(w, now + timedelta(days=30)).get("stalled", {})
    assert run(w, now + timedelta(days=45))["stalled"][tree.village.pk].detail["days"] == 45


def test_too_fast_with_the_templates_minimum_and_an_override_exempts(tree, personas):
    w = setup(tree, personas)
    # the preparation has no minimum in the template: closed the day it started is fine
    assert run(w, date(2014, 3, 1)).get("too_fast", {}) == {}
    # an office lets the village go ahead: its study phase passes after 5 days (the minimum is 15)
    ahead(w.village)
    pass_study(w, w.village, START + timedelta(days=4))
    assert run(w, date(2014, 3, 1)).get("too_fast", {}) == {}


def test_too_fast_with_a_minimum_set_in_the_warnings(tree, personas):
    w = setup(tree, personas, "too_fast: {min_days: {prepare: 5}}\n")
    found = run(w, date(2014, 3, 1))["too_fast"]
    assert found[tree.village.pk].detail == {
        "phase": "prepare",
        "phase_name": "准备、动员部署",
        "start": START.isoformat(),
        "end": START.isoformat(),
        "days": 1,
        "min_days": 5,
    }
    assert set(found) == {tree.village.pk, tree.township.pk}
    assert "只用了 1 天，少于至少 5 天的要求" in describe("too_fast", found[tree.village.pk].detail)


def test_ahead_of_leader_counts_an_override_only_when_told(tree, personas):
    w = setup(tree, personas)
    ahead(w.village)  # the county office lets the village pass before its township
    pass_study(w, w.village, date(2014, 3, 1))
    assert run(w, date(2014, 3, 2)).get("ahead_of_leader", {}) == {}

    w2 = setup(tree, personas, "ahead_of_leader: {count_overrides: true}\n")
    ahead(w2.village)
    pass_study(w2, w2.village, date(2014, 3, 1))
    found = run(w2, date(2014, 3, 2))["ahead_of_leader"][tree.village.pk]
    assert found.detail["leader_name"] == "可可以力更镇" and found.detail["leader_end"] is None
    assert describe("ahead_of_leader", found.detail, date(2014, 3, 2)) == (
        "3月1日通过“学习教育、听取意见”，领导班子“可可以力更镇”至今尚未通过"
    )
    # the township passes four days later (its own county let it go ahead): still behind its village
    ahead(w2.township)
    pass_study(w2, w2.township, date(2014, 3, 5))
    later = run(w2, date(2014, 3, 6))["ahead_of_leader"]
    assert later[tree.village.pk].detail["leader_end"] == "2014-03-05"
    assert later[tree.village.pk].since == date(2014, 3, 2)  # the same warning, still open since then
    assert "早于领导班子“可可以力更镇”（3月5日通过）" in describe(
        "ahead_of_leader", later[tree.village.pk].detail, date(2014, 3, 6)
    )
    assert tree.township.pk in later  # and the township is ahead of its county (it counts overrides too)


def test_ahead_of_leader_in_a_phase_named_in_the_warnings(tree, personas):
    w = setup(tree, personas, "ahead_of_leader: {phases: [prepare]}\n", township=False)
    found = run(w, date(2014, 3, 1))["ahead_of_leader"]
    assert found[tree.village.pk].detail["phase"] == "prepare"  # the township has not closed it
    assert found[tree.village.pk].detail["leader_end"] is None


def test_returned_twice(tree, personas):
    w = setup(tree, personas)
    today = timezone.localdate()

    def give_back() -> None:
        review = services.gate_submit(actor=w.secretary, participation=w.village, day=date(2014, 2, 25))
        services.gate_decide(
            actor=w.instructor,
            review=review,
            decision=Decision.RETURN,
            checks={k: CheckResult(False, "请补充") for k in CHECKS},
            comment="材料不全",
            deadline=today + timedelta(days=7),
        )

    give_back()
    assert run(w, today).get("returned_twice", {}) == {}
    give_back()
    found = run(w, today)["returned_twice"][tree.village.pk]
    assert found.detail == {"phase": "study", "phase_name": "学习教育、听取意见", "times": 2}
    assert describe("returned_twice", found.detail) == "“学习教育、听取意见”已被打回 2 次"


def test_returned_twice_tuned_to_three_times(tree, personas):
    w = setup(tree, personas, "returned_twice: {times: 3}\n")
    today = timezone.localdate()
    for _ in range(2):
        review = services.gate_submit(actor=w.secretary, participation=w.village, day=date(2014, 2, 25))
        services.gate_decide(
            actor=w.instructor,
            review=review,
            decision=Decision.RETURN,
            checks={k: CheckResult(False, "请补充") for k in CHECKS},
            comment="材料不全",
            deadline=today + timedelta(days=7),
        )
    assert run(w, today).get("returned_twice", {}) == {}


def test_no_opinions_by_the_end_of_the_study_phase(tree, personas):
    w = setup(tree, personas)
    end = study_end(w, w.village)
    assert tree.village.pk not in run(w, end).get("no_opinions", {})  # not yet at its end
    found = run(w, end + timedelta(days=1))["no_opinions"]
    assert found[tree.village.pk].detail["closed"] is False
    assert describe("no_opinions", found[tree.village.pk].detail, end).endswith("结束，台账中还没有群众意见")
    assert tree.township.pk in found
    opinion_record(
        actor=w.secretary, unit=tree.village, text="希望村里多办实事", channel="visit", received_on=START
    )
    found = run(w, end + timedelta(days=1))["no_opinions"]
    # the village has one now, and so has its township's subtree
    assert tree.village.pk not in found and tree.township.pk not in found


def test_a_rule_turned_off_finds_nothing(tree, personas):
    w = setup(tree, personas, "no_opinions: false\nblind_spots: false\n")
    make_member(tree.village, "M-BLIND", mobile=True)  # a mobile member with no inflow unit: a blind spot
    counts = warnings_refresh(batch=w.batch, today=study_end(w, w.village) + timedelta(days=5))
    assert "no_opinions" not in counts and "blind_spots" not in counts
    assert counts["phase_overdue"] > 0
    assert not Alert.objects.filter(rule__in=["no_opinions", "blind_spots"]).exists()


def test_tasks_overdue(tree, personas):
    w = setup(tree, personas)
    problem = problem_create(
        actor=w.secretary, unit=tree.village, title="村务公开不及时", category="formalism", source="public"
    )
    task_add(
        actor=w.secretary,
        problem=problem,
        measure="每月公开",
        responsible="李书记",
        deadline=date(2014, 4, 1),
    )
    assert tree.village.pk not in run(w, date(2014, 4, 1)).get("tasks_overdue", {})
    found = run(w, date(2014, 4, 2))["tasks_overdue"]
    assert found[tree.village.pk].detail == {"count": 1, "oldest": "2014-04-01"}
    assert tree.township.pk not in found  # the unit's own tasks, not its subtree's
    assert describe("tasks_overdue", found[tree.village.pk].detail, date(2014, 4, 2)) == (
        "1 项整改任务超过完成时限（最早的 4月1日到期）"
    )


def test_tasks_overdue_tuned_by_days(tree, personas):
    w = setup(tree, personas, "tasks_overdue: {days: 5}\n")
    problem = problem_create(
        actor=w.secretary, unit=tree.village, title="村务公开不及时", category="formalism", source="public"
    )
    task_add(
        actor=w.secretary,
        problem=problem,
        measure="每月公开",
        responsible="李书记",
        deadline=date(2014, 4, 1),
    )
    assert tree.village.pk not in run(w, date(2014, 4, 6)).get("tasks_overdue", {})
    assert tree.village.pk in run(w, date(2014, 4, 7))["tasks_overdue"]


def test_blind_spots(tree, personas):
    w = setup(tree, personas)
    make_member(tree.village, "M-1", "王五")  # takes part at home: no blind spot
    assert run(w, START).get("blind_spots", {}) == {}
    make_member(tree.village, "M-2", "赵六", mobile=True)
    found = run(w, START)["blind_spots"]
    assert found[tree.village.pk].detail == {"count": 1}
    assert set(found) == {tree.village.pk}
    w2 = setup(tree, personas, "blind_spots: {min: 2}\n")
    assert run(w2, START).get("blind_spots", {}) == {}


def test_since_is_kept_and_the_set_replaced(tree, personas):
    w = setup(tree, personas)
    end = study_end(w, w.village)
    first = run(w, end + timedelta(days=1))
    assert first["no_opinions"][tree.village.pk].since == end + timedelta(days=1)
    total = Alert.objects.filter(batch=w.batch).count()
    again = run(w, end + timedelta(days=3))
    assert again["no_opinions"][tree.village.pk].since == end + timedelta(days=1)
    assert again["phase_overdue"][tree.village.pk].since == end + timedelta(days=1)
    assert Alert.objects.filter(batch=w.batch).count() == total  # replaced, not added
    # gone when it no longer holds, found anew (a new since) when it holds again
    opinion_record(
        actor=w.secretary, unit=tree.village, text="希望村里多办实事", channel="visit", received_on=START
    )
    assert tree.village.pk not in run(w, end + timedelta(days=4))["no_opinions"]
    assert tree.township.pk not in run(w, end + timedelta(days=4))["no_opinions"]
    events = AuditEvent.objects.filter(verb="alert.refresh").order_by("pk")
    assert events.count() == 4
    last = events.last()
    left = Alert.objects.filter(rule="no_opinions").count()
    assert last is not None and last.after["counts"]["no_opinions"] == left < len(again["no_opinions"])
    assert last.unit_path == tree.region.path


def test_find_reads_only(tree, personas):
    w = setup(tree, personas)
    found = find(w.batch, study_end(w, w.village) + timedelta(days=1))
    assert tree.village.pk in {
        p.unit_id for p in w.batch.participations.filter(pk__in=found["phase_overdue"])
    }
    assert not Alert.objects.exists() and not AuditEvent.objects.filter(verb="alert.refresh").exists()


def test_only_an_office_above_may_refresh(tree, personas):
    from django.core.exceptions import PermissionDenied

    w = setup(tree, personas)
    for who in ("county_office", "village_secretary", "outsider"):
        with pytest.raises(PermissionDenied):
            warnings_refresh(actor=personas[who], batch=w.batch, today=START)
    warnings_refresh(actor=personas["region_office"], batch=w.batch, today=START)
    assert AuditEvent.objects.get(verb="alert.refresh").actor == personas["region_office"]


# --- the template's warnings: section -----------------------------------------------------------------


def minimal(**changes: object) -> dict:
    data: dict = {
        "key": "t",
        "name": "测试模板",
        "categories": [{"key": "all", "name": "全部", "kinds": ["leadership", "organ", "village"]}],
        "phases": [
            {"key": "a", "name": "甲", "share": 40, "min_days": 3},
            {"key": "b", "name": "乙", "share": 60, "leader_first": True},
        ],
        "batches": [{"key": "one", "name": "一批", "levels": [2, 3, 4, 5]}],
    }
    data.update(changes)
    return data


def test_a_template_without_a_section_runs_every_rule_with_its_defaults():
    import yaml

    spec = specs.load(yaml.safe_dump(minimal(), allow_unicode=True))
    rules = {w.key: dict(w.params) for w in spec.warnings}
    assert list(rules) == list(specs.WARNING_RULES)
    assert rules["no_opinions"] == {"phase": "a"}  # the first phase
    assert rules["ahead_of_leader"] == {"phases": ["b"], "count_overrides": False}  # the leader_first phases
    assert rules["too_fast"] == {"min_days": {"a": 3}}
    assert str(spec.warning("stalled").name) == "长期无进展"
    # a campaign copied before templates had the section: the same defaults
    old = dict(spec.data)
    old.pop("warnings")
    assert [w.key for w in specs.Spec(old).warnings] == list(specs.WARNING_RULES)


def test_the_section_tunes_names_and_turns_rules_off():
    import yaml

    section = {
        "stalled": {"days": 21, "name": "长期停滞"},
        "blind_spots": False,
        "no_opinions": {"phase": "b"},
    }
    spec = specs.load(yaml.safe_dump(minimal(warnings=section), allow_unicode=True))
    assert spec.warning("blind_spots") is None
    stalled = spec.warning("stalled")
    assert stalled is not None and stalled.name == "长期停滞" and stalled.params["days"] == 21
    assert spec.warning("no_opinions").params["phase"] == "b"
    assert spec.warning("phase_overdue").params["days"] == 1


@pytest.mark.parametrize(
    "section, expected",
    [
        ([1, 2], "预警规则（warnings）必须是键值对"),
        ({"ranking": {}}, "预警规则中有未知的规则：ranking"),
        ({"stalled": {"days": 0}}, "预警规则“stalled”的 days 须是 1～366 之间的整数，现为 0"),
        ({"stalled": {"days": "十"}}, "须是 1～366 之间的整数"),
        ({"stalled": {"weeks": 2}}, "预警规则“stalled”中有未知的字段：weeks"),
        ({"stalled": "yes"}, "预警规则“stalled”须是 true、false 或参数的键值对"),
        ({"no_opinions": {"phase": "z"}}, "预警规则“no_opinions”的 phase“z”不是模板中的环节"),
        ({"ahead_of_leader": {"phases": ["a", "q"]}}, "phases 中有不是模板环节的“q”"),
        ({"ahead_of_leader": {"count_overrides": "yes"}}, "count_overrides 必须是 true 或 false"),
        ({"too_fast": {"min_days": {"a": -1}}}, "中“a”的天数须是 0～366 之间的整数"),
        ({"too_fast": {"min_days": {"q": 3}}}, "min_days 中的“q”不是模板中的环节"),
        ({"returned_twice": {"times": 1}}, "times 须是 2～20 之间的整数"),
        ({"blind_spots": {"name": "x" * 51}}, "名称须是不超过 50 个字的文字"),
    ],
)
def test_a_bad_section_is_refused_in_chinese(section, expected):
    import yaml

    with pytest.raises(specs.TemplateError) as exc:
        specs.load(yaml.safe_dump(minimal(warnings=section), allow_unicode=True))
    assert any(expected in e for e in exc.value.errors), exc.value.errors


def test_the_template_editor_refuses_a_bad_section(db):
    from echelon.campaigns.models import CampaignTemplate

    found = specs.find_builtin(BUILTIN)
    assert found is not None
    text = found.text.replace("stalled: {days: 14}", "stalled: {days: 999}")
    with pytest.raises(ValidationError) as exc:
        campaign_services.template_save(actor=None, text=text)
    assert any("stalled" in m and "1～366" in m for m in exc.value.messages)
    assert not CampaignTemplate.objects.exists()


# --- who is told, and where they see it -----------------------------------------------------------------


def test_the_offices_are_told_of_new_warnings_once_a_day(tree, personas):
    w = setup(tree, personas)
    day = study_end(w, w.village) + timedelta(days=1)
    warnings_refresh(batch=w.batch, today=day)
    result = warnings_notify(batches=[w.batch], today=day)
    told = {n.user.username: n for n in Notification.objects.select_related("user")}
    assert {"region_office", "league_office", "county_office", "outsider"} <= set(told)
    assert result.users == len(told)
    for who in ("village_secretary", "township_operator", "county_supervisor", "liaison_leader"):
        assert who not in told
    county = told["county_office"]
    assert county.text.startswith("预警提醒：您负责的范围内今天新增")
    assert county.target_type == "orgs.unit" and county.target_id == str(tree.county.pk)
    in_county = Alert.objects.filter(path__startswith=tree.county.path).count()
    assert f"新增 {in_county} 条预警" in county.text
    assert AuditEvent.objects.filter(verb="alert.notify").count() == 1
    # once a day
    assert warnings_notify(batches=[w.batch], today=day).users == 0
    assert Notification.objects.count() == len(told)


def test_the_todo_list_of_an_office(tree, personas):
    w = setup(tree, personas)
    warnings_refresh(batch=w.batch)  # today: the 2014 campaign is long overdue everywhere
    found = {str(i.title): i for i in todo_items(personas["county_office"])}
    overdue = found["预警：环节逾期"]
    assert (
        overdue.count == Alert.objects.filter(rule="phase_overdue", path__startswith=tree.county.path).count()
    )
    assert overdue.tone == "danger" and "今天和昨天新增" in str(overdue.detail)
    assert overdue.url.startswith(f"/dashboard/u/{tree.county.code}/warnings/phase_overdue/")
    assert todo_items(personas["village_secretary"]) == []
    assert todo_items(personas["county_supervisor"]) == []


# --- the pages and the API ------------------------------------------------------------------------------


@pytest.fixture
def refreshed(tree, personas):
    w = setup(tree, personas)
    warnings_refresh(batch=w.batch)
    return w


def test_the_warnings_page_counts_the_callers_part(refreshed, django_assert_max_num_queries):
    w, tree = refreshed, refreshed.tree
    client = _client(w.personas["county_office"])
    with django_assert_max_num_queries(25):
        response = client.get(f"/dashboard/u/{tree.county.code}/warnings/?batch={w.batch.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    n = Alert.objects.filter(rule="phase_overdue", path__startswith=tree.county.path).count()
    assert f'data-testid="count-phase_overdue">{n}<' in html
    assert "长期无进展" in html and "不按上传数量、打卡次数排名" in html
    # the township's operator sees the township's part, and not the county's page
    operator = _client(w.personas["township_operator"])
    assert operator.get(f"/dashboard/u/{tree.county.code}/warnings/").status_code == 404
    page = operator.get(f"/dashboard/u/{tree.township.code}/warnings/?batch={w.batch.pk}").content.decode()
    mine = Alert.objects.filter(rule="phase_overdue", path__startswith=tree.township.path).count()
    assert f'data-testid="count-phase_overdue">{mine}<' in page
    assert (
        _client(w.personas["outsider"]).get(f"/dashboard/u/{tree.county.code}/warnings/").status_code == 404
    )


def test_a_rules_page_lists_the_units_with_why(refreshed, django_assert_max_num_queries):
    w, tree = refreshed, refreshed.tree
    client = _client(w.personas["county_office"])
    url = f"/dashboard/u/{tree.county.code}/warnings/phase_overdue/?batch={w.batch.pk}"
    with django_assert_max_num_queries(25):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200 and "东土城村" in html and "已逾期" in html
    assert f"/dashboard/u/{tree.village.code}/?batch={w.batch.pk}" in html
    assert "金山村" not in html  # the sibling league's
    assert client.get(url + "&new=1").status_code == 200
    assert client.get(url + "&page=99").status_code == 404
    assert client.get(f"/dashboard/u/{tree.county.code}/warnings/ranking/").status_code == 404
    outsider = _client(w.personas["outsider"])
    assert outsider.get(url).status_code == 404


def test_the_warnings_api_is_scoped(refreshed):
    w, tree = refreshed, refreshed.tree
    client = _client(w.personas["county_office"])
    body = client.get(f"/api/v1/warnings/?under={tree.township.code}&rule=phase_overdue").json()
    assert (
        body["count"]
        == Alert.objects.filter(rule="phase_overdue", path__startswith=tree.township.path).count()
    )
    row = next(r for r in body["results"] if r["unit_code"] == tree.village.code)
    assert row["rule_name"] == "环节逾期" and "已逾期" in row["text"] and row["detail"]["phase"]
    everything = client.get("/api/v1/warnings/?limit=1000").json()
    assert everything["count"] == Alert.objects.filter(path__startswith=tree.county.path).count()
    assert client.get("/api/v1/warnings/?rule=ranking").status_code == 400
    assert client.get("/api/v1/warnings/?batch=x").status_code == 400
    outsider = _client(w.personas["outsider"])
    assert outsider.get(f"/api/v1/warnings/?under={tree.county.code}").status_code == 404
    theirs = outsider.get("/api/v1/warnings/?limit=1000").json()
    assert theirs["count"] > 0 and all(r["unit_code"].startswith("1502") for r in theirs["results"])


def test_the_rules_agree_with_the_dashboard_and_the_gates(tree, personas):
    """phase_overdue (1 day) counts what the dashboard's "overdue" counts; the leadership bodies found for
    every unit at once are those the gates use (``leader_of``)."""
    from echelon.campaigns.models import Participation
    from echelon.campaigns.services import leader_of
    from echelon.dashboards import figures
    from echelon.dashboards.services.warnings import World, leaders

    w = setup(tree, personas)
    day = study_end(w, w.village) + timedelta(days=1)
    found = run(w, day)["phase_overdue"]
    for unit in (tree.county, tree.township, tree.league):
        mine = [a for a in found.values() if a.path.startswith(unit.path)]
        assert len(mine) == figures.totals(w.batch, unit, day)["overdue"], unit.name
    bodies = leaders(World(w.batch, day).parts.values())
    for p in Participation.objects.filter(batch=w.batch).select_related("unit"):
        body = leader_of(p)
        assert (bodies[p.pk].id if p.pk in bodies else None) == (body.pk if body else None), p.unit.name
