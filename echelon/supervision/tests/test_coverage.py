"""The coverage checker and the balanced proposal, against brute force on random trees.

The oracles below walk `parent_id` links (not the `ancestors` tuples the engine reads) and recount from
scratch, so an error in either the engine or the tuples shows up as a disagreement.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.coverage import bench
from echelon.supervision.coverage import (
    Assignment,
    Gap,
    Group,
    GroupSpec,
    LevelTotals,
    Misplaced,
    Misplacement,
    Overlap,
    Unit,
    Unplaceable,
    UnplaceableUnit,
    check,
    default_groups,
    propose,
    would_overlap,
)

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
UNKNOWN_UNIT = 10**6
UNKNOWN_GROUP = 10**6 + 1
REASONS = ["", "", "", "  ", "旗县交界，两组联合督导"]  # blank-after-strip counts as no reason


# ---------------------------------------------------------------------------------------------------------
# Random batches
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Batch:
    units: list[Unit]
    groups: list[Group]
    assignments: list[Assignment]


@st.composite
def trees(draw: st.DrawFn, max_units: int = 46) -> list[Unit]:
    """A registry-shaped tree: territorial units one level below their parent (region → league → county →
    township → village), organizations at their parent's level, hanging under either. Ids are shuffled so
    that id order is not tree order; some units do not participate."""
    shape: list[tuple[int | None, int, bool]] = [(None, 1, True)]  # (parent index, level, territorial)
    frontier = [0]
    while frontier and len(shape) < max_units:
        index = frontier.pop(0)
        _, level, territorial = shape[index]
        branching = draw(st.integers(0, 11))  # 0..3 territorial children, 0..2 organizations
        children = branching % 4 if territorial and level < 5 else 0
        organizations = branching // 4 if territorial else branching // 6
        kinds = [(level + 1, True)] * children + [(level, False)] * organizations
        for child_level, child_territorial in kinds[: max_units - len(shape)]:
            shape.append((index, child_level, child_territorial))
            frontier.append(len(shape) - 1)
    # Ids: a scramble of 1..P (P prime) so that id order is not tree order; absent bits participate.
    prime = 47  # > max_units, so the scramble is one-to-one
    assert max_units < prime
    stride, offset = draw(st.integers(1, prime - 1)), draw(st.integers(0, prime - 1))
    ids = [(i * stride + offset) % prime + 1 for i in range(len(shape))]
    absent = draw(st.integers(0, 2 ** len(shape) - 1)) & draw(st.integers(0, 2 ** len(shape) - 1))
    participating = [not absent >> i & 1 for i in range(len(shape))]
    units: list[Unit] = []
    for i, (parent, level, _) in enumerate(shape):
        ancestors = () if parent is None else (*units[parent].ancestors, units[parent].id)
        parent_id = None if parent is None else units[parent].id
        units.append(Unit(ids[i], parent_id, level, ancestors, participating=participating[i]))
    return units


@st.composite
def batches(draw: st.DrawFn, max_groups: int = 8, max_assignments: int = 30) -> Batch:
    units = draw(trees())
    by_id = {u.id: u for u in units}
    group_ids = draw(st.lists(st.integers(1, 500), max_size=max_groups, unique=True))
    below: dict[int, set[int]] = defaultdict(set)  # unit -> levels found strictly below it
    for unit in units:
        for ancestor in unit.ancestors:
            below[ancestor].add(unit.level)
    offices = [u for u in units if below[u.id]]
    groups: list[Group] = []
    for group_id in group_ids:
        if groups and draw(st.integers(0, 2)) == 0:  # another group from the same office, same level
            twin = draw(st.sampled_from(groups))
            groups.append(Group(group_id, twin.home_unit_id, twin.target_level))
            continue
        home = draw(st.sampled_from(offices or units))
        # Mostly a level found below the office; sometimes anything, to exercise misplacement.
        target = draw(st.sampled_from(sorted(below[home.id]) or [1]) | st.integers(1, 5))
        groups.append(Group(group_id, home.id, target))
    unit_ids = [u.id for u in units]
    fitting = {g.id: [u.id for u in units if is_valid(g, u, by_id)] for g in groups}
    picks = st.tuples(st.integers(0, 9), st.integers(0, 3), st.integers(0, 10**6), st.sampled_from(REASONS))
    assignments = []
    for group_pick, aim, unit_pick, reason in draw(st.lists(picks, max_size=max_assignments)):
        group_id = group_ids[unit_pick % len(group_ids)] if group_ids and group_pick else UNKNOWN_GROUP
        if fitting.get(group_id) and aim:  # mostly a unit the group may take, sometimes any unit
            unit_id = fitting[group_id][unit_pick % len(fitting[group_id])]
        else:
            unit_id = ([*unit_ids, UNKNOWN_UNIT])[unit_pick % (len(unit_ids) + 1)]
        assignments.append(Assignment(group_id, unit_id, reason))
    # Pile every fitting group onto a few units that more than one group may take: overlaps, accepted or not.
    crowded = [u for u in unit_ids if sum(u in fits for fits in fitting.values()) >= 2]
    for pick in draw(st.lists(st.integers(0, 10**6), max_size=3 if crowded else 0)):
        unit_id = crowded[pick % len(crowded)]
        for group_id, fits in fitting.items():
            if unit_id in fits:
                assignments.append(Assignment(group_id, unit_id, draw(st.sampled_from(REASONS))))
    return Batch(units, groups, assignments)


# ---------------------------------------------------------------------------------------------------------
# Brute force
# ---------------------------------------------------------------------------------------------------------


def strictly_above(upper_id: int, unit: Unit, by_id: dict[int, Unit]) -> bool:
    parent_id = unit.parent_id
    while parent_id is not None:
        if parent_id == upper_id:
            return True
        parent_id = by_id[parent_id].parent_id
    return False


def is_valid(group: Group, unit: Unit, by_id: dict[int, Unit]) -> bool:
    return (
        unit.participating
        and unit.level == group.target_level
        and strictly_above(group.home_unit_id, unit, by_id)
    )


def eligible(unit: Unit, groups: list[Group], by_id: dict[int, Unit]) -> set[int]:
    return {
        g.id for g in groups if g.target_level == unit.level and strictly_above(g.home_unit_id, unit, by_id)
    }


@dataclass
class Truth:
    plain: dict[int, set[int]]  # participating unit -> valid groups assigned without a reason
    reasoned: dict[int, set[int]]  # ... with a reason
    invalid: set[tuple[int, int]]  # misplaced (group, unit) pairs
    assigned: set[int]  # units with any assignment at all


def truth(batch: Batch) -> Truth:
    by_id = {u.id: u for u in batch.units}
    groups = {g.id: g for g in batch.groups}
    reasons: dict[tuple[int, int], bool] = defaultdict(bool)
    for a in batch.assignments:
        reasons[(a.group_id, a.unit_id)] |= bool(a.override_reason.strip())
    result = Truth(defaultdict(set), defaultdict(set), set(), set())
    for (group_id, unit_id), has_reason in reasons.items():
        result.assigned.add(unit_id)
        unit, group = by_id.get(unit_id), groups.get(group_id)
        if unit is None or group is None or not is_valid(group, unit, by_id):
            result.invalid.add((group_id, unit_id))
        else:
            (result.reasoned if has_reason else result.plain)[unit_id].add(group_id)
    return result


def participating(units: list[Unit]) -> set[int]:
    return {u.id for u in units if u.participating}


# ---------------------------------------------------------------------------------------------------------
# Properties of check
# ---------------------------------------------------------------------------------------------------------


@PROPERTY
@given(batches())
def test_check_agrees_with_brute_force(batch: Batch) -> None:
    report = check(batch.units, batch.groups, batch.assignments)
    by_id = {u.id: u for u in batch.units}
    t = truth(batch)
    taking_part = participating(batch.units)

    gaps = {g.unit_id for g in report.gaps}
    covered = {u for u in taking_part if t.plain[u] or t.reasoned[u]}
    assert gaps | covered == taking_part and not gaps & covered
    assert all(g.level == by_id[g.unit_id].level for g in report.gaps)

    assert {o.unit_id: set(o.group_ids) for o in report.overlaps} == {
        u: t.plain[u] for u in taking_part if len(t.plain[u]) >= 2
    }
    assert {o.unit_id: (set(o.group_ids), {g for g, _ in o.overrides}) for o in report.accepted_overlaps} == {
        u: (t.plain[u], t.reasoned[u])
        for u in taking_part
        if len(t.plain[u]) <= 1 and len(t.plain[u]) + len(t.reasoned[u]) >= 2
    }
    assert {(m.group_id, m.unit_id) for m in report.misplaced} == t.invalid
    groups = {g.id: g for g in batch.groups}
    for m in report.misplaced:
        unit, group = by_id.get(m.unit_id), groups.get(m.group_id)
        expected = (
            Misplacement.UNKNOWN_UNIT
            if unit is None
            else Misplacement.UNKNOWN_GROUP
            if group is None
            else Misplacement.NOT_PARTICIPATING
            if not unit.participating
            else Misplacement.WRONG_LEVEL
            if unit.level != group.target_level
            else Misplacement.OUTSIDE_HOME
        )
        assert m.reason == expected

    ancestors = {a for u in batch.units if u.participating for a in u.ancestors}
    assert set(report.gap_counts_up_the_tree) == ancestors
    for a in ancestors:
        assert report.gap_counts_up_the_tree[a] == sum(strictly_above(a, by_id[g], by_id) for g in gaps)

    for row in report.totals:
        at_level = {u for u in taking_part if by_id[u].level == row.level}
        assert row.units == len(at_level) == row.covered + row.gaps
        assert row.gaps == len(gaps & at_level)
        assert row.overlaps == sum(o.unit_id in at_level for o in report.overlaps)
    assert [row.level for row in report.totals] == sorted({by_id[u].level for u in taking_part})

    counts = {g.id: sum(g.id in t.plain[u] | t.reasoned[u] for u in taking_part) for g in batch.groups}
    assert report.group_unit_counts == counts
    assert report.complete == (not gaps and not report.overlaps)


@PROPERTY
@given(batches(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_input_order(batch: Batch, rng: random.Random) -> None:
    def shuffled(items: list) -> list:
        return rng.sample(items, len(items))

    first = check(batch.units, batch.groups, batch.assignments)
    second = check(shuffled(batch.units), shuffled(batch.groups), shuffled(batch.assignments))
    assert first == second
    assert list(first.gap_counts_up_the_tree.items()) == list(second.gap_counts_up_the_tree.items())
    assert first.gaps == sorted(first.gaps, key=lambda g: (g.level, g.unit_id))
    assert first.misplaced == sorted(first.misplaced, key=lambda m: (m.group_id, m.unit_id))
    assert propose(batch.units, batch.groups, batch.assignments) == propose(
        shuffled(batch.units), shuffled(batch.groups), shuffled(batch.assignments)
    )


@PROPERTY
@given(batches(), st.data())
def test_would_overlap_lists_the_other_assigned_groups(batch: Batch, data: st.DataObject) -> None:
    unit_id = data.draw(st.sampled_from([u.id for u in batch.units]))
    group_id = data.draw(st.sampled_from([g.id for g in batch.groups] or [UNKNOWN_GROUP]))
    others = {a.group_id for a in batch.assignments if a.unit_id == unit_id} - {group_id}
    assert would_overlap(unit_id, group_id, batch.assignments) == sorted(others)


# ---------------------------------------------------------------------------------------------------------
# Properties of propose
# ---------------------------------------------------------------------------------------------------------


@PROPERTY
@given(batches())
def test_proposal_fills_every_fillable_gap_and_never_overlaps(batch: Batch) -> None:
    by_id = {u.id: u for u in batch.units}
    t = truth(batch)
    before = check(batch.units, batch.groups, batch.assignments)
    proposal = propose(batch.units, batch.groups, batch.assignments)

    # Each proposed unit took part, had no assignment at all, and gets one eligible group.
    proposed_units = [a.unit_id for a in proposal.assignments]
    assert len(proposed_units) == len(set(proposed_units))
    for a in proposal.assignments:
        unit = by_id[a.unit_id]
        assert unit.participating and a.unit_id not in t.assigned and not a.override_reason
        assert a.group_id in eligible(unit, batch.groups, by_id)

    # Unplaceable units are exactly the rest of the gaps, each with the right reason.
    for u in proposal.unplaceable:
        unit = by_id[u.unit_id]
        if u.reason is Unplaceable.MISPLACED_ONLY:
            assert u.unit_id in t.assigned
        else:
            assert u.unit_id not in t.assigned and not eligible(unit, batch.groups, by_id)
    assert {u.unit_id for u in proposal.unplaceable} | set(proposed_units) == {g.unit_id for g in before.gaps}

    after = check(batch.units, batch.groups, [*batch.assignments, *proposal.assignments])
    assert {g.unit_id for g in after.gaps} == {u.unit_id for u in proposal.unplaceable}
    for gap in after.gaps:  # a unit still uncovered had no eligible group, or must be cleared first
        if gap.unit_id not in t.assigned:
            assert not eligible(by_id[gap.unit_id], batch.groups, by_id)
    assert after.overlaps == before.overlaps
    assert after.accepted_overlaps == before.accepted_overlaps
    assert not propose(batch.units, batch.groups, [*batch.assignments, *proposal.assignments]).assignments


@PROPERTY
@given(batches())
def test_each_pick_is_the_least_loaded_eligible_group(batch: Batch) -> None:
    """The rule itself, replayed: units in (level, id) order, each to the eligible group with the fewest
    units at that moment, ties to the lowest id."""
    by_id = {u.id: u for u in batch.units}
    load = dict(check(batch.units, batch.groups, batch.assignments).group_unit_counts)
    proposal = propose(batch.units, batch.groups, batch.assignments)
    order = [(by_id[a.unit_id].level, a.unit_id) for a in proposal.assignments]
    assert order == sorted(order)
    for a in proposal.assignments:
        candidates = eligible(by_id[a.unit_id], batch.groups, by_id)
        assert a.group_id == min(candidates, key=lambda g: (load[g], g))
        load[a.group_id] += 1


@PROPERTY
@given(batches())
def test_proposal_is_balanced(batch: Batch) -> None:
    """For every set G of groups that is closed (each proposed unit eligible for a group of G has exactly
    G as its eligible set): a group of G that received a unit ends at most one above G's least loaded
    group; and when G's groups started level, they end within one of each other."""
    by_id = {u.id: u for u in batch.units}
    before = check(batch.units, batch.groups, batch.assignments).group_unit_counts
    proposal = propose(batch.units, batch.groups, batch.assignments)
    after = check(batch.units, batch.groups, [*batch.assignments, *proposal.assignments]).group_unit_counts

    received = {a.group_id for a in proposal.assignments}
    eligible_sets = {frozenset(eligible(by_id[a.unit_id], batch.groups, by_id)) for a in proposal.assignments}
    for family in eligible_sets:
        closed = all(s == family or not (s & family) for s in eligible_sets)
        if not closed:
            continue
        least = min(after[g] for g in family)
        assert all(after[g] <= least + 1 for g in family if g in received)
        if len({before[g] for g in family}) == 1:
            assert max(after[g] for g in family) - least <= 1


