"""Rectification (整改台账、逐项销号): tasks with a measure, a responsible person and a deadline; evidence;
the unit claims a task done; the level above or the unit's supervision group verifies it: accept (销号),
return with a reason, or "cannot be fixed now" with a reason and a new date. A verified task can be
reopened. Exactly one of two concurrent decisions wins (a conditional UPDATE); the other is told
"已被其他人处理" (``core.errors.Conflict``, the API's 409).

Who verifies (ADR 14): a user whose ``verify`` grant lies strictly above the task's unit (an office or a
supervisor of a higher level), or a member of a supervision group assigned to the unit. Never whoever
claimed the task, nor anyone holding an operator grant on the unit or above (they record, others check).
"""

from __future__ import annotations

from datetime import date
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.accounts.roles import Role
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.errors import Conflict
from echelon.core.locks import locked
from echelon.core.permissions import require
from echelon.core.querysets import scope_paths
from echelon.core.text import within_length
from echelon.ledger import rollup, verbs
from echelon.ledger.models import (
    TEXT_MAX,
    UNFINISHED,
    CountKind,
    Evidence,
    Problem,
    ProblemStatus,
    Task,
    TaskStatus,
)
from echelon.ledger.services.common import check_date, required_text, save_upload
from echelon.ledger.services.notices import notify_claim, notify_verdict
from echelon.supervision.models import GroupAssignment, SupervisionGroup
from echelon.supervision.services.groups import covered, grant_paths

MEASURE_MAX = 1_000
RESPONSIBLE_MAX = 50
DECISIONS = ("accept", "return", "defer")


class AlreadyDecided(Conflict):
    """Another verifier decided this claim first."""


def _repr(task: Task) -> str:
    return f"{task.unit.name} · {task.measure[:40]}"


def _record(actor: Actor, verb: str, task: Task, **after: object) -> None:
    audit.record(
        actor=actor,
        verb=verb,
        obj=task,
        object_repr=_repr(task),
        unit_id=task.unit_id,
        unit_path=task.path,
        after=after,
    )


def task_add(
    *, actor: Actor, problem: Problem, measure: str, responsible: str, deadline: date | None
) -> Task:
    """A rectification task of ``problem``, done by the problem's (current) unit."""
    measure = required_text(measure, MEASURE_MAX, _("整改措施"))
    responsible = required_text(responsible, RESPONSIBLE_MAX, _("责任人"))
    with transaction.atomic():
        problem = locked(Problem, problem.pk, "unit", "campaign")
        require(actor, "change", problem.path)
        if problem.status == ProblemStatus.ESCALATED:
            raise ValidationError(_("问题正在上报中，等上级接收或退回后再制定整改措施。"))
        deadline = check_date(deadline, _("完成时限"), campaign=problem.campaign)
        task = Task.objects.create(
            problem=problem,
            unit=problem.unit,
            path=problem.path,
            level=problem.level,
            category=problem.category,
            item=problem.item,
            measure=measure,
            responsible=responsible,
            deadline=deadline,
            created_by=user_of(actor),
        )
        rollup.moved(CountKind.TASK, None, rollup.key_of(task))
        _sync_problem(problem.pk)  # a new measure reopens a ticked-off problem
        _record(actor, verbs.TASK_CREATE, task, measure=measure, responsible=responsible, deadline=deadline)
        return task


def evidence_upload(*, actor: Actor, task: Task, fileobj: IO[bytes], name: str) -> Evidence:
    """A new version of a task's evidence (earlier ones are kept), checked by its content."""
    with transaction.atomic():
        task = locked(Task, task.pk, "unit")
        require(actor, "change", task.path)
        if task.status == TaskStatus.VERIFIED:
            raise ValidationError(_("任务已销号，不能再上传佐证。"))
        version = (Evidence.objects.filter(task=task).aggregate(v=Max("version"))["v"] or 0) + 1
        evidence = Evidence(task=task, path=task.path, version=version, uploaded_by=user_of(actor))
        evidence.original_name, evidence.file_type, evidence.size = save_upload(
            evidence, "file", fileobj, name
        )
        try:
            evidence.save()
        except Exception:
            evidence.file.delete(save=False)
            raise
        _record(
            actor, verbs.TASK_EVIDENCE, task, version=version, name=evidence.original_name, size=evidence.size
        )
        return evidence


def task_claim(*, actor: Actor, task: Task, note: str) -> Task:
    """The unit says the task is done (or explains why not yet), asking the level above to tick it off."""
    note = required_text(note, TEXT_MAX, _("完成情况"))
    with transaction.atomic():
        task = locked(Task, task.pk, "unit")
        require(actor, "change", task.path)
        if task.status not in (TaskStatus.OPEN, TaskStatus.DEFERRED):
            raise ValidationError(
                _("任务当前为“%(status)s”，不能申请销号。") % {"status": task.get_status_display()}
            )
        counted = rollup.key_of(task)
        task.status, task.claim_note = TaskStatus.CLAIMED, note
        task.claimed_at, task.claimed_by = timezone.now(), user_of(actor)
        task.save(update_fields=["status", "claim_note", "claimed_at", "claimed_by"])
        rollup.moved(CountKind.TASK, counted, rollup.key_of(task))
        _record(actor, verbs.TASK_CLAIM, task, note=note)
        notify_claim(actor, task)
        return task


