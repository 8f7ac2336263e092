"""The scheduling engine: property tests over random trees, windows and rules, and the 2014 examples.

The guarantees are re-checked here by a small oracle written from the contract (``broken_guarantees``),
not by trusting ``verify``: the planner must report exactly the rules the oracle finds broken, for exactly
the same units.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.scheduler import (
    PHASES_2014,
    SPRING_FESTIVAL_2014,
    inner_mongolia_tree,
    rules_2014,
)
from echelon.campaigns.scheduler import (
    KINDS,
    NON_TERRITORIAL_KINDS,
    Node,
    Phase,
    PhaseDates,
    Plan,
    Rules,
    RulesError,
    TreeError,
    UnitPlan,
    compare,
    plan,
    verify,
)

DAY = timedelta(days=1)
TERRITORIAL = {"leadership", "village", "community"}


def builtin_spec() -> Any:
    from echelon.campaigns.tests.helpers import builtin_spec as spec

    return spec()


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------------------


@st.composite
def trees(draw: st.DrawFn, max_nodes: int = 70) -> list[Node]:
    """One or two roots, random depth and branching, kinds obeying the level rules, random ids and order."""
    rows: list[tuple[int | None, int, str]] = []  # (parent index, level, kind)

    def territorial_kind(level: int) -> str:
        return "leadership" if level < 5 else draw(st.sampled_from(["village", "community"]))

    for _ in range(draw(st.integers(1, 2))):
        level = draw(st.integers(1, 5))
        rows.append((None, level, territorial_kind(level)))
    i = 0
    while i < len(rows) and len(rows) < max_nodes:
        _, level, kind = rows[i]
        territorial = kind in {"leadership", "village", "community"}
        for _ in range(draw(st.integers(0, 3 if territorial else 1))):
            rows.append((i, level, draw(st.sampled_from(sorted(NON_TERRITORIAL_KINDS)))))
        if territorial and level < 5:
            for _ in range(draw(st.integers(0, 4))):
                rows.append((i, level + 1, territorial_kind(level + 1)))
        i += 1
    ids = draw(st.lists(st.integers(1, 10**6), min_size=len(rows), max_size=len(rows), unique=True))
    nodes = []
    for n, (parent, level, kind) in enumerate(rows):
        # Some non-territorial units belong to a sector system, and some of those are led by it.
        industry = "" if kind in TERRITORIAL else draw(st.sampled_from(["", "税务", "税务", "金融"]))
        nodes.append(
            Node(
                ids[n],
                None if parent is None else ids[parent],
                level,
                kind,
                industry,
                bool(industry) and draw(st.booleans()),
            )
        )
    return draw(st.permutations(nodes))


@st.composite
def phase_lists(draw: st.DrawFn, max_min_days: int = 60) -> tuple[Phase, ...]:
    """Random shares; some phases with a minimum of days, some that wait for the leader."""
    weights = draw(st.lists(st.integers(1, 10), min_size=1, max_size=6))
    return tuple(
        Phase(
            f"p{k}",
            f"环节{k}",
            w / sum(weights),
            min_days=draw(st.sampled_from([0, 0, 1, *range(2, max_min_days + 1)])),
            leader_first=draw(st.booleans()),
        )
        for k, w in enumerate(weights)
    )


@st.composite
def blackout_lists(draw: st.DrawFn, start: date, span: int) -> list[tuple[date, date]]:
    pairs = draw(st.lists(st.tuples(st.integers(-10, span + 10), st.integers(0, 40)), max_size=3))
    return [(start + offset * DAY, start + (offset + length) * DAY) for offset, length in pairs]


@st.composite
def rule_sets(draw: st.DrawFn) -> Rules:
    start = date(2014, 1, 1) + draw(st.integers(0, 60)) * DAY
    span = draw(st.integers(1, 300))  # some windows far too short
    return Rules(
        window_start=start,
        window_end=start + (span - 1) * DAY,
        participating_levels=draw(  # mostly "from level N down", as batches are; sometimes any levels
            st.one_of(
                st.integers(1, 4).map(lambda top: set(range(top, 6))), st.sets(st.integers(1, 5), min_size=1)
            )
        ),
        level_stagger_days=draw(st.integers(0, 20)),
        lead_days=draw(st.integers(0, 20)),
        ahead_kinds=draw(st.sets(st.sampled_from(sorted(KINDS)))),
        kickoff_levels=draw(st.sets(st.integers(1, 5), max_size=3)),
        min_duration_days=draw(st.integers(30, 150)),
        flexible_levels=draw(st.sets(st.integers(1, 5), max_size=2)),
        flexible_kinds=draw(st.sets(st.sampled_from(["village", "community", "station"]), max_size=2)),
        blackouts=draw(blackout_lists(start, span)),
        allow_blackout_boundaries=draw(st.booleans()),
        duration_mode=draw(st.sampled_from(["fill", "fixed"])),
        sector_lead_days=draw(st.one_of(st.none(), st.integers(0, 20), st.integers(5, 15))),  # mostly on
    )


# ---------------------------------------------------------------------------------------------------------
# The oracle: the contract's guarantees, written directly from the docstring
# ---------------------------------------------------------------------------------------------------------


class Shape:
    """Relations in the tree the guarantees speak of, computed by walking parent links."""

    def __init__(self, nodes: list[Node], rules: Rules) -> None:
        self.by_id = {n.id: n for n in nodes}
        self.rules = rules
        self.participating = {n.id for n in nodes if n.level in rules.participating_levels}

    def ancestors(self, node: Node) -> list[Node]:
        found = []
        while node.parent_id in self.by_id:
            node = self.by_id[node.parent_id]
            found.append(node)
        return found

    def parent_level_unit(self, node: Node) -> Node | None:
        return next(
            (
                a
                for a in self.ancestors(node)
                if a.territorial and a.id in self.participating and a.level < node.level
            ),
            None,
        )

    def anchor(self, node: Node) -> Node:
        return node if node.territorial else next(a for a in self.ancestors(node) if a.territorial)

    def leader(self, node: Node) -> Node | None:
        """The unit whose phases a ``leader_first`` phase waits for: the nearest participating territorial
        ancestor (a non-territorial node's anchor, a territorial node's parent-level unit)."""
        return next((a for a in self.ancestors(node) if a.territorial and a.id in self.participating), None)

    def earliest_start(self, node: Node) -> date:
        """The start the stagger and lead rules give when no blackout pushes anything (a lower bound):
        one stagger per level up to a kick-off level or the top."""
        steps, below = 0, self.anchor(node)
        upper = None if below.level in self.rules.kickoff_levels else self.parent_level_unit(below)
        while upper is not None:
            steps += 1
            upper = None if upper.level in self.rules.kickoff_levels else self.parent_level_unit(upper)
        lag = 0 if node.territorial or node.kind in self.rules.ahead_kinds else self.rules.lead_days
        earliest = self.rules.window_start + (steps * self.rules.level_stagger_days + lag) * DAY
        department = self.department(node)
        if department:
            sector = self.rules.sector_lead_days or 0
            earliest = max(earliest, max(self.earliest_start(d) for d in department) + sector * DAY)
        return earliest

    def group(self, node: Node) -> Node | None:
        """The participating territorial node whose level group holds ``node`` (itself, or an ancestor)."""
        if node.territorial and node.id in self.participating:
            return node
        return next((a for a in self.ancestors(node) if a.territorial and a.id in self.participating), None)

    def department(self, node: Node) -> list[Node]:
        """A sector-led unit's sector department (when the rule is on): the participating units of its
        industry in the level group of its nearest participating territorial ancestor above its level that
        has any."""
        if self.rules.sector_lead_days is None or not (node.sector_led and node.industry):
            return []
        if node.id not in self.participating:
            return []
        for upper in self.ancestors(node):
            if not (upper.territorial and upper.id in self.participating and upper.level < node.level):
                continue
            found = [
                n
                for n in self.by_id.values()
                if n.industry == node.industry and n.id in self.participating and self.group(n) == upper
            ]
            if found:
                return found
        return []


def in_blackout(day: date, rules: Rules) -> bool:
    return any(first <= day <= last for first, last in rules.blackouts)


def contiguous(unit: UnitPlan, phases: tuple[Phase, ...]) -> bool:
    ps = unit.phases
    return (
        [p.key for p in ps] == [p.key for p in phases]
        and ps[0].start == unit.start
        and ps[-1].end == unit.end
        and all(p.start <= p.end for p in ps)
        and all(b.start == a.end + DAY for a, b in itertools.pairwise(ps))
    )


def broken_guarantees(
    nodes: list[Node], phases: tuple[Phase, ...], rules: Rules, result: Plan
) -> dict[str, set[int]]:
    shape, items = Shape(nodes, rules), result.items
    minimum = {p.key: p.min_days for p in phases}
    first = {p.key for p in phases if p.leader_first}
    broken: dict[str, set[int]] = defaultdict(set)
    if set(items) != shape.participating:
        broken["coverage"] |= set(items) ^ shape.participating
    ahead: dict[int, date] = {}
    for node_id, unit in items.items():
        node = shape.by_id[node_id]
        if shape.department(node):
            continue  # it follows its sector department, and leads nothing in its territory's group
        if node.territorial or node.kind in rules.ahead_kinds:
            anchor = shape.anchor(node).id
            ahead[anchor] = max(ahead.get(anchor, unit.start), unit.start)
    for node_id, unit in items.items():
        node = shape.by_id[node_id]
        upper = shape.parent_level_unit(node)
        staggered = node.level not in rules.kickoff_levels
        if (
            staggered
            and upper is not None
            and unit.start < items[upper.id].start + rules.level_stagger_days * DAY
        ):
            broken["stagger"].add(node_id)
        if any((p.end - p.start).days + 1 < minimum.get(p.key, 0) for p in unit.phases):
            broken["phase_min"].add(node_id)
        leader = shape.leader(node)
        if leader is not None:
            ends = {p.key: p.end for p in items[leader.id].phases}
            if any(p.key in first and p.end < ends[p.key] for p in unit.phases):
                broken["leader_first"].add(node_id)
        lags = not node.territorial and node.kind not in rules.ahead_kinds
        if lags and unit.start < ahead[shape.anchor(node).id] + rules.lead_days * DAY:
            broken["lead"].add(node_id)
        department = shape.department(node)
        if department:
            latest = max(items[d.id].start for d in department)
            if unit.start < latest + (rules.sector_lead_days or 0) * DAY:
                broken["sector"].add(node_id)
        if not rules.is_flexible(node) and (unit.end - unit.start).days + 1 < rules.min_duration_days:
            broken["min_duration"].add(node_id)
        dates = [unit.start, unit.end, *(d for p in unit.phases for d in (p.start, p.end))]
        if not all(rules.window_start <= d <= rules.window_end for d in dates):
            broken["window"].add(node_id)
        if not rules.allow_blackout_boundaries and any(
            in_blackout(day, rules) for p in unit.phases for day in (p.start, p.end)
        ):
            broken["blackout"].add(node_id)
        if not contiguous(unit, phases):
            broken["contiguous"].add(node_id)
    return dict(broken)


def reported(result: Plan) -> dict[str, set[int]]:
    found: dict[str, set[int]] = defaultdict(set)
    for violation in result.violations:
        found[violation.rule] |= set(violation.unit_ids)
    return dict(found)


# ---------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------


@PROPERTY
@given(nodes=trees(), phases=phase_lists(), rules=rule_sets())
def test_plan_reports_exactly_the_broken_guarantees(
    nodes: list[Node], phases: tuple[Phase, ...], rules: Rules
) -> None:
    result = plan(nodes, phases, rules)
    shape = Shape(nodes, rules)

    # Always: every participating unit and nothing else is planned, and its phases are contiguous.
    assert set(result.items) == shape.participating
    assert all(contiguous(unit, phases) for unit in result.items.values())

    # The violations name exactly the guarantees the oracle finds broken, for the same units; none means
    # every guarantee holds.
    assert reported(result) == broken_guarantees(nodes, phases, rules, result)
    assert result.violations == verify(nodes, phases, rules, result)
    for violation in result.violations:
        assert violation.options and violation.unit_ids  # always a way out, in codes
        assert violation.days >= 0
        assert list(violation.unit_ids) == sorted(violation.unit_ids)

    # An input that cannot be feasible is reported with the right rule and unit, whatever the blackouts.
    kickoff = rules.window_start
    while not rules.allow_blackout_boundaries and in_blackout(kickoff, rules):
        kickoff += DAY
    for node_id in shape.participating:
        node = shape.by_id[node_id]
        earliest = shape.earliest_start(node)
        assert result.items[node_id].start >= earliest
        if rules.kicks_off(node):  # the kick-off levels' bodies start with the window, whatever is above
            assert result.items[node_id].start == kickoff
        if not rules.is_flexible(node) and (rules.window_end - earliest).days + 1 < rules.min_duration_days:
            # Too short a window: reported as too short, or (when an end pushed past a blackout made the
            # unit long enough) as overflowing the window.
            found = reported(result)
            assert node_id in found.get("min_duration", ()) or node_id in found.get("window", ())
        if earliest + (len(phases) - 1) * DAY > rules.window_end:
            assert node_id in reported(result)["window"]

    # Deterministic, whatever the order of the nodes.
    assert plan(list(reversed(nodes)), phases, rules) == result
    assert plan(sorted(nodes, key=lambda n: n.id), phases, rules) == result


@st.composite
def roomy_cases(draw: st.DrawFn) -> tuple[list[Node], tuple[Phase, ...], Rules]:
    """Inputs whose window leaves room for the deepest unit's minimum even after a blackout push."""
    nodes, phases = draw(trees()), draw(phase_lists())
    start = date(2014, 1, 1) + draw(st.integers(0, 60)) * DAY
    holiday = draw(st.integers(1, 10))  # one blackout of this many days, or none
    first = start + draw(st.integers(-5, 120)) * DAY
    rules = Rules(
        window_start=start,
        window_end=start,
        level_stagger_days=draw(st.integers(0, 20)),
        lead_days=draw(st.integers(0, 20)),
        # Kick-off levels run down from the top (a kick-off below a staggered level would start a unit
        # before its leader, and its leader_first phases would end first: reported, not roomy).
        kickoff_levels=set(range(2, 2 + draw(st.integers(0, 3)))),
        min_duration_days=draw(st.integers(30, 150)),
        flexible_levels=draw(st.sets(st.integers(1, 5), max_size=2)),
        blackouts=[(first, first + (holiday - 1) * DAY)] if draw(st.booleans()) else [],
        duration_mode=draw(st.sampled_from(["fill", "fixed"])),
        sector_lead_days=draw(st.one_of(st.none(), st.integers(0, 20), st.integers(5, 15))),  # mostly on
    )
    # Phase minimums that a unit of the minimum duration has room for, even past a blackout.
    budget = (rules.min_duration_days - 2 * holiday) // (2 * len(phases))
    phases = tuple(replace(p, min_days=min(p.min_days, budget)) for p in phases)
    shape = Shape(nodes, rules)
    deepest = max((shape.earliest_start(shape.by_id[i]) for i in shape.participating), default=start)
    # A blackout can push a start and pull a window-end back by its length at most.
    window_end = deepest + (rules.min_duration_days + 2 * holiday + draw(st.integers(0, 30))) * DAY
    return nodes, phases, replace(rules, window_end=window_end)


