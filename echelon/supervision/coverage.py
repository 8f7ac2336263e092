"""Supervision coverage: who is responsible for which unit, what is left uncovered, what is covered twice.

A pure engine (ARCHITECTURE.md, "Pure engines"): no Django import, plain data in, plain data out. The
service layer loads units, groups and assignments of one campaign batch, calls these functions and writes
what they propose.

The model
---------
Supervision goes level by level (PRODUCT.md point 4). Levels are 1 region, 2 league/city, 3 county,
4 township/subdistrict, 5 village/community. A unit at level L is supervised by a group dispatched by an
office one level up, at level L - 1:

    region office   (1) dispatches groups to leagues      (2), which patrol counties
    league office   (2) dispatches groups to counties     (3), which patrol townships
    county office   (3) dispatches groups to townships    (4), which patrol villages
    township office (4) appoints instructors to villages  (5)

An instructor (指导员) is modelled as a group like any other. Organs, direct units and other organizations
share the level of the territorial unit they hang under (a county's direct units are at level 3), so they
are supervised like that territory. Level 1 units have no dispatcher; batch two does not include them.

Every participating unit must have exactly one responsible group (既不交叉重复，又不留空白盲点).

Inputs
~~~~~~
- ``Unit``: id, parent id, level and the ids of its ancestors from the root down to its parent. Callers
  pass the units of the batch with ``participating=True`` and may add their ancestors (or the whole tree)
  with ``participating=False`` as context; :func:`default_groups` needs those ancestors to find the
  dispatching office. Only participating units can be gaps, overlaps or proposed.
- ``Group``: id, the unit whose office dispatched it (``home_unit_id``) and the level of the units it is
  responsible for (``target_level``).
- ``Assignment``: a group made responsible for a unit. A second (third, ...) group may be made responsible
  for a unit only with an ``override_reason``; the (group, unit) pairs are a set (the database keeps them
  unique).

Rules
~~~~~
- An assignment is *valid* when the unit exists, participates, is at the group's target level and lies
  strictly inside the subtree of the group's home unit (the home unit is one of its ancestors: an office
  does not supervise itself). Any other assignment is *misplaced* and reported with its reason; it covers
  nothing and counts for nothing below.
- A participating unit is *covered* when it has at least one valid assignment, a *gap* otherwise.
- A unit with two or more valid assignments made without an override reason (a reason that is blank after
  stripping counts as none) is an *overlap*. A unit with two or more valid assignments of which at most one
  lacks a reason is an *accepted overlap*. Everything else is covered exactly once.
- ``gap_counts_up_the_tree[a]`` is the number of gap units strictly below ``a``, for every unit ``a`` that
  is an ancestor of some participating unit (zero included), so each office reads its own figure.

Proposal (:func:`propose`)
~~~~~~~~~~~~~~~~~~~~~~~~~~
Every participating unit with no assignment at all gets exactly one group. A group is *eligible* for a
unit when its home unit is an ancestor of the unit and its target level is the unit's level, which keeps
a unit within its own league or county. Units are taken in (level, id) order and each goes to the eligible
group that is responsible for the fewest units so far, counting valid existing assignments and earlier
proposals (ties: lowest group id). Units with no eligible group, and units whose only assignments are
misplaced (they must be cleared first, or the proposal would overlap them), are returned as unplaceable.
A proposal never creates an overlap, and the result does not depend on the order of the inputs.

Balance, precisely: take a set G of groups such that every proposed unit eligible for some group of G has
exactly G as its eligible set. Then every group of G that receives a proposed unit ends with at most one
unit more than the least loaded group of G; in particular, when the groups of G start with equal loads
their final loads differ by at most one.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

FIRST_LEVEL = 1
LAST_LEVEL = 5


# ---------------------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unit:
    id: int
    parent_id: int | None
    level: int
    ancestors: tuple[int, ...] = ()  # ids from the root down to the parent; () for the root
    participating: bool = True


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    home_unit_id: int  # the unit whose office dispatched the group
    target_level: int  # the level of the units the group is responsible for


@dataclass(frozen=True, slots=True, order=True)
class Assignment:
    group_id: int
    unit_id: int
    override_reason: str = ""  # required for a second group on one unit; blank after strip() is none


# ---------------------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------------------


class Misplacement(StrEnum):
    UNKNOWN_UNIT = "unknown_unit"
    UNKNOWN_GROUP = "unknown_group"
    NOT_PARTICIPATING = "not_participating"
    WRONG_LEVEL = "wrong_level"  # the unit is not at the group's target level
    OUTSIDE_HOME = "outside_home"  # the unit is not strictly below the group's home unit


class Unplaceable(StrEnum):
    NO_ELIGIBLE_GROUP = "no_eligible_group"
    MISPLACED_ONLY = "misplaced_only"  # the unit's only assignments are misplaced: clear them first


@dataclass(frozen=True, slots=True)
class Gap:
    unit_id: int
    level: int


@dataclass(frozen=True, slots=True)
class Overlap:
    unit_id: int
    level: int
    group_ids: tuple[int, ...]  # valid assignments made without an override reason
    overrides: tuple[tuple[int, str], ...] = ()  # (group id, reason) of valid assignments made with one


@dataclass(frozen=True, slots=True)
class Misplaced:
    group_id: int
    unit_id: int
    reason: Misplacement


@dataclass(frozen=True, slots=True)
class LevelTotals:
    level: int
    units: int  # participating units at this level
    covered: int  # ... with at least one valid assignment
    gaps: int  # ... with none (covered + gaps == units)
    overlaps: int
    accepted_overlaps: int


@dataclass(slots=True)
class CoverageReport:
    gaps: list[Gap]  # sorted by (level, unit id)
    overlaps: list[Overlap]  # sorted by (level, unit id)
    accepted_overlaps: list[Overlap]  # sorted by (level, unit id)
    misplaced: list[Misplaced]  # sorted by (group id, unit id)
    gap_counts_up_the_tree: dict[int, int]  # ancestor id -> gap units strictly below it; ascending ids
    totals: list[LevelTotals]  # one per level that has participating units, ascending
    group_unit_counts: dict[int, int]  # group id -> units it validly covers; every group, ascending ids

    @property
    def complete(self) -> bool:
        """No gaps and no overlaps: what ``echelon coverage`` demands (misplaced entries are separate)."""
        return not self.gaps and not self.overlaps


@dataclass(frozen=True, slots=True)
class UnplaceableUnit:
    unit_id: int
    level: int
    reason: Unplaceable


@dataclass(slots=True)
class Proposal:
    assignments: list[Assignment]  # sorted by (level, unit id) of the unit
    unplaceable: list[UnplaceableUnit]  # sorted by (level, unit id)


@dataclass(frozen=True, slots=True, order=True)
class GroupSpec:
    """A default group to create: the caller names it (“第1督导组”) and picks leader and members."""

    target_level: int
    home_unit_id: int


# ---------------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------------


def dispatching_level(target_level: int) -> int:
    """The level of the office that dispatches groups to units of `target_level`."""
    if not FIRST_LEVEL < target_level <= LAST_LEVEL:
        raise ValueError(f"no office dispatches groups to level {target_level}")
    return target_level - 1


def _index_units(units: Iterable[Unit]) -> dict[int, Unit]:
    by_id: dict[int, Unit] = {}
    for unit in units:
        if unit.id in by_id:
            raise ValueError(f"unit {unit.id} is given twice")
        by_id[unit.id] = unit
    return by_id


def _index_groups(groups: Iterable[Group]) -> dict[int, Group]:
    by_id: dict[int, Group] = {}
    for group in groups:
        if group.id in by_id:
            raise ValueError(f"group {group.id} is given twice")
        by_id[group.id] = group
    return by_id


def _misplacement(
    group_id: int, unit_id: int, units: Mapping[int, Unit], groups: Mapping[int, Group]
) -> Misplacement | None:
    unit = units.get(unit_id)
    if unit is None:
        return Misplacement.UNKNOWN_UNIT
    group = groups.get(group_id)
    if group is None:
        return Misplacement.UNKNOWN_GROUP
    if not unit.participating:
        return Misplacement.NOT_PARTICIPATING
    if unit.level != group.target_level:
        return Misplacement.WRONG_LEVEL
    if group.home_unit_id not in unit.ancestors:
        return Misplacement.OUTSIDE_HOME
    return None


@dataclass(slots=True)
class _Triage:
    """Assignments sorted into valid ones per unit and misplaced ones."""

    plain: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))  # unit -> groups
    overrides: dict[int, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    misplaced: list[Misplaced] = field(default_factory=list)
    assigned: set[int] = field(default_factory=set)  # units with any assignment, valid or not


def _triage(
    assignments: Iterable[Assignment], units: Mapping[int, Unit], groups: Mapping[int, Group]
) -> _Triage:
    result = _Triage()
    # (group, unit) pairs are a set; should one come twice, a reason given on either copy is kept.
    pairs: dict[tuple[int, int], str] = {}
    for assignment in assignments:
        key = (assignment.group_id, assignment.unit_id)
        reason = assignment.override_reason.strip()
        if key not in pairs or (reason and not pairs[key]):
            pairs[key] = reason
    plain, overrides, assigned = result.plain, result.overrides, result.assigned
    for (group_id, unit_id), reason in pairs.items():
        assigned.add(unit_id)
        why = _misplacement(group_id, unit_id, units, groups)
        if why is not None:
            result.misplaced.append(Misplaced(group_id, unit_id, why))
        elif reason:
            overrides[unit_id].append((group_id, reason))
        else:
            plain[unit_id].append(group_id)
    result.misplaced.sort(key=lambda m: (m.group_id, m.unit_id))
    return result


# ---------------------------------------------------------------------------------------------------------
# The checker
# ---------------------------------------------------------------------------------------------------------


def check(
    units: Iterable[Unit], groups: Iterable[Group], assignments: Iterable[Assignment]
) -> CoverageReport:
    """Gaps, overlaps, accepted overlaps and misplaced assignments of one batch (see the module rules)."""
    unit_by_id = _index_units(units)
    group_by_id = _index_groups(groups)
    triage = _triage(assignments, unit_by_id, group_by_id)

    gaps: list[Gap] = []
    overlaps: list[Overlap] = []
    accepted: list[Overlap] = []
    gap_counts: dict[int, int] = {}
    group_counts = dict.fromkeys(group_by_id, 0)
    per_level: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # units, covered, overlaps, accepted

    for unit in sorted(unit_by_id.values(), key=lambda u: (u.level, u.id)):
        if not unit.participating:
            continue
        tally = per_level[unit.level]
        tally[0] += 1
        plain = sorted(triage.plain.get(unit.id, ()))
        overrides = sorted(triage.overrides.get(unit.id, ()))
        for group_id in plain:
            group_counts[group_id] += 1
        for group_id, _reason in overrides:
            group_counts[group_id] += 1
        if not plain and not overrides:
            gaps.append(Gap(unit.id, unit.level))
            for ancestor in unit.ancestors:
                gap_counts[ancestor] = gap_counts.get(ancestor, 0) + 1
            continue
        for ancestor in unit.ancestors:
            gap_counts.setdefault(ancestor, 0)
        tally[1] += 1
        if len(plain) >= 2:
            overlaps.append(Overlap(unit.id, unit.level, tuple(plain), tuple(overrides)))
            tally[2] += 1
        elif len(plain) + len(overrides) >= 2:
            accepted.append(Overlap(unit.id, unit.level, tuple(plain), tuple(overrides)))
            tally[3] += 1

    totals = [
        LevelTotals(level, units=n, covered=covered, gaps=n - covered, overlaps=over, accepted_overlaps=acc)
        for level, (n, covered, over, acc) in sorted(per_level.items())
    ]
    return CoverageReport(
        gaps=gaps,
        overlaps=overlaps,
        accepted_overlaps=accepted,
        misplaced=triage.misplaced,
        gap_counts_up_the_tree=dict(sorted(gap_counts.items())),
        totals=totals,
        group_unit_counts=dict(sorted(group_counts.items())),
    )


def would_overlap(unit_id: int, group_id: int, assignments: Iterable[Assignment]) -> list[int]:
    """The other groups already assigned to `unit_id`, ascending: the service refuses to add `group_id`
    without an override reason when this is not empty."""
    return sorted({a.group_id for a in assignments if a.unit_id == unit_id and a.group_id != group_id})


# ---------------------------------------------------------------------------------------------------------
# The proposal
# ---------------------------------------------------------------------------------------------------------


def propose(units: Iterable[Unit], groups: Iterable[Group], assignments: Iterable[Assignment]) -> Proposal:
    """One group for every participating unit that has no assignment, balanced by unit count."""
    unit_by_id = _index_units(units)
    group_by_id = _index_groups(groups)
    triage = _triage(assignments, unit_by_id, group_by_id)

    load = dict.fromkeys(group_by_id, 0)
    for unit_groups in triage.plain.values():
        for group_id in unit_groups:
            load[group_id] += 1
    for unit_overrides in triage.overrides.values():
        for group_id, _reason in unit_overrides:
            load[group_id] += 1

    # Each group lives in exactly one bucket (home, target level); a heap per bucket yields the least
    # loaded group of the bucket, and a unit compares the tops of the buckets of its ancestors.
    buckets: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for group in group_by_id.values():
        buckets[(group.home_unit_id, group.target_level)].append((load[group.id], group.id))
    for heap in buckets.values():
        heapq.heapify(heap)

    proposed: list[Assignment] = []
    unplaceable: list[UnplaceableUnit] = []
    for unit in sorted(unit_by_id.values(), key=lambda u: (u.level, u.id)):
        if not unit.participating or unit.id in triage.plain or unit.id in triage.overrides:
            continue
        if unit.id in triage.assigned:
            unplaceable.append(UnplaceableUnit(unit.id, unit.level, Unplaceable.MISPLACED_ONLY))
            continue
        best: list[tuple[int, int]] | None = None
        for ancestor in unit.ancestors:
            bucket = buckets.get((ancestor, unit.level))
            if bucket and (best is None or bucket[0] < best[0]):
                best = bucket
        if best is None:
            unplaceable.append(UnplaceableUnit(unit.id, unit.level, Unplaceable.NO_ELIGIBLE_GROUP))
            continue
        count, group_id = best[0]
        heapq.heapreplace(best, (count + 1, group_id))
        proposed.append(Assignment(group_id, unit.id))
    return Proposal(assignments=proposed, unplaceable=unplaceable)


# ---------------------------------------------------------------------------------------------------------
# Default groups
# ---------------------------------------------------------------------------------------------------------


def default_groups(
    units: Iterable[Unit], existing_groups: Iterable[Group], levels: Iterable[int]
) -> list[GroupSpec]:
    """One group per dispatching office that has participating units at a target level below it but no
    group of its own for that level, for each level in `levels` (2..5).

    The dispatching office of a unit at level L is its nearest ancestor at level L - 1 (its league for a
    county, its county for a township or a county's direct unit, ...). Ancestors must be among `units`,
    as non-participating context where they do not take part; a unit whose office is missing raises
    ValueError rather than being silently skipped.
    """
    unit_by_id = _index_units(units)
    targets = sorted(set(levels))
    for level in targets:
        dispatching_level(level)  # validates the level
    have = {(g.home_unit_id, g.target_level) for g in existing_groups}
    wanted: set[GroupSpec] = set()
    for unit in unit_by_id.values():
        if not unit.participating or unit.level not in targets:
            continue
        office = _dispatcher(unit, unit_by_id)
        if (office, unit.level) not in have:
            wanted.add(GroupSpec(target_level=unit.level, home_unit_id=office))
    return sorted(wanted)


def _dispatcher(unit: Unit, unit_by_id: Mapping[int, Unit]) -> int:
    level = dispatching_level(unit.level)
    for ancestor in reversed(unit.ancestors):
        known = unit_by_id.get(ancestor)
        if known is None:
            raise ValueError(f"ancestor {ancestor} of unit {unit.id} is not among the given units")
        if known.level == level:
            return ancestor
    raise ValueError(f"unit {unit.id} has no ancestor at level {level}")
