"""Job handlers of the registry: imports (validate, then apply) and big exports.

Handlers only unpack the job, re-check that its creator may still act on the unit, and call
``imports`` / ``exports``; the rules live there.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.translation import gettext as _

from echelon.core.jobs import JobError, Progress, register, scratch_dir
from echelon.core.models import Job
from echelon.core.querysets import scoped_object
from echelon.orgs.models import Unit

IMPORT = "orgs.import"
EXPORT = "orgs.export"


def _unit(job: Job, action: str) -> Unit:
    return scoped_object(
        job.created_by,
        Unit.objects,
        action,
        code=job.params.get("root", ""),
        otherwise=JobError(_("您已没有该组织的权限，任务未执行。")),
    )


def _failed(message: str, result: dict[str, Any]) -> JobError:
    exc = JobError(message)
    exc.result = result  # type: ignore[attr-defined]
    return exc


def _sha256(stored: str) -> str:
    h = hashlib.sha256()
    with default_storage.open(stored, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@register(IMPORT)
def run_import(job: Job, progress: Progress) -> dict[str, Any]:
    """params: kind (units|members), mode (validate|apply), root (unit code), file (its storage name),
    name (as uploaded), sha256 (of the upload: the file applied is the file previewed)."""
    # Imported here, not at start-up: the importers load the spreadsheet stack (the app registers this).
    from echelon.core import tabular
    from echelon.orgs import imports

    params = job.params
    unit = _unit(job, "import")
    stored = params["file"]  # a name in the storage (the upload page saved it through default_storage)
    next_url = reverse("orgs:io_import_job", args=[unit.code, job.pk])
    if not default_storage.exists(stored) or _sha256(stored) != params["sha256"]:
        raise JobError(_("上传的文件已不存在或已被改动，请重新上传。"))
    with default_storage.open(stored, "rb") as fh:
        try:
            report = imports.import_file(
                kind=params["kind"],
                fileobj=fh,
                name=params["name"],
                actor=job.created_by,
                scope=[unit.path],
                dry_run=params["mode"] != "apply",
                progress=progress,
                audit_unit=unit,
                sha256=params["sha256"],
            )
        except tabular.UploadError as exc:
            raise _failed(str(exc), {"next_url": next_url}) from exc
        result = report.as_result()
        result["next_url"] = next_url
        if not report.ok:
            out = scratch_dir(job) / f"错误报告-{Path(params['name']).stem}.xlsx"
            progress(report.rows, report.rows, _("正在生成错误报告…"), force=True)
            imports.write_error_sheet(fh, report.fmt, report, out)
            result["file"] = str(out)  # saved into the storage when the job finishes (core.jobs)
            raise _failed(report.summary(), result)
    result["message"] = report.summary()
    return result


@register(EXPORT)
def run_export(job: Job, progress: Progress) -> dict[str, Any]:
    """params: kind, root, scope, query (the list's filter parameters), template (bool). XLSX only: CSV
    exports stream straight to the browser."""
    from echelon.orgs import exports  # here, not at start-up (the app registers this module when ready)

    params = job.params
    unit = _unit(job, "export")
    kind = params["kind"]
    query = params.get("query") or {}
    scope = params.get("scope") or ("subtree" if kind == "units" else "home")
    if kind == "units":
        qs: Any = exports.unit_queryset(job.created_by, unit, params=query, scope=scope)
    else:
        qs = exports.member_queryset(job.created_by, unit, params=query, scope=scope)
    total = exports.estimate(kind, unit, scope)
    name = exports.filename(kind, unit, "xlsx", template=bool(params.get("template")))
    out = scratch_dir(job) / name  # saved into the storage when the job finishes (core.jobs)

    def counted() -> Any:
        for n, row in enumerate(exports.rows_for(kind, qs), start=1):
            if n % 5000 == 0:
                progress(n, total, _("已写入 %(n)s 行…") % {"n": f"{n:,}"})
            yield row

    try:
        n = exports.write_xlsx(kind, counted(), out)
    except exports.ExportTooLarge as exc:
        out.unlink(missing_ok=True)
        raise JobError(_("超过 Excel 单个工作表的行数上限，请导出为 CSV 或缩小范围。")) from exc
    return {
        "message": _("已导出 %(n)s 行。") % {"n": f"{n:,}"},
        "rows": n,
        "file": str(out),
    }
