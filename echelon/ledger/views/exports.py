"""The ledgers people print: the unit ledger and the rolled-up ledger (Excel, Word), and the filtered problem
list (Excel; a big one through a background job). For users with the ``export`` action: a user who may
export nowhere (a liaison leader) gets 403, a unit outside the user's export scope 404."""

from __future__ import annotations

from tempfile import TemporaryFile
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from echelon.core import jobs
from echelon.core.permissions import require_somewhere
from echelon.core.querysets import scoped_object
from echelon.core.replica import replica_eligible
from echelon.ledger import exports
from echelon.ledger.models import ProblemStatus
from echelon.ledger.services.common import campaign_of
from echelon.orgs.models import Level, Unit
from echelon.orgs.selectors import top_units


def _export_unit(request: HttpRequest, code: str) -> Unit:
    require_somewhere(request.user, "export", _("您没有导出台账的权限。"))
    return scoped_object(request.user, Unit.objects, "export", code=code)


def _xlsx(write: Any, name: str) -> FileResponse:
    """Written to a temporary file (the workbook is streamed there, not held in memory), then sent."""
    tmp = TemporaryFile()  # noqa: SIM115  (FileResponse closes it, and the file vanishes)
    write(tmp)
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=name, content_type=exports.XLSX)


def _docx(content: bytes, name: str) -> FileResponse:
    from io import BytesIO

    return FileResponse(BytesIO(content), as_attachment=True, filename=name, content_type=exports.DOCX)


@require_GET
def exports_page(request: HttpRequest) -> HttpResponse:
    """The ledgers to download for a unit (``?unit=<code>``, default the user's first), and the problem
    list's filters for the Excel export."""
    require_somewhere(request.user, "export", _("您没有导出台账的权限。"))
    code = (request.GET.get("unit") or "").strip()
    if code:
        unit: Unit | None = scoped_object(request.user, Unit.objects, "export", code=code)
    else:
        unit = Unit.objects.visible_to(request.user, "export").filter(is_active=True).order_by("path").first()
    campaign = campaign_of(unit) if unit is not None else None
    ledger = campaign.spec.ledger if campaign is not None else None
    return render(
        request,
        "ledger/exports.html",
        {
            "unit": unit,
            "categories": ledger.categories if ledger else (),
            "sources": ledger.sources if ledger else (),
            "items": ledger.items if ledger else (),
            "statuses": ProblemStatus.choices,
            "levels": Level.choices,
            "sync_cap": exports.SYNC_PROBLEMS,
            "docx_cap": exports.DOCX_MAX_ROWS,
        },
    )


@replica_eligible
@require_GET
def export_unit(request: HttpRequest, code: str, fmt: str) -> HttpResponseBase:
    """The unit's ledger (单位问题整改台账), Excel or Word."""
    if fmt not in exports.FORMATS:
        raise Http404
    unit = _export_unit(request, code)
    title = exports.unit_title(unit)
    rows = exports.ledger_rows(exports.unit_problems(request.user, unit))
    if fmt == "xlsx":
        return _xlsx(
            lambda out: exports.write_ledger_xlsx(rows, out, title=title), exports.filename(title, fmt)
        )
    try:
        content = exports.build_ledger_docx(title, rows)
    except exports.TooLarge as exc:
        messages.error(request, str(exc))
        return redirect("ledger:exports")
    return _docx(content, exports.filename(title, fmt))


@replica_eligible
@require_GET
def export_rollup(request: HttpRequest, code: str, fmt: str) -> HttpResponseBase:
    """The rolled-up ledger of a level (汇总台账): per child unit, Excel or Word."""
    if fmt not in exports.FORMATS:
        raise Http404
    unit = _export_unit(request, code)
    data = exports.rollup(request.user, unit)
    title = exports.rollup_title(unit)
    if fmt == "xlsx":
        return _xlsx(lambda out: exports.write_rollup_xlsx(data, out), exports.filename(title, fmt))
    return _docx(exports.build_rollup_docx(data), exports.filename(title, fmt))


@replica_eligible
@require_http_methods(["GET", "POST"])
def export_problems(request: HttpRequest) -> HttpResponseBase:
    """The problem list with the list page's filters (from the query string) as Excel. Up to
    ``SYNC_PROBLEMS`` problems the file comes at once; more: a confirmation, then a background job."""
    require_somewhere(request.user, "export", _("您没有导出台账的权限。"))
    data = request.POST if request.method == "POST" else request.GET
    query = exports.query_of(data)
    under = (
        scoped_object(request.user, Unit.objects, "export", code=query["under"]) if "under" in query else None
    )
    qs = exports.filtered_problems(request.user, query, unit=under or top_units(request.user).first())
    title = _("问题清单")
    count = qs.count()
    if count <= exports.SYNC_PROBLEMS:
        rows = exports.ledger_rows(qs)
        return _xlsx(
            lambda out: exports.write_ledger_xlsx(rows, out, title=title), exports.filename(title, "xlsx")
        )
    if request.method != "POST":
        return render(
            request,
            "ledger/exports_confirm.html",
            {"count": count, "cap": exports.SYNC_PROBLEMS, "params": sorted(query.items()), "under": under},
        )
    job = jobs.submit(
        kind=exports.EXPORT_JOB,
        title=_("导出问题清单（%(n)s 个问题）") % {"n": f"{count:,}"},
        actor=request.user,
        params={"query": query, "under": under.code if under else "", "estimate": count},
        unit_path=under.path if under else "",
    )
    return redirect("jobs:detail", job.pk)
