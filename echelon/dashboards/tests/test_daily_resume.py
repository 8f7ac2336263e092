"""The daily run resumes and is retried (issue 15): a rerun after a run stopped between its steps does only
the steps left (no second audit event, snapshot or notice); two runs of one day that overlap do no step
twice; ``schedule`` queues a catch-up after the day's time when the day is not complete (and not when it
is, or before the time), whatever task row a killed worker left RUNNING; the worker's run queues its retry,
which finishes a day a crash left half done and does nothing once it is done."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from echelon.core.models import AuditEvent, Notification
from echelon.dashboards import jobs
from echelon.dashboards.models import DailyStep, Snapshot, Step
from echelon.dashboards.services.snapshots import snapshot_take
from echelon.dashboards.services.warnings import warnings_notify, warnings_refresh
from echelon.dashboards.tests.test_warnings import setup, study_end

pytestmark = pytest.mark.django_db
VERBS = ("alert.refresh", "snapshot.take", "alert.notify")
CATCH_UP = "echelon.dashboards.jobs.daily_catch_up"
DAILY = "echelon.dashboards.jobs.daily_task"


@pytest.fixture
def w(tree: Any, personas: dict[str, Any], settings: Any, tmp_path: Any) -> Any:
    """The warnings' world (a running batch whose village's study phase is overdue on ``w.day``: new
    warnings, offices to tell)."""
    settings.MEDIA_ROOT = tmp_path
    found = setup(tree, personas)
    found.day = study_end(found, found.village) + timedelta(days=1)
    return found


def audits() -> dict[str, int]:
    return {verb: AuditEvent.objects.filter(verb=verb).count() for verb in VERBS}


def written() -> dict[str, int]:
    return {**audits(), "snapshots": Snapshot.objects.count(), "notices": Notification.objects.count()}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def queued(path: str) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=path, status="READY").order_by("run_after"))


def test_a_clean_run_writes_each_step_once_and_a_rerun_nothing(w: Any) -> None:
    first = jobs.daily_run(today=w.day)
    assert audits() == {"alert.refresh": 1, "snapshot.take": 1, "alert.notify": 1}
    after = written()
    assert after["snapshots"] == first.batches[0].snapshots > 0
    assert after["notices"] == first.notified.users > 0
    assert set(DailyStep.objects.values_list("step", flat=True)) == set(Step.values)
    again = jobs.daily_run(today=w.day)
    assert written() == after
    assert again.batches[0].resumed
    # the rerun reports what the steps found then
    assert again.batches[0].warnings == first.batches[0].warnings
    assert again.batches[0].snapshots == first.batches[0].snapshots
    assert again.notified.users == first.notified.users


@pytest.mark.parametrize(
    "done", [["warnings"], ["warnings", "snapshot"], ["warnings", "snapshot", "notices"]]
)
def test_a_rerun_after_a_partial_run_does_only_the_steps_left(w: Any, done: list[str]) -> None:
    # a run killed after ``done`` (each step its own transaction: committed whole)
    warnings_refresh(batch=w.batch, today=w.day)
    if "snapshot" in done:
        snapshot_take(batch=w.batch, day=w.day)
    if "notices" in done:
        warnings_notify(batches=[w.batch], today=w.day)
    rerun = jobs.daily_run(today=w.day)
    assert audits() == {"alert.refresh": 1, "snapshot.take": 1, "alert.notify": 1}
    assert Snapshot.objects.count() == rerun.batches[0].snapshots > 0
    told = Notification.objects.count()
    assert told > 0 and len(set(Notification.objects.values_list("user_id", flat=True))) == told
    assert jobs.day_complete(w.day)


def test_a_snapshot_taken_before_the_days_warnings_is_taken_again(w: Any) -> None:
    """The day's snapshot counts the day's alerts: one taken before them (``echelon snapshot``) does not
    count as the day's step."""
    snapshot_take(batch=w.batch, day=w.day)
    jobs.daily_run(today=w.day)
    assert audits()["snapshot.take"] == 2
    jobs.daily_run(today=w.day)
    assert audits()["snapshot.take"] == 2


def test_overlapping_runs_do_no_step_twice(w: Any) -> None:
    """A catch-up that starts while the first run still works: each service checks the step under the
    batch's lock (``once``), after the other run's check before it."""
    counts = warnings_refresh(batch=w.batch, today=w.day, once=True)
    assert warnings_refresh(batch=w.batch, today=w.day, once=True) == counts
    rows = snapshot_take(batch=w.batch, day=w.day, once=True)
    assert snapshot_take(batch=w.batch, day=w.day, once=True) == rows
    told = warnings_notify(batches=[w.batch], today=w.day, once=True)
    assert warnings_notify(batches=[w.batch], today=w.day, once=True).users == told.users > 0
    assert audits() == {"alert.refresh": 1, "snapshot.take": 1, "alert.notify": 1}
    # without ``once`` (the ``warnings`` and ``snapshot`` commands) the step is done again
    warnings_refresh(batch=w.batch, today=w.day)
    assert audits()["alert.refresh"] == 2


