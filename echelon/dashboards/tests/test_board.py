"""The dashboard's figures, read live from what the services keep (ADR 16): counts against the rows,
a village's submission and the group's decision showing at the region in the next read, the set-based
totals of the snapshot equal to the dashboard's, the pages and the API scoped to the caller."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from echelon.accounts.models import User
from echelon.campaigns.models import Batch, GateState, Participation, PlanPhase
from echelon.dashboards import figures
from echelon.supervision import selectors as sv_selectors
from echelon.supervision import services as sv_services
from echelon.supervision.services.gates import CheckResult
from echelon.supervision.tests import kit as sv

pytestmark = pytest.mark.django_db
LATER = date(2014, 12, 31)  # after every planned end of the 2014 campaign


@pytest.fixture
def world(tree: Any, personas: dict[str, Any]) -> SimpleNamespace:
    ctx = SimpleNamespace(tree=tree, personas=personas)
    found = sv.world(ctx)
    found.ctx = ctx
    found.batch = Batch.objects.get(campaign=found.campaign, key="second")
    return found


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _village(world: SimpleNamespace) -> Participation:
    return Participation.objects.get(campaign=world.campaign, unit=world.ctx.tree.village)


def _decide(world: SimpleNamespace, decision: str, **kw: Any) -> None:
    review = world.review
    state = sv_selectors.phase_state(review.participation, review.phase)
    checks = {
        c["key"]: CheckResult(decision == "pass", "" if decision == "pass" else "请补充")
        for c in state.checks
    }
    sv_services.gate_decide(
        actor=User.objects.get(username="kit_instructor"),  # a member of the village's group
        review=review,
        decision=decision,
        checks=checks,
        comment="" if decision == "pass" else "材料不全，请补充后再交。",
        **kw,
    )


def test_the_counts_are_the_participations_of_the_batch(world: SimpleNamespace) -> None:
    tree = world.ctx.tree
    board = figures.board(world.batch, tree.region, LATER)
    parts = Participation.objects.filter(batch=world.batch)
    assert board.total["units"] == parts.count() > 0
    assert board.total["open"] == parts.filter(gate=GateState.OPEN).count() == 1
    assert board.total["started"] == parts.filter(actual_start__isnull=False).count()
    assert board.total["not_started"] + board.total["started"] == board.total["units"]
    states = ("not_started", "in_progress", "open", "return", "interview", "redo", "done")
    assert sum(board.total[s] for s in states) == board.total["units"]
    league_row = next(r for r in board.rows if r.unit == tree.league)
    assert league_row["open"] == 1  # the village's submission, under 呼和浩特市
    for key in ("units", "open", "started", "overdue", "members"):
        assert sum(r[key] for r in board.rows) == board.total[key]


def test_a_decision_at_a_village_shows_at_the_region_in_the_next_read(world: SimpleNamespace) -> None:
    region = world.ctx.tree.region
    before = figures.board(world.batch, region).total
    assert (before["open"], before["return"]) == (1, 0)
    _decide(world, "return", deadline=date.today() + timedelta(days=7))
    after = figures.board(world.batch, region).total
    assert (after["open"], after["return"]) == (0, 1)
    village = _village(world)
    assert (village.gate, village.gate_at) == (GateState.RETURN, date.today())


def test_a_pass_clears_the_gate_and_moves_the_due_date_to_the_next_phase(world: SimpleNamespace) -> None:
    village = _village(world)
    phase = village.current_phase
    assert village.current_due == PlanPhase.objects.get(participation=village, phase=phase).end
    _decide(world, "pass")
    village.refresh_from_db()
    assert village.current_phase == phase + 1
    assert village.gate == GateState.NONE
    assert village.current_due == PlanPhase.objects.get(participation=village, phase=phase + 1).end


def test_overdue_and_reviews_overdue_follow_the_dates(world: SimpleNamespace) -> None:
    parts = Participation.objects.filter(batch=world.batch)
    n = len(world.campaign.spec.phases)
    due = parts.filter(current_due__isnull=False).order_by("current_due").first()
    assert due is not None
    on_time = figures.board(world.batch, world.ctx.tree.region, due.current_due).total
    late = figures.board(world.batch, world.ctx.tree.region, LATER).total
    assert on_time["overdue"] == parts.filter(current_due__lt=due.current_due, current_phase__lt=n).count()
    assert late["overdue"] == parts.filter(current_due__lt=LATER, current_phase__lt=n).count() > 0
    # the village's submission waits since today: late only once the due days have passed
    region = world.ctx.tree.region
    assert figures.board(world.batch, region, date.today()).total["reviews_overdue"] == 0
    assert figures.board(world.batch, region, date.today() + timedelta(days=30)).total["reviews_overdue"] == 1


def test_the_snapshot_totals_equal_the_dashboard_for_every_unit_of_a_depth(world: SimpleNamespace) -> None:
    tree = world.ctx.tree
    for unit in (tree.league, tree.county, tree.township):
        depth = len(unit.path) // 5
        totals = figures.subtree_totals(world.batch, depth, LATER)
        assert totals[unit.path] == figures.totals(world.batch, unit, LATER)


def test_the_region_office_lands_on_the_region_and_drills_down_to_the_village(world: SimpleNamespace) -> None:
    tree, personas = world.ctx.tree, world.ctx.personas
    c = _client(personas["region_office"])
    page = c.get("/dashboard/").content.decode()
    assert tree.region.name in page and tree.league.name in page
    units = c.get(f"/dashboard/u/{tree.region.code}/units/", {"measure": "open"}).content.decode()
    assert tree.village.name in units and tree.sibling_village.name not in units
    village = c.get(f"/dashboard/u/{tree.village.code}/").content.decode()
    assert "本单位进展" in village and "等待督导组审核" in village


def test_every_figure_the_page_links_drills_down(world: SimpleNamespace) -> None:
    """Each drill-down the dashboard offers answers with its units (the coverage figure's led to a 404:
    found by `make load`)."""
    tree, personas = world.ctx.tree, world.ctx.personas
    c = _client(personas["region_office"])
    page = c.get("/dashboard/").content.decode()
    links = {html.unescape(u) for u in re.findall(r'href="(/dashboard/u/[^/"]+/units/\?[^"]+)"', page)}
    assert any("measure=covered" in u for u in links)
    for url in sorted(links):
        assert c.get(url).status_code == 200, url
    covered = c.get(f"/dashboard/u/{tree.region.code}/units/", {"measure": "covered"}).content.decode()
    assert tree.village.name in covered


def test_each_user_sees_only_their_part(world: SimpleNamespace) -> None:
    tree, personas = world.ctx.tree, world.ctx.personas
    secretary = _client(personas["village_secretary"])
    own = secretary.get("/dashboard/").content.decode()
    assert tree.village.name in own and tree.sibling_village.name not in own
    assert secretary.get(f"/dashboard/u/{tree.county.code}/").status_code == 404
    outsider = _client(personas["outsider"])
    assert outsider.get(f"/dashboard/u/{tree.county.code}/").status_code == 404
    assert outsider.get(f"/api/v1/dashboard/{tree.county.code}/").status_code == 404
    assert outsider.get(f"/dashboard/u/{tree.county.code}/units/", {"measure": "open"}).status_code == 404


def test_bad_parameters_are_refused(world: SimpleNamespace) -> None:
    c = _client(world.ctx.personas["region_office"])
    code = world.ctx.tree.region.code
    assert c.get(f"/dashboard/u/{code}/units/", {"measure": "no-such"}).status_code == 404
    assert c.get(f"/dashboard/u/{code}/", {"batch": "999999"}).status_code == 404
    assert c.get(f"/dashboard/u/{code}/", {"batch": "1 OR 1=1"}).status_code == 404
    assert c.get(f"/api/v1/dashboard/{code}/", {"batch": "x"}).status_code == 404


def test_the_api_gives_the_same_figures(world: SimpleNamespace) -> None:
    tree = world.ctx.tree
    c = _client(world.ctx.personas["league_office"])
    data = c.get(f"/api/v1/dashboard/{tree.league.code}/").json()
    board = figures.board(world.batch, tree.league)
    assert data["total"] == dict(board.total.values)
    assert {r["code"] for r in data["rows"]} == {(r.unit or tree.league).code for r in board.rows}
    assert any(m["key"] == "overdue" and m["name"] == "当前环节逾期" for m in data["measures"])


def test_the_region_page_reads_a_bounded_number_of_queries(
    world: SimpleNamespace, django_assert_max_num_queries: Any
) -> None:
    c = _client(world.ctx.personas["region_office"])
    c.get("/dashboard/")  # warm the session and the caches
    with django_assert_max_num_queries(30):
        assert c.get("/dashboard/").status_code == 200
