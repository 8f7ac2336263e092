"""The dashboards' daily run: the early warnings and the day's snapshot of every running batch, then each
office whose part of the tree got new warnings is told (its to-do list shows them at once; the daily
digest e-mails the notice).

Resumable: each step (a batch's warnings, its snapshot; the day's notices) is one transaction that records
itself (``DailyStep``), and a rerun of the day skips the steps done — no second audit event, snapshot or
notice. A batch's snapshot taken before its warnings were refreshed that day is taken again (it counts
them).

Scheduled on the job worker (``echelon db_worker``): ``daily_task`` queues itself again for the next day at
``DASHBOARDS_DAILY_AT`` (settings, "HH:MM", 01:30 by default: after midnight, so that "today" is the day
being judged) and a retry of the day (``daily_catch_up``, ``DASHBOARDS_DAILY_RETRY_MINUTES`` later), then
runs the day. The retry does nothing if the day is complete by then; if not (the worker was killed, the
run failed), it resumes the day and queues the next retry, up to ``DASHBOARDS_DAILY_RETRIES`` times.
``schedule`` (``echelon dashboards_daily --schedule``: at every start-up, before the worker) queues the
next run unless one is queued, and after today's ``run_at`` queues a catch-up at once if today's run is
not complete and no run of it is due in the queue. A task row still RUNNING does not count: the database
backend leaves the task of a killed worker RUNNING for ever, and a run that overlaps a live one does no
step twice (each service checks the step under the batch's lock). ``echelon dashboards_daily`` runs the
day now (resuming it), for cron where no worker runs, like ``echelon notify_digest``.
"""

from __future__ import annotations

import logging
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_tasks import task

from echelon.campaigns.models import Batch, Participation, Status
from echelon.core.actors import Actor
from echelon.dashboards.models import Step
from echelon.dashboards.services.daily import snapshot_result, step_result, steps_done
from echelon.dashboards.services.snapshots import snapshot_take
from echelon.dashboards.services.warnings import NotifyResult, warnings_notify, warnings_refresh

log = logging.getLogger(__name__)

# A batch is checked from its window's start until this many days after its end (late units still run).
GRACE_DAYS = 60
DEFAULT_AT = "01:30"
DEFAULT_RETRY_MINUTES = 30
DEFAULT_RETRIES = 6


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
    resumed: bool = False  # both steps were done before this run: nothing was written again


@dataclass
class DailyResult:
    day: date
    batches: list[BatchRun] = field(default_factory=list)
    notified: NotifyResult = field(default_factory=NotifyResult)


def daily_run(
    *, actor: Actor = None, today: date | None = None, batches: list[Batch] | None = None
) -> DailyResult:
    """The warnings, then the snapshot (which counts them), of each running batch (or ``batches``), then the
    notices of new warnings; each step already done for the day is skipped (the figures it recorded are
    reported). The notices are skipped only when nothing else ran: new warnings found now are told."""
    today = today or timezone.localdate()
    batches = running_batches(today) if batches is None else batches
    done = steps_done(today)
    result = DailyResult(today)
    ran = False
    for batch in batches:
        started = clock.perf_counter()
        refreshed = done.get((batch.pk, Step.WARNINGS))
        if refreshed is None:
            counts = warnings_refresh(actor=actor, batch=batch, today=today, once=True)
        else:
            counts = {str(k): int(v) for k, v in refreshed.get("counts", {}).items()}
        taken = None if refreshed is None else snapshot_result(today, batch)
        if taken is None:  # after the warnings: the day's figures count its alerts
            rows = snapshot_take(actor=actor, batch=batch, day=today, once=True)
        else:
            rows = int(taken.get("rows", 0))
        resumed = refreshed is not None and taken is not None
        ran = ran or not resumed
        result.batches.append(BatchRun(batch, rows, counts, clock.perf_counter() - started, resumed))
    if batches:
        result.notified = warnings_notify(actor=actor, batches=batches, today=today, once=not ran)
    return result


def day_complete(day: date) -> bool:
    """Every step of ``day``'s run is done: each running batch's warnings and snapshot, and the notices (a
    day without running batches has nothing to do)."""
    batches = running_batches(day)
    if not batches:
        return True
    if step_result(day, Step.NOTICES) is None:
        return False
    done = steps_done(day)
    return all((b.pk, Step.WARNINGS) in done and snapshot_result(day, b) is not None for b in batches)


