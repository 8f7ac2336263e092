"""Information reports (信息报送、工作简报): the pages.

- ``index`` / ``unit_reports``: a unit's own reports (the states the caller may see), the reports waiting
  for the caller's approval below it, and the approved reports of the units below it (``?level=``);
- ``report_new``: a new report of a unit (its period; the figures and the children's reports come from
  the system);
- ``report_detail``: the report, its figures table (labels, never keys), the children's reports it
  compiles (sources) and the reports that compiled it; edit, submit, approve and return from here;
- ``report_edit``: the texts of a draft, the children's texts alongside to compile from;
- ``report_docx`` / ``report_xlsx``: the report as Word (official layout) and Excel, for whoever sees it
  and may export at its unit (ADR 11: a leader reads, does not export).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from echelon.core import paging
from echelon.core.pages import attempt, attempt_form
from echelon.core.permissions import allowed
from echelon.dashboards import selectors
from echelon.dashboards.forms import InfoReportEditForm, InfoReportNewForm, InfoReportReturnForm
from echelon.dashboards.models import InfoReport, ReportStatus
from echelon.dashboards.services import reports as services
from echelon.orgs.models import Level, Unit

PER_PAGE = 30


def report_for(request: HttpRequest, pk: int) -> InfoReport:
    """A report the caller may read (``services.visible``); 404 otherwise."""
    report = (
        services.visible(request.user)
        .select_related("unit", "campaign", "created_by", "approved_by")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    return report


def _list(request: HttpRequest, unit: Unit) -> HttpResponse:
    user = request.user
    seen = services.visible(user).select_related("unit")
    own = list(seen.filter(path=unit.path).order_by("-number")[:100])
    waiting = [
        r
        for r in services.under(services.waiting_for(user), unit)
        .select_related("unit")
        .order_by("submitted_at")[:50]
        if services.may_decide(user, r)
    ]
    below = services.under(seen.filter(status=ReportStatus.APPROVED), unit).exclude(path=unit.path)
    level = request.GET.get("level", "")
    if level:
        below = below.filter(level=level) if level in {str(v) for v in Level.values} else below.none()
    page = paging.get_page(Paginator(below.order_by("-approved_at", "-id"), PER_PAGE), request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "dashboards/report_list.html",
        {
            "unit": unit,
            "own": own,
            "waiting": waiting,
            "page": page,
            "level": level,
            "levels": [(v, label) for v, label in Level.choices if v > unit.level],
            "query": query.urlencode(),
            "can_draft": allowed(user, "change", unit.path),
        },
    )


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The caller's own top unit."""
    return _list(request, selectors.top_unit(request.user))


@require_GET
def unit_reports(request: HttpRequest, code: str) -> HttpResponse:
    return _list(request, selectors.unit_for(request.user, code))


def _default_period(unit: Unit, batch: Any, today: date) -> tuple[date, date]:
    """From the day after the unit's last report (else the campaign's start) to today, within the
    campaign."""
    campaign = batch.campaign
    last = InfoReport.objects.filter(campaign=campaign, unit=unit).aggregate(end=Max("period_end"))["end"]
    end = min(today, campaign.end)
    start = last + timedelta(days=1) if last else max(campaign.start, end.replace(day=1))
    start = min(max(start, campaign.start), end)
    return start, end


