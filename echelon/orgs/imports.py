"""Excel/CSV import of units and members: read, validate every row, preview, apply all or nothing.

The flow is the same for the web (a job per step), the command line and the benchmark:

1. ``core.tabular.sniff`` checks the file by content and size; ``read_table`` matches the Chinese headers
   and yields normalised cells; formula cells are refused, never evaluated.
2. Each row is parsed into typed values by plain functions of the row (no database access): required
   fields, lengths, coded values (the Chinese label or the code), dates (format, impossible dates,
   future dates, joined before birth), units known, active and inside the importer's subtree.
3. Cross-row checks: duplicate codes, unknown parents, parent cycles (through the file and the tree),
   levels that do not fit under their parent (``services.placement_error``). Units (≤ 70k rows) are
   checked in memory; members (1.3M rows) go row by row into a TEMP staging table and are checked there
   set-based, so memory stays bounded.
4. The report: created / updated / unchanged counts with a sample of the changes, or every error with
   row, column and reason. Nothing is written when there is any error.
5. Apply, in one transaction: units by bulk insert (new codes), bulk update (changed attributes) and
   ``services.unit_move`` (changed parents); members by ``INSERT … SELECT`` and ``UPDATE … FROM`` from the
   staging table. Then ``services.rollups_rebuild()`` and one audit event for the whole import
   (``orgs.import_units`` / ``orgs.import_members``) naming the file, its sha256, the counts, the user and
   the subtree. Idempotent by code: rows equal to the registry are left untouched.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from echelon.core import audit, tabular
from echelon.core.tree import UPPER_BOUND, child_path, depth_of
from echelon.orgs import pinyin, services
from echelon.orgs.models import (
    ETHNICITIES,
    TERRITORIAL_KINDS,
    AreaType,
    Division,
    Gender,
    Kind,
    LeadBy,
    Level,
    MemberStatus,
    Unit,
)

ProgressFn = Callable[..., None]

# How many errors are kept in full (for the report and the annotated sheet); all are counted.
MAX_ERRORS = 10_000
# Rows handed to the staging table at a time (also the progress step).
BATCH = 20_000
# Rows shown in the preview per kind of change.
SAMPLE = 20
# The column added to the uploaded sheet in the error report; ignored when the sheet is uploaded again.
ERROR_COLUMN = "错误原因"
CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
CODE_MATCH = CODE_RE.match
PHONE_RE = re.compile(r"^[0-9+\-() ]*$")
_FORMULA_CHARS = frozenset("=+-@")


# ---------------------------------------------------------------------------------------------------------
# Columns: one definition for the template, the import and the export
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str  # the Chinese header, the file's contract (never translated)
    key: str
    required: bool
    help: str
    choices: Callable[[], list[tuple[str, str]]] | None = None  # (stored code, Chinese label)


def _zh_choices(choices_cls: Any, *, skip_blank: bool = True) -> Callable[[], list[tuple[str, str]]]:
    def get() -> list[tuple[str, str]]:
        with translation.override("zh-hans"):
            return [(str(v), str(label)) for v, label in choices_cls.choices if not (skip_blank and v == "")]

    return get


def _yes_no() -> list[tuple[str, str]]:
    return [("1", "是"), ("0", "否")]


def _ethnicities() -> list[tuple[str, str]]:
    return [(e, e) for e in ETHNICITIES]


UNIT_COLUMNS: tuple[Column, ...] = (
    Column(
        "组织代码",
        "code",
        True,
        "唯一、不变的代码（行政区划代码或自编码），只能包含字母、数字、-、_、.；已有代码会更新该组织。",
    ),
    Column("名称", "name", True, "组织全称，最多 100 字。"),
    Column(
        "上级组织代码",
        "parent",
        False,
        "上级组织的组织代码；只有自治区可以为空。可以是本文件中新增的组织。修改它即调整隶属。",
    ),
    Column(
        "层级",
        "level",
        True,
        "自治区、盟市、旗县市区、苏木乡镇街道、嘎查村社区（或 1–5）。已有组织的层级不能通过导入修改。",
        _zh_choices(Level),
    ),
    Column(
        "类别", "kind", True, "领导班子、党政机关、直属单位……；嘎查村、社区只能在第五级。", _zh_choices(Kind)
    ),
    Column(
        "区划类型",
        "division",
        False,
        "区划单位（领导班子、嘎查村、社区）的行政区划类型，须与层级相符；其他组织留空。",
        _zh_choices(Division),
    ),
    Column("区域类型", "area_type", False, "农区、牧区、林区、矿区、城区，可留空。", _zh_choices(AreaType)),
    Column("行业系统", "industry", False, "所属行业系统（垂直或双重管理），最多 50 字，可留空。"),
    Column("活动牵头", "lead_by", False, "属地或行业；留空为属地。", _zh_choices(LeadBy)),
)

MEMBER_COLUMNS: tuple[Column, ...] = (
    Column("党员编号", "code", True, "唯一、不变的编号，只能包含字母、数字、-、_、.；已有编号会更新该党员。"),
    Column("姓名", "name", True, "最多 50 字。"),
    Column("性别", "gender", True, "男或女。", _zh_choices(Gender)),
    Column("民族", "ethnicity", True, "如汉族、蒙古族，最多 10 字。", _ethnicities),
    Column("出生日期", "birth_date", True, "日期，如 1980-07-01，不能晚于今天。"),
    Column("入党日期", "joined_date", True, "日期，须晚于出生日期，不能晚于今天。"),
    Column("党员类别", "status", True, "正式党员或预备党员。", _zh_choices(MemberStatus)),
    Column("联系电话", "phone", False, "可留空；只能包含数字、空格、+、-、括号，最多 20 字。"),
    Column("所在组织代码", "unit", True, "党员组织关系所在组织的组织代码，须在您的管理范围内。"),
    Column("是否流动党员", "is_mobile", True, "是或否。", _yes_no),
    Column(
        "流入组织代码",
        "inflow",
        False,
        "流动党员现在参加活动的组织（流入地）的组织代码；非流动党员留空；"
        "流动党员留空即为盲点。须在您的管理范围内。",
    ),
)

COLUMNS = {"units": UNIT_COLUMNS, "members": MEMBER_COLUMNS}


def header(kind: str) -> list[str]:
    return [c.label for c in COLUMNS[kind]]


def help_rows(kind: str) -> list[list[str]]:
    """The 说明 sheet: one line per column."""
    rows = [[_("列名"), _("是否必填"), _("说明"), _("可选值")]]
    for c in COLUMNS[kind]:
        values = "、".join(label for _code, label in c.choices()) if c.choices else ""
        rows.append([c.label, _("必填") if c.required else _("选填"), c.help, values])
    rows.append([])
    rows.append(
        [
            _("导入规则"),
            "",
            _("全部行都正确才会写入，有任何错误都不写入；按代码识别，重复导入同一文件不会产生重复数据。"),
            "",
        ]
    )
    rows.append(["", "", _("系统不计算公式：含公式的单元格会被拒绝，请粘贴为数值。"), ""])
    return rows


def _lookup(column: Column) -> dict[str, str]:
    """Accept the Chinese label or the code (case-insensitive) of a coded value."""
    assert column.choices is not None
    table: dict[str, str] = {}
    for code, label in column.choices():
        table[code] = code
        table[code.lower()] = code
        table[label] = code
    return table


YES_NO = {
    "是": True,
    "否": False,
    "y": True,
    "n": False,
    "yes": True,
    "no": False,
    "1": True,
    "0": False,
    "true": True,
    "false": False,
    "t": True,
    "f": False,
}


# ---------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int | None
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}

    def __str__(self) -> str:
        where = _("第 %(row)s 行") % {"row": self.row} if self.row else _("文件")
        column = f"「{self.column}」" if self.column else ""
        return f"{where}{column}：{self.reason}"


@dataclass
class ImportReport:
    kind: str
    file_name: str = ""
    fmt: str = ""  # csv | xlsx, as sniffed
    sha256: str = ""
    dry_run: bool = True
    applied: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    # Codes of unit rows left out for their own field errors: their children are not "unknown parents".
    failed_codes: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error(self, row: int | None, column: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, column, reason))

    def summary(self) -> str:
        if not self.ok:
            return _("发现 %(n)s 处错误，没有写入任何数据。") % {"n": self.error_count}
        counts = _("新增 %(c)s，更新 %(u)s，未变 %(n)s") % {
            "c": self.created,
            "u": self.updated,
            "n": self.unchanged,
        }
        if self.moved:
            counts += _("（其中调整隶属 %(m)s）") % {"m": self.moved}
        return (_("导入完成：") if self.applied else _("校验通过：")) + counts

    def as_result(self, *, shown_errors: int = 500) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "moved": self.moved,
            "error_count": self.error_count,
            "errors": [e.as_dict() for e in sorted(self.errors, key=_error_key)[:shown_errors]],
            "sample": self.sample,
        }


def _error_key(e: RowError) -> tuple[int, str]:
    return (e.row or 0, e.column)


class ImportFailed(Exception):
    """Raised inside the apply transaction to roll it back; carries the report."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.summary())
        self.report = report


