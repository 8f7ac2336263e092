"""The daily snapshot (每日快照) of a batch's key figures per unit: what the trend lines are drawn from.

``snapshot_take`` stores, for one day, the flat figures (``figures.subtree_totals``: every dashboard
measure) of every unit that has units below it taking part in the batch: the region, the leagues, the
counties, the townships (and the few units deeper down with units below them) — about 3,500 rows a day at
full scale. A village's own history is its phase actuals, so leaves get no snapshot. The day's rows are
replaced as a whole (idempotent: running it twice the same day leaves one set).

``snapshot_backfill`` rebuilds past days for a demo or a late start, honestly: only the progress measures
that the phase actuals date (``BACKFILL_KEYS``: started, done, the units per phase, planned against actual,
overdue), computed "as of" each day in one pass over the participations and their phase actuals and plans,
and stored as partial snapshots (``figures["as_of_backfill"] = 1``; the other measures are absent, not
zero). Days that already have a real snapshot are left alone.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.campaigns.models import Batch, Participation, PhaseActual, PlanPhase
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.permissions import require
from echelon.core.tree import SEGMENT_WIDTH, segment_id
from echelon.dashboards import figures, verbs
from echelon.dashboards.models import Snapshot, Step
from echelon.dashboards.services.daily import snapshot_result, step_mark

BACKFILL_MARK = "as_of_backfill"
# The measures a past day can be rebuilt for from the phase actuals and plans (the gate states, reviews,
# the ledger and the registry have no history to read them from).
BACKFILL_FIXED = ("units", "not_started", "started", "planned_started", "done", "planned_done", "overdue")
MAX_BACKFILL_DAYS = 400  # the days one backfill may write (a campaign lasts about eight months)
WRITE_CHUNK = 2_000


def snapshot_paths(batch: Batch) -> tuple[set[str], int]:
    """The paths of the units that have units below them taking part in ``batch``, and the depth of the
    deepest participation (snapshots go down to one level above it)."""
    parents: set[str] = set()
    deepest = 0
    for path in Participation.objects.filter(batch=batch).values_list("path", flat=True).iterator(5_000):
        depth = len(path) // SEGMENT_WIDTH
        deepest = max(deepest, depth)
        for d in range(1, depth):
            parents.add(path[: d * SEGMENT_WIDTH])
    return parents, deepest


def _check_day(day: date, today: date) -> None:
    if day > today:
        raise ValidationError(_("不能为今天以后的日期（%(day)s）做快照。") % {"day": day.isoformat()})


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Plain INSERTs of many rows, each value prepared by its field (``bulk_create`` reads every new id
    back, which made writing 40,000 alerts take 8 s on SQLite instead of 1)."""
    fields = [cast("models.Field[Any, Any]", model._meta.get_field(name)) for name in columns]
    names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({names}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        for i in range(0, len(rows), WRITE_CHUNK):
            cursor.executemany(
                sql,
                [
                    tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True))
                    for row in rows[i : i + WRITE_CHUNK]
                ],
            )
    return len(rows)


SNAPSHOT_COLUMNS = ("campaign", "batch", "unit", "path", "day", "figures")


def _replace(batch: Batch, rows: list[tuple[Any, ...]], days: Iterable[date]) -> None:
    Snapshot.objects.filter(batch=batch, day__in=sorted(set(days))).delete()
    insert_rows(Snapshot, SNAPSHOT_COLUMNS, rows)


def _row(
    batch: Batch, path: str, day: date, values: dict[str, int], *, partial: bool = False
) -> tuple[Any, ...]:
    """A day's row (``SNAPSHOT_COLUMNS``). A measure that is 0 is left out (``trends.value_of`` reads it
    back as 0): the rows stay half as large. A partial (backfilled) row keeps its zeros: a measure it lacks
    is unknown, not 0."""
    return (
        batch.campaign_id,
        batch.pk,
        segment_id(path[-SEGMENT_WIDTH:]),  # a path's last segment is the unit's id
        path,
        day,
        dict(values) if partial else {key: value for key, value in values.items() if value},
    )


