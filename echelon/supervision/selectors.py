"""Reads for supervision: coverage through the pure engine, a unit's phase (required actions, what is
missing), review history and the group workbench. Every page-facing read goes through ``visible_to``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from echelon.campaigns.models import Batch, Campaign, Participation
from echelon.core.querysets import scope_paths
from echelon.core.tree import ancestor_ids, collapse
from echelon.orgs.models import Unit
from echelon.supervision import coverage
from echelon.supervision.models import (
    ActionDone,
    Decision,
    GroupAssignment,
    Material,
    Meeting,
    Review,
    ReviewState,
    SupervisionGroup,
)

ID_CHUNK = 900


def review_due_days() -> int:
    return int(getattr(settings, "ECHELON_REVIEW_DUE_DAYS", 5))


# ---------------------------------------------------------------------------------------------------------
# Groups
# ---------------------------------------------------------------------------------------------------------


def groups_for(user: Any, campaign: Campaign | None = None) -> QuerySet[SupervisionGroup]:
    qs = SupervisionGroup.objects.visible_to(user).select_related("home_unit", "leader", "batch")
    return qs.filter(campaign=campaign) if campaign is not None else qs


def group_for(user: Any, pk: int) -> SupervisionGroup:
    return get_object_or_404(groups_for(user).select_related("campaign"), pk=pk)


def is_group_member(user: Any, group: SupervisionGroup | None) -> bool:
    if group is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    return group.leader_id == user.pk or group.members.filter(pk=user.pk).exists()


def responsible_groups(participation: Participation) -> list[SupervisionGroup]:
    """The groups assigned to a participation: the one without an override reason first."""
    rows = GroupAssignment.objects.filter(participation=participation).select_related("group")
    return [a.group for a in sorted(rows, key=lambda a: (bool(a.override_reason.strip()), a.group_id))]


def may_review(user: Any, participation: Participation) -> bool:
    if user is None:
        return True
    if getattr(user, "is_superuser", False):
        return True
    groups = SupervisionGroup.objects.of_member(user).filter(assignments__participation=participation)
    return groups.exists()


# ---------------------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------------------


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
    parts = Participation.objects.filter(campaign=campaign)
    groups_qs = SupervisionGroup.objects.filter(campaign=campaign)
    assigned = GroupAssignment.objects.filter(campaign=campaign)
    if batch is not None:
        parts = parts.filter(batch=batch)
        groups_qs = groups_qs.filter(batch=batch)
        assigned = assigned.filter(group__batch=batch)
    if within is not None:
        from echelon.core.tree import subtree_q

        parts = parts.filter(subtree_q("path", within))
        assigned = assigned.filter(subtree_q("path", within))
    units: list[coverage.Unit] = []
    participation_of: dict[int, int] = {}
    batch_of: dict[int, int] = {}
    for pid, unit_id, path, level, batch_id in (
        parts.order_by().values_list("id", "unit_id", "path", "level", "batch_id").iterator(chunk_size=5000)
    ):
        ids = ancestor_ids(path)
        units.append(
            coverage.Unit(
                unit_id,
                ids[-2] if len(ids) > 1 else None,
                level,
                tuple(ids[:-1]),
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
                ids = ancestor_ids(path)
                units.append(
                    coverage.Unit(
                        unit_id,
                        ids[-2] if len(ids) > 1 else None,
                        level,
                        tuple(ids[:-1]),
                        participating=False,
                    )
                )
    groups = [
        coverage.Group(g, h, t) for g, h, t in groups_qs.values_list("id", "home_unit_id", "target_level")
    ]
    assignments = [
        coverage.Assignment(g, u, r)
        for g, u, r in assigned.values_list("group_id", "unit_id", "override_reason")
    ]
    return CoverageData(units, groups, assignments, participation_of, batch_of)


@dataclass
class BatchCoverage:
    batch: Batch
    report: coverage.CoverageReport
    groups: dict[int, SupervisionGroup] = field(default_factory=dict)


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
        data = coverage_data(campaign, batch=b, within=within)
        result.append(BatchCoverage(b, coverage.check(data.units, data.groups, data.assignments)))
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


# ---------------------------------------------------------------------------------------------------------
# A unit's phase
# ---------------------------------------------------------------------------------------------------------


@dataclass
class ActionState:
    key: str
    name: str
    evidence: str
    done: bool
    done_at: Any = None
    materials: list[Material] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)


@dataclass
class PhaseState:
    index: int
    key: str
    name: str
    gate: bool
    checks: list[dict[str, str]]
    actions: list[ActionState]
    open_review: Review | None
    last_review: Review | None
    finished: bool = False

    @property
    def missing(self) -> list[ActionState]:
        return [a for a in self.actions if not a.done]


def phase_state(participation: Participation, phase: int | None = None) -> PhaseState:
    spec = participation.campaign.spec
    phases = spec.phases
    k = participation.current_phase if phase is None else phase
    if k >= len(phases):
        return PhaseState(k, "", "", False, [], [], None, None, finished=True)
    p = phases[k]
    done = {
        a.action_key: a
        for a in ActionDone.objects.filter(participation=participation, phase=k, cleared_at=None)
    }
    materials: dict[str, list[Material]] = defaultdict(list)
    for m in Material.objects.filter(participation=participation, phase=k).order_by("action_key", "-version"):
        materials[m.action_key].append(m)
    meetings: dict[str, list[Meeting]] = defaultdict(list)
    for m in Meeting.objects.filter(participation=participation, phase=k):
        meetings[m.action_key].append(m)
    actions = []
    for a in spec.actions(p["key"], participation.kind):
        row = done.get(a["key"])
        actions.append(
            ActionState(
                a["key"],
                a["name"],
                a["evidence"],
                row is not None,
                row.done_at if row else None,
                materials[a["key"]],
                meetings[a["key"]],
            )
        )
    names = {g["key"]: g["name"] for g in spec.data["gate_checks"]}
    checks = [{"key": c, "name": names.get(c, c)} for c in p.get("checks", [])]
    reviews = Review.objects.filter(participation=participation, phase=k).order_by("-submitted_at", "-id")
    last = reviews.first()
    open_review = last if last is not None and last.state == ReviewState.OPEN else None
    return PhaseState(k, p["key"], p["name"], bool(p.get("gate")), checks, actions, open_review, last)


def history(participation: Participation) -> QuerySet[Review]:
    return (
        Review.objects.filter(participation=participation)
        .select_related("submitted_by", "decided_by", "group")
        .order_by("-submitted_at", "-id")
    )


def phase_name(campaign: Campaign, index: int) -> str:
    phases = campaign.spec.phases
    return phases[index]["name"] if 0 <= index < len(phases) else ""


# ---------------------------------------------------------------------------------------------------------
# Workbench
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Workbench:
    groups: list[SupervisionGroup]
    queue: list[Review]
    returned: list[Review]
    overdue: list[Review]
    not_visited: int


def workbench(user: Any, *, today: date | None = None, limit: int = 50) -> Workbench:
    """For the user's groups: open submissions oldest first, returned work awaiting resubmission (a later
    submission of the same phase does not exist yet), open reviews older than the due days."""
    today = today or timezone.localdate()
    groups = list(SupervisionGroup.objects.of_member(user).select_related("home_unit"))
    ids = [g.pk for g in groups]
    base = Review.objects.filter(group_id__in=ids).select_related("unit", "group")
    queue = list(base.filter(state=ReviewState.OPEN).order_by("submitted_at", "id")[:limit])
    newer = Review.objects.filter(
        participation=OuterRef("participation"),
        phase=OuterRef("phase"),
        submitted_at__gt=OuterRef("submitted_at"),
    )
    returned = list(
        base.filter(state=ReviewState.DECIDED)
        .exclude(decision=Decision.PASS)
        .filter(~Exists(newer))
        .order_by("deadline", "decided_at")[:limit]
    )
    due = timezone.now() - timedelta(days=review_due_days())
    overdue = [r for r in queue if r.submitted_at < due]
    reviewed = Review.objects.filter(participation=OuterRef("participation"), group_id__in=ids)
    not_visited = GroupAssignment.objects.filter(group_id__in=ids).filter(~Exists(reviewed)).count()
    # Phase names from each campaign's template, parsed once (not once per row).
    phase_names = {
        pk: [p["name"] for p in data.get("phases", [])]
        for pk, data in Campaign.objects.filter(pk__in={g.campaign_id for g in groups}).values_list(
            "pk", "template_data"
        )
    }
    for r in [*queue, *returned]:
        names = phase_names.get(r.campaign_id, [])
        r.phase_label = names[r.phase] if r.phase < len(names) else ""  # type: ignore[attr-defined]
        r.age_days = (timezone.now() - r.submitted_at).days  # type: ignore[attr-defined]
        r.late = bool(r.deadline and r.deadline < today)  # type: ignore[attr-defined]
    return Workbench(groups, queue, returned, overdue, not_visited)


def reviews_for(user: Any) -> QuerySet[Review]:
    return Review.objects.visible_to(user).select_related(
        "unit", "group", "campaign", "submitted_by", "decided_by"
    )


def review_for(user: Any, pk: int) -> Review:
    return get_object_or_404(reviews_for(user).select_related("participation"), pk=pk)


def open_counts(group_ids: Sequence[int]) -> dict[int, int]:
    from django.db.models import Count

    rows = (
        Review.objects.filter(group_id__in=group_ids, state=ReviewState.OPEN)
        .values("group_id")
        .annotate(n=Count("id"))
    )
    return {r["group_id"]: r["n"] for r in rows}


def pending_q() -> Q:
    return Q(state=ReviewState.OPEN)
