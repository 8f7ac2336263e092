"""The ledger's rollup counters (``LedgerCount``): per unit, the opinions, problems and tasks of its whole
subtree by category and status, so every level's summary is a handful of rows read at once, whatever the
size of the tree ("what a village records shows in the region's summary at once": the counters move in the
same transaction as the row).

Services call ``moved(kind, before, after)`` with a row's (path, category, status) before and after the
write (None for a new or removed row); ``rebuild()`` recomputes everything from the rows after a bulk load
(the demo). ``test_rollup.py`` checks that the counters kept by the services equal a rebuild.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import Length, Substr

from echelon.core.tree import SEGMENT_WIDTH, ancestor_paths, depth_of
from echelon.ledger.models import ITEM_KINDS, CountKind, LedgerCount, Opinion, Problem, Task


class Key(NamedTuple):
    path: str
    category: str
    status: str
    item: str = ""


def key_of(row: Opinion | Problem | Task) -> Key:
    return Key(row.path, getattr(row, "category", ""), row.status, getattr(row, "item", ""))


def moved(kind: str, before: Key | None, after: Key | None) -> None:
    """One row of ``kind`` went from ``before`` to ``after`` (either may be None): the counters of every
    ancestor of both paths follow. Unchanged keys cost nothing."""
    if before != after:
        _apply(kind, [before] if before else [], [after] if after else [])


def added(kind: str, keys: Iterable[Key]) -> None:
    """Many new rows of ``kind`` (a bulk insert)."""
    _apply(kind, [], keys)


def _apply(kind: str, removed: Iterable[Key], added: Iterable[Key]) -> None:
    """Every ancestor's counter by category, and by special item for the kinds that carry one."""
    deltas: Counter[tuple[str, str, str, str]] = Counter()
    item_kind = ITEM_KINDS.get(CountKind(kind))
    for sign, keys in ((-1, removed), (1, added)):
        for key in keys:
            for path in ancestor_paths(key.path):
                deltas[(kind, path, key.category, key.status)] += sign
                if item_kind and key.item:
                    deltas[(item_kind, path, key.item, key.status)] += sign
    rows = [
        (path, depth_of(path), counted, category, status, delta)
        for (counted, path, category, status), delta in sorted(deltas.items())
        if delta
    ]
    if rows:
        _add(rows)


def _add(rows: list[tuple[str, int, str, str, str, int]]) -> None:
    """Add each row's delta to its counter, creating the counter when it is missing: one upsert statement
    (SQLite and PostgreSQL both know ``ON CONFLICT … DO UPDATE``), so two writers never lose a count."""
    table = connection.ops.quote_name(LedgerCount._meta.db_table)
    sql = (
        f"INSERT INTO {table} (path, depth, kind, category, status, n) VALUES (%s, %s, %s, %s, %s, %s) "  # noqa: S608
        f"ON CONFLICT (path, kind, category, status) DO UPDATE SET n = {table}.n + excluded.n"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def rebuild() -> int:
    """Recompute every counter from the rows (one GROUP BY per depth and kind). Returns the counter rows."""
    with transaction.atomic():
        LedgerCount.objects.all().delete()
        max_depth = max(
            (depth_of(p) for m in (Opinion, Problem, Task) for p in _deepest(m)),
            default=0,
        )
        rows: list[LedgerCount] = []
        for kind, model, column in (
            (CountKind.OPINION, Opinion, None),
            (CountKind.PROBLEM, Problem, "category"),
            (CountKind.TASK, Task, "category"),
            (CountKind.PROBLEM_ITEM, Problem, "item"),
            (CountKind.TASK_ITEM, Task, "item"),
        ):
            fields = ["prefix", "status"] + ([column] if column else [])
            rows_of = model.objects.exclude(item="") if column == "item" else model.objects.all()
            for depth in range(1, max_depth + 1):
                width = depth * SEGMENT_WIDTH
                grouped = (
                    rows_of.annotate(prefix=Substr("path", 1, width), width=Length("path"))
                    .filter(width__gte=width)
                    .values(*fields)
                    .annotate(n=Count("id"))
                    .order_by()
                )
                for g in grouped:
                    rows.append(
                        LedgerCount(
                            path=g["prefix"],
                            depth=depth,
                            kind=kind,
                            category=g[column] if column else "",
                            status=g["status"],
                            n=g["n"],
                        )
                    )
        LedgerCount.objects.bulk_create(rows, batch_size=5_000)
        return len(rows)


def _deepest(model: type[Opinion] | type[Problem] | type[Task]) -> list[str]:
    row = model.objects.annotate(w=Length("path")).order_by("-w").values_list("path", flat=True).first()
    return [row] if row else []
