"""Coverage: what the pure engine (``supervision/coverage.py``) needs of a campaign, its report per batch
over the user's subtree (cached until a group or an assignment changes) and the drill-down of gaps."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from echelon.campaigns.models import Batch, Campaign, Participation
from echelon.core import versions
from echelon.core.querysets import scope_paths
from echelon.core.tree import SEGMENT_WIDTH, ancestor_ids, collapse, subtree_q
from echelon.orgs.models import Unit
from echelon.supervision import coverage
from echelon.supervision.models import GroupAssignment, SupervisionGroup

ID_CHUNK = 900


@dataclass
class CoverageData:
    """What the engine needs for one campaign (optionally one batch, optionally one subtree)."""

    units: list[coverage.Unit]
    groups: list[coverage.Group]
    assignments: list[coverage.Assignment]
    participation_of: dict[int, int]  # unit id -> participation id
    batch_of: dict[int, int]  # unit id -> batch id


def coverage_data(
    campaign: Campaign,
    *,
    batch: Batch | None = None,
    within: Sequence[str] | None = None,
    context: bool = False,
) -> CoverageData:
    """Participations (level 1 units take part as context: nobody dispatches groups to the region), the
    groups of the batch and their assignments. ``within``: only these subtrees (an office's scope);
    ``context``: add the non-participating ancestors the default groups need."""
    # No ordering (the engine's result does not depend on the order of its inputs) and no joins: each
    # list is one range scan of its own table's (campaign, path) index, whatever the planner's statistics
    # say. (The assignments' default ordering joined the campaign and sorted 70,000 rows, and with a join
    # on the groups' batch PostgreSQL, its statistics not yet refreshed after the groups were assigned,
    # chose a nested loop: ten seconds for the first coverage of a campaign.)
    parts = Participation.objects.filter(campaign=campaign).order_by()
    groups_qs = SupervisionGroup.objects.filter(campaign=campaign).order_by()
    assigned = GroupAssignment.objects.filter(campaign=campaign).order_by()
    if batch is not None:
        parts = parts.filter(batch=batch)
        groups_qs = groups_qs.filter(batch=batch)
    if within is not None:
        parts = parts.filter(subtree_q("path", within))
        assigned = assigned.filter(subtree_q("path", within))
    units: list[coverage.Unit] = []
    participation_of: dict[int, int] = {}
    batch_of: dict[int, int] = {}
    ancestors_of = _AncestorIds()
    for pid, unit_id, path, level, batch_id in parts.values_list(
        "id", "unit_id", "path", "level", "batch_id"
    ).iterator(chunk_size=5000):
        above = ancestors_of(path[:-SEGMENT_WIDTH])
        units.append(
            coverage.Unit(
                unit_id,
                above[-1] if above else None,
                level,
                above,
                participating=level > coverage.FIRST_LEVEL,
            )
        )
        participation_of[unit_id] = pid
        batch_of[unit_id] = batch_id
    if context:
        present = set(participation_of)
        wanted = sorted({a for u in units for a in u.ancestors} - present)
        for i in range(0, len(wanted), ID_CHUNK):
            for unit_id, path, level in Unit.objects.filter(pk__in=wanted[i : i + ID_CHUNK]).values_list(
                "id", "path", "level"
            ):
                above = ancestors_of(path[:-SEGMENT_WIDTH])
                units.append(
                    coverage.Unit(unit_id, above[-1] if above else None, level, above, participating=False)
                )
    groups = [
        coverage.Group(g, h, t) for g, h, t in groups_qs.values_list("id", "home_unit_id", "target_level")
    ]
    in_batch = {g.id for g in groups} if batch is not None else None
    assignments = [
        coverage.Assignment(g, u, r)
        for g, u, r in assigned.values_list("group_id", "unit_id", "override_reason")
        if in_batch is None or g in in_batch
    ]
    return CoverageData(units, groups, assignments, participation_of, batch_of)


class _AncestorIds:
    """The ids of the units on a path, root first, as a tuple: computed once per path (the units of a
    campaign share a few thousand parents)."""

    def __init__(self) -> None:
        self.known: dict[str, tuple[int, ...]] = {"": ()}

    def __call__(self, path: str) -> tuple[int, ...]:
        found = self.known.get(path)
        if found is None:
            found = self.known[path] = tuple(ancestor_ids(path))
        return found


@dataclass
class BatchCoverage:
    batch: Batch
    report: coverage.CoverageReport
    groups: dict[int, SupervisionGroup] = field(default_factory=dict)


def coverage_version(campaign_id: int) -> str:
    """The version the cached coverage report of a campaign hangs on; services bump it on every change of
    groups or assignments."""
    return f"supervision.coverage.{campaign_id}"


def coverage_report(
    campaign: Campaign, *, user: Any = None, batch: Batch | None = None
) -> list[BatchCoverage]:
    """The engine's report per batch, over the user's visible subtree (everything for the system)."""
    within: list[str] | None = None
    if user is not None:
        paths = scope_paths(user, "view")
        if paths is not None:
            within = collapse(paths)
    batches = [batch] if batch is not None else list(campaign.batches.order_by("ordinal"))
    result = []
    for b in batches:

        def compute(b: Batch = b) -> coverage.CoverageReport:
            data = coverage_data(campaign, batch=b, within=within)
            return coverage.check(data.units, data.groups, data.assignments)

        # Cached until an assignment or group of this campaign changes (services bump the version).
        scope_key = hashlib.sha256("|".join(within or ["*"]).encode()).hexdigest()
        report = versions.cached(coverage_version(campaign.pk), f"{b.pk}:{scope_key}", compute)
        result.append(BatchCoverage(b, report))
    return result


def unit_labels(ids: Iterable[int]) -> dict[int, Unit]:
    wanted = sorted(set(ids))
    found: dict[int, Unit] = {}
    for i in range(0, len(wanted), ID_CHUNK):
        for unit in Unit.objects.filter(pk__in=wanted[i : i + ID_CHUNK]).only(
            "id", "code", "name", "level", "path"
        ):
            found[unit.pk] = unit
    return found


def gap_rows(report: coverage.CoverageReport, under: Unit, limit: int = 200) -> list[dict[str, Any]]:
    """Drill-down: the children of ``under`` that are gaps or have gaps below them, with their counts."""
    counts = report.gap_counts_up_the_tree
    gaps = {g.unit_id for g in report.gaps}
    children = (
        Unit.objects.filter(parent=under).only("id", "code", "name", "level", "path", "kind").order_by("code")
    )
    rows = []
    for child in children.iterator(chunk_size=500):
        below = counts.get(child.pk, 0)
        if below or child.pk in gaps:
            rows.append({"unit": child, "gaps_below": below, "is_gap": child.pk in gaps})
            if len(rows) >= limit:
                break
    return rows
