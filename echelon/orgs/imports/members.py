"""Members import: each row parsed by a pure function of its cells into the staging tuple, the staging table
checked set-based (duplicates, codes held elsewhere), then merged in one transaction.

Up to 1.3M rows: rows go to the TEMP staging table in batches (``staging.Stage``), so memory stays bounded;
the row parser is the hot path (one call per row, no database access).
"""

from __future__ import annotations

import datetime
import itertools
import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any, NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.core.actors import Actor
from echelon.orgs import services, verbs
from echelon.orgs.columns import MEMBER
from echelon.orgs.imports.parsing import (
    CODE_MATCH,
    EARLIEST_BIRTH,
    PHONE_RE,
    YES_NO,
    LookedUpByCode,
    choice_reason,
    code_error,
    in_scope,
    is_iso,
    lookup,
    parse_date,
)
from echelon.orgs.imports.reading import count_lines, read_table
from echelon.orgs.imports.report import ImportFailed, ImportReport, ProgressFn, audit_import
from echelon.orgs.imports.staging import Stage
from echelon.orgs.models import Unit

# Rows handed to the staging table at a time (also the progress step).
BATCH = 20_000
# The cells the row parser reads, in the order it reads them (the file's columns may come in any order).
MEMBER_CELLS = tuple(
    MEMBER[name]
    for name in (
        "code",
        "name",
        "gender",
        "ethnicity",
        "birth_date",
        "joined_date",
        "status",
        "phone",
        "unit",
        "is_mobile",
        "inflow_unit",
    )
)


class UnitRef(NamedTuple):
    id: int
    path: str
    active: bool
    in_scope: bool


def load_unit_refs(scope: Sequence[str] | None) -> dict[str, UnitRef]:
    """Unit code → (id, path, active, inside the importer's subtree): 70k entries at full scale."""
    return {
        code: UnitRef(pk, path, active, in_scope(path, scope))
        for pk, code, path, active in Unit.objects.order_by()
        .values_list("id", "code", "path", "is_active")
        .iterator(chunk_size=10_000)
    }


class UnitRefs(LookedUpByCode[UnitRef]):
    """Unit refs looked up a code at a time, for the row parser on one row (an on-screen edit), without
    loading every unit. Iterating gives only the units looked up so far."""

    def __init__(self, scope: Sequence[str] | None) -> None:
        super().__init__()
        self.scope = scope

    def fetch(self, code: str) -> UnitRef | None:
        row = Unit.objects.filter(code=code).values_list("id", "path", "is_active").first()
        return UnitRef(row[0], row[1], row[2], in_scope(row[1], self.scope)) if row else None


