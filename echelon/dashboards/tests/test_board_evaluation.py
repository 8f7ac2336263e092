"""The satisfaction evaluation on the dashboards (ADR 16, ADR 17): per child unit the units that reached the
evaluation, evaluated, below the threshold and in a remedial round (补课), the satisfied share; every unit
figure drills down to its units; the API, the map's measures, the dispatch report and the early warning
"satisfaction below the threshold" (tunable in the template's ``warnings:``) show them, live."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from echelon.campaigns import progress
from echelon.campaigns.models import Batch, Participation
from echelon.dashboards import exports, figures
from echelon.dashboards.models import Alert
from echelon.dashboards.services.warnings import describe, warnings_refresh
from echelon.dashboards.tests.test_progress import _assert_figures_equal_a_naive_count
from echelon.dashboards.tests.test_warnings import campaign_with
from echelon.dashboards.views.board import map_data
from echelon.evaluation import services as evaluation
from echelon.evaluation.models import Redo, RedoStatus
from echelon.evaluation.tests.helpers import HELD_ON, evaluation_world

pytestmark = pytest.mark.django_db
TODAY = date(2014, 9, 20)


def _world(tree: Any, personas: dict[str, Any], section: str | None = None) -> SimpleNamespace:
    campaign_with(tree, section)  # the built-in campaign (its warnings tuned by ``section``)
    w = evaluation_world(tree, personas)
    # The set-up put the village in its evaluation phase directly: started, its counters rebuilt.
    Participation.objects.filter(pk=w.village.pk).update(actual_start=date(2014, 2, 10))
    progress.rebuild()
    w.batch = Batch.objects.select_related("campaign").get(campaign=w.campaign, key="second")
    w.tree, w.personas = tree, personas
    return w


def _evaluate(w: SimpleNamespace, votes: list[list[int]]) -> Any:
    secretary = w.personas["village_secretary"]
    redo = Redo.objects.filter(participation=w.village, status=RedoStatus.OPEN).first()
    if redo is not None:  # a remedial round: its work recorded before the next round
        evaluation.redo_record(actor=secretary, redo=redo, work="逐户走访，公开村务账目，整改了三件事。")
    session = evaluation.session_open(actor=secretary, unit=w.tree.village, held_on=HELD_ON)
    evaluation.group_set(actor=secretary, session=session, kind="public", present=20)
    evaluation.tally_record(actor=secretary, session=session, kind="public", votes=votes)
    return evaluation.session_close(actor=secretary, session=session, today=TODAY)


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


BELOW = [[4, 2, 8], [5, 5, 4]]  # satisfied 4 + 2 of 14 on the overall item: 42.9 %, below 60 %
ABOVE = [[12, 4, 2], [9, 5, 4]]  # 16 of 18: 88.9 %


def test_the_figures_per_child_are_live_and_equal_a_naive_count(tree, personas):
    w = _world(tree, personas)
    before = figures.board(w.batch, tree.region, TODAY).total
    assert (before["eval_due"], before["evaluated"], before["redo_open"]) == (1, 0, 0)
    _evaluate(w, BELOW)  # the next read shows it: the evaluation services bump the results' version
    board = figures.board(w.batch, tree.region, TODAY)
    t = board.total
    assert (t["eval_due"], t["evaluated"], t["eval_below"], t["redo_open"]) == (1, 1, 1, 1)
    assert (t["satisfied_votes"], t["total_votes"]) == (6, 14)
    league = next(r for r in board.rows if r.unit == tree.league)
    assert (league["evaluated"], league["eval_below"], league["satisfied_votes"]) == (1, 1, 6)
    assert t["units"] == Participation.objects.filter(batch=w.batch).count()  # the registry's denominator
    _assert_figures_equal_a_naive_count(
        w.batch, TODAY, [tree.region, tree.league, tree.county, tree.township, tree.village]
    )
    # evaluated again and passing: the remedial round waits for the group, then is declared done
    second = _evaluate(w, ABOVE)
    t = figures.board(w.batch, tree.region, TODAY).total
    assert (t["evaluated"], t["eval_below"], t["redo_open"], t["satisfied_votes"]) == (1, 0, 1, 16)
    redo = evaluation.redo_decide(actor=personas["county_supervisor"], redo=second.redo, done=True)
    assert redo.status == RedoStatus.DONE
    assert figures.board(w.batch, tree.region, TODAY).total["redo_open"] == 0
    assert figures.totals(w.batch, tree.county, TODAY)["satisfied_votes"] == 16
    depth = len(tree.county.path) // 5
    assert figures.subtree_totals(w.batch, depth, TODAY)[tree.county.path] == figures.totals(
        w.batch, tree.county, TODAY
    )


def test_the_page_the_drill_down_the_api_and_the_map(tree, personas):
    w = _world(tree, personas)
    _evaluate(w, BELOW)
    office = _client(personas["region_office"])
    page = office.get("/dashboard/").content.decode()
    assert 'data-testid="board-evaluation"' in page and "满意率" in page and "42.9%" in page
    assert "补课中" in page and "满意度未达标" in page
    for measure in ("eval_below", "redo_open", "evaluated", "eval_due"):
        units = office.get(f"/dashboard/u/{tree.region.code}/units/", {"measure": measure})
        assert units.status_code == 200
        body = units.content.decode()
        assert tree.village.name in body and tree.sibling_village.name not in body, measure
    data = office.get(f"/api/v1/dashboard/{tree.region.code}/").json()
    assert (data["total"]["eval_below"], data["total"]["satisfied_votes"], data["total"]["total_votes"]) == (
        1,
        6,
        14,
    )
    measures = {m["key"]: m for m in data["measures"]}
    assert measures["satisfied_votes"]["percent_of"] == "total_votes"
    assert measures["redo_open"]["group"] == "evaluation" and measures["redo_open"]["name"] == "补课中"
    chart = map_data(figures.board(w.batch, tree.region, TODAY))
    assert {"key": "satisfied_votes", "label": "满意率"} in chart["measures"]
    # the county sees its part only; the outsider nothing
    county = _client(personas["county_office"]).get(f"/api/v1/dashboard/{tree.county.code}/").json()
    assert county["total"]["eval_below"] == 1
    assert _client(personas["outsider"]).get(f"/dashboard/u/{tree.county.code}/units/").status_code == 404


def test_the_dispatch_report_tells_the_satisfaction(tree, personas):
    w = _world(tree, personas)
    _evaluate(w, BELOW)
    data = exports.dispatch_report(w.batch, tree.region, TODAY)
    text = exports.summary_text(data)
    assert "群众满意度测评" in text and "满意率 42.9%" in text and "正在补课 1 个" in text


def test_the_warning_lists_the_units_below_the_threshold(tree, personas):
    w = _world(tree, personas)
    _evaluate(w, BELOW)
    counts = warnings_refresh(batch=w.batch, today=TODAY)
    assert counts["satisfaction_low"] == 1
    alert = Alert.objects.get(batch=w.batch, rule="satisfaction_low")
    assert alert.unit_id == tree.village.pk
    assert describe(alert.rule, alert.detail, TODAY) == "9月10日第 1 轮满意度测评满意率 42.9%，低于 60.0%"
    office = _client(personas["county_office"])
    page = office.get(f"/dashboard/u/{tree.county.code}/warnings/satisfaction_low/", {"batch": w.batch.pk})
    assert page.status_code == 200 and tree.village.name in page.content.decode()
    assert figures.board(w.batch, tree.county, TODAY).total["alerts"] >= 1
    _evaluate(w, ABOVE)  # evaluated again and passing: no longer flagged
    assert warnings_refresh(batch=w.batch, today=TODAY).get("satisfaction_low", 0) == 0


@pytest.mark.parametrize(
    ("section", "flagged"),
    [
        ("satisfaction_low: {percent: 40}\n", 0),
        ("satisfaction_low: {percent: 50}\n", 1),
        ("satisfaction_low: false\n", None),
    ],
)
def test_the_warning_is_tuned_by_the_template(tree, personas, section, flagged):
    w = _world(tree, personas, section)
    _evaluate(w, BELOW)
    counts = warnings_refresh(batch=w.batch, today=TODAY)
    assert counts.get("satisfaction_low") == flagged
