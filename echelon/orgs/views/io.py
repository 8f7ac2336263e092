"""Import and export pages of a unit: templates, exports (CSV streamed, XLSX as a file or a job), uploads,
the validation preview and the confirmation. Only for users with the `import` / `export` action at the unit;
anyone else gets 404, as for every object outside their scope."""

from __future__ import annotations

import uuid
from pathlib import Path
from tempfile import TemporaryFile
from typing import Any

from django import forms
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from echelon.core import jobs, tabular
from echelon.core.models import Job
from echelon.core.permissions import allowed
from echelon.orgs import exports, imports, selectors
from echelon.orgs.filters import MemberFilter, UnitFilter
from echelon.orgs.jobs import EXPORT, IMPORT
from echelon.orgs.models import Unit

# Uploads up to this size are validated (and, once confirmed, applied) within the request, through the same
# job code path; bigger ones run on the worker while the page shows the progress.
SYNC_BYTES = 256 * 1024
# XLSX exports estimated above this many rows (from the rollups) become a job with a result file.
SYNC_XLSX_ROWS = 20_000
KIND_LABELS = {"units": gettext_lazy("组织"), "members": gettext_lazy("党员")}
SCOPES = {"units": ("subtree", "children"), "members": ("home", "participating")}


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("导入内容"), choices=list(KIND_LABELS.items()), initial="members"
    )
    file = forms.FileField(label=gettext_lazy("文件（.xlsx 或 .csv）"))


def _unit_for_io(request: HttpRequest, code: str, action: str | None = None) -> tuple[Unit, bool, bool]:
    """The unit if the user may import or export there (or do `action`); 404 otherwise."""
    unit = selectors.unit_for(request.user, code)
    can_import = allowed(request.user, "import", unit.path)
    can_export = allowed(request.user, "export", unit.path)
    if (
        (action is None and not (can_import or can_export))
        or (action == "import" and not can_import)
        or (action == "export" and not can_export)
    ):
        raise Http404
    return unit, can_import, can_export


def _page(
    request: HttpRequest, unit: Unit, can_import: bool, can_export: bool, form: UploadForm, status: int = 200
):
    recent = Job.objects.visible_to(request.user).filter(kind=IMPORT, unit_path=unit.path)[:10]
    return render(
        request,
        "orgs/io_unit.html",
        {
            "unit": unit,
            "breadcrumb": selectors.breadcrumb(request.user, unit),
            "can_import": can_import,
            "can_export": can_export,
            "form": form,
            "recent": recent,
            "max_upload": tabular.human_size(_max_upload()),
            "tab": "io",
        },
        status=status,
    )


def _max_upload() -> int:
    from django.conf import settings

    return int(settings.ECHELON_MAX_UPLOAD_BYTES)


def unit_io(request: HttpRequest, code: str) -> HttpResponse:
    unit, can_import, can_export = _unit_for_io(request, code)
    return _page(request, unit, can_import, can_export, UploadForm())


@require_http_methods(["GET", "POST"])
def unit_export(request: HttpRequest, code: str, kind: str, fmt: str) -> HttpResponseBase:
    """?scope=…&<the list's filters>: what the list shows. ?template=1 names the file as a template and
    ?empty=1 leaves the rows out. CSV streams; XLSX is written to a temporary file, or, when big, by a job."""
    if kind not in exports.KINDS or fmt not in exports.FORMATS:
        raise Http404
    unit, _i, _e = _unit_for_io(request, code, "export")
    data = request.POST if request.method == "POST" else request.GET
    scope = data.get("scope") or SCOPES[kind][0]
    if scope not in SCOPES[kind]:
        raise Http404
    filterset_class = UnitFilter if kind == "units" else MemberFilter
    query = {k: v for k, v in data.items() if k in filterset_class.base_filters and v}
    template = data.get("template") == "1"
    empty = data.get("empty") == "1"
    if kind == "units":
        qs: Any = exports.unit_queryset(request.user, unit, params=query, scope=scope)
    else:
        qs = exports.member_queryset(request.user, unit, params=query, scope=scope)
    rows = iter(()) if empty else exports.rows_for(kind, qs)
    filename = exports.filename(kind, unit, fmt, template=template or empty)
    if fmt == "csv":
        if not empty:
            exports.record_export(
                actor=request.user, kind=kind, unit=unit, fmt=fmt, scope=scope, params=query
            )
        response = StreamingHttpResponse(exports.iter_csv(kind, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, filename) or ""
        return response
    if not empty and exports.estimate(kind, unit, scope) > SYNC_XLSX_ROWS:
        if request.method != "POST":
            return render(
                request,
                "orgs/io_export_confirm.html",
                {
                    "unit": unit,
                    "kind": kind,
                    "kind_label": KIND_LABELS[kind],
                    "params": data.items(),
                    "estimate": exports.estimate(kind, unit, scope),
                    "csv_query": request.GET.urlencode(),
                },
            )
        exports.record_export(actor=request.user, kind=kind, unit=unit, fmt=fmt, scope=scope, params=query)
        job = jobs.submit(
            kind=EXPORT,
            title=_("导出%(what)s：%(unit)s") % {"what": KIND_LABELS[kind], "unit": unit.name},
            actor=request.user,
            params={"kind": kind, "root": unit.code, "scope": scope, "query": query, "template": template},
            unit_path=unit.path,
        )
        return redirect("jobs:detail", job.pk)
    if not empty:
        exports.record_export(actor=request.user, kind=kind, unit=unit, fmt=fmt, scope=scope, params=query)
    tmp = TemporaryFile()  # noqa: SIM115  (FileResponse closes it, and the file vanishes)
    try:
        exports.write_xlsx(kind, rows, tmp)
    except exports.ExportTooLarge as exc:  # pragma: no cover - the estimate sends these to a job
        tmp.close()
        raise Http404 from exc
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=filename)


