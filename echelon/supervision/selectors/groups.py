"""Groups: the ones a user sees, those an office may change, and who answers for a unit's phase (the
groups assigned to it, whose members may review it)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from echelon.campaigns.models import Campaign, Participation
from echelon.core.permissions import allowed
from echelon.supervision.models import GroupAssignment, SupervisionGroup


def groups_for(user: Any, campaign: Campaign | None = None) -> QuerySet[SupervisionGroup]:
    qs = SupervisionGroup.objects.visible_to(user).select_related("home_unit", "leader", "batch")
    return qs.filter(campaign=campaign) if campaign is not None else qs


def group_for(user: Any, pk: int | str) -> SupervisionGroup:
    return get_object_or_404(groups_for(user).select_related("campaign"), pk=pk)


def group_to_dispatch(user: Any, pk: int | str) -> SupervisionGroup:
    """A group the user may see (else 404) and manage: ``dispatch`` at its home unit (else 403)."""
    group = group_for(user, pk)
    if not allowed(user, "dispatch", group.home_path):
        raise PermissionDenied(_("只有派出该督导组的领导小组办公室可以调整它。"))
    return group


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