def verifier_error(actor: Actor, task: Task) -> str | None:
    """Why ``actor`` may not verify ``task`` (None: they may)."""
    user = user_of(actor)
    if actor is None:
        return None
    if user is None:
        return _("请先登录。")
    if task.claimed_by_id == user.pk:
        return _("申请销号的人不能验收自己的申请。")
    if covered(grant_paths(user, (Role.OPERATOR,)), task.path):
        return _("您是该单位（或其上级）的联络员/书记：整改的记录与验收须由不同的人负责。")
    paths = scope_paths(user, "verify")
    if paths is None or any(task.path.startswith(p) and p != task.path for p in paths):
        return None
    groups = SupervisionGroup.objects.filter(Q(members=user) | Q(leader=user)).values("pk")
    if GroupAssignment.objects.filter(group__in=groups, path=task.path).exists():
        return None
    return _("只有上一级领导小组办公室、督导组或该单位的督导组可以验收整改任务。")


def task_decide(
    *, actor: Actor, task: Task, decision: str, note: str, new_deadline: date | None = None
) -> Task:
    """Accept (销号), return (with a reason) or defer (cannot be fixed now: a reason and a new date)."""
    if decision not in DECISIONS:
        raise ValidationError(_("未知的验收结论“%(value)s”。") % {"value": str(decision)[:20]})
    note = within_length((note or "").strip(), TEXT_MAX, _("验收意见"))
    if decision != "accept" and not note:
        raise ValidationError(_("退回或暂缓须写明理由。"))
    with transaction.atomic():
        _lock_problem_of(task)
        task = Task.objects.select_related("unit", "problem__campaign").get(pk=task.pk)
        if error := verifier_error(actor, task):
            raise PermissionDenied(error)
        changes: dict[str, object] = {"verdict_note": note, "verified_by": user_of(actor)}
        if decision == "accept":
            changes.update(status=TaskStatus.VERIFIED, verified_at=timezone.now())
        elif decision == "return":
            changes.update(status=TaskStatus.OPEN)
        else:
            changes.update(
                status=TaskStatus.DEFERRED,
                deadline=check_date(new_deadline, _("新的完成时限"), campaign=task.problem.campaign),
            )
        won = Task.objects.filter(pk=task.pk, status=TaskStatus.CLAIMED).update(**changes)
        if not won:
            raise AlreadyDecided(_("该任务已被其他人处理（或尚未申请销号），请刷新页面查看。"))
        counted = rollup.key_of(task)
        task.refresh_from_db()
        rollup.moved(CountKind.TASK, counted, rollup.key_of(task))
        _sync_problem(task.problem_id)
        _record(actor, verbs.TASK_DECIDE[decision], task, note=note, deadline=task.deadline)
        notify_verdict(actor, task, decision)
        return task


def task_reopen(*, actor: Actor, task: Task, reason: str) -> Task:
    """A ticked-off task opened again (e.g. the problem came back); the same people as verify."""
    reason = required_text(reason, TEXT_MAX, _("重新打开的理由"))
    with transaction.atomic():
        _lock_problem_of(task)
        task = locked(Task, task.pk, "unit")
        if error := verifier_error(actor, task):
            raise PermissionDenied(error)
        if task.status != TaskStatus.VERIFIED:
            raise ValidationError(_("只有已销号的任务可以重新打开。"))
        counted = rollup.key_of(task)
        task.status, task.verdict_note, task.reopened = TaskStatus.OPEN, reason, task.reopened + 1
        task.save(update_fields=["status", "verdict_note", "reopened"])
        rollup.moved(CountKind.TASK, counted, rollup.key_of(task))
        _sync_problem(task.problem_id)
        _record(actor, verbs.TASK_REOPEN, task, reason=reason)
        return task


def _lock_problem_of(task: Task) -> None:
    """A task's verdict may change its problem (``_sync_problem``): lock the problem first, the order
    ``problem_update`` takes them in (problem, then its tasks), so the two never wait on each other."""
    locked(Problem, task.problem_id)


def _sync_problem(problem_id: int) -> None:
    """A problem is ticked off (已销号) when it has tasks and every one is verified."""
    problem = Problem.objects.select_for_update().get(pk=problem_id)
    if problem.status == ProblemStatus.ESCALATED:
        return
    tasks = Task.objects.filter(problem_id=problem_id)
    done = tasks.exists() and not tasks.filter(status__in=UNFINISHED).exists()
    status = ProblemStatus.DONE if done else ProblemStatus.OPEN
    if status != problem.status:
        counted = rollup.key_of(problem)
        problem.status, problem.done_on = status, timezone.localdate() if done else None
        problem.save(update_fields=["status", "done_on"])
        rollup.moved(CountKind.PROBLEM, counted, rollup.key_of(problem))


__all__ = [
    "AlreadyDecided",
    "evidence_upload",
    "task_add",
    "task_claim",
    "task_decide",
    "task_reopen",
    "verifier_error",
]
