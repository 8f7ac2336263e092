"""Supervision's part of 我的待办 (``core.todo``): the unit's current phase for its secretary or clerk,
the reviews waiting for a group member, the key meetings of a liaison leader's points."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from echelon.accounts.models import Grant, user_of
from echelon.accounts.roles import Role
from echelon.campaigns.models import Participation
from echelon.core.actors import Person
from echelon.core.todo import Item, capped_count
from echelon.supervision import selectors
from echelon.supervision.models import (
    ApprovalState,
    Decision,
    GroupAssignment,
    LiaisonPoint,
    MaterialApproval,
    Review,
    ReviewState,
    SupervisionGroup,
)

MY_UNITS = 5  # an operator of more units sees the first few here, the rest from the registry


def _phase_item(participation: Participation) -> Item:
    state = selectors.phase_state(participation)
    url = reverse("supervision:unit", args=[participation.campaign_id, participation.unit.code])
    title = _("%(unit)s：%(phase)s") % {"unit": participation.unit.name, "phase": state.name or _("全部完成")}
    last = state.last_review
    if state.finished:
        return Item(title, url, detail=_("所有环节均已完成。"), tone="secondary")
    if last is not None and last.state == ReviewState.DECIDED and last.decision != Decision.PASS:
        deadline = last.deadline.isoformat() if last.deadline else "—"
        detail = _("督导组意见：%(decision)s，期限 %(deadline)s") % {
            "decision": last.get_decision_display(),
            "deadline": deadline,
        }
        return Item(title, url, detail=detail, tone="danger")
    if state.open_review is not None:
        return Item(title, url, detail=_("已提交，等待督导组审核。"), tone="secondary")
    if state.missing:
        detail = _("还有 %(n)d 项规定动作未完成") % {"n": len(state.missing)}
        return Item(title, url, detail=detail, tone="warning")
    return Item(title, url, detail=_("规定动作已完成，可以提交。"), tone="warning")


def items(person: Person) -> list[Item]:
    user = user_of(person)
    out: list[Item] = []
    if user is None:
        return out
    units = Grant.objects.filter(user=user, role=Role.OPERATOR, unit__is_active=True).values("unit_id")
    participations = (
        Participation.objects.filter(unit_id__in=units)
        .select_related("unit", "campaign")
        .order_by("unit_id", "-campaign__start")
    )
    seen: set[int] = set()
    for participation in participations:
        if participation.unit_id in seen or len(seen) >= MY_UNITS:
            continue
        seen.add(participation.unit_id)
        out.append(_phase_item(participation))
    groups = SupervisionGroup.objects.filter(Q(members=user) | Q(leader=user)).values("pk")
    waiting = capped_count(Review.objects.filter(group__in=groups, state=ReviewState.OPEN))
    if waiting:
        out.append(
            Item(_("等待您所在督导组审核的环节"), reverse("supervision:workbench"), waiting, tone="warning")
        )
    plans = capped_count(  # materials the group approves first (ADR 18)
        MaterialApproval.objects.filter(
            participation_id__in=GroupAssignment.objects.filter(group__in=groups).values("participation_id"),
            state=ApprovalState.PENDING,
        )
    )
    if plans:
        title = _("等待您所在督导组审核的方案材料")
        out.append(Item(title, reverse("supervision:workbench"), plans, tone="warning"))
    points = LiaisonPoint.objects.filter(leader=user).count()
    if points:
        out.append(
            Item(
                _("联系点的重要会议（动员大会、专题民主生活会）"),
                reverse("supervision:liaison_calendar"),
                detail=_("%(n)d 个联系点") % {"n": points},
            )
        )
    return out