def snapshot_take(*, actor: Actor = None, batch: Batch, day: date | None = None, once: bool = False) -> int:
    """Store ``day``'s figures (today's by default) of every unit with units below it in ``batch``,
    replacing that day's rows. Returns how many rows were stored. The figures are the live rows judged on
    ``day`` (what is overdue, planned to have started): a past ``day`` re-runs a missed day with today's
    rows, it does not rebuild the past (``snapshot_backfill`` does that for the progress measures). The
    day's step is recorded (``DailyStep``); with ``once`` a day already taken is left as it is (checked
    under the batch's lock) and the rows it stored then are counted."""
    today = timezone.localdate()
    day = day or today
    _check_day(day, today)
    campaign = batch.campaign
    require(actor, "plan", campaign.path)
    parents, deepest = snapshot_paths(batch)
    rows: list[tuple[Any, ...]] = []
    for depth in range(1, deepest):
        for path, values in figures.subtree_totals(batch, depth, day, only=parents).items():
            rows.append(_row(batch, path, day, values))
    with transaction.atomic():
        Batch.objects.select_for_update().filter(pk=batch.pk).first()  # one snapshot of a batch at a time
        if once and (done := snapshot_result(day, batch)) is not None:
            return int(done.get("rows", 0))
        _replace(batch, rows, [day])
        audit.record(
            actor=actor,
            verb=verbs.SNAPSHOT_TAKE,
            obj=batch,
            object_type="campaigns.batch",
            object_repr=f"{campaign.name} · {batch.name} · {day.isoformat()}",
            unit_id=campaign.root_id,
            unit_path=campaign.path,
            after={"campaign": campaign.pk, "batch": batch.pk, "day": day, "rows": len(rows)},
        )
        step_mark(day, Step.SNAPSHOT, batch, {"rows": len(rows)})
    return len(rows)


# ---------------------------------------------------------------------------------------------------------
# Backfill: past days' progress "as of" each day
# ---------------------------------------------------------------------------------------------------------


def backfill_keys(batch: Batch) -> list[str]:
    return [*BACKFILL_FIXED, *(f"phase:{p.key}" for p in batch.campaign.spec.phases)]


