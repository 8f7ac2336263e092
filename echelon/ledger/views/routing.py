"""Escalation (上报) and hand-over (承接): the writes posted from the problem's page and the two inboxes
(what was sent up to my units and what came of what we sent; what is offered to me by name)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from echelon.accounts.models import User
from echelon.core.pages import attempt, flash_form_errors
from echelon.core.querysets import scope_paths, scoped_object
from echelon.core.tree import subtree_q
from echelon.ledger import services
from echelon.ledger.forms import EscalateForm, EscalationAnswerForm, HandoverAcceptForm, HandoverForm
from echelon.ledger.models import Escalation, EscalationState, Handover, HandoverState, Problem, Task
from echelon.ledger.views.story import escalations_from, escalations_to, handovers_for
from echelon.orgs.models import Unit

INBOX = 50


@require_POST
def problem_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    problem = scoped_object(request.user, Problem.objects.select_related("unit"), pk=pk)
    form = EscalateForm(request.POST, targets=[(request.POST.get("to", ""), "")])
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("ledger:problem", pk=problem.pk)
    code, reason = form.cleaned_data["to"], form.cleaned_data["reason"]

    def escalate() -> Escalation:
        # Only the unit's chain and its sector departments: nothing else is found by its code here.
        to_unit = services.escalation_targets(problem.unit).filter(code=code).first()
        if to_unit is None:
            raise ValidationError(_("只能上报给本单位的上级组织或牵头的行业主管部门。"))
        return services.problem_escalate(actor=request.user, problem=problem, to_unit=to_unit, reason=reason)

    attempt(
        request,
        escalate,
        success=lambda e: _("已上报给“%(to)s”，等待接收。") % {"to": e.to_unit.name},
    )
    return redirect("ledger:problem", pk=problem.pk)


@require_POST
def escalation_decide(request: HttpRequest, pk: int) -> HttpResponse:
    escalation = scoped_object(request.user, Escalation.objects.select_related("to_unit"), pk=pk)
    form = EscalationAnswerForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("ledger:problem", pk=escalation.problem_id)
    accept = request.POST.get("decision") == "accept"
    attempt(
        request,
        lambda: services.escalation_decide(
            actor=request.user, escalation=escalation, accept=accept, answer=form.cleaned_data["answer"]
        ),
        success=(
            _("已接收，问题转由“%(unit)s”整改。") % {"unit": escalation.to_unit.name}
            if accept
            else _("已退回，上报单位会看到退回理由。")
        ),
    )
    return redirect("ledger:problem", pk=escalation.problem_id)


@require_GET
def escalation_list(request: HttpRequest) -> HttpResponse:
    related = ("problem", "from_unit", "to_unit", "sent_by", "decided_by")
    paths = scope_paths(request.user, "change")
    received = Escalation.objects.exclude(state=EscalationState.PENDING)
    if paths is not None:
        received = received.filter(subtree_q("to_path", paths)) if paths else received.none()
    return render(
        request,
        "ledger/escalations.html",
        {
            "pending": list(
                escalations_to(request.user).select_related(*related).order_by("sent_at", "id")[:INBOX]
            ),
            "sent": list(escalations_from(request.user).select_related(*related).order_by("-id")[:INBOX]),
            "received": list(received.select_related(*related).order_by("-decided_at", "-id")[:INBOX]),
            "section": "escalations",
        },
    )


@require_POST
def handover_offer(request: HttpRequest, pk: int) -> HttpResponse:
    task = scoped_object(request.user, Task.objects, pk=pk)
    form = HandoverForm(request.POST)
    back = redirect(reverse("ledger:problem", args=[task.problem_id]) + f"#task-{task.pk}")
    if not form.is_valid():
        flash_form_errors(request, form)
        return back
    data = form.cleaned_data

    def offer() -> Handover:
        to_unit = scoped_object(
            request.user,
            Unit.objects,
            otherwise=ValidationError(_("找不到组织代码为 %(code)s 的单位。") % {"code": data["to"]}),
            code=data["to"].strip(),
            is_active=True,
        )
        receiver = User.objects.filter(username=data["receiver"].strip(), is_active=True).first()
        if receiver is None:  # the same words as the service's, whether or not the name exists
            raise ValidationError(
                _("承接人须是“%(to)s”的联络员或领导小组办公室人员。") % {"to": to_unit.name}
            )
        return services.handover_offer(
            actor=request.user, task=task, to_unit=to_unit, receiver=receiver, note=data["note"]
        )

    attempt(
        request,
        offer,
        success=lambda h: (
            _("已移交给“%(to)s”，等待 %(who)s 承接。") % {"to": h.to_unit.name, "who": h.receiver}
        ),
    )
    return back


@require_POST
def handover_accept(request: HttpRequest, pk: int) -> HttpResponse:
    handover = scoped_object(request.user, Handover.objects, pk=pk)
    form = HandoverAcceptForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("ledger:handovers")
    outcome = attempt(
        request,
        lambda: services.handover_accept(
            actor=request.user, handover=handover, deadline=form.cleaned_data["deadline"]
        ),
        success=_("已承接，任务已列入本单位的问题清单。"),
    )
    if outcome.ok and outcome.value is not None and outcome.value.follow_task is not None:
        follow = outcome.value.follow_task
        return redirect(reverse("ledger:problem", args=[follow.problem_id]) + f"#task-{follow.pk}")
    return redirect("ledger:handovers")


@require_GET
def handover_list(request: HttpRequest) -> HttpResponse:
    """Offered to me by name (to take over), handed over from my part (with the follow-through), and
    taken over into my part."""
    related = ("task__problem", "from_unit", "to_unit", "receiver", "follow_task")
    paths = scope_paths(request.user, "view")

    def within(field: str) -> QuerySet[Handover]:
        if paths is None:
            return Handover.objects.all()
        return Handover.objects.filter(subtree_q(field, paths)) if paths else Handover.objects.none()

    return render(
        request,
        "ledger/handovers.html",
        {
            "waiting": list(
                handovers_for(request.user).select_related(*related).order_by("offered_at", "id")[:INBOX]
            ),
            "offered": list(within("from_path").select_related(*related).order_by("-id")[:INBOX]),
            "received": list(
                within("to_path")
                .exclude(state=HandoverState.OFFERED)
                .select_related(*related)
                .order_by("-id")[:INBOX]
            ),
            "accept_form": HandoverAcceptForm(),
            "section": "handovers",
        },
    )