@PROPERTY
@given(case=roomy_cases())
def test_a_roomy_window_gives_a_feasible_plan(case: tuple[list[Node], tuple[Phase, ...], Rules]) -> None:
    nodes, phases, rules = case
    result = plan(nodes, phases, rules)
    assert result.violations == []
    assert broken_guarantees(nodes, phases, rules, result) == {}


@settings(PROPERTY, max_examples=80)
@given(nodes=trees(max_nodes=30), phases=phase_lists(), rules=rule_sets(), data=st.data())
def test_verify_catches_a_tampered_plan(
    nodes: list[Node], phases: tuple[Phase, ...], rules: Rules, data: st.DataObject
) -> None:
    result = plan(nodes, phases, rules)
    if not result.items:
        return
    node_id = data.draw(st.sampled_from(sorted(result.items)))
    unit = result.items[node_id]
    days = data.draw(st.integers(-40, 40).filter(bool)) * DAY
    moved = UnitPlan(
        unit.start + days, unit.end, (replace(unit.phases[0], start=unit.start + days), *unit.phases[1:])
    )
    tampered = Plan(items={**result.items, node_id: moved})
    assert reported(Plan(tampered.items, verify(nodes, phases, rules, tampered))) == broken_guarantees(
        nodes, phases, rules, tampered
    )
    without = Plan(items={k: v for k, v in result.items.items() if k != node_id})
    assert node_id in reported(Plan(without.items, verify(nodes, phases, rules, without)))["coverage"]


