"""The record of the daily run's steps (``DailyStep``): what is done for a day, so that a rerun of the day
(after a kill, or a catch-up while the first run still works) skips it.

The services that do the steps (``warnings_refresh``, ``snapshot_take``, ``warnings_notify``) call
``step_mark`` inside their own transaction; with ``once=True`` they call ``step_result`` there too, after
locking the batch, so that two runs of the same day never do a step twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from echelon.campaigns.models import Batch
from echelon.dashboards.models import DailyStep, Step


def step_result(day: date, step: Step, batch: Batch | None = None) -> dict[str, Any] | None:
    """What ``step`` found when it was done for ``day`` (and ``batch``), or None: not done."""
    row = DailyStep.objects.filter(day=day, step=step, batch=batch).values_list("result", flat=True).first()
    return None if row is None else dict(row)


def steps_done(day: date) -> dict[tuple[int | None, str], dict[str, Any]]:
    """{(batch id or None, step): result} of the steps done for ``day``."""
    rows = DailyStep.objects.filter(day=day).values_list("batch_id", "step", "result")
    return {(batch_id, step): dict(result) for batch_id, step, result in rows}


def snapshot_result(day: date, batch: Batch) -> dict[str, Any] | None:
    """What ``day``'s snapshot of ``batch`` stored, or None: not taken, or taken before the day's warnings
    were refreshed (the snapshot counts the alerts: it is taken again)."""
    rows = dict(
        DailyStep.objects.filter(day=day, batch=batch, step__in=[Step.WARNINGS, Step.SNAPSHOT]).values_list(
            "step", "done_at"
        )
    )
    taken, refreshed = rows.get(Step.SNAPSHOT), rows.get(Step.WARNINGS)
    if taken is None or (refreshed is not None and taken < refreshed):
        return None
    return step_result(day, Step.SNAPSHOT, batch)


def step_mark(day: date, step: Step, batch: Batch | None, result: dict[str, Any]) -> None:
    """Record ``step`` done for ``day`` (again: the time and result of the last time). Inside the step's
    transaction."""
    DailyStep.objects.update_or_create(
        day=day, step=step, batch=batch, defaults={"result": result, "done_at": timezone.now()}
    )