# ---------------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------------


def file_sha256(fileobj: IO[bytes]) -> str:
    fileobj.seek(0)
    h = hashlib.sha256()
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        h.update(chunk)
    fileobj.seek(0)
    return h.hexdigest()


def _count_lines(fileobj: IO[bytes]) -> int:
    fileobj.seek(0)
    n = 0
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        n += chunk.count(b"\n")
    fileobj.seek(0)
    return n


def _unquote(s: str) -> str:
    """Undo the export's neutralisation ('=… → =…) so that a round trip changes nothing; stored as text."""
    if len(s) > 1 and s[0] == "'" and s[1] in _FORMULA_CHARS:
        return s[1:]
    return s


def cell_text(v: Any) -> str:
    """A cell as trimmed text: dates as YYYY-MM-DD, whole numbers without '.0'."""
    if v is None:
        return ""
    if isinstance(v, str):
        s = v.strip()
    elif isinstance(v, datetime.datetime):
        s = v.date().isoformat()
    elif isinstance(v, datetime.date):
        s = v.isoformat()
    elif isinstance(v, bool):
        s = "是" if v else "否"
    elif isinstance(v, int):
        s = str(v)
    elif isinstance(v, float):
        s = str(int(v)) if v.is_integer() else repr(v)
    else:
        s = str(v).strip()
    return _unquote(s) if s[:1] == "'" else s