@PROPERTY
@given(trees(), st.data())
def test_one_office_fills_its_groups_like_water(units: list[Unit], data: st.DataObject) -> None:
    """All groups from one office at one level, some units already assigned: the proposal tops up the
    least loaded groups, so no receiving group ends more than one above the least loaded one."""
    by_id = {u.id: u for u in units}
    office = data.draw(st.sampled_from(units))
    levels = sorted({u.level for u in units if strictly_above(office.id, u, by_id)}) or [office.level + 1]
    level = data.draw(st.sampled_from(levels))
    group_ids = data.draw(st.lists(st.integers(1, 99), min_size=1, max_size=5, unique=True))
    groups = [Group(g, office.id, level) for g in group_ids]
    fitting = [u.id for u in units if is_valid(groups[0], u, by_id)]
    already = [
        Assignment(data.draw(st.sampled_from(group_ids)), u)
        for u in fitting
        if data.draw(st.integers(0, 2)) == 0
    ]
    before = check(units, groups, already).group_unit_counts
    proposal = propose(units, groups, already)
    after = check(units, groups, [*already, *proposal.assignments]).group_unit_counts

    assert sum(after.values()) == len(fitting)  # every unit the office may take is now taken once
    received = {a.group_id for a in proposal.assignments}
    assert all(after[g] <= min(after.values()) + 1 for g in received)
    if len(set(before.values())) == 1:
        assert max(after.values()) - min(after.values()) <= 1