@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest, code: str) -> HttpResponse:
    """A new report of ``code``: the period (and a title); ``?batch=`` picks the batch of the figures."""
    user = request.user
    unit = selectors.unit_for(user, code)
    if not allowed(user, "change", unit.path):
        raise PermissionDenied(_("只有本单位的联络员或领导小组办公室可以起草信息。"))
    today = timezone.localdate()
    batch = selectors.batch_for(user, unit, request.POST.get("batch") or request.GET.get("batch"), today)
    if batch is None:
        raise Http404
    start, end = _default_period(unit, batch, today)
    form = InfoReportNewForm(request.POST or None, initial={"period_start": start, "period_end": end})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = attempt(
            request,
            lambda: services.report_draft(
                actor=user,
                batch=batch,
                unit=unit,
                period_start=data["period_start"],
                period_end=data["period_end"],
                title=data["title"],
            ),
            success=lambda r: _("已起草“%(title)s”，数据已由系统生成。") % {"title": r.title},
            form=form,
        )
        if outcome.ok and outcome.value is not None:
            return redirect("dashboards:info_edit", outcome.value.pk)
    sources = services.child_sources(batch.campaign, unit, start, end)
    return render(
        request,
        "dashboards/report_new.html",
        {
            "unit": unit,
            "batch": batch,
            "batches": selectors.batches_for(user, unit),
            "form": form,
            "sources": list(sources[:50]),
        },
        status=400 if request.method == "POST" else 200,
    )


def _related(request: HttpRequest, report: InfoReport) -> dict[str, Any]:
    seen = services.visible(request.user)
    return {
        "sources": list(seen.filter(used_by=report).select_related("unit").order_by("path", "number")),
        "used_by": list(seen.filter(sources=report).select_related("unit").order_by("path", "number")),
    }


@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk)
    user = request.user
    return render(
        request,
        "dashboards/report_detail.html",
        {
            "report": report,
            "table": services.figure_table(report, services.KEY_MEASURES),
            "full": services.figure_table(report),
            "can_change": services.may_change(user, report),
            "can_decide": services.may_decide(user, report),
            "can_export": allowed(user, "export", report.path),
            "return_form": InfoReportReturnForm(),
            **_related(request, report),
        },
    )


@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk)
    user = request.user
    if not allowed(user, "change", report.path):
        raise PermissionDenied(_("只有本单位的联络员或领导小组办公室可以修改信息。"))
    initial = {f: getattr(report, f) for f in ("title", "narrative", "practice", "next_steps")}
    form = InfoReportEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = attempt(
            request,
            lambda: services.report_update(
                actor=user,
                report=report,
                narrative=data["narrative"],
                practice=data["practice"],
                next_steps=data["next_steps"],
                title=data["title"],
                refresh_figures=data["refresh_figures"],
            ),
            success=_("已保存。"),
            form=form,
        )
        if outcome.ok:
            return redirect("dashboards:info_report", report.pk)
    return render(
        request,
        "dashboards/report_edit.html",
        {
            "report": report,
            "form": form,
            "editable": report.status == ReportStatus.DRAFT,
            **_related(request, report),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk)
    attempt(
        request,
        lambda: services.report_submit(actor=request.user, report=report),
        success=_("已提交审核，等待本单位（或上级）领导小组办公室审核报送。"),
    )
    return redirect("dashboards:info_report", report.pk)


@require_POST
def report_approve(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk)
    attempt(
        request,
        lambda: services.report_approve(actor=request.user, report=report),
        success=_("已审核，信息报送上级。"),
    )
    return redirect("dashboards:info_report", report.pk)


@require_POST
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    report = report_for(request, pk)
    attempt_form(
        request,
        InfoReportReturnForm(request.POST),
        lambda d: services.report_return(actor=request.user, report=report, note=d["note"]),
        success=_("已退回起草人修改。"),
    )
    return redirect("dashboards:info_report", report.pk)


def _exportable(request: HttpRequest, pk: int) -> InfoReport:
    report = report_for(request, pk)
    if not allowed(request.user, "export", report.path):
        raise PermissionDenied(_("您没有导出的权限。"))
    return report


@require_GET
def report_docx(request: HttpRequest, pk: int) -> HttpResponseBase:
    from echelon.dashboards import exports  # python-docx, when used (ADR 12)

    report = _exportable(request, pk)
    return exports.attachment(exports.info_filename(report, "docx"), exports.info_docx(report))


@require_GET
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponseBase:
    from echelon.dashboards import exports  # python-docx with it (ADR 12)

    report = _exportable(request, pk)
    return exports.attachment(exports.info_filename(report, "xlsx"), partial(exports.info_xlsx, report))
