"""Patrol visits (巡查), recorded from the group's page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from echelon.core.pages import attempt, flash_form_errors
from echelon.core.querysets import scoped_object
from echelon.orgs.models import Unit
from echelon.supervision import selectors, services
from echelon.supervision.forms import PatrolForm


@require_POST
def group_patrol(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_for(request.user, pk)
    form = PatrolForm(request.POST, user=request.user)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("supervision:group", pk=group.pk)
    data = form.cleaned_data

    def record() -> Any:
        unit = scoped_object(
            request.user,
            Unit.objects,
            code=data["code"],
            otherwise=ValidationError(_("找不到该组织，或它不在您的查看范围内。")),
        )
        return services.patrol_record(
            actor=request.user, group=group, unit=unit, date=data["date"], findings=data["findings"]
        )

    attempt(request, record, success=_("巡查记录已保存。"))
    return redirect("supervision:group", pk=group.pk)