def _as_of(batch: Batch, days: list[date], parents: set[str]) -> dict[date, dict[str, dict[str, int]]]:
    """{day: {path: {measure: n}}} of the progress measures as of each day, for the units in ``parents``.

    One pass: each participation's closing dates in a row (phase k counts as closed on day D when phases
    0..k all ended on or before D), its actual start, its plan; each participation is counted once per day
    in the bucket of its deepest snapshotted ancestor (or itself), and the buckets are added up to every
    snapshotted ancestor."""
    n = len(batch.campaign.spec.phases)
    phase_keys = [f"phase:{p.key}" for p in batch.campaign.spec.phases]
    ends: dict[int, dict[int, date]] = defaultdict(dict)
    for pid, phase, end in (
        PhaseActual.objects.filter(participation__batch=batch, end__isnull=False)
        .values_list("participation_id", "phase", "end")
        .iterator(10_000)
    ):
        if end is not None:
            ends[pid][phase] = end
    plans: dict[int, dict[int, date]] = defaultdict(dict)
    for pid, phase, end in (
        PlanPhase.objects.filter(participation__batch=batch)
        .values_list("participation_id", "phase", "end")
        .iterator(10_000)
    ):
        plans[pid][phase] = end
    people = []
    for pid, path, started, planned_start, planned_end in (
        Participation.objects.filter(batch=batch)
        .values_list("id", "path", "actual_start", "planned_start", "planned_end")
        .iterator(10_000)
    ):
        closed: list[date] = []
        mine = ends.get(pid, {})
        while len(closed) < n and len(closed) in mine:
            closed.append(max(mine[len(closed)], closed[-1]) if closed else mine[0])
        plan = plans.get(pid, {})
        bucket = next((path[:d] for d in range(len(path), 0, -SEGMENT_WIDTH) if path[:d] in parents), path)
        people.append((bucket, started, closed, plan, planned_start, planned_end))
    ancestors = {
        bucket: [
            bucket[:d] for d in range(SEGMENT_WIDTH, len(bucket) + 1, SEGMENT_WIDTH) if bucket[:d] in parents
        ]
        for bucket in {p[0] for p in people}
    }
    out: dict[date, dict[str, dict[str, int]]] = {}
    for day in days:
        buckets: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for bucket, started, closed, plan, planned_start, planned_end in people:
            values = buckets[bucket]
            values["units"] += 1
            k = bisect.bisect_right(closed, day)  # phases closed in a row by ``day``
            is_started = started is not None and started <= day
            if k >= n:
                values["done"] += 1
            elif is_started:
                values[phase_keys[k]] += 1
            values["started" if is_started else "not_started"] += 1
            if planned_start is not None and planned_start <= day:
                values["planned_started"] += 1
            if planned_end is not None and planned_end < day:
                values["planned_done"] += 1
            if k < n and (end := plan.get(k)) is not None and end < day:
                values["overdue"] += 1
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for bucket, values in buckets.items():
            for path in ancestors[bucket]:
                target = totals[path]
                for key, value in values.items():
                    target[key] += value
        out[day] = totals
    return out


def snapshot_backfill(
    *, actor: Actor = None, batch: Batch, start: date, end: date, step_days: int = 7
) -> int:
    """Store partial snapshots (the progress measures, ``BACKFILL_KEYS``, as of each day) for the days
    ``start``, ``start + step_days`` … up to ``end`` that have no snapshot yet. Returns the rows stored."""
    today = timezone.localdate()
    if step_days < 1:
        raise ValidationError(_("间隔天数至少为 1 天。"))
    if end < start:
        raise ValidationError(_("结束日期不能早于开始日期。"))
    _check_day(end, today)
    days = [start + timedelta(days=i) for i in range(0, (end - start).days + 1, step_days)]
    if len(days) > MAX_BACKFILL_DAYS:
        raise ValidationError(_("一次最多补 %(n)d 天的快照。") % {"n": MAX_BACKFILL_DAYS})
    campaign = batch.campaign
    require(actor, "plan", campaign.path)
    taken = set(
        Snapshot.objects.filter(batch=batch, day__in=days)
        .exclude(figures__has_key=BACKFILL_MARK)
        .values_list("day", flat=True)
        .distinct()
    )
    days = [d for d in days if d not in taken]
    parents, _deepest = snapshot_paths(batch)
    keys = backfill_keys(batch)
    rows: list[tuple[Any, ...]] = []
    for day, totals in _as_of(batch, days, parents).items():
        for path in sorted(totals):
            values: dict[str, Any] = {key: totals[path].get(key, 0) for key in keys}
            values[BACKFILL_MARK] = 1
            rows.append(_row(batch, path, day, values, partial=True))
    with transaction.atomic():
        Batch.objects.select_for_update().filter(pk=batch.pk).first()
        _replace(batch, rows, days)
        audit.record(
            actor=actor,
            verb=verbs.SNAPSHOT_BACKFILL,
            obj=batch,
            object_type="campaigns.batch",
            object_repr=f"{campaign.name} · {batch.name} · {start.isoformat()}～{end.isoformat()}",
            unit_id=campaign.root_id,
            unit_path=campaign.path,
            after={
                "campaign": campaign.pk,
                "batch": batch.pk,
                "start": start,
                "end": end,
                "step_days": step_days,
                "days": len(days),
                "skipped": len(taken),
                "rows": len(rows),
            },
        )
    return len(rows)
