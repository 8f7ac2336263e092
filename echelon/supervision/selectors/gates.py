"""Reviews: the ones a user sees, and the group workbench (submissions waiting, returned work not yet
resubmitted, reviews overdue, targets not yet visited)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.shortcuts import get_object_or_404
from django.utils import timezone

from echelon.campaigns.models import Campaign
from echelon.core.tree import UPPER_BOUND
from echelon.supervision.models import (
    Decision,
    GroupAssignment,
    PatrolVisit,
    Review,
    ReviewState,
    SupervisionGroup,
)


def review_due_days() -> int:
    return int(getattr(settings, "ECHELON_REVIEW_DUE_DAYS", 5))


@dataclass
class Workbench:
    groups: list[SupervisionGroup]
    queue: list[Review]
    returned: list[Review]
    overdue: list[Review]
    not_visited: int
    queue_total: int = 0  # open submissions in all (the queue shows the oldest ``limit``)
    overdue_total: int = 0


def workbench(user: Any, *, today: date | None = None, limit: int = 50) -> Workbench:
    """For the user's groups: open submissions oldest first, returned work awaiting resubmission (a later
    submission of the same phase does not exist yet), open reviews older than the due days."""
    today = today or timezone.localdate()
    groups = list(SupervisionGroup.objects.of_member(user).select_related("home_unit"))
    ids = [g.pk for g in groups]
    base = Review.objects.filter(group_id__in=ids).select_related("unit", "group")
    waiting = base.filter(state=ReviewState.OPEN)
    queue = list(waiting.order_by("submitted_at", "id")[:limit])
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
    # the queue is oldest first: the totals are counted only when it is cut (more waiting than shown)
    queue_total, overdue_total = len(queue), len(overdue)
    if len(queue) == limit:
        queue_total = waiting.count()
        if len(overdue) == limit:
            overdue_total = waiting.filter(submitted_at__lt=due).count()
    # Targets no patrol visit of their group has reached yet (the target itself or a unit below it).
    # A subtree is a path range (core.tree): LIKE 'path%' on a column from the outer row uses no index.
    # One visit per target looked up (LIMIT 1) on the (group, path) index: as NOT EXISTS, PostgreSQL
    # turns it into a hash anti-join on the group alone and compares every target with every visit of
    # the group (4,500 × 1,300 pairs: half a second for a busy group).
    visited = (
        PatrolVisit.objects.filter(
            group_id=OuterRef("group_id"),
            path__gte=OuterRef("path"),
            path__lt=Concat(OuterRef("path"), Value(UPPER_BOUND)),
        )
        .order_by()
        .values("pk")[:1]
    )
    not_visited = (
        GroupAssignment.objects.filter(group_id__in=ids)
        .annotate(visit=Subquery(visited))
        .filter(visit__isnull=True)
        .count()
    )
    # Phase names from each campaign's template, parsed once (not once per row).
    phase_names = {
        pk: [p["name"] for p in data.get("phases", [])]
        for pk, data in Campaign.objects.filter(pk__in={g.campaign_id for g in groups}).values_list(
            "pk", "template_data"
        )
    }
    for r in [*queue, *returned]:
        names = phase_names.get(r.campaign_id, [])
        r.phase_label = names[r.phase] if r.phase < len(names) else ""
        r.age_days = (timezone.now() - r.submitted_at).days
        r.late = bool(r.deadline and r.deadline < today)
    return Workbench(groups, queue, returned, overdue, not_visited, queue_total, overdue_total)


def reviews_for(user: Any) -> QuerySet[Review]:
    return Review.objects.visible_to(user).select_related(
        "unit", "group", "campaign", "submitted_by", "decided_by"
    )


def review_for(user: Any, pk: int) -> Review:
    return get_object_or_404(reviews_for(user).select_related("participation"), pk=pk)


def open_counts(group_ids: Sequence[int]) -> dict[int, int]:

    rows = (
        Review.objects.filter(group_id__in=group_ids, state=ReviewState.OPEN)
        .values("group_id")
        .annotate(n=Count("id"))
    )
    return {r["group_id"]: r["n"] for r in rows}


def pending_q() -> Q:
    return Q(state=ReviewState.OPEN)
