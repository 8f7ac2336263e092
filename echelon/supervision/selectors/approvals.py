"""Materials approved first (ADR 18): the latest approval of an action's material, why an action after it
is locked, and the group's queue of materials waiting for approval."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from echelon.campaigns.models import Participation
from echelon.campaigns.specs import ActionSpec
from echelon.supervision.models import (
    ActionDone,
    ApprovalState,
    GroupAssignment,
    MaterialApproval,
    SupervisionGroup,
)


def latest_approval(participation: Participation, phase: int, action_key: str) -> MaterialApproval | None:
    """The approval of the latest version of the action's material sent for approval, if any."""
    return (
        MaterialApproval.objects.filter(participation=participation, phase=phase, action_key=action_key)
        .exclude(state=ApprovalState.SUPERSEDED)
        .select_related("material")
        .order_by("-material__version", "-id")
        .first()
    )


def lock_reason(participation: Participation, phase: int, action: ActionSpec) -> str:
    """Why ``action`` cannot be recorded yet ("" when it can): the action it comes ``after`` is not done,
    or its material is not approved by the supervision group."""
    if not action.after:
        return ""
    spec = participation.campaign.spec
    phases = spec.phases
    if not 0 <= phase < len(phases):
        return ""
    before = spec.action(phases[phase].key, participation.kind, action.after)
    if before is None:
        return ""
    done = ActionDone.objects.filter(
        participation=participation, phase=phase, action_key=before.key, cleared_at=None
    ).exists()
    names = {"before": before.name, "action": action.name}
    if not before.requires_approval:
        if done:
            return ""
        return _("须先完成“%(before)s”，才能办理“%(action)s”。") % names
    approval = latest_approval(participation, phase, before.key)
    if done and approval is not None and approval.state == ApprovalState.APPROVED:
        return ""
    if approval is None or not done:
        return _("须先上传“%(before)s”并经督导组审核通过，才能办理“%(action)s”。") % names
    if approval.state == ApprovalState.RETURNED:
        return _(
            "督导组退回了“%(before)s”（%(reason)s）：请修改后重新上传，审核通过后才能办理“%(action)s”。"
        ) % {**names, "reason": approval.reason}
    return _("“%(before)s”正在等待督导组审核，审核通过后才能办理“%(action)s”。") % names


def approvals_for(user: Any) -> Any:
    """The approvals of the units in the user's view (a group member: its targets)."""
    return MaterialApproval.objects.visible_to(user).select_related(
        "unit", "group", "material", "requested_by", "decided_by"
    )


def approval_queue(user: Any, *, limit: int = 50) -> list[MaterialApproval]:
    """Materials waiting for the approval of the user's groups (those assigned to the unit), oldest first,
    with their action's name and phase."""
    groups = SupervisionGroup.objects.of_member(user).values_list("pk", flat=True)
    # by the groups responsible for the unit today (a group assigned after the upload finds it too)
    targets = GroupAssignment.objects.filter(group_id__in=groups).values("participation_id")
    rows = list(
        MaterialApproval.objects.filter(participation_id__in=targets, state=ApprovalState.PENDING)
        .select_related("unit", "group", "material", "participation__campaign")
        .order_by("requested_at", "id")[:limit]
    )
    for row in rows:
        spec = row.participation.campaign.spec
        phases = spec.phases
        action = (
            spec.action(phases[row.phase].key, row.participation.kind, row.action_key)
            if row.phase < len(phases)
            else None
        )
        row.action_name = action.name if action is not None else row.action_key
        row.phase_label = phases[row.phase].name if row.phase < len(phases) else ""
    return rows
