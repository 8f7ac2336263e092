from __future__ import annotations

import tempfile

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tables2 import LazyPaginator

from echelon.core.filters import AuditFilter
from echelon.core.models import AuditEvent, Job
from echelon.core.querysets import scope_paths
from echelon.core.tabular import write_xlsx

AUDIT_HEADER = [
    "时间",
    "操作人",
    "操作",
    "对象类型",
    "对象编号",
    "对象",
    "修改前",
    "修改后",
    "请求编号",
    "客户端地址",
    "渠道",
]


def home(request: HttpRequest) -> HttpResponse:
    return redirect("orgs:browse")


def job_list(request: HttpRequest) -> HttpResponse:
    jobs = Job.objects.visible_to(request.user)[:50]
    return render(request, "core/job_list.html", {"jobs": jobs})


def job_detail(request: HttpRequest, pk: str) -> HttpResponse:
    job = get_object_or_404(Job.objects.visible_to(request.user), pk=pk)
    template = "core/_job_progress.html" if request.htmx else "core/job_detail.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job})


def job_download(request: HttpRequest, pk: str) -> FileResponse:
    job = get_object_or_404(Job.objects.visible_to(request.user), pk=pk)
    if not job.result_file:
        raise Http404
    path = (settings.MEDIA_ROOT / job.result_file).resolve()
    if not path.is_file() or settings.MEDIA_ROOT.resolve() not in path.parents:
        raise Http404
    return FileResponse(open(path, "rb"), as_attachment=True, filename=path.name)


def _audit_events(request: HttpRequest) -> AuditFilter:
    if scope_paths(request.user, "audit") == []:
        raise PermissionDenied(_("您没有查看审计记录的权限。"))
    return AuditFilter(request.GET, queryset=AuditEvent.objects.visible_to(request.user, "audit"))


def audit_list(request: HttpRequest) -> HttpResponse:
    filterset = _audit_events(request)
    page = LazyPaginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "core/audit_list.html", {"filter": filterset, "page": page, "query": query.urlencode()}
    )


def audit_export(request: HttpRequest) -> FileResponse:
    filterset = _audit_events(request)
    rows = (
        (
            timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_name,
            e.verb,
            e.object_type,
            e.object_id,
            e.object_repr,
            str(e.before or ""),
            str(e.after or ""),
            e.request_id,
            e.client_ip or "",
            e.channel,
        )
        for e in filterset.qs.iterator(chunk_size=2000)
    )
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    write_xlsx(tmp, AUDIT_HEADER, rows, title="审计记录")
    tmp.seek(0)
    name = f"audit-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(tmp, as_attachment=True, filename=name)