# ---------------------------------------------------------------------------------------------------------
# The 2014 examples
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inner_mongolia() -> list[Node]:
    return inner_mongolia_tree()


def first_start(nodes: list[Node], result: Plan, level: int, kind: str) -> date:
    return min(result.items[n.id].start for n in nodes if n.level == level and n.kind == kind)


def test_inner_mongolia_2014_is_feasible_with_the_defaults(inner_mongolia: list[Node]) -> None:
    rules = rules_2014()
    result = plan(inner_mongolia, PHASES_2014, rules)
    assert result.violations == []
    assert len(result.items) == sum(1 for n in inner_mongolia if n.level >= 2)
    # The staircase of the contract: bodies and organs first, the units under them ten days later.
    assert first_start(inner_mongolia, result, 2, "leadership") == date(2014, 1, 20)
    assert first_start(inner_mongolia, result, 2, "organ") == date(2014, 1, 20)
    assert first_start(inner_mongolia, result, 2, "direct") == date(2014, 1, 30)
    assert first_start(inner_mongolia, result, 3, "leadership") == date(2014, 1, 30)
    assert first_start(inner_mongolia, result, 3, "direct") == date(2014, 2, 9)
    assert first_start(inner_mongolia, result, 4, "leadership") == date(2014, 2, 9)
    assert first_start(inner_mongolia, result, 5, "village") == date(2014, 2, 19)
    assert first_start(inner_mongolia, result, 5, "nonpublic") == date(2014, 3, 1)
    first, last = SPRING_FESTIVAL_2014
    for unit in {id(u): u for u in result.items.values()}.values():
        assert unit.end == date(2014, 9, 30)
        assert not any(first <= d <= last for p in unit.phases for d in (p.start, p.end))