def read_table(
    fileobj: IO[bytes], fmt: str, columns: Sequence[Column], report: ImportReport
) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cells in `columns` order) for every non-empty data row.

    Header problems (missing, unknown or repeated columns) are reported on row 1 and stop the reading.
    Rows holding formula cells are reported and not yielded.
    """
    rows = _guarded(tabular.read_rows(fileobj, fmt))
    first = next(rows, None)
    if first is None:
        report.error(1, "", _("文件中没有表头行。"))
        return
    _number, head = first
    names = [cell_text(h) for h in head]
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0][1:]
    known = {c.label: c for c in columns}
    positions: dict[str, int] = {}
    header_ok = True
    for i, name in enumerate(names):
        if not name or name == ERROR_COLUMN:
            continue  # blank trailing columns, or the error column of a report uploaded again
        if name not in known:
            report.error(1, name, _("无法识别的列“%(name)s”，请使用模板中的列名。") % {"name": name})
            header_ok = False
        elif name in positions:
            report.error(1, name, _("列“%(name)s”重复出现。") % {"name": name})
            header_ok = False
        else:
            positions[name] = i
    for c in columns:
        if c.label not in positions:
            report.error(1, c.label, _("缺少列“%(name)s”。") % {"name": c.label})
            header_ok = False
    if not header_ok:
        return
    pos = [positions[c.label] for c in columns]
    width = max(pos) + 1
    formula = _("单元格含有公式，系统不计算公式，请改为直接填写值（粘贴为数值）。")
    if fmt == "csv":  # the hot path of a 1.3M-row import: C-level picking and stripping
        pick = operator.itemgetter(*pos)
        strip = str.strip
        for number, values in rows:
            if len(values) < width:
                values = values + [""] * (width - len(values))
            try:
                cells = list(map(strip, pick(values)))
            except TypeError:  # a cell refused by tabular.read_rows (control characters) stands in its place
                for k, p in enumerate(pos):
                    if isinstance(values[p], tabular.CellError):
                        report.error(number, columns[k].label, values[p].reason)
                continue
            if not any(cells):
                continue
            if "'" in "".join(cells):
                cells = [_unquote(s) if s[:1] == "'" else s for s in cells]
            yield number, cells
        return
    for number, values in rows:
        if len(values) < width:
            values = values + [None] * (width - len(values))
        bad = [
            (columns[k].label, values[p])
            for k, p in enumerate(pos)
            if isinstance(values[p], tabular.CellError)
        ]
        if bad:
            for label, cell in bad:
                report.error(number, label, formula if isinstance(cell, tabular.FormulaCell) else cell.reason)
            continue
        cells = [cell_text(values[p]) for p in pos]
        if any(cells):
            yield number, cells


def _guarded(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    """Reading errors of a damaged workbook or of undecodable text become a message for the user."""
    import zipfile

    from openpyxl.utils.exceptions import InvalidFileException

    try:
        yield from rows
    except (zipfile.BadZipFile, InvalidFileException, KeyError, EOFError) as exc:
        raise tabular.UploadError(_("文件已损坏或不是有效的 Excel 工作簿，无法读取。")) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise tabular.UploadError(
            _("无法读取 CSV 文件（编码应为 UTF-8 或 GB18030，且不能含有空字符）。")
        ) from exc


# ---------------------------------------------------------------------------------------------------------
# Field parsers (pure)
# ---------------------------------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
EARLIEST_BIRTH = datetime.date(1900, 1, 1)


def _is_iso(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-"


def parse_date(text: str) -> datetime.date | str:
    """A date, or the reason (in Chinese) why the text is not one."""
    if _is_iso(text):
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass
    m = _DATE_RE.match(text) or _DATE_COMPACT_RE.match(text)
    if not m:
        return _("日期格式不正确：“%(value)s”，应为 1980-07-01 这样的日期。") % {"value": text}
    y, mo, d = (int(g) for g in m.groups())
    try:
        return datetime.date(y, mo, d)
    except ValueError:
        return _("日期不存在：“%(value)s”。") % {"value": text}


def _code_error(value: str, what: str) -> str | None:
    if len(value) > 32:
        return _("%(what)s最多 32 个字符。") % {"what": what}
    if not CODE_RE.match(value):
        return _("%(what)s只能包含字母、数字、-、_、.。") % {"what": what}
    return None


# ---------------------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------------------


@dataclass
class UnitRow:
    row: int
    code: str
    name: str
    parent: str
    level: int
    kind: str
    division: str
    area_type: str
    industry: str
    lead_by: str

    @property
    def territorial(self) -> bool:
        return self.kind in TERRITORIAL_KINDS


class ExistingUnit(NamedTuple):
    id: int
    code: str
    name: str
    parent: str | None  # parent code
    path: str
    level: int
    kind: str
    division: str
    area_type: str
    industry: str
    lead_by: str
    is_active: bool
    lv: tuple[int | None, ...]


def parse_unit_rows(rows: Iterable[tuple[int, list[str]]], report: ImportReport) -> list[UnitRow]:
    """Typed unit rows; field errors go to the report (a row with an error is left out)."""
    cols = {c.key: c for c in UNIT_COLUMNS}
    level_of = {str(v): int(v) for v in Level.values} | {k: int(v) for k, v in _lookup(cols["level"]).items()}
    kind_of = _lookup(cols["kind"])
    division_of = _lookup(cols["division"])
    area_of = _lookup(cols["area_type"])
    lead_of = _lookup(cols["lead_by"])
    required = _("必填，不能为空。")
    parsed: list[UnitRow] = []
    for number, c in rows:
        report.rows += 1
        code, name, parent, level_s, kind_s, division_s, area_s, industry, lead_s = c
        n_before = report.error_count
        for col, value in zip(UNIT_COLUMNS, c, strict=True):
            if col.required and not value:
                report.error(number, col.label, required)
        if code and (len(code) > 32 or not CODE_MATCH(code)):
            report.error(number, "组织代码", _code_error(code, _("组织代码")) or "")
        if parent and (len(parent) > 32 or not CODE_MATCH(parent)):
            report.error(number, "上级组织代码", _code_error(parent, _("上级组织代码")) or "")
        if len(name) > 100:
            report.error(number, "名称", _("名称最多 100 个字。"))
        if len(industry) > 50:
            report.error(number, "行业系统", _("行业系统最多 50 个字。"))
        level = level_of.get(level_s)
        if level_s and level is None:
            report.error(number, "层级", _choice_reason(level_s, cols["level"]))
        kind = kind_of.get(kind_s) or kind_of.get(kind_s.lower())
        if kind_s and kind is None:
            report.error(number, "类别", _choice_reason(kind_s, cols["kind"]))
        division = division_of.get(division_s) or division_of.get(division_s.lower()) if division_s else ""
        if division is None:
            report.error(number, "区划类型", _choice_reason(division_s, cols["division"]))
        area = area_of.get(area_s) or area_of.get(area_s.lower()) if area_s else ""
        if area is None:
            report.error(number, "区域类型", _choice_reason(area_s, cols["area_type"]))
        lead = lead_of.get(lead_s) or lead_of.get(lead_s.lower()) if lead_s else LeadBy.TERRITORY.value
        if lead is None:
            report.error(number, "活动牵头", _choice_reason(lead_s, cols["lead_by"]))
        if report.error_count != n_before:
            if code:
                report.failed_codes.add(code)
        else:
            parsed.append(
                UnitRow(
                    number,
                    code,
                    name,
                    parent,
                    level or 0,
                    kind or "",
                    division or "",
                    area or "",
                    industry,
                    lead or LeadBy.TERRITORY.value,
                )
            )
    return parsed


def _choice_reason(value: str, column: Column) -> str:
    assert column.choices is not None
    allowed = "、".join(label for _c, label in column.choices())
    return _("“%(value)s”不是可选值，应为：%(allowed)s。") % {"value": value, "allowed": allowed}


def load_units() -> dict[str, ExistingUnit]:
    """Every unit by code (≈70k rows at full scale), with its parent's code."""
    rows = list(
        Unit.objects.order_by().values_list(
            "id",
            "code",
            "name",
            "parent_id",
            "path",
            "level",
            "kind",
            "division",
            "area_type",
            "industry",
            "lead_by",
            "is_active",
            "lv1_id",
            "lv2_id",
            "lv3_id",
            "lv4_id",
            "lv5_id",
        )
    )
    code_of = {r[0]: r[1] for r in rows}
    return {
        r[1]: ExistingUnit(
            r[0],
            r[1],
            r[2],
            code_of.get(r[3]) if r[3] else None,
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
            r[11],
            tuple(r[12:17]),
        )
        for r in rows
    }


