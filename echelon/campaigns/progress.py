"""The participations' rollup (``ProgressCount``, ``ProgressDay``; ADR 4, ADR 16): per batch and unit, its
whole subtree's participations by current phase, started or not and gate, and by the dates the dashboards
compare with today (planned start and end, the current phase's planned end, the submission waiting since).
A region's dashboard reads a few hundred counter rows instead of 70,000 participations, and a village's
write shows there in the next request: the counters move in the transaction of the write.

Writers of a participation's summary (``current_phase``, ``actual_start``, ``gate``, ``gate_at``, the
planned dates, ``current_due``) save it through ``save(participation, fields)``, which moves the counters of
every ancestor from the row as it was to the row as it is (one upsert statement, as the ledger's counters);
bulk writers (creation, the plan, the demo's history) call ``rebuild(batch_ids)`` after writing, which
recomputes their batches set-based (one INSERT … SELECT … GROUP BY per table part, reading the rows once).
``test_progress.py`` checks that the counters kept by the writers equal a rebuild after any sequence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.db import connection, transaction

from echelon.campaigns.models import Batch, GateState, Participation, ProgressCount, ProgressDay
from echelon.core.tree import SEGMENT_WIDTH, ancestor_paths, depth_of

# What a participation's counters are read from.
TRACKED = (
    "batch_id",
    "path",
    "current_phase",
    "actual_start",
    "gate",
    "gate_at",
    "planned_start",
    "planned_end",
    "current_due",
)
DAY_FIELDS = ("planned_start", "planned_end", "due", "open_since")

StateKey = tuple[int, str, int, bool, str]  # batch, path, phase, started, gate
DayKey = tuple[int, str, str, date]  # batch, path, field, day


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def contributions(row: Mapping[str, Any], phases: int) -> tuple[list[StateKey], list[DayKey]]:
    """The counters one participation (its ``TRACKED`` values) adds 1 to: its state and its dates, at every
    ancestor of its path (itself included)."""
    batch, path, phase = row["batch_id"], row["path"], row["current_phase"]
    started = row["actual_start"] is not None
    pending = started and phase < phases
    days: list[tuple[str, date]] = []
    if row["planned_start"] is not None:
        days.append(("planned_start", row["planned_start"]))
    if row["planned_end"] is not None:
        days.append(("planned_end", row["planned_end"]))
    if row["current_due"] is not None and phase < phases:
        days.append(("due", row["current_due"]))
    if pending and row["gate"] == GateState.OPEN and row["gate_at"] is not None:
        days.append(("open_since", row["gate_at"]))
    paths = ancestor_paths(path)
    states = [(batch, p, phase, started, row["gate"]) for p in paths]
    return states, [(batch, p, f, d) for p in paths for f, d in days]


def _phases_of(participation: Participation) -> int:
    return len(participation.campaign.spec.phases)


def save(participation: Participation, fields: Sequence[str], *, phases: int | None = None) -> None:
    """Save ``fields`` of ``participation`` (as ``save(update_fields=…)``) and move its counters from the
    stored row to the saved one. Call inside the writer's transaction."""
    with transaction.atomic():
        before = Participation.objects.filter(pk=participation.pk).values(*TRACKED).first()
        participation.save(update_fields=list(fields))
        after = {f: getattr(participation, f) for f in TRACKED}
        n = _phases_of(participation) if phases is None else phases
        moved(before, after, n)


def moved(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, phases: int) -> None:
    """One participation went from ``before`` to ``after`` (its ``TRACKED`` values; None for a new or
    removed one): the counters of every ancestor follow. Unchanged values cost nothing."""
    states: Counter[StateKey] = Counter()
    days: Counter[DayKey] = Counter()
    for sign, row in ((-1, before), (1, after)):
        if row is None:
            continue
        s, d = contributions(row, phases)
        for key in s:
            states[key] += sign
        for dkey in d:
            days[dkey] += sign
    _upsert(
        ProgressCount,
        ("batch_id", "path", "depth", "phase", "started", "gate", "n"),
        ("batch_id", "depth", "path", "phase", "started", "gate"),
        [(b, p, depth_of(p), ph, st, g, n) for (b, p, ph, st, g), n in sorted(states.items()) if n],
    )
    _upsert(
        ProgressDay,
        ("batch_id", "path", "depth", "field", "day", "n"),
        ("batch_id", "depth", "path", "field", "day"),
        [(b, p, depth_of(p), f, d, n) for (b, p, f, d), n in sorted(days.items()) if n],
    )