def test_the_2014_template_starts_the_league_and_county_bodies_at_the_kickoff(
    inner_mongolia: list[Node],
) -> None:
    """The built-in template's rules: the leagues' and counties' bodies and organs start with the region's
    meeting (20 January), the units under each body 10 days after it, townships and villages 10 days
    apart; each phase has room for its minimum and no unit's phase ends before its leader's."""
    phases = builtin_spec().scheduler_phases()
    assert {p.key: p.min_days for p in phases} == {
        "prepare": 0,
        "study": 15,
        "examine": 15,
        "rectify": 20,
        "summary": 0,
    }
    rules = rules_2014(kickoff_levels={2, 3}, participating_levels={1, 2, 3, 4, 5})
    result = plan(inner_mongolia, phases, rules)
    assert result.violations == []
    kickoff, ten_days_later, twenty_days_later = date(2014, 1, 20), date(2014, 1, 30), date(2014, 2, 9)
    assert first_start(inner_mongolia, result, 2, "leadership") == kickoff
    assert first_start(inner_mongolia, result, 2, "organ") == kickoff
    assert first_start(inner_mongolia, result, 3, "leadership") == kickoff
    assert {result.items[n.id].start for n in inner_mongolia if n.level == 3 and n.kind == "leadership"} == {
        kickoff
    }
    assert first_start(inner_mongolia, result, 2, "direct") == ten_days_later
    assert first_start(inner_mongolia, result, 3, "direct") == ten_days_later
    assert first_start(inner_mongolia, result, 4, "leadership") == ten_days_later
    assert first_start(inner_mongolia, result, 4, "station") == twenty_days_later
    assert first_start(inner_mongolia, result, 5, "village") == twenty_days_later
    # Without the kick-off the leagues' bodies would wait ten days for the region's, the counties' twenty.
    staggered = plan(inner_mongolia, phases, replace(rules, kickoff_levels=frozenset()))
    assert first_start(inner_mongolia, staggered, 2, "leadership") == ten_days_later
    assert first_start(inner_mongolia, staggered, 3, "leadership") == twenty_days_later


