from __future__ import annotations

import posixpath
import tempfile
from collections.abc import Iterator

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import LazyPaginator

from echelon.core import narration, navigation, notifications, paging, todo
from echelon.core.filters import AuditFilter
from echelon.core.models import AuditEvent, Job
from echelon.core.querysets import scope_paths
from echelon.core.tabular import write_xlsx
from echelon.core.text import CJK_RE

AUDIT_HEADER = [
    "时间",
    "操作人",
    "组织",
    "操作",
    "对象编号",
    "对象",
    "修改前",
    "修改后",
    "请求编号",
    "客户端地址",
    "渠道",
    "操作代码",
]


def home(request: HttpRequest) -> HttpResponse:
    """我的待办: what waits for the user, from every app's provider (``core.todo``); with nothing waiting,
    the areas of the main menu they may open."""
    return render(
        request,
        "core/todo.html",
        {"sections": todo.sections(request.user), "areas": navigation.shown("main", request.user)},
    )


def job_list(request: HttpRequest) -> HttpResponse:
    jobs = Job.objects.visible_to(request.user)[:50]
    return render(request, "core/job_list.html", {"jobs": jobs})


def job_detail(request: HttpRequest, pk: str) -> HttpResponse:
    job = get_object_or_404(Job.objects.visible_to(request.user), pk=pk)
    template = "core/_job_progress.html" if request.htmx else "core/job_detail.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job})


def job_download(request: HttpRequest, pk: str) -> FileResponse:
    job = get_object_or_404(Job.objects.visible_to(request.user), pk=pk)
    # Through the storage API (ADR 19): the worker that wrote it may be on another machine.
    if (
        not job.result_file
        or ".." in job.result_file.split("/")
        or not default_storage.exists(job.result_file)
    ):
        raise Http404
    name = posixpath.basename(job.result_file)
    return FileResponse(default_storage.open(job.result_file, "rb"), as_attachment=True, filename=name)


def _audit_events(request: HttpRequest) -> AuditFilter:
    if scope_paths(request.user, "audit") == []:
        raise PermissionDenied(_("您没有查看审计记录的权限。"))
    return AuditFilter(request.GET, queryset=AuditEvent.objects.visible_to(request.user, "audit"))


def audit_list(request: HttpRequest) -> HttpResponse:
    filterset = _audit_events(request)
    page = paging.get_page(LazyPaginator(filterset.qs, 50), request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "core/audit_list.html", {"filter": filterset, "page": page, "query": query.urlencode()}
    )


def _told_text(pairs: list[tuple[str, str]]) -> str:
    return "；".join(f"{label}：{text}" if label else text for label, text in pairs)


def _audit_rows(events: QuerySet[AuditEvent]) -> Iterator[tuple[object, ...]]:
    """The rows as the page words them (``core.narration``): the unit, a sentence, readable values; the
    verb kept last for whoever needs the code."""
    chunk: list[AuditEvent] = []
    for event in events.iterator(chunk_size=2000):
        chunk.append(event)
        if len(chunk) == 2000:
            yield from _audit_chunk(chunk)
            chunk = []
    yield from _audit_chunk(chunk)


def _audit_chunk(events: list[AuditEvent]) -> Iterator[tuple[object, ...]]:
    for t in narration.told(events):
        e = t.event
        yield (
            timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            t.who,
            t.unit,
            t.sentence,
            e.object_id,
            e.object_repr,
            _told_text(t.before),
            _told_text(t.after),
            e.request_id,
            e.client_ip or "",
            e.channel,
            e.verb,
        )


def audit_export(request: HttpRequest) -> FileResponse:
    filterset = _audit_events(request)
    rows = _audit_rows(filterset.qs)
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    write_xlsx(tmp, AUDIT_HEADER, rows, title="审计记录")
    tmp.seek(0)
    name = f"audit-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(tmp, as_attachment=True, filename=name)


@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = paging.get_page(Paginator(notifications.notifications_for(request.user), 100), request)
    found = notifications.links(page.object_list)
    for note in page.object_list:
        note.url = found.get(note.pk, "")
    return render(
        request, "core/notifications.html", {"page": page, "unread": notifications.unread_count(request.user)}
    )


@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notice (``id``) or all of them read; one notice opens its target, when it has one."""
    raw = request.POST.get("id", "")
    ids = [int(raw)] if raw.isdigit() else None
    notifications.mark_read(actor=request.user, ids=ids)
    note = notifications.notifications_for(request.user).filter(pk=ids[0]).first() if ids else None
    target = notifications.link(note) if note is not None else ""
    return redirect(target or "notifications:list")


# --- Error pages (settings.CSRF_FAILURE_VIEW and the handlers in echelon/urls.py) -------------------------
# In Chinese, styled like the product; under /api/ a JSON {"detail": ...} like the API's own errors. None
# of them shows an exception's own text unless it is one of ours (Chinese): Django's messages name models
# ("No Review matches the given query.").


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _json_error(message: str, status: int) -> HttpResponse:
    return JsonResponse({"detail": message}, status=status, json_dumps_params={"ensure_ascii": False})


def _ours(exception: Exception | None) -> str:
    message = str(exception or "")
    return message if CJK_RE.search(message) else ""


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error(_("请求有误。"), 400)
    # Like Django's own: no request context (the request may be what is wrong).
    return HttpResponseBadRequest(loader.get_template("400.html").render())


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _ours(exception)
    if _is_api(request):
        return _json_error(message or _("您没有执行该操作的权限。"), 403)
    return render(request, "403.html", {"message": message}, status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _json_error(_("未找到。"), 404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Renders without a request context or the database: whatever failed may fail again."""
    request_id = getattr(request, "request_id", "")
    if _is_api(request):
        return JsonResponse(
            {"detail": _("系统出错，请稍后重试。"), "request_id": request_id},
            status=500,
            json_dumps_params={"ensure_ascii": False},
        )
    return HttpResponseServerError(loader.get_template("500.html").render({"request_id": request_id}))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW: a form posted without a valid CSRF token (an old page, no cookies)."""
    if _is_api(request):
        return _json_error(_("CSRF 校验失败，请刷新页面后重试。"), 403)
    return render(request, "403_csrf.html", status=403)


def too_many_requests(
    request: HttpRequest, *, retry_after: int | None = None, message: str = ""
) -> HttpResponse:
    """The answer of a rate limit: 429 with Retry-After, the page or (under /api/) JSON."""
    if _is_api(request):
        response = _json_error(message or _("请求过于频繁，请稍后再试。"), 429)
    else:
        context = {"message": message, "retry_after": retry_after}
        response = render(request, "429.html", context, status=429)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
