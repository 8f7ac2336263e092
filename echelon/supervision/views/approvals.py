"""Materials approved first (ADR 18): a member of the responsible group approves a material or returns it
with a reason, from the workbench's queue."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from echelon.core.pages import attempt
from echelon.core.querysets import scoped_object
from echelon.supervision import services
from echelon.supervision.models import MaterialApproval


@require_POST
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    approval = scoped_object(request.user, MaterialApproval.objects.all(), "view", pk=pk)
    approve = request.POST.get("decision") == "approve"
    attempt(
        request,
        lambda: services.approval_decide(
            actor=request.user, approval=approval, approve=approve, reason=request.POST.get("reason", "")
        ),
        success=_("已审核通过，单位可以办理下一步。") if approve else _("已退回，单位将收到退回理由。"),
    )
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("supervision:workbench")