def test_proposal_weighs_groups_of_different_offices_together() -> None:
    """A village may be eligible for its township's instructor and a group its county sends to villages:
    both compete on load."""
    units = [Unit(3, None, 3), Unit(4, 3, 4, (3,)), *[Unit(10 + i, 4, 5, (3, 4)) for i in range(4)]]
    groups = [Group(1, 3, 5), Group(2, 4, 5)]
    proposal = propose(units, groups, [])
    assert [a.group_id for a in proposal.assignments] == [1, 2, 1, 2]


def test_proposal_picks_the_least_loaded_group_then_the_lowest_id() -> None:
    county = Unit(3, None, 3)
    townships = [Unit(10 + i, 3, 4, (3,)) for i in range(7)]
    groups = [Group(22, 3, 4), Group(21, 3, 4), Group(20, 3, 4)]
    already = [Assignment(20, 10), Assignment(20, 11)]  # group 20 starts with two townships
    proposal = propose([county, *townships], groups, already)
    assert [(a.unit_id, a.group_id) for a in proposal.assignments] == [
        (12, 21), (13, 22), (14, 21), (15, 22), (16, 20),
    ]  # fmt: skip
    counts = check([county, *townships], groups, [*already, *proposal.assignments]).group_unit_counts
    assert counts == {20: 3, 21: 2, 22: 2}


