"""Fast bulk writers for the registry: units and members with pre-assigned ids, paths and level ancestors.

The services (``echelon.orgs.services``) write one row at a time and keep every counter current; that is
right for people and imports, and far too slow for 70,000 units and 1.3 million members. These writers are
for the demo seed (and benchmarks): the caller assigns ids itself, :class:`UnitSpec` computes exactly what
``services.unit_create`` would (path = ancestors' segments + ``segment(id)``, depth, ``lv1..lv5``, pinyin
keys, after checking the same placement rules), rows go in with ``executemany`` on SQLite or ``COPY`` on
PostgreSQL, secondary indexes are dropped before and rebuilt after, and ``services.rollups_rebuild()``
recounts the counters at the end. Everything runs inside the caller's transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import connection
from pypinyin.seg.simpleseg import seg as pinyin_segments

from echelon.core.tree import child_path, depth_of
from echelon.orgs import pinyin, services
from echelon.orgs.models import TERRITORIAL_KINDS, Member, Unit

UNIT_TABLE = Unit._meta.db_table
MEMBER_TABLE = Member._meta.db_table
UNIT_COLUMNS = (
    "id", "code", "name", "pinyin", "initials", "parent_id", "path", "depth", "level", "kind", "division",
    "area_type", "industry", "lead_by", "is_active", "merged_into_id", "lv1_id", "lv2_id", "lv3_id", "lv4_id",
    "lv5_id", "members_here", "participants_here", "mobile_here", "blind_here", "sub_units", "sub_members",
    "sub_participants", "sub_mobile", "sub_blind", "created_at", "updated_at",
)  # fmt: skip
MEMBER_COLUMNS = (
    "id", "code", "name", "gender", "ethnicity", "birth_date", "joined_date", "status", "phone", "unit_id",
    "path", "is_mobile", "inflow_unit_id", "part_path", "updated_at",
)  # fmt: skip
CHUNK = 10_000


@cache
def _word_syllables(word: str) -> tuple[str, ...]:
    return tuple(s.lower() for s in pinyin.syllables(word) if s.strip())


def pinyin_keys(name: str) -> tuple[str, str]:
    """Exactly `echelon.orgs.pinyin.keys(name)`, about ten times faster over many similar names.

    pypinyin cuts a text into words (forward maximum matching on its phrase dictionary) and converts word
    by word; here the cut is the same and each distinct word is converted once. (The seed tests compare
    the two for every unit of the small demo.)
    """
    syllables = [s for word in pinyin_segments(name) for s in _word_syllables(word)]
    full = "".join(ch for s in syllables for ch in s if ch.isalnum())
    initials = "".join(s[0] for s in syllables if s and s[0].isalnum())
    return full[:300], initials[:100]


@dataclass(slots=True, eq=False)
class UnitSpec:
    """A unit to be written: the caller gives id, code, name, parent and attributes; `place()` derives
    path, depth, level ancestors and pinyin exactly as `services.unit_create` does."""

    id: int
    code: str
    name: str
    parent: UnitSpec | None
    level: int
    kind: str
    division: str = ""
    area_type: str = ""
    industry: str = ""
    lead_by: str = "territory"
    path: str = ""
    depth: int = 0
    lv1_id: int | None = None
    lv2_id: int | None = None
    lv3_id: int | None = None
    lv4_id: int | None = None
    lv5_id: int | None = None
    pinyin: str = ""
    initials: str = ""

    @property
    def is_territorial(self) -> bool:
        return self.kind in TERRITORIAL_KINDS

    def place(self) -> None:
        parent: Any = self.parent
        if error := services.placement_error(
            level=self.level, kind=self.kind, division=self.division, parent=parent
        ):
            raise ValidationError(f"{self.code} {self.name}: {error}")
        self.path = child_path(parent.path if parent is not None else "", self.id)
        self.depth = depth_of(self.path)
        lv = services.level_ancestors(
            parent=parent, level=self.level, territorial=self.is_territorial, self_id=self.id
        )
        self.lv1_id, self.lv2_id, self.lv3_id = lv["lv1_id"], lv["lv2_id"], lv["lv3_id"]
        self.lv4_id, self.lv5_id = lv["lv4_id"], lv["lv5_id"]
        self.pinyin, self.initials = pinyin_keys(self.name)

    def row(self, now: Any) -> tuple[Any, ...]:
        """Values in `UNIT_COLUMNS` order; counters start at their defaults (the rollup rebuild sets them)."""
        return (
            self.id, self.code, self.name, self.pinyin, self.initials,
            self.parent.id if self.parent is not None else None, self.path, self.depth, int(self.level),
            str(self.kind), str(self.division), str(self.area_type), self.industry, str(self.lead_by), True,
            None,
            self.lv1_id, self.lv2_id, self.lv3_id, self.lv4_id, self.lv5_id,
            0, 0, 0, 0, 1, 0, 0, 0, 0, now, now,
        )  # fmt: skip


def db_now() -> Any:
    """The current time as the backend stores it (a string on SQLite)."""
    from django.utils import timezone

    return connection.ops.adapt_datetimefield_value(timezone.now())


def next_id(table: str) -> int:
    """The first id the table's sequence has not handed out yet: a re-seed never reuses an old unit's id,
    so audit events of wiped units never point at new ones."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        top = cur.fetchone()[0]
        if connection.vendor == "sqlite":
            cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cur.fetchone()
            top = max(top, row[0] if row else 0)
        elif connection.vendor == "postgresql":
            cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            seq = cur.fetchone()[0]
            if seq:
                cur.execute(f"SELECT last_value, is_called FROM {seq}")  # noqa: S608
                last, called = cur.fetchone()
                top = max(top, last if called else last - 1)
    return int(top) + 1


