"""Who is told what about the ledger (core's notifications): a claim → the verifiers (the unit's groups and
the offices one level up); a verdict → the unit's operators and whoever claimed; an escalation → the
receiving unit's offices and operators; its outcome → the sender; a hand-over → its named receiver."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from echelon.accounts.models import Grant
from echelon.accounts.roles import Role
from echelon.core.actors import Actor
from echelon.core.models import NotificationKind
from echelon.core.notifications import notify
from echelon.core.tree import SEGMENT_WIDTH
from echelon.ledger.models import Escalation, Handover, Task
from echelon.supervision.models import GroupAssignment, SupervisionGroup


def _people_at(unit_id: int, roles: tuple[str, ...]) -> set[int]:
    return set(Grant.objects.filter(unit_id=unit_id, role__in=roles).values_list("user_id", flat=True))


def _verifiers(task: Task) -> set[int]:
    groups = GroupAssignment.objects.filter(path=task.path).values("group_id")
    people = set(
        SupervisionGroup.members.through.objects.filter(supervisiongroup_id__in=groups).values_list(
            "user_id", flat=True
        )
    )
    people |= set(
        SupervisionGroup.objects.filter(pk__in=groups, leader__isnull=False).values_list(
            "leader_id", flat=True
        )
    )
    parent = task.path[:-SEGMENT_WIDTH]
    if parent:
        people |= set(
            Grant.objects.filter(Q(unit__path=parent), role=Role.OFFICE).values_list("user_id", flat=True)
        )
    return people


def notify_claim(actor: Actor, task: Task) -> None:
    notify(
        _verifiers(task),
        kind=NotificationKind.LEDGER,
        text=_("“%(unit)s”申请整改任务销号：%(measure)s")
        % {"unit": task.unit.name, "measure": task.measure[:60]},
        target=task,
        exclude=actor,
    )


def notify_verdict(actor: Actor, task: Task, decision: str) -> None:
    what = {
        "accept": _("已验收销号"),
        "return": _("被退回，需继续整改"),
        "defer": _("暂缓，完成时限改为 %(date)s") % {"date": task.deadline},
    }[decision]
    people = _people_at(task.unit_id, (Role.OPERATOR,)) | (
        {task.claimed_by_id} if task.claimed_by_id else set()
    )
    notify(
        people,
        kind=NotificationKind.LEDGER,
        text=_("整改任务“%(measure)s”%(what)s。") % {"measure": task.measure[:60], "what": what},
        target=task,
        exclude=actor,
    )


def notify_escalation(actor: Actor, escalation: Escalation) -> None:
    notify(
        _people_at(escalation.to_unit_id, (Role.OFFICE, Role.OPERATOR)),
        kind=NotificationKind.LEDGER,
        text=_("“%(unit)s”上报了问题“%(title)s”，请接收或退回。")
        % {"unit": escalation.from_unit.name, "title": escalation.problem.title[:60]},
        target=escalation.problem,
        exclude=actor,
    )


def notify_escalation_outcome(actor: Actor, escalation: Escalation) -> None:
    accepted = escalation.state == "accepted"
    text = (
        _("“%(to)s”已接收您上报的问题“%(title)s”。")
        if accepted
        else _("“%(to)s”退回了您上报的问题“%(title)s”：%(answer)s")
    ) % {
        "to": escalation.to_unit.name,
        "title": escalation.problem.title[:60],
        "answer": escalation.answer[:80],
    }
    people = _people_at(escalation.from_unit_id, (Role.OFFICE, Role.OPERATOR))
    if escalation.sent_by_id:
        people.add(escalation.sent_by_id)
    notify(people, kind=NotificationKind.LEDGER, text=text, target=escalation.problem, exclude=actor)


def notify_handover(actor: Actor, handover: Handover) -> None:
    notify(
        [handover.receiver_id],
        kind=NotificationKind.LEDGER,
        text=_("“%(from)s”把整改任务“%(measure)s”移交给“%(to)s”，请您承接。")
        % {
            "from": handover.from_unit.name,
            "measure": handover.task.measure[:60],
            "to": handover.to_unit.name,
        },
        target=handover.task,
        exclude=actor,
    )
