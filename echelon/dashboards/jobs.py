"""The dashboards' daily run: the early warnings and the day's snapshot of every running batch, then each
office whose part of the tree got new warnings is told (its to-do list shows them at once; the daily
digest e-mails the notice).

Scheduled on the job worker (``echelon db_worker``): ``daily_task`` runs the day's work and queues itself
again for the next day at ``DASHBOARDS_DAILY_AT`` (settings, "HH:MM", 01:30 by default: after midnight, so
that "today" is the day being judged). ``echelon dashboards_daily --schedule`` queues the first run (once:
a run already queued is left alone); ``echelon dashboards_daily`` runs it now, for cron where no worker
runs, like ``echelon notify_digest``.
"""

from __future__ import annotations

import logging
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_tasks import task

from echelon.campaigns.models import Batch, Participation, Status
from echelon.core.actors import Actor
from echelon.dashboards.services.snapshots import snapshot_take
from echelon.dashboards.services.warnings import NotifyResult, warnings_notify, warnings_refresh

log = logging.getLogger(__name__)

# A batch is checked from its window's start until this many days after its end (late units still run).
GRACE_DAYS = 60
DEFAULT_AT = "01:30"


def running_batches(today: date) -> list[Batch]:
    """The batches of the published campaigns whose window has started and ended no more than
    ``GRACE_DAYS`` ago, with units taking part."""
    return list(
        Batch.objects.filter(
            campaign__status=Status.PUBLISHED,
            window_start__lte=today,
            window_end__gte=today - timedelta(days=GRACE_DAYS),
        )
        .filter(Exists(Participation.objects.filter(batch=OuterRef("pk"))))
        .select_related("campaign")
        .order_by("campaign_id", "ordinal")
    )


@dataclass
class BatchRun:
    batch: Batch
    snapshots: int
    warnings: dict[str, int]
    seconds: float


@dataclass
class DailyResult:
    day: date
    batches: list[BatchRun] = field(default_factory=list)
    notified: NotifyResult = field(default_factory=NotifyResult)


def daily_run(
    *, actor: Actor = None, today: date | None = None, batches: list[Batch] | None = None
) -> DailyResult:
    """The warnings, then the snapshot (which counts them), of each running batch (or ``batches``), then the
    notices of new warnings."""
    today = today or timezone.localdate()
    batches = running_batches(today) if batches is None else batches
    result = DailyResult(today)
    for batch in batches:
        started = clock.perf_counter()
        counts = warnings_refresh(actor=actor, batch=batch, today=today)
        rows = snapshot_take(actor=actor, batch=batch, day=today)  # after: the day's figures count its alerts
        result.batches.append(BatchRun(batch, rows, counts, clock.perf_counter() - started))
    if batches:
        result.notified = warnings_notify(actor=actor, batches=batches, today=today)
    return result


def run_at() -> time:
    raw = str(getattr(settings, "DASHBOARDS_DAILY_AT", DEFAULT_AT))
    try:
        return time.fromisoformat(raw)
    except ValueError:
        return time.fromisoformat(DEFAULT_AT)


def next_run(now: datetime | None = None) -> datetime:
    """The next ``run_at`` after ``now`` (local time)."""
    now = timezone.localtime(now or timezone.now())
    at = timezone.make_aware(datetime.combine(now.date(), run_at()))
    return at if at > now else timezone.make_aware(datetime.combine(now.date() + timedelta(days=1), run_at()))


def _queued() -> bool:
    """A daily run already waits in the queue (the database backend can tell; others cannot: False)."""
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the backend is a dependency
        return False
    if not isinstance(daily_task.get_backend(), DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(task_path=daily_task.module_path, status="READY").exists()


def schedule(now: datetime | None = None) -> datetime | None:
    """Queue the next daily run on the worker unless one is queued. Returns when it will run (None: the
    backend cannot run a task later, or one was already queued)."""
    backend = daily_task.get_backend()
    if not backend.supports_defer or _queued():
        return None
    when = next_run(now)
    daily_task.using(run_after=when).enqueue()
    return when


@task()
def daily_task() -> dict[str, Any]:
    """The worker's daily run; queues the next one first, so that a failure today does not stop tomorrow."""
    schedule()
    result = daily_run()
    summary = {
        "day": result.day.isoformat(),
        "batches": {
            str(r.batch.pk): {
                "snapshots": r.snapshots,
                "warnings": r.warnings,
                "seconds": round(r.seconds, 1),
            }
            for r in result.batches
        },
        "notified": result.notified.users,
    }
    log.info("dashboards daily run: %s", summary)
    return summary