# ---------------------------------------------------------------------------------------------------------
# Secondary indexes (and, on PostgreSQL, foreign keys) are rebuilt once instead of maintained per row
# ---------------------------------------------------------------------------------------------------------


def drop_secondary_indexes(table: str) -> list[str]:
    """Drop the table's indexes that no constraint needs; return the statements that recreate them."""
    restore: list[str] = []
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL ORDER BY name",
                [table],
            )
            for name, sql in cur.fetchall():
                if sql.upper().startswith("CREATE UNIQUE"):
                    continue
                cur.execute(f'DROP INDEX "{name}"')
                restore.append(sql)
        elif connection.vendor == "postgresql":
            cur.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                [table],
            )
            for name, definition in cur.fetchall():
                cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                restore.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass) ORDER BY indexname",
                [table, table],
            )
            for name, definition in cur.fetchall():
                if definition.upper().startswith("CREATE UNIQUE"):
                    continue
                cur.execute(f'DROP INDEX "{name}"')
                restore.insert(0, definition)  # indexes before foreign keys: the checks use them
    return restore


def run_statements(statements: Sequence[str]) -> None:
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


# ---------------------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------------------


def insert(table: str, columns: Sequence[str], chunks: Iterable[list[tuple[Any, ...]]]) -> tuple[int, float]:
    """Write every chunk of row tuples; return (rows, seconds spent in the database).

    Time spent producing the chunks (the caller's generator) is not counted.
    """
    connection.ensure_connection()
    rows = 0
    spent = 0.0
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            pg_cursor = cur.cursor
            sql = f"COPY {connection.ops.quote_name(table)} ({cols}) FROM STDIN"
            with pg_cursor.copy(sql) as copy:
                for chunk in chunks:
                    started = time.perf_counter()
                    for row in chunk:
                        copy.write_row(row)
                    rows += len(chunk)
                    spent += time.perf_counter() - started
        return rows, spent
    if connection.vendor == "sqlite":
        raw = connection.connection.cursor()  # the plain DB-API cursor, in the same transaction
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {connection.ops.quote_name(table)} ({cols}) VALUES ({marks})"  # noqa: S608
        for chunk in chunks:
            started = time.perf_counter()
            raw.executemany(sql, chunk)
            rows += len(chunk)
            spent += time.perf_counter() - started
        raw.close()
        return rows, spent
    with connection.cursor() as cur:  # any other backend: Django's own executemany
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {connection.ops.quote_name(table)} ({cols}) VALUES ({marks})"  # noqa: S608
        for chunk in chunks:
            started = time.perf_counter()
            cur.executemany(sql, chunk)
            rows += len(chunk)
            spent += time.perf_counter() - started
    return rows, spent


def chunked(rows: Iterable[tuple[Any, ...]], size: int = CHUNK) -> Iterable[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def insert_units(units: Iterable[UnitSpec], now: Any | None = None) -> int:
    """Write placed units (parents before children). Returns the number of rows."""
    now = db_now() if now is None else now
    count, _ = insert(UNIT_TABLE, UNIT_COLUMNS, chunked(u.row(now) for u in units))
    return count


def reset_sequences() -> None:
    """After explicit ids: make the next automatic id follow the highest one (PostgreSQL; SQLite does it)."""
    run_statements(connection.ops.sequence_reset_sql(no_style(), [Unit, Member]))


def analyze() -> None:
    """Refresh the planner's statistics after a bulk load."""
    from echelon.core.db import analyze as analyze_tables

    analyze_tables([UNIT_TABLE, MEMBER_TABLE])


def finish() -> None:
    """Counters after a bulk load: every unit's rollups recounted from the members table."""
    services.rollups_rebuild()