def run_at() -> time:
    raw = str(getattr(settings, "DASHBOARDS_DAILY_AT", DEFAULT_AT))
    try:
        return time.fromisoformat(raw)
    except ValueError:
        return time.fromisoformat(DEFAULT_AT)


def retry_after() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "DASHBOARDS_DAILY_RETRY_MINUTES", DEFAULT_RETRY_MINUTES)))


def next_run(now: datetime | None = None) -> datetime:
    """The next ``run_at`` after ``now`` (local time)."""
    now = timezone.localtime(now or timezone.now())
    at = timezone.make_aware(datetime.combine(now.date(), run_at()))
    return at if at > now else timezone.make_aware(datetime.combine(now.date() + timedelta(days=1), run_at()))


def _waiting() -> Any:
    """The daily runs and catch-ups waiting in the queue (READY), or None: the backend cannot tell (only the
    database backend can)."""
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the backend is a dependency
        return None
    if not isinstance(daily_task.get_backend(), DatabaseBackend):
        return None
    return DBTaskResult.objects.filter(
        task_path__in=[daily_task.module_path, daily_catch_up.module_path], status="READY"
    )


def _queued() -> bool:
    """The next daily run already waits in the queue (False when the backend cannot tell)."""
    waiting = _waiting()
    return waiting is not None and waiting.filter(task_path=daily_task.module_path).exists()


def _due(now: datetime) -> bool:
    """A daily run or catch-up waits in the queue to run now (its time has come, or it has none)."""
    waiting = _waiting()
    if waiting is None:
        return False
    from django_tasks_db.models import get_date_max

    return waiting.filter(Q(run_after=get_date_max()) | Q(run_after__lte=now)).exists()


@dataclass
class Scheduled:
    next_run: datetime | None = None  # the next daily run queued now (None: one was queued, or no defer)
    catch_up: date | None = None  # the day a catch-up was queued for, to run at once


def schedule(now: datetime | None = None, *, catch_up: bool = True) -> Scheduled:
    """Queue the next daily run on the worker unless one is queued; with ``catch_up``, after today's
    ``run_at``, also queue a catch-up of today at once if today's run is not complete and none is due in
    the queue (a RUNNING one does not count: see the module). The database backend only (another cannot
    run a task later: nothing is queued)."""
    backend = daily_task.get_backend()
    out = Scheduled()
    if not backend.supports_defer:
        return out
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if (
        catch_up
        and now >= timezone.make_aware(datetime.combine(today, run_at()))
        and not _due(now)
        and not day_complete(today)
    ):
        daily_catch_up.enqueue(today.isoformat())
        out.catch_up = today
        log.warning("dashboards daily run of %s not complete: a catch-up is queued", today)
    if not _queued():
        out.next_run = next_run(now)
        daily_task.using(run_after=out.next_run).enqueue()
    return out


def _run_day(day: date, attempt: int) -> dict[str, Any]:
    """The day's run on the worker, after queueing its retry (unless it is complete, or out of retries)."""
    if day_complete(day):
        return {"day": day.isoformat(), "complete": True}
    if attempt < int(getattr(settings, "DASHBOARDS_DAILY_RETRIES", DEFAULT_RETRIES)):
        daily_catch_up.using(run_after=timezone.now() + retry_after()).enqueue(day.isoformat(), attempt + 1)
    result = daily_run(today=day)
    summary = {
        "day": result.day.isoformat(),
        "attempt": attempt,
        "batches": {
            str(r.batch.pk): {
                "snapshots": r.snapshots,
                "warnings": r.warnings,
                "seconds": round(r.seconds, 1),
                "resumed": r.resumed,
            }
            for r in result.batches
        },
        "notified": result.notified.users,
    }
    log.info("dashboards daily run: %s", summary)
    return summary


@task()
def daily_task() -> dict[str, Any]:
    """The worker's daily run at ``run_at``: queues the next one first, so that a failure today does not
    stop tomorrow, and a retry of today (which does nothing if today is complete by then)."""
    schedule(catch_up=False)
    return _run_day(timezone.localdate(), 0)


@task()
def daily_catch_up(day: str, attempt: int = 0) -> dict[str, Any]:
    """A retry or catch-up of ``day``'s run (ISO date): resumes it where it stopped."""
    return _run_day(date.fromisoformat(day), attempt)
