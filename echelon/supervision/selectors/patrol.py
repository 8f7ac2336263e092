"""Patrol visits (巡查): a group's patrol scope and its visits."""

from __future__ import annotations

from django.db.models import QuerySet

from echelon.orgs.models import Unit
from echelon.supervision.models import GroupAssignment, PatrolVisit, SupervisionGroup


def in_patrol_scope(group: SupervisionGroup, unit: Unit) -> bool:
    """The group's patrol scope (巡查范围): its targets and the units one level below them."""
    targets = GroupAssignment.objects.filter(group=group)
    if targets.filter(unit_id=unit.pk).exists():
        return True
    return unit.parent_id is not None and targets.filter(unit_id=unit.parent_id).exists()


def patrol_visits(group: SupervisionGroup) -> QuerySet[PatrolVisit]:
    """A group's patrol visits, latest first (the caller has checked the group is visible)."""
    return PatrolVisit.objects.filter(group=group).select_related("unit", "created_by")
