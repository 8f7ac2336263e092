"""Rectification tasks (整改任务), posted from the problem's page: add, evidence, claim done, verify (accept,
return, defer), reopen; and the evidence download."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from echelon.core.pages import attempt, attempt_form, flash_form_errors
from echelon.core.querysets import scoped_object
from echelon.ledger import services
from echelon.ledger.forms import ClaimForm, DecideForm, EvidenceForm, ReopenForm, TaskForm
from echelon.ledger.models import Evidence, Problem, Task

DECIDED = {
    "accept": gettext_lazy("已验收通过，予以销号。"),
    "return": gettext_lazy("已退回重新整改。"),
    "defer": gettext_lazy("已认定暂不能解决，另定时限。"),
}


def _to_task(task: Task) -> HttpResponse:
    return redirect(reverse("ledger:problem", args=[task.problem_id]) + f"#task-{task.pk}")


def _task(request: HttpRequest, pk: int) -> Task:
    return scoped_object(request.user, Task.objects.select_related("problem"), pk=pk)


@require_POST
def task_add(request: HttpRequest, pk: int) -> HttpResponse:
    problem = scoped_object(request.user, Problem.objects, pk=pk)
    form = TaskForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("ledger:problem", pk=problem.pk)
    data = form.cleaned_data
    outcome = attempt(
        request,
        lambda: services.task_add(
            actor=request.user,
            problem=problem,
            measure=data["measure"],
            responsible=data["responsible"],
            deadline=data["deadline"],
        ),
        success=_("整改措施已添加。"),
    )
    if outcome.ok and outcome.value is not None:
        return _to_task(outcome.value)
    return redirect("ledger:problem", pk=problem.pk)


@require_POST
def task_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的佐证材料。"))
        return _to_task(task)
    upload = form.cleaned_data["file"]
    attempt(
        request,
        lambda: services.evidence_upload(actor=request.user, task=task, fileobj=upload, name=upload.name),
        success=lambda e: _("已上传“%(name)s”（第 %(v)d 版）。") % {"name": e.original_name, "v": e.version},
    )
    return _to_task(task)


@require_POST
def task_claim(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    attempt_form(
        request,
        ClaimForm(request.POST),
        lambda d: services.task_claim(actor=request.user, task=task, note=d["note"]),
        success=_("已申请销号，等待上一级或督导组验收。"),
    )
    return _to_task(task)


@require_POST
def task_decide(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return _to_task(task)
    data = form.cleaned_data
    attempt(
        request,
        lambda: services.task_decide(
            actor=request.user,
            task=task,
            decision=data["decision"],
            note=data["note"],
            new_deadline=data["new_deadline"],
        ),
        success=str(DECIDED[data["decision"]]),
    )
    return _to_task(task)


@require_POST
def task_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    attempt_form(
        request,
        ReopenForm(request.POST),
        lambda d: services.task_reopen(actor=request.user, task=task, reason=d["reason"]),
        success=_("任务已重新打开。"),
    )
    return _to_task(task)


@require_GET
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """A version of a task's evidence, for whoever sees the task's problem (the unit that raised an
    escalated problem reads how it was fixed there); 404 otherwise."""
    seen = Problem.objects.visible_to(request.user).values("pk")
    evidence = get_object_or_404(Evidence.objects.filter(task__problem__in=seen), pk=pk)
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.original_name)
