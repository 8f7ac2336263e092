"""Escalation (上报) and hand-over (承接): problems and tasks carried between units.

Escalation: what the unit cannot solve alone goes up its chain of ancestors, or to the sector department
that leads it (a unit of the same ``industry`` under one of its ancestors). The receiver accepts it (the
problem becomes theirs: tracked there, still seen by the unit that raised it) or returns it with a reason;
it can go up again. Nobody routes outside their own chain.

Hand-over: a batch-one task that concerns a unit of a later batch is linked to it with a named receiver,
who takes it over: a problem and a task of the receiving unit follow it; the batch-one owner sees them.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import User, user_of
from echelon.campaigns.models import Participation
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.errors import Conflict
from echelon.core.locks import locked
from echelon.core.permissions import allowed, require
from echelon.core.tree import ancestor_ids
from echelon.ledger import rollup, verbs
from echelon.ledger.models import (
    TEXT_MAX,
    CountKind,
    Escalation,
    EscalationState,
    Handover,
    HandoverState,
    Problem,
    ProblemStatus,
    Task,
    TaskStatus,
)
from echelon.ledger.services.common import check_date, required_text
from echelon.ledger.services.notices import notify_escalation, notify_escalation_outcome, notify_handover
from echelon.orgs.models import Unit


def escalation_targets(unit: Unit) -> QuerySet[Unit]:
    """Where ``unit`` may send a problem: its ancestors, and the sector departments of its industry that
    sit under one of its ancestors at a higher level. Nearest first."""
    above = ancestor_ids(unit.path)[:-1]
    chain = Unit.objects.filter(pk__in=above)
    if unit.industry:
        sector = Unit.objects.filter(
            industry=unit.industry, parent_id__in=above, level__lt=unit.level, is_active=True
        ).exclude(pk=unit.pk)
        chain = chain | sector
    return chain.order_by("-level", "path")


def problem_escalate(*, actor: Actor, problem: Problem, to_unit: Unit, reason: str) -> Escalation:
    reason = required_text(reason, TEXT_MAX, _("上报理由"))
    with transaction.atomic():
        problem = locked(Problem, problem.pk, "unit")
        require(actor, "change", problem.path)
        if problem.status != ProblemStatus.OPEN:
            raise ValidationError(
                _("问题当前为“%(status)s”，不能上报。") % {"status": problem.get_status_display()}
            )
        if not escalation_targets(problem.unit).filter(pk=to_unit.pk).exists():
            raise ValidationError(
                _("只能上报给本单位的上级组织或牵头的行业主管部门，“%(to)s”不在其中。") % {"to": to_unit.name}
            )
        try:
            with transaction.atomic():
                escalation = Escalation.objects.create(
                    problem=problem,
                    from_unit=problem.unit,
                    from_path=problem.path,
                    to_unit=to_unit,
                    to_path=to_unit.path,
                    reason=reason,
                    sent_by=user_of(actor),
                )
        except IntegrityError as exc:
            raise ValidationError(_("该问题已在上报中。")) from exc
        counted = rollup.key_of(problem)
        problem.status, problem.pending_path = ProblemStatus.ESCALATED, to_unit.path
        problem.save(update_fields=["status", "pending_path"])
        rollup.moved(CountKind.PROBLEM, counted, rollup.key_of(problem))
        audit.record(
            actor=actor,
            verb=verbs.PROBLEM_ESCALATE,
            obj=problem,
            object_repr=f"{problem.unit.name} · {problem.title}",
            unit_id=problem.unit_id,
            unit_path=problem.path,
            after={"to": to_unit.code, "to_name": to_unit.name, "reason": reason},
        )
        notify_escalation(actor, escalation)
        return escalation


def escalation_decide(*, actor: Actor, escalation: Escalation, accept: bool, answer: str = "") -> Escalation:
    """The receiving unit accepts (the problem becomes theirs) or returns it (a reason is required)."""
    answer = (answer or "").strip()
    if not accept:
        answer = required_text(answer, TEXT_MAX, _("退回理由"))
    elif len(answer) > TEXT_MAX:
        answer = required_text(answer, TEXT_MAX, _("接收意见"))
    with transaction.atomic():
        escalation = Escalation.objects.select_related("to_unit", "from_unit").get(pk=escalation.pk)
        require(actor, "change", escalation.to_path)
        if allowed(actor, "change", escalation.from_path) and escalation.sent_by_id == getattr(
            user_of(actor), "pk", None
        ):
            raise PermissionDenied(_("上报人不能自己接收或退回自己上报的问题。"))
        state = EscalationState.ACCEPTED if accept else EscalationState.RETURNED
        won = Escalation.objects.filter(pk=escalation.pk, state=EscalationState.PENDING).update(
            state=state, answer=answer, decided_at=timezone.now(), decided_by=user_of(actor)
        )
        if not won:
            raise Conflict(_("该上报已被其他人处理，请刷新页面查看。"))
        escalation.refresh_from_db()
        problem = Problem.objects.select_for_update().get(pk=escalation.problem_id)
        before, counted = {"unit": problem.unit_id}, rollup.key_of(problem)
        if accept:
            to = escalation.to_unit
            problem.unit, problem.path, problem.level = to, to.path, to.level
        problem.status, problem.pending_path = ProblemStatus.OPEN, ""
        problem.save(update_fields=["unit", "path", "level", "status", "pending_path"])
        rollup.moved(CountKind.PROBLEM, counted, rollup.key_of(problem))
        audit.record(
            actor=actor,
            verb=verbs.PROBLEM_ACCEPT if accept else verbs.PROBLEM_RETURN,
            obj=problem,
            object_repr=f"{escalation.from_unit.name} → {escalation.to_unit.name} · {problem.title}",
            unit_id=escalation.to_unit_id,
            unit_path=escalation.to_path,
            before=before,
            after={"unit": problem.unit_id, "answer": answer},
        )
        notify_escalation_outcome(actor, escalation)
        return escalation


def _batch_ordinal(campaign_id: int, unit: Unit) -> int | None:
    return (
        Participation.objects.filter(campaign_id=campaign_id, unit=unit)
        .values_list("batch__ordinal", flat=True)
        .first()
    )


def handover_offer(*, actor: Actor, task: Task, to_unit: Unit, receiver: User, note: str = "") -> Handover:
    """Link a batch-one task to a unit of a later batch, naming who there takes it over."""
    note = (note or "").strip()[:TEXT_MAX]
    with transaction.atomic():
        task = Task.objects.select_related("unit", "problem").get(pk=task.pk)
        require(actor, "change", task.path)
        if task.status == TaskStatus.VERIFIED:
            raise ValidationError(_("任务已销号，无需移交。"))
        campaign_id = task.problem.campaign_id
        mine, theirs = _batch_ordinal(campaign_id, task.unit), _batch_ordinal(campaign_id, to_unit)
        if mine is None or theirs is None or theirs <= mine:
            raise ValidationError(
                _("只能移交给同一活动中后一批次的单位，“%(to)s”不是。") % {"to": to_unit.name}
            )
        if not receiver.is_active or not allowed(receiver, "change", to_unit.path):
            raise ValidationError(
                _("承接人须是“%(to)s”的联络员或领导小组办公室人员。") % {"to": to_unit.name}
            )
        try:
            with transaction.atomic():
                handover = Handover.objects.create(
                    task=task,
                    from_unit=task.unit,
                    from_path=task.path,
                    to_unit=to_unit,
                    to_path=to_unit.path,
                    receiver=receiver,
                    note=note,
                    offered_by=user_of(actor),
                )
        except IntegrityError as exc:
            raise ValidationError(_("该任务已移交给“%(to)s”。") % {"to": to_unit.name}) from exc
        audit.record(
            actor=actor,
            verb=verbs.HANDOVER_OFFER,
            obj=handover,
            object_repr=f"{task.unit.name} → {to_unit.name} · {task.measure[:40]}",
            unit_id=task.unit_id,
            unit_path=task.path,
            after={"to": to_unit.code, "receiver": receiver.username, "note": note},
        )
        notify_handover(actor, handover)
        return handover


def handover_accept(*, actor: Actor, handover: Handover, deadline: date | None = None) -> Handover:
    """The named receiver takes the task over: the receiving unit gets a problem and a task that follow
    the batch-one one (its measure; the deadline the receiver sets, the original's by default)."""
    with transaction.atomic():
        handover = Handover.objects.select_related("task__problem__campaign", "to_unit", "from_unit").get(
            pk=handover.pk
        )
        user = user_of(actor)
        if user is None or user.pk != handover.receiver_id:
            raise PermissionDenied(_("只有指定的承接人可以承接该任务。"))
        require(actor, "change", handover.to_path)
        original, to = handover.task, handover.to_unit
        problem = original.problem
        deadline = check_date(deadline or original.deadline, _("完成时限"), campaign=problem.campaign)
        won = Handover.objects.filter(pk=handover.pk, state=HandoverState.OFFERED).update(
            state=HandoverState.ACCEPTED, accepted_at=timezone.now()
        )
        if not won:
            raise Conflict(_("该任务已被承接。"))
        follow_problem = Problem.objects.create(
            campaign=problem.campaign,
            unit=to,
            path=to.path,
            level=to.level,
            origin_unit=handover.from_unit,
            origin_path=handover.from_path,
            title=problem.title,
            description=problem.description,
            source=problem.source,
            category=problem.category,
            item=problem.item,
            tags=problem.tags,
            severity=problem.severity,
            owner=user.get_full_name() or user.username,
            found_on=timezone.localdate(),
            created_by=user,
        )
        follow = Task.objects.create(
            problem=follow_problem,
            unit=to,
            path=to.path,
            level=to.level,
            category=problem.category,
            item=problem.item,
            measure=original.measure,
            responsible=user.get_full_name() or user.username,
            deadline=deadline,
            created_by=user,
        )
        rollup.moved(CountKind.PROBLEM, None, rollup.key_of(follow_problem))
        rollup.moved(CountKind.TASK, None, rollup.key_of(follow))
        Handover.objects.filter(pk=handover.pk).update(follow_task=follow)
        handover.refresh_from_db()
        audit.record(
            actor=actor,
            verb=verbs.HANDOVER_ACCEPT,
            obj=handover,
            object_repr=f"{handover.from_unit.name} → {to.name} · {original.measure[:40]}",
            unit_id=to.pk,
            unit_path=to.path,
            after={"problem": follow_problem.pk, "task": follow.pk, "deadline": deadline},
        )
        return handover