def test_a_catch_up_is_queued_when_the_days_run_is_not_complete(w: Any) -> None:
    warnings_refresh(batch=w.batch, today=w.day)  # the run stopped after its first step
    assert not jobs.day_complete(w.day)
    before = jobs.schedule(at(w.day, 1, 0))  # before the day's time: the run is still to come
    assert before.catch_up is None and before.next_run == at(w.day, 1, 30)
    assert not queued(CATCH_UP)
    DBTaskResult.objects.all().delete()
    late = jobs.schedule(at(w.day, 9, 0))
    assert late.catch_up == w.day
    assert late.next_run == at(w.day + timedelta(days=1), 1, 30)
    [catch_up] = queued(CATCH_UP)
    assert catch_up.args_kwargs["args"] == [w.day.isoformat()]
    # once queued, not again (a worker started twice, the command run at every start-up)
    assert jobs.schedule(at(w.day, 9, 5)) == jobs.Scheduled()
    assert len(queued(CATCH_UP)) == 1 and len(queued(DAILY)) == 1
    # the catch-up finishes the day without doing the first step again
    jobs.daily_catch_up.call(w.day.isoformat())
    assert audits() == {"alert.refresh": 1, "snapshot.take": 1, "alert.notify": 1}
    assert jobs.day_complete(w.day)


def test_no_catch_up_when_the_days_run_is_complete(w: Any) -> None:
    jobs.daily_run(today=w.day)
    scheduled = jobs.schedule(at(w.day, 9, 0))
    assert scheduled.catch_up is None and scheduled.next_run is not None
    assert not queued(CATCH_UP)


def test_a_stale_running_daily_task_does_not_block_the_catch_up(w: Any) -> None:
    """The database backend leaves the task of a killed worker RUNNING for ever."""
    jobs.daily_task.using(run_after=at(w.day, 1, 30)).enqueue()
    DBTaskResult.objects.filter(task_path=DAILY).update(
        status="RUNNING", started_at=at(w.day, 1, 30), worker_ids=["killed"]
    )
    warnings_refresh(batch=w.batch, today=w.day)
    scheduled = jobs.schedule(at(w.day, 8, 0))
    assert scheduled.catch_up == w.day
    assert len(queued(CATCH_UP)) == 1
    assert len(queued(DAILY)) == 1  # tomorrow's run too: the RUNNING row is not the next run


def test_the_workers_run_queues_its_retry_which_finishes_a_crashed_day(w: Any) -> None:
    def crash(**kwargs: Any) -> int:
        raise RuntimeError("the worker died")

    with mock.patch.object(jobs, "snapshot_take", crash), pytest.raises(RuntimeError):
        jobs.daily_catch_up.call(w.day.isoformat())
    assert audits() == {"alert.refresh": 1, "snapshot.take": 0, "alert.notify": 0}
    [retry] = queued(CATCH_UP)
    assert retry.args_kwargs["args"] == [w.day.isoformat(), 1]
    assert retry.run_after is not None and retry.run_after > timezone.now() + timedelta(minutes=25)
    summary = jobs.daily_catch_up.call(*retry.args_kwargs["args"])
    assert summary["attempt"] == 1 and summary["batches"][str(w.batch.pk)]["resumed"] is False
    assert audits() == {"alert.refresh": 1, "snapshot.take": 1, "alert.notify": 1}
    # the next retry finds the day complete: it does nothing and queues nothing more
    retries = queued(CATCH_UP)
    assert len(retries) == 2
    assert jobs.daily_catch_up.call(w.day.isoformat(), 2) == {"day": w.day.isoformat(), "complete": True}
    assert len(queued(CATCH_UP)) == 2
    assert audits() == {"alert.refresh": 1, "snapshot.take": 1, "alert.notify": 1}


def test_the_retries_stop(w: Any, settings: Any) -> None:
    settings.DASHBOARDS_DAILY_RETRIES = 2
    with mock.patch.object(jobs, "daily_run", side_effect=RuntimeError("broken")):
        for attempt in range(3):
            with pytest.raises(RuntimeError):
                jobs.daily_catch_up.call(w.day.isoformat(), attempt)
    assert sorted(r.args_kwargs["args"][1] for r in queued(CATCH_UP)) == [1, 2]


def test_the_command_resumes_and_schedules(w: Any, capsys: Any) -> None:
    call_command("dashboards_daily", "--date", w.day.isoformat())
    assert "未重做" not in capsys.readouterr().out
    call_command("dashboards_daily", "--date", w.day.isoformat())
    assert "（当天已完成，未重做）" in capsys.readouterr().out
    assert audits() == {"alert.refresh": 1, "snapshot.take": 1, "alert.notify": 1}
    call_command("dashboards_daily", "--schedule")
    assert "起每天运行一次" in capsys.readouterr().out
    call_command("dashboards_daily", "--schedule")
    assert "已在队列中" in capsys.readouterr().out
