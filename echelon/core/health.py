"""``/healthz`` for load balancers: the database, the cache and the job worker's heartbeat (ADR 19).

No login, no sensitive data: the answer names each check and its state, never a host, a version or an error
text (those go to the log). 200 when the database and the cache answer, 503 when either does not, so a load
balancer takes the app server out. The worker does not decide the status code (an app server serves pages
without it) but is reported, and makes the overall status ``degraded``:

    {"status": "ok" | "degraded" | "fail",
     "checks": {"database": "ok" | "fail", "cache": "ok" | "fail",
                "worker": "ok" | "starting" | "stale" | "unknown"},
     "worker_seen_seconds_ago": 12}

With a read replica configured (ADR 20) ``checks`` also has ``"replica": "ok" | "lagging" | "fail"`` (the lag
guard's last answer); a replica that lags or fails makes the status ``degraded``, never 503: pages then read
from the primary.

The heartbeat: with the database task backend (the default), a check that finds no heartbeat waiting and
none recent enqueues the ``heartbeat`` task; the worker runs it, and its finished row is the heartbeat. So a
worker that is alive but not taking jobs shows ``stale`` too. At most one heartbeat waits at a time and only
the latest finished one is kept, so a load balancer asking every second adds no rows. With another backend
(e.g. ``rq``) the worker is ``unknown``.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_tasks import task

from echelon.core import replica

log = logging.getLogger(__name__)

HEARTBEAT_PATH = "echelon.core.health.heartbeat"
DB_BACKEND = "django_tasks_db.DatabaseBackend"


@task()
def heartbeat() -> str:
    """Run by the worker: its finished row is the proof of life."""
    return "ok"


def _interval() -> float:
    return float(getattr(settings, "ECHELON_HEARTBEAT_SECONDS", 30))


def _stale_after() -> float:
    return float(getattr(settings, "ECHELON_HEARTBEAT_STALE_SECONDS", 300))


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return bool(cursor.fetchone() == (1,))
    except Exception:
        log.exception("health: the database did not answer")
        return False


def check_cache() -> bool:
    key = f"echelon:healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", 10)
        ok = bool(cache.get(key) == "1")
        cache.delete(key)
        return ok
    except Exception:
        log.exception("health: the cache did not answer")
        return False


def check_worker(now: datetime.datetime | None = None) -> tuple[str, int | None]:
    """(state, seconds since the worker last ran a heartbeat); enqueues the next heartbeat when due."""
    if settings.TASKS["default"]["BACKEND"] != DB_BACKEND:
        return "unknown", None
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    rows = DBTaskResult.objects.filter(task_path=HEARTBEAT_PATH)
    latest = (
        rows.filter(status=TaskResultStatus.SUCCESSFUL, finished_at__isnull=False)
        .order_by("-finished_at")
        .values_list("pk", "finished_at")
        .first()
    )
    last = latest[1] if latest else None
    waiting = rows.filter(status=TaskResultStatus.READY).order_by("enqueued_at")
    oldest_waiting = waiting.values_list("enqueued_at", flat=True).first()
    age = (now - last).total_seconds() if last else None
    if oldest_waiting is None and (age is None or age >= _interval()):
        heartbeat.enqueue()
        if latest is not None:  # keep only the latest finished heartbeat
            rows.filter(status=TaskResultStatus.SUCCESSFUL).exclude(pk=latest[0]).delete()
        rows.filter(status=TaskResultStatus.FAILED).delete()
    if age is not None and age < _stale_after():
        return "ok", int(age)
    waited = (now - oldest_waiting).total_seconds() if oldest_waiting else 0.0
    if age is None and waited < _stale_after():
        return "starting", None
    return "stale", None if age is None else int(age)


def health() -> tuple[int, dict[str, Any]]:
    database = check_database()
    cache_ok = check_cache()
    worker, seen = "unknown", None
    if database:
        try:
            worker, seen = check_worker()
        except Exception:
            log.exception("health: the worker's heartbeat could not be read")
    checks = {
        "database": "ok" if database else "fail",
        "cache": "ok" if cache_ok else "fail",
        "worker": worker,
    }
    replica_state = replica.health_state() if database else None
    if replica_state is not None:
        checks["replica"] = replica_state
    if not (database and cache_ok):
        status = "fail"
    elif worker != "ok" or replica_state not in (None, "ok"):
        status = "degraded"
    else:
        status = "ok"
    body: dict[str, Any] = {"status": status, "checks": checks}
    if seen is not None:
        body["worker_seen_seconds_ago"] = seen
    return (503 if status == "fail" else 200), body


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    code, body = health()
    response = JsonResponse(body, status=code)
    response["Cache-Control"] = "no-store"
    return response