# ---------------------------------------------------------------------------------------------------------
# Default groups (echelon coverage --assign)
# ---------------------------------------------------------------------------------------------------------


@PROPERTY
@given(batches(), st.sets(st.integers(2, 5), min_size=1))
def test_default_groups_give_every_level_an_office_group(batch: Batch, levels: set[int]) -> None:
    by_id = {u.id: u for u in batch.units}
    specs = default_groups(batch.units, batch.groups, levels)
    assert specs == sorted(set(specs))
    existing = {(g.home_unit_id, g.target_level) for g in batch.groups}
    for spec in specs:
        assert spec.target_level in levels and (spec.home_unit_id, spec.target_level) not in existing
        assert by_id[spec.home_unit_id].level == spec.target_level - 1
        assert any(
            u.participating and u.level == spec.target_level and strictly_above(spec.home_unit_id, u, by_id)
            for u in batch.units
        )

    # --assign: create the defaults, then propose. Every unit at those levels ends covered, unless its
    # only assignments are misplaced.
    first_id = max([g.id for g in batch.groups], default=0) + 1
    created = [Group(first_id + i, s.home_unit_id, s.target_level) for i, s in enumerate(specs)]
    groups = [*batch.groups, *created]
    proposal = propose(batch.units, groups, batch.assignments)
    for u in proposal.unplaceable:
        assert u.level not in levels or u.reason is Unplaceable.MISPLACED_ONLY
    assert not default_groups(batch.units, groups, levels)