def in_scope(path: str, scope: Sequence[str] | None) -> bool:
    return scope is None or any(path.startswith(p) for p in scope)


class _Parent(NamedTuple):
    """What ``services.placement_error`` reads of a parent (cheaper than a model instance per row)."""

    level: int
    kind: str
    name: str

    @property
    def is_territorial(self) -> bool:
        return self.kind in TERRITORIAL_KINDS


UNIT_DIFF_FIELDS = ("name", "parent", "kind", "division", "area_type", "industry", "lead_by")


@dataclass
class UnitPlan:
    creates: list[UnitRow] = field(default_factory=list)  # parents before children
    updates: list[tuple[UnitRow, ExistingUnit]] = field(default_factory=list)  # attributes changed
    moves: list[tuple[UnitRow, ExistingUnit]] = field(default_factory=list)  # parent changed, parents first
    depth: dict[str, int | None] = field(default_factory=dict)  # effective depth of each code in the file


def check_units(
    rows: Sequence[UnitRow],
    existing: Mapping[str, ExistingUnit],
    scope: Sequence[str] | None,
    report: ImportReport,
) -> UnitPlan:
    """Cross-row checks and the plan of changes; a pure function of the rows and the registry as it is."""
    col_code, col_parent, col_level = "组织代码", "上级组织代码", "层级"
    in_file: dict[str, UnitRow] = {}
    for r in rows:
        if r.code in in_file:
            report.error(
                r.row,
                col_code,
                _("组织代码“%(code)s”在文件中重复（第 %(first)s 行已有）。")
                % {"code": r.code, "first": in_file[r.code].row},
            )
        else:
            in_file[r.code] = r

    # The parent each code will have after the import: the file's where given, the registry's otherwise.
    def parent_of(code: str) -> str | None:
        if code in in_file:
            return in_file[code].parent or None
        ex = existing.get(code)
        return ex.parent if ex else None

    # Effective depth (None inside a cycle) by walking up through the file and the tree.
    depth: dict[str, int | None] = {}
    for start in in_file:
        chain: list[str] = []
        on_chain: set[str] = set()
        code: str | None = start
        base: int | None = 0
        while code is not None:
            if code in depth:
                base = depth[code]
                break
            if code in on_chain:
                cycle = chain[chain.index(code) :]
                shown = " → ".join([*cycle, code])
                for c in cycle:
                    if c in in_file:
                        report.error(
                            in_file[c].row,
                            col_parent,
                            _("上级组织关系形成循环：%(cycle)s。") % {"cycle": shown},
                        )
                for c in chain:
                    depth[c] = None
                chain = []
                base = None
                break
            on_chain.add(code)
            chain.append(code)
            p = parent_of(code)
            code = p if p is not None and (p in in_file or p in existing) else None
        for c in reversed(chain):
            base = None if base is None else base + 1
            depth[c] = base

    plan = UnitPlan(depth=depth)
    new_root_refused = _("只有系统管理员可以创建没有上级的根组织。")
    for r in in_file.values():
        ex = existing.get(r.code)
        if ex is not None:
            if not ex.is_active:
                report.error(
                    r.row, col_code, _("组织“%(code)s”已撤销或合并，不能再导入。") % {"code": r.code}
                )
                continue
            if not in_scope(ex.path, scope):
                report.error(r.row, col_code, _("组织“%(code)s”不在您的管理范围内。") % {"code": r.code})
                continue
            if r.level != ex.level:
                report.error(
                    r.row,
                    col_level,
                    _("已有组织的层级不能通过导入修改（现为“%(level)s”）。")
                    % {"level": Level(ex.level).label},
                )
                continue
            if r.territorial != (ex.kind in TERRITORIAL_KINDS):
                report.error(r.row, "类别", _("不能把区划单位改为非区划单位，反之亦然。"))
                continue
        parent_changed = ex is None or (r.parent or None) != ex.parent
        parent_obj: _Parent | None = None
        if r.parent:
            if r.parent == r.code:
                report.error(r.row, col_parent, _("上级组织不能是它自己。"))
                continue
            prow = in_file.get(r.parent)
            pex = existing.get(r.parent)
            if prow is not None:
                parent_obj = _Parent(prow.level, prow.kind, prow.name)
            elif pex is not None:
                parent_obj = _Parent(pex.level, pex.kind, pex.name)
            elif r.parent in report.failed_codes:
                continue  # the parent's own row is wrong: reported there
            else:
                report.error(r.row, col_parent, _("找不到上级组织代码“%(code)s”。") % {"code": r.parent})
                continue
            if parent_changed and pex is not None:
                if not pex.is_active:
                    report.error(
                        r.row, col_parent, _("上级组织“%(code)s”已撤销或合并。") % {"code": r.parent}
                    )
                    continue
                if not in_scope(pex.path, scope):
                    report.error(
                        r.row, col_parent, _("上级组织“%(code)s”不在您的管理范围内。") % {"code": r.parent}
                    )
                    continue
        elif ex is not None and ex.parent is not None:
            report.error(r.row, col_parent, _("必填，不能为空（只有根组织没有上级）。"))
            continue
        elif ex is None and scope is not None:
            report.error(r.row, col_parent, new_root_refused)
            continue
        if depth.get(r.code) is None:
            continue  # in a cycle: reported above
        if error := services.placement_error(
            level=r.level, kind=r.kind, division=r.division, parent=cast(Unit | None, parent_obj)
        ):
            column = "区划类型" if "区划类型" in error else col_level
            report.error(r.row, column, error)
            continue
        if ex is None:
            plan.creates.append(r)
            continue
        changed = [f for f in UNIT_DIFF_FIELDS if (getattr(r, f) or None) != (getattr(ex, f) or None)]
        if not changed:
            report.unchanged += 1
            continue
        report.updated += 1
        if "parent" in changed:
            plan.moves.append((r, ex))
            report.moved += 1
        if set(changed) - {"parent"}:
            plan.updates.append((r, ex))
        if len(report.sample) < SAMPLE * 2:
            report.sample.append(_unit_sample(r, ex, changed))
    report.created = len(plan.creates)
    for r in plan.creates[:SAMPLE]:
        report.sample.append(
            {
                "row": r.row,
                "code": r.code,
                "name": r.name,
                "action": _("新增"),
                "changes": _("上级：%(p)s") % {"p": r.parent or "—"},
            }
        )
    plan.creates.sort(key=lambda r: depth[r.code] or 0)
    plan.moves.sort(key=lambda pair: depth[pair[0].code] or 0)
    return plan


