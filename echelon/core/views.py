from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.conf import settings

from echelon.core.models import Job


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