def test_default_groups_follow_the_dispatch_rule() -> None:
    units = [
        Unit(1, None, 1, participating=False),  # region
        Unit(2, 1, 2, (1,)),  # league
        Unit(3, 2, 3, (1, 2)),  # county
        Unit(4, 3, 3, (1, 2, 3)),  # the county's organization department (same level as the county)
        Unit(5, 3, 4, (1, 2, 3)),  # township
        Unit(6, 5, 5, (1, 2, 3, 5)),  # village
        Unit(7, 5, 5, (1, 2, 3, 5)),  # village
    ]
    league_group = Group(1, 2, 3)
    assert default_groups(units, [league_group], [2, 3, 4, 5]) == [
        GroupSpec(target_level=2, home_unit_id=1),  # region → leagues
        GroupSpec(target_level=4, home_unit_id=3),  # county → townships
        GroupSpec(target_level=5, home_unit_id=5),  # township → instructors to villages
    ]


def test_default_groups_refuse_what_they_cannot_place() -> None:
    with pytest.raises(ValueError, match="level 1"):
        default_groups([Unit(1, None, 1)], [], [1])
    with pytest.raises(ValueError, match="not among the given units"):
        default_groups([Unit(5, 3, 4, (1, 2, 3))], [], [4])


# ---------------------------------------------------------------------------------------------------------
# A worked example
# ---------------------------------------------------------------------------------------------------------