def _unit_sample(r: UnitRow, ex: ExistingUnit, changed: list[str]) -> dict[str, Any]:
    labels = {c.key: c.label for c in UNIT_COLUMNS}
    shown = {
        "kind": dict(Kind.choices),
        "division": dict(Division.choices),
        "area_type": dict(AreaType.choices),
        "lead_by": dict(LeadBy.choices),
    }
    parts = []
    for f in changed:
        old, new = getattr(ex, f) or "", getattr(r, f) or ""
        if f in shown:
            old, new = str(shown[f].get(old, old)) if old else "", str(shown[f].get(new, new)) if new else ""
        parts.append(f"{labels[f]}：{old or '—'} → {new or '—'}")
    return {"row": r.row, "code": r.code, "name": r.name, "action": _("更新"), "changes": "；".join(parts)}


def _apply_units(
    plan: UnitPlan, existing: Mapping[str, ExistingUnit], *, actor: Any, scope: Sequence[str] | None
) -> None:
    """Write the plan (inside the caller's transaction): bulk inserts, bulk updates, moves via the service."""
    now = timezone.now()
    placed: dict[str, Unit] = {}

    def parent_unit(code: str) -> Unit | None:
        if not code:
            return None
        if code not in placed:
            ex = existing[code]
            placed[code] = Unit(
                id=ex.id,
                code=ex.code,
                path=ex.path,
                level=ex.level,
                kind=ex.kind,
                **{f"lv{n}_id": ex.lv[n - 1] for n in range(1, 6)},
            )
        return placed[code]

    for _depth, group in itertools.groupby(plan.creates, key=lambda r: plan.depth[r.code]):
        batch = list(group)
        objs = []
        for r in batch:
            full, initials = pinyin.keys(r.name)
            parent = parent_unit(r.parent)
            objs.append(
                Unit(
                    code=r.code,
                    name=r.name,
                    pinyin=full,
                    initials=initials,
                    parent_id=parent.pk if parent else None,
                    path="~" + r.code,
                    depth=0,
                    level=r.level,
                    kind=r.kind,
                    division=r.division,
                    area_type=r.area_type,
                    industry=r.industry,
                    lead_by=r.lead_by,
                )
            )
        Unit.objects.bulk_create(objs, batch_size=500)
        params = []
        for r, obj in zip(batch, objs, strict=True):
            parent = parent_unit(r.parent)
            obj.path = child_path(parent.path if parent else "", obj.pk)
            if not in_scope(obj.path, scope):  # re-check after the write
                raise PermissionDenied(_("超出您的管理范围。"))
            obj.depth = depth_of(obj.path)
            lv = services.level_ancestors(
                parent=parent, level=r.level, territorial=r.territorial, self_id=obj.pk
            )
            for key, value in lv.items():
                setattr(obj, key, value)
            placed[r.code] = obj
            params.append([obj.path, obj.depth, *(lv[f"lv{n}_id"] for n in range(1, 6)), obj.pk])
        with connection.cursor() as cur:
            cur.executemany(
                "UPDATE orgs_unit SET path = %s, depth = %s, "
                "lv1_id = %s, lv2_id = %s, lv3_id = %s, lv4_id = %s, lv5_id = %s WHERE id = %s",
                params,
            )
    if plan.updates:
        params = []
        for r, ex in plan.updates:
            full, initials = pinyin.keys(r.name)
            params.append(
                [
                    r.name,
                    full,
                    initials,
                    r.kind,
                    r.division,
                    r.area_type,
                    r.industry,
                    r.lead_by,
                    connection.ops.adapt_datetimefield_value(now),
                    ex.id,
                ]
            )
        with connection.cursor() as cur:
            cur.executemany(
                "UPDATE orgs_unit SET name = %s, pinyin = %s, initials = %s, kind = %s, division = %s, "
                "area_type = %s, industry = %s, lead_by = %s, updated_at = %s WHERE id = %s",
                params,
            )
    for r, ex in plan.moves:
        target = placed[r.parent] if r.parent in placed else Unit(pk=existing[r.parent].id)
        services.unit_move(actor=actor, unit=Unit(pk=ex.id), new_parent=target)


