"""The supervision report of a group over a period: the page and the Word document (the API serves the
same document through ``report_response``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from echelon.core.replica import replica_eligible
from echelon.supervision import selectors
from echelon.supervision.forms import PeriodForm
from echelon.supervision.models import SupervisionGroup


def report_period(params: Any) -> tuple[Any, Any] | None:
    """The period from ``start`` and ``end`` (default: this month up to today); None when invalid."""
    today = timezone.localdate()
    form = PeriodForm(
        {"start": params.get("start") or today.replace(day=1).isoformat(), "end": params.get("end") or today}
    )
    if not form.is_valid():
        return None
    return form.cleaned_data["start"], form.cleaned_data["end"]


@replica_eligible
@require_GET
def group_report(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_for(request.user, pk)
    period = report_period(request.GET)
    form = PeriodForm(request.GET or None)
    data = selectors.report_data(group, *period) if period else None
    from echelon.supervision.reports import report_title  # python-docx loads with a report (ADR 12)

    return render(
        request,
        "supervision/group_report.html",
        {
            "group": group,
            "campaign": group.campaign,
            "form": form,
            "period": period,
            "data": data,
            "title": report_title(data) if data else "",
            "tab": "groups",
        },
        status=200 if period else 400,
    )


@replica_eligible
@require_GET
def group_report_docx(request: HttpRequest, pk: int) -> HttpResponse:
    group = selectors.group_for(request.user, pk)
    period = report_period(request.GET)
    if period is None:
        return HttpResponse(_("报告期无效。"), status=400, content_type="text/plain; charset=utf-8")
    return report_response(group, *period)


def report_response(group: SupervisionGroup, start: Any, end: Any) -> HttpResponse:
    from echelon.supervision.reports import build_report, report_filename  # python-docx, when used

    data = selectors.report_data(group, start, end)
    response = HttpResponse(
        build_report(data),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = content_disposition_header(True, report_filename(data)) or ""
    return response