def test_worked_example() -> None:
    units = [
        Unit(1, None, 1, participating=False),  # 自治区
        Unit(2, 1, 2, (1,)),  # 盟
        Unit(3, 2, 3, (1, 2)),  # 旗
        Unit(4, 3, 3, (1, 2, 3)),  # 旗直单位
        Unit(5, 3, 4, (1, 2, 3)),  # 苏木
        Unit(6, 5, 5, (1, 2, 3, 5)),  # 嘎查
        Unit(7, 5, 5, (1, 2, 3, 5)),  # 嘎查
        Unit(8, 5, 5, (1, 2, 3, 5)),  # 嘎查
        Unit(9, 5, 5, (1, 2, 3, 5), participating=False),  # 嘎查, not in this batch
    ]
    groups = [
        Group(10, 1, 2),  # region group to the league
        Group(11, 2, 3),  # league group to the banner
        Group(12, 3, 4),  # banner group to the sumu
        Group(13, 5, 5),  # sumu instructor
        Group(14, 5, 5),  # another sumu instructor
    ]
    assignments = [
        Assignment(10, 2),
        Assignment(11, 3),
        Assignment(11, 4),
        Assignment(13, 6),
        Assignment(14, 6),  # plain overlap
        Assignment(13, 7),
        Assignment(14, 7, "驻村工作队兼任"),  # accepted overlap
        Assignment(12, 6),  # wrong level
        Assignment(13, 9),  # not participating
    ]
    report = check(units, groups, assignments)
    assert report.gaps == [Gap(5, 4), Gap(8, 5)]
    assert report.overlaps == [Overlap(6, 5, (13, 14))]
    assert report.accepted_overlaps == [Overlap(7, 5, (13,), ((14, "驻村工作队兼任"),))]
    assert report.misplaced == [
        Misplaced(12, 6, Misplacement.WRONG_LEVEL),
        Misplaced(13, 9, Misplacement.NOT_PARTICIPATING),
    ]
    assert report.gap_counts_up_the_tree == {1: 2, 2: 2, 3: 2, 5: 1}
    assert report.totals == [
        LevelTotals(2, units=1, covered=1, gaps=0, overlaps=0, accepted_overlaps=0),
        LevelTotals(3, units=2, covered=2, gaps=0, overlaps=0, accepted_overlaps=0),
        LevelTotals(4, units=1, covered=0, gaps=1, overlaps=0, accepted_overlaps=0),
        LevelTotals(5, units=3, covered=2, gaps=1, overlaps=1, accepted_overlaps=1),
    ]
    assert report.group_unit_counts == {10: 1, 11: 2, 12: 0, 13: 2, 14: 2}
    assert not report.complete

    assert would_overlap(6, 13, assignments) == [12, 14]
    assert would_overlap(8, 13, assignments) == []

    proposal = propose(units, groups, assignments)
    assert proposal.assignments == [Assignment(12, 5), Assignment(13, 8)]
    assert proposal.unplaceable == []
    assert proposal == propose(units, groups, assignments)


def test_unplaceable_units_say_why() -> None:
    units = [Unit(1, None, 1), Unit(2, 1, 2, (1,)), Unit(3, 2, 3, (1, 2)), Unit(4, 2, 3, (1, 2))]
    groups = [Group(1, 1, 2), Group(2, 1, 3)]  # the region sends a group to level 3: valid only from above
    proposal = propose(units, groups, [Assignment(1, 3)])  # group 1 targets leagues: misplaced on a county
    assert proposal.assignments == [Assignment(1, 2), Assignment(2, 4)]
    assert proposal.unplaceable == [
        UnplaceableUnit(1, 1, Unplaceable.NO_ELIGIBLE_GROUP),
        UnplaceableUnit(3, 3, Unplaceable.MISPLACED_ONLY),
    ]


def test_inputs_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unit 1 is given twice"):
        check([Unit(1, None, 1), Unit(1, None, 1)], [], [])
    with pytest.raises(ValueError, match="group 7 is given twice"):
        propose([], [Group(7, 1, 2), Group(7, 1, 3)], [])


def test_full_scale_proposal_leaves_no_gap() -> None:
    """70,000 units and ~1,300 groups, a third assigned by hand: the proposal completes the rest with no gap,
    overlap or misplaced group (`bench.coverage.bench` checks the report and raises otherwise). How fast is
    `make bench`'s business (the coverage step), never a timing assertion here."""
    figures = bench(70_000)
    assert figures["units"] >= 70_000 and figures["groups"] > 1_000