def units_import(
    *,
    fileobj: IO[bytes],
    fmt: str,
    report: ImportReport,
    actor: Any,
    scope: Sequence[str] | None,
    dry_run: bool,
    progress: ProgressFn | None = None,
    audit_unit: Unit | None = None,
) -> ImportReport:
    rows = parse_unit_rows(read_table(fileobj, fmt, UNIT_COLUMNS, report), report)
    if progress:
        progress(report.rows, report.rows, _("正在校验…"), force=True)
    if dry_run:
        check_units(rows, load_units(), scope, report)
        return report
    if progress:  # (progress written inside the transaction would not be seen before the commit)
        progress(report.rows, report.rows, _("正在核对并写入…"), force=True)
    try:
        with transaction.atomic():
            existing = load_units()
            plan = check_units(rows, existing, scope, report)
            if not report.ok:
                raise ImportFailed(report)
            report.applied = True
            if not (report.created or report.updated):
                return report  # the registry already says what the file says: nothing to write
            try:
                _apply_units(plan, existing, actor=actor, scope=scope)
            except ValidationError as exc:  # a service refused: report it, roll everything back
                report.error(None, "", "；".join(exc.messages))
                raise ImportFailed(report) from exc
            except PermissionDenied as exc:
                report.error(None, "", str(exc) or _("超出您的管理范围。"))
                raise ImportFailed(report) from exc
            services.rollups_rebuild()
            _audit(report, actor=actor, scope=scope, audit_unit=audit_unit, verb="orgs.import_units")
    except ImportFailed:
        report.applied = False
    return report


# ---------------------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------------------


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


class MemberRowParser:
    """Turns one row's cells into the staging tuple, or reports why it cannot. Pure: no database access."""

    def __init__(self, units: Mapping[str, UnitRef], report: ImportReport, today: datetime.date) -> None:
        cols = {c.key: c for c in MEMBER_COLUMNS}
        self.units = units
        self.report = report
        self.today = today
        self.gender_of = _lookup(cols["gender"])
        self.status_of = _lookup(cols["status"])
        self.labels = [c.label for c in MEMBER_COLUMNS]
        self.required = [(i, c.label) for i, c in enumerate(MEMBER_COLUMNS) if c.required]
        self.pick_required = operator.itemgetter(*(i for i, _label in self.required))
        self.used: dict[int, str] = {}  # unit id → path as validated, checked again before writing
        self.cols = cols
        self.msg_required = _("必填，不能为空。")

    def unit_error(self, code: str, ref: UnitRef | None) -> str | None:
        if ref is None:
            return _("找不到组织代码“%(code)s”。") % {"code": code}
        if not ref.active:
            return _("组织“%(code)s”已撤销或合并。") % {"code": code}
        if not ref.in_scope:
            return _("组织“%(code)s”不在您的管理范围内。") % {"code": code}
        return None

    def __call__(self, number: int, c: list[str]) -> tuple[Any, ...] | None:
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
        if code and (len(code) > 32 or not CODE_MATCH(code)):
            report.error(number, "党员编号", _code_error(code, _("党员编号")) or "")
        if len(name) > 50:
            report.error(number, "姓名", _("姓名最多 50 个字。"))
        gender = self.gender_of.get(gender_s) or self.gender_of.get(gender_s.lower())
        if gender_s and gender is None:
            report.error(number, "性别", _choice_reason(gender_s, self.cols["gender"]))
        if len(ethnicity) > 10:
            report.error(number, "民族", _("民族最多 10 个字。"))
        birth = joined = None
        if birth_s:
            b = parse_date(birth_s)
            if isinstance(b, str):
                report.error(number, "出生日期", b)
            elif b > self.today:
                report.error(number, "出生日期", _("出生日期不能晚于今天。"))
            elif b < EARLIEST_BIRTH:
                report.error(number, "出生日期", _("出生日期不能早于 1900 年。"))
            else:
                birth = b
        if joined_s:
            j = parse_date(joined_s)
            if isinstance(j, str):
                report.error(number, "入党日期", j)
            elif j > self.today:
                report.error(number, "入党日期", _("入党日期不能晚于今天。"))
            else:
                joined = j
        if birth is not None and joined is not None and joined <= birth:
            report.error(number, "入党日期", _("入党日期必须晚于出生日期。"))
        status = self.status_of.get(status_s) or self.status_of.get(status_s.lower())
        if status_s and status is None:
            report.error(number, "党员类别", _choice_reason(status_s, self.cols["status"]))
        if len(phone) > 20 or not PHONE_RE.match(phone):
            report.error(number, "联系电话", _("联系电话只能包含数字、空格、+、-、括号，最多 20 个字符。"))
        unit = None
        if unit_code:
            unit = self.units.get(unit_code)
            if err := self.unit_error(unit_code, unit):
                report.error(number, "所在组织代码", err)
                unit = None
        mobile = YES_NO.get(mobile_s.lower()) if mobile_s else False
        if mobile_s and mobile is None:
            report.error(
                number, "是否流动党员", _("“%(value)s”不是可选值，应为：是、否。") % {"value": mobile_s}
            )
        inflow = None
        if inflow_code:
            if mobile is False:
                report.error(number, "流入组织代码", _("只有流动党员才能填写流入组织。"))
            elif inflow_code == unit_code:
                report.error(number, "流入组织代码", _("流入组织不能与所在组织相同。"))
            else:
                inflow = self.units.get(inflow_code)
                if err := self.unit_error(inflow_code, inflow):
                    report.error(number, "流入组织代码", err)
                    inflow = None
        if report.error_count != n_before or unit is None:
            return None
        assert birth is not None and joined is not None
        self.used[unit.id] = unit.path
        if inflow is not None:
            self.used[inflow.id] = inflow.path
        return (
            number,
            code,
            name,
            gender,
            ethnicity,
            birth_s if _is_iso(birth_s) else birth.isoformat(),
            joined_s if _is_iso(joined_s) else joined.isoformat(),
            status,
            phone,
            unit.id,
            unit.path,
            bool(mobile),
            inflow.id if inflow else None,
            inflow.path if inflow else unit.path,
        )