def _upsert(model: Any, columns: Sequence[str], unique: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Add each row's ``n`` to its counter, creating it when missing: one upsert statement (SQLite and
    PostgreSQL both know ``ON CONFLICT … DO UPDATE``), so two writers never lose a count."""
    if not rows:
        return
    table = _q(model._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(_q(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(_q(c) for c in unique)}) DO UPDATE SET n = {table}.n + excluded.n"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


PARTS = ("states", *DAY_FIELDS)
PLAN_PARTS = ("planned_start", "planned_end", "due")  # what replacing a batch's plan changes


def rebuild(batch_ids: Iterable[int] | None = None, parts: Sequence[str] = PARTS) -> int:
    """Recompute the counters of ``batch_ids`` (every batch when None) from the participations: one
    INSERT … SELECT … GROUP BY per table part, each reading the participations once. ``parts``: the
    states and the date fields to recompute (the plan writer: ``PLAN_PARTS``). Returns the rows written."""
    batches = Batch.objects.all() if batch_ids is None else Batch.objects.filter(pk__in=list(batch_ids))
    written = 0
    days = [p for p in parts if p in DAY_FIELDS]
    with transaction.atomic():
        for batch in batches.select_related("campaign"):
            if "states" in parts:
                ProgressCount.objects.filter(batch=batch).delete()
            if days:
                ProgressDay.objects.filter(batch=batch, field__in=days).delete()
            written += fill(batch.pk, len(batch.campaign.spec.phases), parts)
    return written


def fill(batch_id: int, phases: int, parts: Sequence[str] = PARTS) -> int:
    """Write the counters of one batch (none there yet for ``parts``) from its participations, in raw SQL
    on the tables' stable columns (the migration that made the tables runs it too): per part one statement
    reading the participations once, joined with the depths of their ancestors."""
    pa = _q("campaigns_participation")
    state_t, day_t = _q("campaigns_progresscount"), _q("campaigns_progressday")
    path, phase = _q("path"), _q("current_phase")
    written = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(LENGTH({path})) FROM {pa} WHERE {_q('batch_id')} = %s", [batch_id])  # noqa: S608
        deepest = (cursor.fetchone()[0] or 0) // SEGMENT_WIDTH
        if not deepest:
            return 0
        depths = " UNION ALL ".join(f"SELECT {d} AS depth" for d in range(1, deepest + 1))
        prefix = f"SUBSTR(p.{path}, 1, d.depth * {SEGMENT_WIDTH})"
        source = (
            f"FROM {pa} p JOIN ({depths}) d ON LENGTH(p.{path}) >= d.depth * {SEGMENT_WIDTH} "
            f"WHERE p.{_q('batch_id')} = %s"
        )
        started = f"(p.{_q('actual_start')} IS NOT NULL)"
        pending = f"{started} AND p.{phase} < {int(phases)}"
        if "states" in parts:
            # grouped in the unique index's order, so the rows are appended to it in order
            key = f"p.{_q('batch_id')}, d.depth, {prefix}, p.{phase}, {started}, p.{_q('gate')}"
            cursor.execute(
                f"INSERT INTO {state_t} (batch_id, depth, path, phase, started, gate, n) "
                f"SELECT {key}, COUNT(*) {source} GROUP BY {key}",
                [batch_id],
            )
            written += max(cursor.rowcount, 0)
        for field, column, condition in (
            ("planned_start", "planned_start", "1 = 1"),
            ("planned_end", "planned_end", "1 = 1"),
            ("due", "current_due", f"p.{phase} < {int(phases)}"),
            ("open_since", "gate_at", f"{pending} AND p.{_q('gate')} = '{GateState.OPEN.value}'"),
        ):
            if field not in parts:
                continue
            day = f"p.{_q(column)}"
            cursor.execute(
                f"INSERT INTO {day_t} (batch_id, depth, path, field, day, n) "
                f"SELECT p.{_q('batch_id')}, d.depth, {prefix}, '{field}', {day}, COUNT(*) "
                f"{source} AND {day} IS NOT NULL AND {condition} "
                f"GROUP BY p.{_q('batch_id')}, d.depth, {prefix}, {day}",
                [batch_id],
            )
            written += max(cursor.rowcount, 0)
    return written


NEW_PARTS = ("states",)  # new participations: not started, no plan, no gate
HISTORY_PARTS = ("states", "due", "open_since")  # what the actual progress changes (not the plan)


def rebuild_campaign(campaign_id: int, parts: Sequence[str] = PARTS) -> int:
    """The counters of every batch of a campaign (after its participations were written in bulk)."""
    return rebuild(Batch.objects.filter(campaign_id=campaign_id).values_list("pk", flat=True), parts)
