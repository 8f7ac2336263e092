"""The group workbench and the review page (the decision)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from echelon.core.pages import attempt
from echelon.supervision import previews, selectors, services
from echelon.supervision.forms import DecisionForm


@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "supervision/workbench.html",
        {"bench": selectors.workbench(request.user), "approvals": selectors.approval_queue(request.user)},
    )


def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.review_for(request.user, pk)
    participation = review.participation
    state = selectors.phase_state(participation, review.phase)
    previews.attach_previews(state.actions)  # Word materials shown as HTML; PDF and images inline
    can_decide = review.state == "open" and selectors.may_review(request.user, participation)
    form = DecisionForm(request.POST or None, checks=state.checks)
    if request.method == "POST":
        if not can_decide and review.state == "open":
            raise PermissionDenied(_("只有负责该单位的督导组成员可以审核。"))
        if form.is_valid():  # the service refuses the submitter and the unit's operators (403)
            data = form.cleaned_data
            checks = {
                k: services.CheckResult(data[f"check_{k}"] == "pass", data[f"note_{k}"])
                for k in form.check_keys
            }
            done = attempt(
                request,
                lambda: services.gate_decide(
                    actor=request.user,
                    review=review,
                    decision=data["decision"],
                    checks=checks,
                    comment=data["comment"],
                    deadline=data["deadline"],
                    interview_who=data["interview_who"],
                    interview_at=data["interview_at"],
                    interview_required=data["interview_required"],
                ),
                success=_("审核决定已保存。"),
                form=form,
            )
            if done.ok:
                return redirect("supervision:review", pk=review.pk)
    return render(
        request,
        "supervision/review.html",
        {
            "review": review,
            "state": state,
            "form": form,
            "can_decide": can_decide,
            "history": selectors.history(participation)[:50],
            "campaign": review.campaign,
            "phase_label": selectors.phase_name(review.campaign, review.phase),
        },
    )
