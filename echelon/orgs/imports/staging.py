"""The TEMP staging table of a members import: rows written in batches, then checked and merged set-based.

Duplicates and codes held outside the importer's subtree are found in SQL; the merge is ``INSERT … SELECT``
for new codes and ``UPDATE … FROM`` for changed ones (ADR 8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.core.tree import UPPER_BOUND
from echelon.orgs.columns import MEMBER, Column, Type
from echelon.orgs.imports.parsing import in_scope, inflow_out_of_scope
from echelon.orgs.imports.report import MAX_ERRORS, SAMPLE, ImportReport
from echelon.orgs.models import Unit

STAGE = "orgs_import_stage"
# The staging table: the row parser's tuple (``members.MemberRowParser``), in this order, with each column's
# SQL type (PostgreSQL's; SQLite keeps dates as text and booleans as integers). Its value columns are the
# member file columns (``columns.MEMBER.attnames``) and the two paths that follow from the units.
STAGE_TYPES = {
    "line": "integer",
    "code": "varchar(32)",
    "name": "varchar(50)",
    "gender": "varchar(1)",
    "ethnicity": "varchar(10)",
    "birth_date": "date",
    "joined_date": "date",
    "status": "varchar(16)",
    "phone": "varchar(20)",
    "unit_id": "bigint",
    "path": "text",
    "is_mobile": "boolean",
    "inflow_unit_id": "bigint",
    "part_path": "text",
}
_SQLITE_TYPES = {"date": "text", "boolean": "integer"}
STAGE_COLUMNS = tuple(STAGE_TYPES)
MEMBER_VALUE_COLUMNS = STAGE_COLUMNS[1:]  # the orgs_member columns an import writes (plus updated_at)
# What tells a changed row from an unchanged one (the inflow unit apart: NULL on both sides is equal).
MEMBER_COMPARED = tuple(c for c in MEMBER_VALUE_COLUMNS if c not in ("code", "inflow_unit_id"))


# SQLite settings for the connection while a members import runs (restored afterwards): the staging table
# in a temp file with its own 64 MB cache rather than in RAM, and no memory-mapped reads of the (large)
# main database, so that a 1.3M-row import stays well under 500 MB. Measured faster as well.
SQLITE_IMPORT_PRAGMAS = {"temp_store": "FILE", "temp.cache_size": -65536, "mmap_size": 0}


def _set_pragmas(cur: Any, pragmas: Mapping[str, Any]) -> dict[str, Any]:
    """Set connection PRAGMAs; return their previous values (temp_store only outside transactions)."""
    previous = {}
    for name, value in pragmas.items():
        cur.execute(f"PRAGMA {name}")
        previous[name] = cur.fetchone()[0]
        cur.execute(f"PRAGMA {name} = {value}")
    return previous


class Stage:
    """The TEMP staging table of a members import, on the default connection.

    Rows are written in batches outside any long transaction (on SQLite each batch in its own short
    transaction that touches only the temp database, so the registry stays writable for everyone else;
    on PostgreSQL by COPY).
    """

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.restore: dict[str, Any] = {}

    def __enter__(self) -> Stage:
        pg = self.vendor == "postgresql"
        types = STAGE_TYPES if pg else {c: _SQLITE_TYPES.get(t, t) for c, t in STAGE_TYPES.items()}
        cols = ", ".join(f"{c} {t}" for c, t in types.items())
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {STAGE}")
            if not pg and not connection.in_atomic_block:
                self.restore = _set_pragmas(cur, SQLITE_IMPORT_PRAGMAS)
            cur.execute(
                f"CREATE TEMP TABLE {STAGE} ({cols}, member_id bigint, changed integer NOT NULL DEFAULT 0, "
                "kept_inflow integer NOT NULL DEFAULT 0)"
            )
        return self

    def __exit__(self, *exc: object) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {STAGE}")
            if self.restore and not connection.in_atomic_block:
                _set_pragmas(cur, self.restore)

    def write(self, batch: Sequence[tuple[Any, ...]]) -> None:
        if not batch:
            return
        with connection.cursor() as cur:
            if self.vendor == "postgresql":
                raw = cur.cursor
                with raw.copy(f"COPY {STAGE} ({', '.join(STAGE_COLUMNS)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
                return
            marks = ", ".join(["%s"] * len(STAGE_COLUMNS))
            sql = f"INSERT INTO {STAGE} ({', '.join(STAGE_COLUMNS)}) VALUES ({marks})"  # noqa: S608
            if connection.in_atomic_block:
                cur.executemany(sql, batch)
                return
            # A short transaction on the temp database only: no lock on the registry.
            cur.execute("BEGIN")
            try:
                cur.executemany(sql, batch)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def duplicates(self, report: ImportReport) -> None:
        with connection.cursor() as cur:
            cur.execute(f"CREATE INDEX {STAGE}_code ON {STAGE} (code)")
            if self.vendor == "postgresql":
                cur.execute(f"ANALYZE {STAGE}")  # temp tables get no statistics otherwise
            cur.execute(f"SELECT COUNT(*) - COUNT(DISTINCT code) FROM {STAGE}")  # noqa: S608
            (extra,) = cur.fetchone()
            if not extra:
                return
            cur.execute(
                f"SELECT s.line, s.code, d.first FROM {STAGE} s "  # noqa: S608
                f"JOIN (SELECT code, MIN(line) AS first FROM {STAGE} GROUP BY code HAVING COUNT(*) > 1) d "
                "ON d.code = s.code WHERE s.line > d.first ORDER BY s.line LIMIT %s",
                [MAX_ERRORS],
            )
            found = cur.fetchall()
            for line, code, first in found:
                report.error(
                    line,
                    MEMBER.labels["code"],
                    _("党员编号“%(code)s”在文件中重复（第 %(first)s 行已有）。")
                    % {"code": code, "first": first},
                )
            report.error_count += extra - len(found)

    def classify(self, report: ImportReport, scope: Sequence[str] | None) -> None:
        """Match codes with the registry, refuse members held elsewhere, count and sample the changes."""
        same = " AND ".join(f"m.{c} = {STAGE}.{c}" for c in MEMBER_COMPARED)
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {STAGE} SET member_id = m.id FROM orgs_member m WHERE m.code = {STAGE}.code")  # noqa: S608
            if scope is not None:
                cond, params = scope_sql("m.path", scope)
                cur.execute(
                    f"SELECT s.line, s.code FROM {STAGE} s JOIN orgs_member m ON m.id = s.member_id "  # noqa: S608
                    f"WHERE NOT ({cond}) ORDER BY s.line",
                    params,
                )
                for line, code in cur.fetchall():
                    report.error(
                        line,
                        MEMBER.labels["code"],
                        _("党员编号“%(code)s”不能在此使用：请核对编号（党员转入请办理组织关系转接）。")
                        % {"code": code},
                    )
                # An inflow unit outside the subtree: kept when the member already has it, else refused.
                part, part_params = scope_sql(f"{STAGE}.part_path", scope)
                cur.execute(
                    f"UPDATE {STAGE} SET kept_inflow = 1 WHERE inflow_unit_id IS NOT NULL "  # noqa: S608
                    f"AND NOT ({part}) AND EXISTS (SELECT 1 FROM orgs_member m "
                    f"WHERE m.id = {STAGE}.member_id AND m.inflow_unit_id = {STAGE}.inflow_unit_id)",
                    part_params,
                )
                part, part_params = scope_sql("s.part_path", scope)
                cur.execute(
                    f"SELECT s.line, u.code FROM {STAGE} s JOIN orgs_unit u ON u.id = s.inflow_unit_id "  # noqa: S608
                    f"WHERE s.kept_inflow = 0 AND NOT ({part}) ORDER BY s.line LIMIT %s",
                    [*part_params, MAX_ERRORS],
                )
                for line, code in cur.fetchall():
                    report.error(line, MEMBER.labels["inflow_unit"], inflow_out_of_scope(code))
            cur.execute(
                f"UPDATE {STAGE} SET changed = 1 FROM orgs_member m "  # noqa: S608
                f"WHERE m.id = {STAGE}.member_id AND NOT ("
                f"{same} AND COALESCE(m.inflow_unit_id, 0) = COALESCE({STAGE}.inflow_unit_id, 0))"
            )
            cur.execute(
                "SELECT COUNT(*), SUM(CASE WHEN member_id IS NULL THEN 1 ELSE 0 END), SUM(changed) "  # noqa: S608
                f"FROM {STAGE}"
            )
            total, created, changed = (int(v or 0) for v in cur.fetchone())
        report.created, report.updated, report.unchanged = created, changed, total - created - changed
        self._sample(report)

    def _sample(self, report: ImportReport) -> None:
        shown = [c for c in MEMBER.file_columns if c.name != "code"]
        n = len(shown)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT line, code, name FROM {STAGE} WHERE member_id IS NULL ORDER BY line LIMIT %s",  # noqa: S608
                [SAMPLE],
            )
            creates = cur.fetchall()
            cur.execute(
                f"SELECT s.line, s.code, {', '.join('s.' + c.attname for c in shown)}, "  # noqa: S608
                f"{', '.join('m.' + c.attname for c in shown)} FROM {STAGE} s "
                "JOIN orgs_member m ON m.id = s.member_id WHERE s.changed = 1 ORDER BY s.line LIMIT %s",
                [SAMPLE],
            )
            updates = cur.fetchall()
        refs = [2 + i for i, c in enumerate(shown) if c.type is Type.UNIT]
        unit_ids = {v for row in updates for i in refs for v in (row[i], row[i + n]) if v}
        code_of = dict(Unit.objects.filter(pk__in=unit_ids).values_list("id", "code"))
        coded = {  # in the user's language, as on the member's page
            c.name: dict(MEMBER.model_field(c.name).choices or ()) for c in shown if c.type is Type.CHOICE
        }

        def show(c: Column, v: Any) -> str:
            if v is None or v == "":
                return "—"
            if c.type is Type.UNIT:
                return str(code_of.get(v, v))
            if c.type is Type.YES_NO:
                return "是" if v else "否"
            if c.name in coded:
                return str(coded[c.name].get(v, v))
            return str(v)

        for line, code, name in creates:
            report.sample.append(
                {"row": line, "code": code, "name": name, "action": _("新增"), "changes": ""}
            )
        at_name = [c.name for c in shown].index("name")
        for row in updates:
            new, old = row[2 : 2 + n], row[2 + n :]
            parts = [
                f"{c.label}：{show(c, o)} → {show(c, v)}"
                for c, v, o in zip(shown, new, old, strict=True)
                if str(v) != str(o) and not (c.type is Type.YES_NO and bool(v) == bool(o))
            ]
            report.sample.append(
                {
                    "row": row[0],
                    "code": row[1],
                    "name": new[at_name],
                    "action": _("更新"),
                    "changes": "；".join(parts),
                }
            )

    def check_fresh(
        self,
        used: Mapping[int, str],
        report: ImportReport,
        scope: Sequence[str] | None,
        *,
        kept: Mapping[int, str] | None = None,
    ) -> None:
        """Inside the write transaction: the units the rows were validated against are unchanged (and in
        the subtree, but for the inflow units outside it that ``classify`` kept)."""
        current = {
            pk: (path, active)
            for pk, path, active in Unit.objects.order_by().values_list("id", "path", "is_active")
        }
        checks = [(pk, path, True) for pk, path in used.items()]
        checks += [(pk, path, False) for pk, path in (kept or {}).items()]
        for pk, path, scoped in checks:
            now = current.get(pk)
            if now is None or now[0] != path or not now[1] or (scoped and not in_scope(path, scope)):
                report.error(
                    None, "", _("校验之后组织数据发生了变化（组织被调整、合并或撤销），请重新上传导入。")
                )
                return

    def merge(self) -> None:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cols = ", ".join(MEMBER_VALUE_COLUMNS)
        sets = ", ".join(f"{c} = s.{c}" for c in MEMBER_VALUE_COLUMNS if c != "code")
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO orgs_member ({cols}, updated_at) SELECT {cols}, %s FROM {STAGE} "  # noqa: S608
                "WHERE member_id IS NULL ORDER BY line",
                [now],
            )
            cur.execute(
                f"UPDATE orgs_member SET {sets}, updated_at = %s FROM {STAGE} s "  # noqa: S608
                "WHERE s.member_id = orgs_member.id AND s.changed = 1",
                [now],
            )

    def recheck_scope(self, scope: Sequence[str] | None) -> None:
        """After writing: every written row lies in the importer's subtree (home, and participation but
        for an inflow unit outside it that the member already had)."""
        if scope is None:
            return
        home, p1 = scope_sql("path", scope)
        part, p2 = scope_sql("part_path", scope)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT COUNT(*) FROM {STAGE} WHERE (member_id IS NULL OR changed = 1) "  # noqa: S608
                f"AND NOT (({home}) AND (({part}) OR kept_inflow = 1))",
                p1 + p2,
            )
            (outside,) = cur.fetchone()
        if outside:
            raise PermissionDenied(_("超出您的管理范围。"))


def scope_sql(column: str, scope: Sequence[str]) -> tuple[str, list[str]]:
    if not scope:
        return "1 = 0", []
    parts, params = [], []
    for p in scope:
        parts.append(f"({column} >= %s AND {column} < %s)")
        params += [p, p + UPPER_BOUND]
    return " OR ".join(parts), params
