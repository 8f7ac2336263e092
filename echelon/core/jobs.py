"""Tracked background jobs.

`submit` stores a Job row and enqueues `run_job` on Django's task backend (the database backend by default,
so one machine needs no extra service). A job handler is a plain function registered under a kind; it
calls services and reports progress through the `Progress` it is given. Handlers hold no business logic.
"""

from __future__ import annotations

import logging
import posixpath
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from echelon.core import context
from echelon.core.actors import Actor
from echelon.core.models import Job

log = logging.getLogger(__name__)

Handler = Callable[["Job", "Progress"], dict[str, Any]]
_HANDLERS: dict[str, Handler] = {}


class JobError(Exception):
    """A failure to show to the user as the job's message (in Chinese), not as a traceback."""


def register(kind: str) -> Callable[[Handler], Handler]:
    def decorator(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return decorator


class Progress:
    """Writes progress to the job row at most every `interval` seconds (outside any transaction)."""

    def __init__(self, job: Job, interval: float = 0.5) -> None:
        self.job = job
        self.interval = interval
        self._last = 0.0

    def __call__(
        self, done: int, total: int | None = None, message: str | None = None, force: bool = False
    ) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        fields: dict[str, Any] = {"done": done}
        if total is not None:
            fields["total"] = total
        if message is not None:
            fields["message"] = message[:500]
        Job.objects.filter(pk=self.job.pk).update(**fields)


def submit(*, kind: str, title: str, actor: Actor, params: dict[str, Any], unit_path: str = "") -> Job:
    if kind not in _HANDLERS:
        raise KeyError(kind)
    if not isinstance(actor, get_user_model()):
        # A job belongs to the person who submitted it (their list, their download).
        raise PermissionDenied(_("您没有执行该操作的权限。"))
    job = Job.objects.create(kind=kind, title=title, created_by=actor, params=params, unit_path=unit_path)
    transaction.on_commit(lambda: run_job.enqueue(str(job.pk)))
    return job


def execute(job: Job) -> Job:
    """Run one job now, in this process. Claims it with a conditional update so it runs once."""
    claimed = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        job.refresh_from_db()
        return job
    job.refresh_from_db()
    handler = _HANDLERS[job.kind]
    progress = Progress(job)
    with context.bind(context.new_context("job")):
        try:
            result = handler(job, progress)
        except JobError as exc:
            _finish(job, Job.Status.FAILED, message=str(exc), result=getattr(exc, "result", None))
        except Exception:  # a bug: keep the trace in the log, tell the user plainly
            log.error("job %s failed:\n%s", job.pk, traceback.format_exc())
            _finish(job, Job.Status.FAILED, message=_("任务因内部错误失败，请联系管理员。"))
        else:
            _finish(job, Job.Status.SUCCEEDED, message=result.pop("message", ""), result=result)
    job.refresh_from_db()
    return job


def scratch_dir(job: Job) -> Path:
    """A local folder for the files a handler writes (an export, an error report). A handler returns such a
    file's absolute path as ``result["file"]``; when the job finishes the file is saved through Django's
    storage API (``default_storage``: the file system, or an S3-compatible store that every app server and
    worker shares) under ``exports/<job id>/`` and the folder is removed."""
    return Path(tempfile.mkdtemp(prefix=f"echelon-job-{job.pk}-"))


def store_result_file(job: Job, file: str) -> str:
    """The storage name of a job's result: a local file (absolute path) is saved into the storage; a name
    already in the storage is kept."""
    path = Path(file)
    if not path.is_absolute():
        return file
    try:
        with open(path, "rb") as fh:
            return default_storage.save(
                posixpath.join("exports", str(job.pk), path.name), File(fh, name=path.name)
            )
    finally:
        if path.parent.name.startswith(f"echelon-job-{job.pk}-"):
            shutil.rmtree(path.parent, ignore_errors=True)


def _finish(job: Job, status: str, *, message: str, result: dict[str, Any] | None = None) -> None:
    fields: dict[str, Any] = {"status": status, "message": message[:500], "finished_at": timezone.now()}
    if result is not None:
        file = result.pop("file", "") or ""
        fields["result_file"] = store_result_file(job, file) if file else ""
        fields["result"] = result
    Job.objects.filter(pk=job.pk).update(**fields)
    if status == Job.Status.SUCCEEDED:
        Job.objects.filter(pk=job.pk, total=0).update(total=1)
        Job.objects.filter(pk=job.pk).update(done=F("total"))


@task()
def run_job(job_id: str) -> None:
    job = Job.objects.get(pk=job_id)
    execute(job)