def test_a_window_ending_in_april_is_infeasible_and_says_what_would_fit(inner_mongolia: list[Node]) -> None:
    result = plan(inner_mongolia, PHASES_2014, rules_2014(window_end=date(2014, 4, 1)))
    short = {v.level: v for v in result.violations if v.rule == "min_duration"}
    assert set(short) == {2, 3, 4}  # level 5 is flexible
    county = short[3]
    assert county.days == 90 - (date(2014, 4, 1) - date(2014, 2, 9)).days - 1  # county direct units
    options = dict(county.options)
    assert options["window_end"] == date(2014, 5, 9)  # Feb 9 + 89 days
    assert options["min_duration"] == 52
    for violation in result.violations:
        assert all(value is not None for _code, value in violation.options)
    # Level 2 starts with the window: no stagger can help, only the window or the minimum.
    assert "stagger" not in dict(short[2].options)


def test_the_suggestion_names_the_largest_stagger_that_fits() -> None:
    nodes = [Node(1, None, 2, "leadership"), Node(2, 1, 3, "leadership"), Node(3, 2, 4, "leadership")]
    rules = Rules(
        window_start=date(2014, 3, 1),
        window_end=date(2014, 3, 1) + 119 * DAY,  # 120 days: the township needs 2 * stagger + 90 <= 120
        level_stagger_days=20,
        flexible_levels=set(),
    )
    result = plan(nodes, PHASES_2014, rules)
    (violation,) = result.violations
    assert (violation.rule, violation.level, violation.unit_ids, violation.days) == (
        "min_duration",
        4,
        (3,),
        10,
    )
    assert ("stagger", 15) in violation.options
    assert plan(nodes, PHASES_2014, replace(rules, level_stagger_days=15)).violations == []