STAGE = "orgs_import_stage"
STAGE_COLUMNS = (
    "line",
    "code",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "joined_date",
    "status",
    "phone",
    "unit_id",
    "path",
    "is_mobile",
    "inflow_unit_id",
    "part_path",
)
MEMBER_VALUE_COLUMNS = STAGE_COLUMNS[1:]  # the orgs_member columns an import writes (plus updated_at)
MEMBER_COMPARED = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "joined_date",
    "status",
    "phone",
    "unit_id",
    "path",
    "is_mobile",
    "part_path",
)


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
        types = {
            "line": "integer",
            "code": "varchar(32)",
            "name": "varchar(50)",
            "gender": "varchar(1)",
            "ethnicity": "varchar(10)",
            "birth_date": "date" if pg else "text",
            "joined_date": "date" if pg else "text",
            "status": "varchar(16)",
            "phone": "varchar(20)",
            "unit_id": "bigint",
            "path": "text",
            "is_mobile": "boolean" if pg else "integer",
            "inflow_unit_id": "bigint",
            "part_path": "text",
        }
        cols = ", ".join(f"{c} {types[c]}" for c in STAGE_COLUMNS)
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {STAGE}")
            if not pg and not connection.in_atomic_block:
                self.restore = _set_pragmas(cur, SQLITE_IMPORT_PRAGMAS)
            cur.execute(
                f"CREATE TEMP TABLE {STAGE} ({cols}, member_id bigint, changed integer NOT NULL DEFAULT 0)"
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
                    "党员编号",
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
                cond, params = _scope_sql("m.path", scope)
                cur.execute(
                    f"SELECT s.line, s.code FROM {STAGE} s JOIN orgs_member m ON m.id = s.member_id "  # noqa: S608
                    f"WHERE NOT ({cond}) ORDER BY s.line",
                    params,
                )
                for line, code in cur.fetchall():
                    report.error(
                        line,
                        "党员编号",
                        _("党员编号“%(code)s”不能在此使用：请核对编号（党员转入请办理组织关系转接）。")
                        % {"code": code},
                    )
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
        labels = {c.key: c.label for c in MEMBER_COLUMNS}
        shown = tuple(f for f in services.MEMBER_FIELDS if f != "code")
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT line, code, name FROM {STAGE} WHERE member_id IS NULL ORDER BY line LIMIT %s",  # noqa: S608
                [SAMPLE],
            )
            creates = cur.fetchall()
            cur.execute(
                f"SELECT s.line, s.code, {', '.join('s.' + c for c in shown)}, "  # noqa: S608
                f"{', '.join('m.' + c for c in shown)} FROM {STAGE} s "
                "JOIN orgs_member m ON m.id = s.member_id WHERE s.changed = 1 ORDER BY s.line LIMIT %s",
                [SAMPLE],
            )
            updates = cur.fetchall()
        unit_ids = {v for row in updates for v in (row[9], row[11], row[19], row[21]) if v}
        code_of = dict(Unit.objects.filter(pk__in=unit_ids).values_list("id", "code"))
        gender = dict(Gender.choices)
        status = dict(MemberStatus.choices)
        key_label = {
            "unit_id": labels["unit"],
            "inflow_unit_id": labels["inflow"],
            "is_mobile": labels["is_mobile"],
        }

        def show(key: str, v: Any) -> str:
            if v is None or v == "":
                return "—"
            if key in ("unit_id", "inflow_unit_id"):
                return str(code_of.get(v, v))
            if key == "is_mobile":
                return "是" if v else "否"
            if key == "gender":
                return str(gender.get(v, v))
            if key == "status":
                return str(status.get(v, v))
            return str(v)

        for line, code, name in creates:
            report.sample.append(
                {"row": line, "code": code, "name": name, "action": _("新增"), "changes": ""}
            )
        n = len(shown)
        for row in updates:
            new, old = row[2 : 2 + n], row[2 + n :]
            parts = [
                f"{key_label.get(k, labels.get(k, k))}：{show(k, o)} → {show(k, v)}"
                for k, v, o in zip(shown, new, old, strict=True)
                if str(v) != str(o) and not (k == "is_mobile" and bool(v) == bool(o))
            ]
            report.sample.append(
                {
                    "row": row[0],
                    "code": row[1],
                    "name": new[0],
                    "action": _("更新"),
                    "changes": "；".join(parts),
                }
            )

    def check_fresh(self, used: Mapping[int, str], report: ImportReport, scope: Sequence[str] | None) -> None:
        """Inside the write transaction: the units the rows were validated against are unchanged."""
        current = {
            pk: (path, active)
            for pk, path, active in Unit.objects.order_by().values_list("id", "path", "is_active")
        }
        for pk, path in used.items():
            now = current.get(pk)
            if now is None or now[0] != path or not now[1] or not in_scope(path, scope):
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
        """After writing: every written row lies in the importer's subtree (path and participation)."""
        if scope is None:
            return
        home, p1 = _scope_sql("path", scope)
        part, p2 = _scope_sql("part_path", scope)
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT COUNT(*) FROM {STAGE} WHERE (member_id IS NULL OR changed = 1) "  # noqa: S608
                f"AND NOT (({home}) AND ({part}))",
                p1 + p2,
            )
            (outside,) = cur.fetchone()
        if outside:
            raise PermissionDenied(_("超出您的管理范围。"))