class MemberRowParser:
    """Turns one row's cells into the staging tuple, or reports why it cannot. Pure: no database access."""

    def __init__(self, units: Mapping[str, UnitRef], report: ImportReport, today: datetime.date) -> None:
        self.units = units
        self.report = report
        self.today = today
        self.gender_of = lookup(MEMBER["gender"])
        self.status_of = lookup(MEMBER["status"])
        self.required = [(i, c.label) for i, c in enumerate(MEMBER_CELLS) if c.required]
        self.pick_required = operator.itemgetter(*(i for i, _label in self.required))
        self.used: dict[int, str] = {}  # unit id → path as validated, checked again before writing
        # Inflow units outside the importer's subtree (unit id → path): accepted here, then only where the
        # member keeps that very inflow unit (``staging.Stage.classify``; see ``inflow_out_of_scope``).
        self.kept: dict[int, str] = {}
        self.msg_required = _("必填，不能为空。")
        self.label = MEMBER.labels  # column → header, for the errors

    def unit_error(self, code: str, ref: UnitRef | None, *, scoped: bool = True) -> str | None:
        if ref is None:
            return _("找不到组织代码“%(code)s”。") % {"code": code}
        if not ref.active:
            return _("组织“%(code)s”已撤销或合并。") % {"code": code}
        if scoped and not ref.in_scope:
            return _("组织“%(code)s”不在您的管理范围内。") % {"code": code}
        return None

    def __call__(self, number: int, c: list[str]) -> tuple[Any, ...] | None:
        """The staging tuple (``staging.STAGE_COLUMNS``), or None when the row has errors (reported)."""
        report = self.report
        n_before = report.error_count
        if "" in self.pick_required(c):
            for i, label in self.required:
                if not c[i]:
                    report.error(number, label, self.msg_required)
        (
            code,
            name,
            gender_s,
            ethnicity,
            birth_s,
            joined_s,
            status_s,
            phone,
            unit_code,
            mobile_s,
            inflow_code,
        ) = c
        labels = self.label
        if code and (len(code) > 32 or not CODE_MATCH(code)):
            report.error(number, labels["code"], code_error(code, _("党员编号")) or "")
        if len(name) > 50:
            report.error(number, labels["name"], _("姓名最多 50 个字。"))
        gender = self.gender_of.get(gender_s) or self.gender_of.get(gender_s.lower())
        if gender_s and gender is None:
            report.error(number, labels["gender"], choice_reason(gender_s, MEMBER["gender"]))
        if len(ethnicity) > 10:
            report.error(number, labels["ethnicity"], _("民族最多 10 个字。"))
        birth = joined = None
        if birth_s:
            b = parse_date(birth_s)
            if isinstance(b, str):
                report.error(number, labels["birth_date"], b)
            elif b > self.today:
                report.error(number, labels["birth_date"], _("出生日期不能晚于今天。"))
            elif b < EARLIEST_BIRTH:
                report.error(number, labels["birth_date"], _("出生日期不能早于 1900 年。"))
            else:
                birth = b
        if joined_s:
            j = parse_date(joined_s)
            if isinstance(j, str):
                report.error(number, labels["joined_date"], j)
            elif j > self.today:
                report.error(number, labels["joined_date"], _("入党日期不能晚于今天。"))
            else:
                joined = j
        if birth is not None and joined is not None and joined <= birth:
            report.error(number, labels["joined_date"], _("入党日期必须晚于出生日期。"))
        status = self.status_of.get(status_s) or self.status_of.get(status_s.lower())
        if status_s and status is None:
            report.error(number, labels["status"], choice_reason(status_s, MEMBER["status"]))
        if len(phone) > 20 or not PHONE_RE.match(phone):
            report.error(
                number, labels["phone"], _("联系电话只能包含数字、空格、+、-、括号，最多 20 个字符。")
            )
        unit = None
        if unit_code:
            unit = self.units.get(unit_code)
            if err := self.unit_error(unit_code, unit):
                report.error(number, labels["unit"], err)
                unit = None
        mobile = YES_NO.get(mobile_s.lower()) if mobile_s else False
        if mobile_s and mobile is None:
            report.error(
                number, labels["is_mobile"], _("“%(value)s”不是可选值，应为：是、否。") % {"value": mobile_s}
            )
        inflow = None
        if inflow_code:
            if mobile is False:
                report.error(number, labels["inflow_unit"], _("只有流动党员才能填写流入组织。"))
            elif inflow_code == unit_code:
                report.error(number, labels["inflow_unit"], _("流入组织不能与所在组织相同。"))
            else:
                inflow = self.units.get(inflow_code)
                if err := self.unit_error(inflow_code, inflow, scoped=False):
                    report.error(number, labels["inflow_unit"], err)
                    inflow = None
        if report.error_count != n_before or unit is None:
            return None
        assert birth is not None and joined is not None
        self.used[unit.id] = unit.path
        if inflow is not None:
            (self.used if inflow.in_scope else self.kept)[inflow.id] = inflow.path
        return (
            number,
            code,
            name,
            gender,
            ethnicity,
            birth_s if is_iso(birth_s) else birth.isoformat(),
            joined_s if is_iso(joined_s) else joined.isoformat(),
            status,
            phone,
            unit.id,
            unit.path,
            bool(mobile),
            inflow.id if inflow else None,
            inflow.path if inflow else unit.path,
        )


def members_import(
    *,
    fileobj: IO[bytes],
    fmt: str,
    report: ImportReport,
    actor: Actor,
    scope: Sequence[str] | None,
    dry_run: bool,
    progress: ProgressFn | None = None,
    audit_unit: Unit | None = None,
) -> ImportReport:
    total = count_lines(fileobj) if fmt == "csv" else None
    units = load_unit_refs(scope)
    parser = MemberRowParser(units, report, timezone.localdate())
    rows = read_table(fileobj, fmt, MEMBER.file_columns, report, MEMBER_CELLS)

    def staged() -> Iterator[tuple[Any, ...]]:
        for number, cells in rows:
            report.rows += 1
            row = parser(number, cells)
            if row is not None:
                yield row

    with Stage() as stage:
        it = staged()
        while batch := list(itertools.islice(it, BATCH)):
            stage.write(batch)
            if progress:
                progress(report.rows, total, _("正在校验第 %(n)s 行…") % {"n": f"{report.rows:,}"})
        if progress:
            progress(report.rows, report.rows, _("正在检查重复编号和已有党员…"), force=True)
        stage.duplicates(report)
        if not report.ok:
            return report
        if dry_run:
            stage.classify(report, scope)
            return report
        if progress:  # (progress written inside the transaction would not be seen before the commit)
            progress(report.rows, report.rows, _("正在核对并写入数据库…"), force=True)
        try:
            with transaction.atomic():
                stage.classify(report, scope)
                stage.check_fresh(parser.used, report, scope, kept=parser.kept)
                if not report.ok:
                    raise ImportFailed(report)
                report.applied = True
                if not (report.created or report.updated):
                    return report  # nothing to write
                stage.merge()
                stage.recheck_scope(scope)
                services.rollups_rebuild()
                audit_import(
                    report, actor=actor, scope=scope, audit_unit=audit_unit, verb=verbs.MEMBER_IMPORT
                )
        except ImportFailed:
            report.applied = False
    return report