def test_a_start_in_the_blackout_moves_after_it_and_the_levels_below_follow() -> None:
    nodes = [Node(1, None, 2, "leadership"), Node(2, 1, 2, "direct"), Node(3, 1, 3, "leadership")]
    result = plan(nodes, PHASES_2014, rules_2014(window_start=date(2014, 2, 1)))
    assert result.items[1].start == date(2014, 2, 7)
    assert result.items[2].start == date(2014, 2, 17)
    assert result.items[3].start == date(2014, 2, 17)
    assert result.violations == []


def test_a_boundary_in_the_blackout_moves_after_it_lengthening_the_earlier_phase() -> None:
    phases = (Phase("a", "甲", 0.5), Phase("b", "乙", 0.5))
    rules = Rules(
        window_start=date(2014, 1, 1),
        window_end=date(2014, 4, 30),
        min_duration_days=30,
        blackouts=[(date(2014, 2, 27), date(2014, 3, 4))],
    )
    result = plan([Node(1, None, 2, "leadership")], phases, rules)
    a, b = result.items[1].phases
    # 120 days split in half would end phase a on 1 March, inside the blackout.
    assert a == PhaseDates("a", date(2014, 1, 1), date(2014, 3, 5))
    assert b == PhaseDates("b", date(2014, 3, 6), date(2014, 4, 30))
    assert result.violations == []
    allowed = plan([Node(1, None, 2, "leadership")], phases, replace(rules, allow_blackout_boundaries=True))
    assert allowed.items[1].phases[0].end == date(2014, 3, 1)


