"""The participations' rollup (``campaigns.progress``, ADR 16): the counters kept by the writers equal a
rebuild from the rows after any sequence of writes, and the dashboard's unit figures read from them equal a
naive count of the participations (honest denominators: every unit taking part, whether it reported or not)
for every unit of the test tree, on any day."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from echelon.campaigns import progress
from echelon.campaigns import services as campaign_services
from echelon.campaigns.models import Batch, GateState, Participation, ProgressCount, ProgressDay
from echelon.core.tree import UPPER_BOUND
from echelon.dashboards import figures
from echelon.demo.tests.test_history import live_demo  # noqa: F401 (the fixture)
from echelon.orgs.models import Unit

pytestmark = pytest.mark.django_db
DAYS = [date(2014, 1, 1) + timedelta(days=d) for d in range(0, 365, 7)]
PROPERTY = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _counters() -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    states = ProgressCount.objects.exclude(n=0).values_list(
        "batch_id", "path", "phase", "started", "gate", "n"
    )
    days = ProgressDay.objects.exclude(n=0).values_list("batch_id", "path", "field", "day", "n")
    return set(states), set(days)


def _assert_counters_equal_a_rebuild() -> None:
    kept = _counters()
    progress.rebuild()
    assert kept == _counters()


def _assert_figures_equal_a_naive_count(batch: Batch, today: date, foci: list[Unit] | None = None) -> None:
    """Every unit measure of every unit's dashboard (each row and the total) against ``unit_filter`` over
    the participation rows of the batch (of the units in ``foci``, else of every unit taking part)."""
    phases = [(p.key, p.name) for p in batch.campaign.spec.phases]
    k = figures.evaluation_phase(batch)
    keys = [
        m.key
        for m in figures.board_measures(phases)
        if m.key != "units" and figures.unit_filter(m.key, phases, today, k) is not None
    ]
    parts = Participation.objects.filter(batch=batch)
    units = Unit.objects.filter(path__in=parts.values("path")) if foci is None else foci
    for focus in sorted(units, key=lambda u: u.path):
        board = figures.board(batch, focus, today)
        under = parts.filter(path__gte=focus.path, path__lt=focus.path + UPPER_BOUND)
        for row in [board.total, *board.rows]:
            rows = under if row is board.total else _row_parts(under, row.path, own=row.unit is None)
            assert row["units"] == rows.count() > 0, (focus.path, row.path)
            for key in keys:
                q = figures.unit_filter(key, phases, today, k)
                assert row[key] == rows.filter(q).count(), (focus.path, row.path, key, today)


def _row_parts(under: Any, path: str, *, own: bool) -> Any:
    return under.filter(path=path) if own else under.filter(path__gte=path, path__lt=path + UPPER_BOUND)


@pytest.fixture
def campaign(tree: Any) -> Any:
    from echelon.supervision.tests.helpers import make_campaign

    return make_campaign(tree.region)


dates = st.one_of(st.none(), st.sampled_from(DAYS))
writes = st.lists(
    st.fixed_dictionaries(
        {
            "which": st.integers(min_value=0, max_value=10_000),
            "current_phase": st.integers(min_value=0, max_value=5),
            "actual_start": dates,
            "gate": st.sampled_from([g.value for g in GateState]),
            "gate_at": dates,
            "planned_start": dates,
            "planned_end": dates,
            "current_due": dates,
        },
        optional={},
    ).flatmap(
        lambda w: st.lists(
            st.sampled_from(sorted(k for k in w if k != "which")), min_size=1, unique=True
        ).map(lambda fields: (w, fields))
    ),
    max_size=12,
)


@PROPERTY
@given(writes=writes, today=st.sampled_from(DAYS))
def test_counters_kept_by_any_writes_equal_a_rebuild_and_a_naive_count(
    tree: Any, campaign: Any, writes: list[tuple[dict[str, Any], list[str]]], today: date
) -> None:
    parts = list(Participation.objects.filter(campaign=campaign).select_related("campaign").order_by("pk"))
    with transaction.atomic():
        for values, fields in writes:
            p = parts[values["which"] % len(parts)]
            p.refresh_from_db()
            for f in fields:
                setattr(p, f, values[f])
            progress.save(p, fields)
        _assert_counters_equal_a_rebuild()
        batch = Batch.objects.select_related("campaign").get(campaign=campaign, key="second")
        foci = [tree.region, tree.league, tree.county, tree.township, tree.village]
        _assert_figures_equal_a_naive_count(batch, today, foci)
        transaction.set_rollback(True)


@pytest.fixture
def world(tree: Any, personas: dict[str, Any]) -> SimpleNamespace:
    from echelon.supervision.tests import kit as sv

    ctx = SimpleNamespace(tree=tree, personas=personas)
    found = sv.world(ctx)  # a campaign, scheduled and published, and the village's submission
    found.ctx = ctx
    found.batch = Batch.objects.get(campaign=found.campaign, key="second")
    return found


def test_the_services_keep_the_counters(world: SimpleNamespace) -> None:
    """Creation, the plan, the phase actuals, a submission and the group's decisions, a new plan: after
    each, the counters equal a rebuild and the figures a naive count."""
    from echelon.dashboards.tests.test_board import _decide

    _assert_counters_equal_a_rebuild()
    _assert_figures_equal_a_naive_count(world.batch, date(2014, 6, 1))
    _decide(world, "return", deadline=date.today() + timedelta(days=7))
    _assert_counters_equal_a_rebuild()
    result = campaign_services.campaign_schedule(actor=None, campaign=world.campaign)
    assert result.feasible
    _assert_counters_equal_a_rebuild()
    township = Participation.objects.select_related("campaign", "unit").get(
        campaign=world.campaign, unit=world.ctx.tree.township
    )
    start = township.planned_start or date(2014, 3, 1)
    campaign_services.phase_actual_record(
        actor=world.ctx.personas["township_operator"],
        participation=township,
        phase_key=world.campaign.spec.phases[0].key,
        start=start,
        end=None,
        today=start + timedelta(days=3),
    )
    _assert_counters_equal_a_rebuild()
    for day in (date(2014, 3, 1), date(2014, 6, 1), date(2014, 12, 31)):
        _assert_figures_equal_a_naive_count(world.batch, day)


def test_the_demo_campaign_keeps_the_counters(live_demo: Any) -> None:  # noqa: F811 (the fixture)
    """Creation, the plan and the demo's bulk history each rebuild only what they change: together the
    counters equal a full rebuild, and the figures a naive count."""
    campaign, _output = live_demo
    _assert_counters_equal_a_rebuild()
    batch = Batch.objects.select_related("campaign").get(campaign=campaign, key="second")
    root = campaign.root
    _assert_figures_equal_a_naive_count(batch, date.today(), [root])
