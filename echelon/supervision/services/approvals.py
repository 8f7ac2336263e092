"""Materials approved first (ADR 18): the template marks an action ``requires_approval`` (the democratic life
meeting's plan) and another one ``after`` it (the meeting). Uploading a version of such a material asks the
responsible group to approve it (``approval_request``, called by ``material_upload``; a newer version
supersedes a pending one); a member of the group approves it or returns it with a reason
(``approval_decide``); the action after it is recorded only once the latest version is approved
(``check_after``, called by the services that record actions). A plain ``after`` (no approval) waits for the
earlier action to be done.

One decision per request: the request row is locked (``select_for_update``) and read again, so a second
reviewer finds it decided (``AlreadyApproved``, the API's 409). Who uploaded the material, or holds an
operator grant over the unit, never approves it (ADR 11)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.accounts.roles import Role
from echelon.campaigns.models import Participation
from echelon.campaigns.specs import ActionSpec
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.errors import Conflict
from echelon.core.models import NotificationKind
from echelon.core.notifications import notify, settle
from echelon.core.permissions import require
from echelon.core.text import within_length
from echelon.supervision import selectors, verbs
from echelon.supervision.models import ApprovalState, Material, MaterialApproval
from echelon.supervision.services.groups import covered, grant_paths
from echelon.supervision.services.notices import group_people, unit_operators

REASON_MAX = 2_000


class AlreadyApproved(Conflict):
    """Someone else decided this approval first (the API answers 409)."""


def check_after(participation: Participation, phase: int, action: ActionSpec) -> None:
    """Refuse recording ``action`` before the action it comes after (and its approval): ValidationError."""
    if reason := selectors.lock_reason(participation, phase, action):
        raise ValidationError(reason)


def approval_request(
    actor: Actor, participation: Participation, phase: int, action: ActionSpec, material: Material
) -> MaterialApproval | None:
    """Inside the upload's transaction: ask the responsible group to approve this version (an earlier
    pending version is superseded). None when the action needs no approval."""
    if not action.requires_approval:
        return None
    MaterialApproval.objects.filter(
        participation=participation, phase=phase, action_key=action.key, state=ApprovalState.PENDING
    ).update(state=ApprovalState.SUPERSEDED)
    groups = selectors.responsible_groups(participation)
    approval = MaterialApproval.objects.create(
        participation=participation,
        campaign_id=participation.campaign_id,
        unit_id=participation.unit_id,
        path=participation.path,
        phase=phase,
        action_key=action.key,
        material=material,
        group=groups[0] if groups else None,
        requested_at=timezone.now(),
        requested_by=user_of(actor),
    )
    audit.record(
        actor=actor,
        verb=verbs.APPROVAL_REQUEST,
        obj=approval,
        object_repr=f"{participation.unit.name} · {action.name}",
        unit_id=participation.unit_id,
        unit_path=participation.path,
        after={"phase": phase, "action": action.key, "version": material.version, "group": approval.group_id},
    )
    notify(
        group_people(approval.group_id),
        kind=NotificationKind.REVIEW_WAITING,
        text=_("“%(unit)s”报送了“%(action)s”（第 %(v)d 版），等待您所在的督导组审核。")
        % {"unit": participation.unit.name, "action": action.name, "v": material.version},
        target=approval,
        exclude=actor,
    )
    return approval


def _decider_error(actor: Actor, approval: MaterialApproval) -> str | None:
    user = user_of(actor)
    if user is None:
        return None
    if approval.requested_by_id == user.pk:
        return _("报送人不能审核自己报送的材料。")
    if covered(grant_paths(user, (Role.OPERATOR,)), approval.path):
        return _("您是该单位（或其上级）的联络员/书记：报送与审核须由不同的人负责。")
    return None


def approval_decide(
    *, actor: Actor, approval: MaterialApproval, approve: bool, reason: str = ""
) -> MaterialApproval:
    """A member of the responsible group approves the material, or returns it with a reason. The unit is
    told; the group's notices about the request are read."""
    reason = within_length(reason if isinstance(reason, str) else "", REASON_MAX, _("审核意见")).strip()
    if not approve and not reason:
        raise ValidationError(_("退回时请写明理由。"))
    with transaction.atomic():
        approval = (
            MaterialApproval.objects.select_for_update(of=("self",))
            .select_related("participation__campaign", "participation__unit", "unit", "material")
            .get(pk=approval.pk)
        )
        participation = approval.participation
        require(actor, "review", participation.path)
        if not selectors.may_review(actor, participation):
            raise PermissionDenied(_("只有负责该单位的督导组成员可以审核。"))
        if error := _decider_error(actor, approval):
            raise PermissionDenied(error)
        if approval.state != ApprovalState.PENDING:
            raise AlreadyApproved(
                _("该材料已被处理（%(state)s），您的决定未保存。") % {"state": approval.get_state_display()}
            )
        approval.state = ApprovalState.APPROVED if approve else ApprovalState.RETURNED
        approval.decided_at = timezone.now()
        approval.decided_by = user_of(actor)
        approval.reason = reason
        approval.save(update_fields=["state", "decided_at", "decided_by", "reason"])
        spec = participation.campaign.spec
        phases = spec.phases
        action = (
            spec.action(phases[approval.phase].key, participation.kind, approval.action_key)
            if approval.phase < len(phases)
            else None
        )
        name = action.name if action is not None else approval.action_key
        settle(approval, kinds=[NotificationKind.REVIEW_WAITING])
        audit.record(
            actor=actor,
            verb=verbs.APPROVAL_APPROVE if approve else verbs.APPROVAL_RETURN,
            obj=approval,
            object_repr=f"{participation.unit.name} · {name}",
            unit_id=participation.unit_id,
            unit_path=participation.path,
            before={"state": ApprovalState.PENDING},
            after={"state": approval.state, "reason": reason, "version": approval.material.version},
        )
        values = {"unit": participation.unit.name, "action": name, "reason": reason}
        notify(
            unit_operators(participation.unit_id)
            | ({approval.requested_by_id} if approval.requested_by_id else set()),
            kind=NotificationKind.PASSED if approve else NotificationKind.RETURNED,
            text=(
                _("“%(unit)s”的“%(action)s”已经督导组审核通过，可以办理下一步。") % values
                if approve
                else _("“%(unit)s”的“%(action)s”被督导组退回修改。理由：%(reason)s") % values
            ),
            target=participation,
            exclude=actor,
        )
        return approval