def test_a_blackout_boundary_that_cannot_move_is_reported() -> None:
    # Three one-day phases in a three-day window whose middle day is a holiday: no way around it.
    phases = tuple(Phase(k, k, 1 / 3) for k in "abc")
    rules = Rules(
        window_start=date(2014, 5, 1),
        window_end=date(2014, 5, 3),
        flexible_levels={2},
        blackouts=[(date(2014, 5, 2), date(2014, 5, 2))],
    )
    result = plan([Node(1, None, 2, "leadership")], phases, rules)
    assert [v.rule for v in result.violations] == ["blackout"]
    assert result.violations[0].unit_ids == (1,)
    assert result.violations[0].days == 1
    assert plan(
        [Node(1, None, 2, "leadership")], phases, replace(rules, allow_blackout_boundaries=True)
    ).feasible


def test_fixed_mode_gives_every_unit_the_minimum() -> None:
    nodes = [Node(1, None, 2, "leadership"), Node(2, 1, 3, "leadership"), Node(3, 2, 3, "station")]
    result = plan(nodes, PHASES_2014, rules_2014(duration_mode="fixed"))
    assert [result.items[i].days for i in (1, 2, 3)] == [90, 90, 90]
    assert result.items[3].start == date(2014, 2, 9)


def test_compare_reports_moves_per_unit_and_level(inner_mongolia: list[Node]) -> None:
    small = inner_mongolia[:2000]
    baseline = plan(small, PHASES_2014, rules_2014())
    later = plan(small, PHASES_2014, rules_2014(level_stagger_days=12))
    level_of = {n.id: n.level for n in small}
    diff = compare(baseline, later, level_of)
    assert diff["added"] == diff["removed"] == ()
    assert all(s.start_days == 0 for i, s in diff["shifts"].items() if level_of[i] == 2)
    assert diff["by_level"][2]["moved"] == 0
    # Counties would start on 1 February, inside the Spring Festival: pushed to the 7th (+8 days), and
    # everything below follows from there (townships +10, villages +12).
    assert diff["by_level"][3]["max_start_days"] == 8
    assert diff["by_level"][4]["max_start_days"] == 10
    assert diff["by_level"][5]["max_start_days"] == 12
    assert diff["by_level"][5]["started_later"] == diff["by_level"][5]["units"] > 0
    assert all(s.end_days == 0 for s in diff["shifts"].values())
    assert compare(baseline, baseline)["by_level"] == {}


# ---------------------------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------------------------