@require_POST
def unit_import(request: HttpRequest, code: str) -> HttpResponse:
    """Upload: the file is checked by content and size at once, stored, and validated by a job."""
    unit, can_import, can_export = _unit_for_io(request, code, "import")
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, unit, can_import, can_export, form, status=400)
    upload = form.cleaned_data["file"]
    kind = form.cleaned_data["kind"]
    try:
        tabular.sniff(upload, upload.name)
    except tabular.UploadError as exc:  # the file as a whole is refused (type, size): an error on its field
        form.add_error("file", str(exc))
        return _page(request, unit, can_import, can_export, form, status=400)
    sha256 = imports.file_sha256(upload)
    name = get_valid_filename(Path(upload.name).name) or "upload"
    stored = default_storage.save(f"imports/{uuid.uuid4().hex}/{name}", upload)
    job = jobs.submit(
        kind=IMPORT,
        title=_("校验%(what)s导入：%(file)s") % {"what": KIND_LABELS[kind], "file": upload.name},
        actor=request.user,
        params={
            "kind": kind,
            "mode": "validate",
            "root": unit.code,
            "file": stored,
            "name": upload.name,
            "sha256": sha256,
            "size": upload.size,
        },
        unit_path=unit.path,
    )
    if upload.size <= SYNC_BYTES:
        jobs.execute(job)
    return redirect("orgs:io_import_job", unit.code, job.pk)


def _import_job(request: HttpRequest, unit: Unit, pk: uuid.UUID) -> Job:
    job = get_object_or_404(Job.objects.visible_to(request.user), pk=pk, kind=IMPORT)
    if job.params.get("root") != unit.code:
        raise Http404
    return job


@require_http_methods(["GET", "POST"])
def import_job(request: HttpRequest, code: str, pk: uuid.UUID) -> HttpResponse:
    """A validation (preview, then confirm) or an application, followed to its end; survives a reload."""
    unit, _i, _e = _unit_for_io(request, code, "import")
    job = _import_job(request, unit, pk)
    validated = job.params.get("mode") == "validate" and job.status == Job.Status.SUCCEEDED
    applied_by = (
        Job.objects.visible_to(request.user).filter(kind=IMPORT, params__validation_job=str(job.pk)).first()
        if validated
        else None
    )
    if request.method == "POST":
        if not validated:
            return redirect("orgs:io_import_job", unit.code, job.pk)
        if applied_by is None:
            applied_by = jobs.submit(
                kind=IMPORT,
                title=_("导入%(what)s：%(file)s")
                % {"what": KIND_LABELS[job.params["kind"]], "file": job.params["name"]},
                actor=request.user,
                params={**job.params, "mode": "apply", "validation_job": str(job.pk)},
                unit_path=unit.path,
            )
            if int(job.params.get("size") or 0) <= SYNC_BYTES:
                jobs.execute(applied_by)
        return redirect("orgs:io_import_job", unit.code, applied_by.pk)
    context = {
        "unit": unit,
        "breadcrumb": selectors.breadcrumb(request.user, unit),
        "job": job,
        "result": job.result or {},
        "mode": job.params.get("mode"),
        "kind_label": KIND_LABELS.get(job.params.get("kind", ""), ""),
        "applied_by": applied_by,
        "validated": validated,
        "tab": "io",
    }
    template = "orgs/io_import_status.html" if getattr(request, "htmx", False) else "orgs/io_import.html"
    return render(request, template, context)