def _scope_sql(column: str, scope: Sequence[str]) -> tuple[str, list[str]]:
    if not scope:
        return "1 = 0", []
    parts, params = [], []
    for p in scope:
        parts.append(f"({column} >= %s AND {column} < %s)")
        params += [p, p + UPPER_BOUND]
    return " OR ".join(parts), params


def members_import(
    *,
    fileobj: IO[bytes],
    fmt: str,
    report: ImportReport,
    actor: Any,
    scope: Sequence[str] | None,
    dry_run: bool,
    progress: ProgressFn | None = None,
    audit_unit: Unit | None = None,
) -> ImportReport:
    total = _count_lines(fileobj) if fmt == "csv" else None
    units = load_unit_refs(scope)
    parser = MemberRowParser(units, report, timezone.localdate())
    rows = read_table(fileobj, fmt, MEMBER_COLUMNS, report)

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
                stage.check_fresh(parser.used, report, scope)
                if not report.ok:
                    raise ImportFailed(report)
                report.applied = True
                if not (report.created or report.updated):
                    return report  # nothing to write
                stage.merge()
                stage.recheck_scope(scope)
                services.rollups_rebuild()
                _audit(report, actor=actor, scope=scope, audit_unit=audit_unit, verb="orgs.import_members")
        except ImportFailed:
            report.applied = False
    return report


# ---------------------------------------------------------------------------------------------------------
# Entry point, audit and the annotated error sheet
# ---------------------------------------------------------------------------------------------------------


def import_file(
    *,
    kind: str,
    fileobj: IO[bytes],
    name: str,
    actor: Any,
    scope: Sequence[str] | None,
    dry_run: bool,
    progress: ProgressFn | None = None,
    audit_unit: Unit | None = None,
    max_bytes: int | None = None,
    sha256: str = "",
) -> ImportReport:
    """Check, validate and (unless `dry_run`) apply one file. `scope`: subtree paths the rows must stay in
    (None: the whole tree, for the system). Raises tabular.UploadError when the file as a whole is refused."""
    if kind not in COLUMNS:
        raise ValueError(kind)
    fmt = tabular.sniff(fileobj, name, max_bytes=max_bytes)
    report = ImportReport(
        kind=kind, file_name=Path(name).name, fmt=fmt, sha256=sha256 or file_sha256(fileobj), dry_run=dry_run
    )
    run = units_import if kind == "units" else members_import
    return run(
        fileobj=fileobj,
        fmt=fmt,
        report=report,
        actor=actor,
        scope=scope,
        dry_run=dry_run,
        progress=progress,
        audit_unit=audit_unit,
    )


def _audit(
    report: ImportReport, *, actor: Any, scope: Sequence[str] | None, audit_unit: Unit | None, verb: str
) -> None:
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    if scope is None:
        subtree: list[str] = ["*"]
    else:
        subtree = list(
            Unit.objects.filter(path__in=list(scope)).order_by("path").values_list("code", flat=True)
        )
    unit = audit_unit
    if unit is None and scope and len(scope) == 1:
        unit = Unit.objects.filter(path=scope[0]).first()
    audit.record(
        actor=actor,
        verb=verb,
        object_type="orgs.import",
        object_id=report.sha256,
        object_repr=report.file_name,
        unit_id=unit.pk if unit else None,
        unit_path=unit.path if unit else "",
        after={
            "file": report.file_name,
            "sha256": report.sha256,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "moved": report.moved,
            "user": actor.get_username() if is_user else "system",
            "subtree": subtree,
        },
    )


XLSX_MAX_DATA_ROWS = 1_048_575


def write_error_sheet(fileobj: IO[bytes], fmt: str, report: ImportReport, out: Path | IO[bytes]) -> int:
    """The uploaded sheet with a 错误原因 column added (XLSX), rows where they were, so the user can fix it
    and upload it again. Errors about the file as a whole go to a second sheet. Beyond Excel's row limit
    only the rows with errors are written, with their original row numbers."""
    by_row: dict[int, list[str]] = {}
    general: list[list[str]] = [[_("行"), _("列"), _("原因")]]
    for e in sorted(report.errors, key=_error_key):
        if e.row is None or e.row == 1:
            general.append([str(e.row or "—"), e.column, e.reason])
        else:
            by_row.setdefault(e.row, []).append(f"{e.column}：{e.reason}" if e.column else e.reason)
    if report.error_count > len(report.errors):
        general.append(["—", "", _("错误过多，只标出了前 %(n)s 处。") % {"n": len(report.errors)}])
    fileobj.seek(0)
    rows = _guarded(tabular.read_rows(fileobj, fmt))
    first = next(rows, None)
    head = [cell_text(h) for h in (first[1] if first else [])]
    drop = head.index(ERROR_COLUMN) if ERROR_COLUMN in head else -1  # a report uploaded again
    if drop >= 0:
        head.pop(drop)
    only_errors = report.rows > XLSX_MAX_DATA_ROWS
    out_head = ([_("原行号")] if only_errors else []) + head + [ERROR_COLUMN]

    def body() -> Iterator[list[Any]]:
        for number, vals in rows:
            vals = [str(v.args[0]) if isinstance(v, tabular.FormulaCell) else v for v in vals]
            if 0 <= drop < len(vals):
                vals.pop(drop)
            vals = (vals + [None] * len(head))[: len(head)]
            msgs = by_row.get(number)
            if only_errors:
                if msgs:
                    yield [number, *vals, "；".join(msgs)]
            else:
                yield [*vals, "；".join(msgs) if msgs else ""]

    extra = [(_("文件错误"), general)] if len(general) > 1 else []
    return tabular.write_xlsx(out, out_head, body(), title=_("导入数据"), extra_sheets=extra)