def test_phase_shares_must_sum_to_one() -> None:
    phases = (Phase("a", "甲", 0.5), Phase("b", "乙", 0.45))
    with pytest.raises(RulesError, match="环节占比之和必须为 100%，现为 95%"):
        plan([Node(1, None, 1, "leadership")], phases, rules_2014())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"window_end": date(2014, 1, 1)}, "批次结束日期（2014年1月1日）早于开始日期（2014年1月20日）"),
        ({"level_stagger_days": -1}, "层级间隔天数不能为负数"),
        ({"lead_days": 2.5}, "先行天数必须是整数"),
        ({"min_duration_days": 0}, "最短集中时长至少为 1 天"),
        ({"participating_levels": {2, 6}}, "参与层级中有未知的层级：6"),
        ({"participating_levels": set()}, "至少要有一个参与层级"),
        ({"ahead_kinds": {"organ", "army"}}, "未知的单位类型：army"),
        ({"blackouts": [(date(2014, 2, 6), date(2014, 1, 31))]}, "停歇期 2014年2月6日～2014年1月31日"),
        ({"duration_mode": "stretch"}, "未知的时长模式"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(changes: dict[str, object], message: str) -> None:
    with pytest.raises(RulesError, match=re.escape(message)):
        rules_2014(**changes)


@pytest.mark.parametrize(
    "nodes",
    [
        [Node(1, None, 1, "leadership"), Node(1, None, 1, "leadership")],
        [Node(1, None, 1, "leadership"), Node(2, 1, 3, "leadership")],
        [Node(1, None, 1, "leadership"), Node(2, 1, 2, "organ")],
        [Node(1, None, 4, "leadership"), Node(2, 1, 5, "leadership")],
        [Node(1, None, 2, "direct")],
        [Node(1, 2, 2, "organ"), Node(2, 1, 2, "direct")],
        [Node(1, None, 1, "army")],
    ],
)
def test_a_malformed_tree_is_refused(nodes: list[Node]) -> None:
    with pytest.raises(TreeError):
        plan(nodes, PHASES_2014, rules_2014())


# ---------------------------------------------------------------------------------------------------------
# Sector systems (ADR 18): a unit its sector leads starts after its sector department
# ---------------------------------------------------------------------------------------------------------


def sector_tree() -> list[Node]:
    """A league and a county under it, each with a tax bureau led by its sector and a finance bureau led
    by the territory; a township under the county with a tax station led by its sector."""
    return [
        Node(1, None, 2, "leadership"),
        Node(2, 1, 2, "organ", "税务", True),  # the league's tax bureau: no department above it here
        Node(3, 1, 2, "organ", "财政", False),
        Node(10, 1, 3, "leadership"),
        Node(11, 10, 3, "organ", "税务", True),  # the county's: follows the league's
        Node(12, 10, 3, "organ", "财政", False),
        Node(13, 10, 3, "direct", "", False),
        Node(20, 10, 4, "leadership"),
        Node(21, 20, 4, "station", "税务", True),  # the township's station: follows the county's
        Node(22, 20, 4, "station", "财政", True),  # led by its sector: follows the county's finance bureau
    ]


def sector_rules(**changes: Any) -> Rules:
    return Rules(
        window_start=date(2014, 1, 20),
        window_end=date(2014, 9, 30),
        kickoff_levels={2, 3},
        **{"sector_lead_days": 10, **changes},
    )


def test_a_sector_led_unit_starts_after_its_sector_department() -> None:
    phases = builtin_spec().scheduler_phases()
    result = plan(sector_tree(), phases, sector_rules())
    starts = {node_id: unit.start for node_id, unit in result.items.items()}
    assert result.violations == []
    assert starts[1] == starts[2] == starts[3] == starts[10] == date(2014, 1, 20)  # the kick-off
    assert starts[11] == date(2014, 1, 30)  # ten days after the league's tax bureau
    assert starts[12] == date(2014, 1, 20)  # the territory leads it: with the county's body
    assert starts[13] == date(2014, 1, 30)  # ten days after the county's body and organs (not the tax bureau)
    assert starts[21] == date(2014, 2, 9)  # ten days after the county's tax bureau, which itself followed
    assert starts[22] == date(2014, 2, 9)  # as the township's stations start anyway (lead days)
    assert broken_guarantees(sector_tree(), phases, sector_rules(), result) == {}


def test_without_the_sector_rule_sector_led_units_start_with_their_territory() -> None:
    result = plan(sector_tree(), builtin_spec().scheduler_phases(), sector_rules(sector_lead_days=None))
    assert result.items[11].start == date(2014, 1, 20)


def test_a_sector_unit_moved_before_its_department_is_reported() -> None:
    nodes, phases, rules = sector_tree(), builtin_spec().scheduler_phases(), sector_rules()
    result = plan(nodes, phases, rules)
    unit = result.items[11]
    first = replace(unit.phases[0], start=unit.start - 5 * DAY)
    early = UnitPlan(unit.start - 5 * DAY, unit.end, (first, *unit.phases[1:]))
    found = verify(nodes, phases, rules, Plan(items={**result.items, 11: early}))
    sector = [v for v in found if v.rule == "sector"]
    assert len(sector) == 1 and sector[0].unit_ids == (11,) and sector[0].days == 5
    assert sector[0].facts == {"sector_days": 10}
    assert ("sector", 5) in sector[0].options


def test_a_negative_sector_offset_is_refused() -> None:
    with pytest.raises(RulesError, match="行业部门先行天数必须是不小于 0 的整数"):
        sector_rules(sector_lead_days=-1)
