"""Excel/CSV export of units and members, and the import templates (an export with a 说明 sheet).

The file columns of ``orgs.columns`` (the import's), coded values as their Chinese labels, so that an
exported file can be edited and uploaded again. Rows are read with ``.iterator()`` and
written by ``core.tabular``'s streaming writers (CSV chunks, write-only XLSX), so memory stays bounded;
every cell starting with = + - @ is neutralised there. The querysets go through ``visible_to(user,
"export")`` and the list pages' own filters (``orgs.filters``), so an export of a filtered list holds what
the list shows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from echelon.core import audit, tabular
from echelon.core.actors import Actor
from echelon.orgs import verbs
from echelon.orgs.columns import ENTITIES, MEMBER, UNIT, Column, Entity, Type
from echelon.orgs.filters import MemberFilter, UnitFilter
from echelon.orgs.imports.reading import XLSX_MAX_DATA_ROWS
from echelon.orgs.models import Member, Unit

KINDS = tuple(ENTITIES)
FORMATS = ("csv", "xlsx")
CHUNK = 2000


class ExportTooLarge(Exception):
    """More rows than one Excel sheet holds."""


def unit_queryset(
    user: Actor, root: Unit, *, params: Mapping[str, Any] | None = None, scope: str = "subtree"
) -> QuerySet[Unit]:
    """Active units under `root` the user may export. `scope="children"` with the unit page's filter
    parameters gives exactly the unit page's table; `user=None` is the system (commands)."""
    base = Unit.objects.filter(is_active=True)
    if user is not None:
        base = base.visible_to(user, "export")
    qs = base.filter(parent=root) if scope == "children" else base.within(root.path)
    if params:
        qs = UnitFilter(params, queryset=qs).qs
    return qs.order_by("path")


def member_queryset(
    user: Actor, root: Unit, *, params: Mapping[str, Any] | None = None, scope: str = "home"
) -> QuerySet[Member]:
    """Members under `root` the user may export: by home unit, or (`scope="participating"`) where they
    take part, as on the member list page, with its filters."""
    base = Member.objects.all()
    if user is not None:
        base = base.visible_to(user, "export")
    qs = base.participating_in(root.path) if scope == "participating" else base.within(root.path)
    if params:
        qs = MemberFilter(params, queryset=qs).qs
    return qs.order_by("path", "id")


def _as_written(entity: Entity, column: Column) -> Mapping[Any, Any] | None:
    """Stored value → the value a file holds, for the columns written otherwise than stored: coded values
    as their Chinese labels, no unit as a blank. (Dates stay dates: see ``_iso_dates``.)"""
    if column.type in (Type.CHOICE, Type.YES_NO):
        return column.coded()
    if column.type is Type.UNIT and entity.model_field(column.name).null:
        return {None: ""}
    return None


def rows(entity: Entity, qs: QuerySet[Any]) -> Iterator[list[Any]]:
    """The file rows of `qs`: the file columns in order, as the files hold them."""
    columns = entity.file_columns
    convert = [(i, table.get) for i, c in enumerate(columns) if (table := _as_written(entity, c)) is not None]
    for values in qs.values_list(*(c.lookup for c in columns)).iterator(chunk_size=CHUNK):
        row = list(values)
        for i, written in convert:
            row[i] = written(row[i], row[i])  # as written, or as stored
        yield row


def unit_rows(qs: QuerySet[Unit]) -> Iterator[list[Any]]:
    return rows(UNIT, qs)


def member_rows(qs: QuerySet[Member]) -> Iterator[list[Any]]:
    return rows(MEMBER, qs)


def rows_for(kind: str, qs: QuerySet[Any]) -> Iterator[list[Any]]:
    return rows(ENTITIES[kind], qs)


def header(kind: str) -> list[str]:
    return ENTITIES[kind].header()


def help_rows(kind: str) -> list[list[str]]:
    """The template's 说明 sheet: one line per column, then the rules."""
    lines = [[_("列名"), _("是否必填"), _("说明"), _("可选值")]]
    for c in ENTITIES[kind].file_columns:
        values = "、".join(label for _code, label in c.choices()) if c.choices else ""
        lines.append([c.label, _("必填") if c.required else _("选填"), c.help, values])
    lines.append([])
    lines.append(
        [
            _("导入规则"),
            "",
            _("全部行都正确才会写入，有任何错误都不写入；按代码识别，重复导入同一文件不会产生重复数据。"),
            "",
        ]
    )
    lines.append(["", "", _("系统不计算公式：含公式的单元格会被拒绝，请粘贴为数值。"), ""])
    return lines


def _iso_dates(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    for row in rows:
        yield [v.isoformat() if hasattr(v, "isoformat") else v for v in row]


def iter_csv(kind: str, rows: Iterator[list[Any]]) -> Iterator[bytes]:
    """CSV bytes in chunks (UTF-8 with BOM so Excel reads the Chinese); dates as YYYY-MM-DD."""
    return tabular.iter_csv(header(kind), _iso_dates(rows))


def write_xlsx(kind: str, rows: Iterator[list[Any]], out: Path | IO[bytes]) -> int:
    """A workbook that is also the import template: bold frozen header, drop-down lists for the coded
    columns, a 说明 sheet. Refuses to go beyond one sheet's rows rather than cut the data silently."""
    columns = ENTITIES[kind].file_columns
    validations = [(i, [label for _code, label in c.choices()]) for i, c in enumerate(columns) if c.choices]

    too_many = False

    def capped() -> Iterator[list[Any]]:
        nonlocal too_many
        for n, row in enumerate(rows, start=1):
            if n > XLSX_MAX_DATA_ROWS:
                too_many = True  # stop here and let the workbook close cleanly; refused below
                return
            yield row

    n = tabular.write_xlsx(
        out,
        header(kind),
        capped(),
        title=ENTITIES[kind].noun,
        extra_sheets=[("说明", help_rows(kind))],
        validations=validations,
    )
    if too_many:
        raise ExportTooLarge
    return n


def write_file(kind: str, rows: Iterator[list[Any]], path: Path) -> int:
    """Write to `path`, the format from its extension (.csv or .xlsx). Returns the number of rows."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return tabular.write_csv(path, header(kind), _iso_dates(rows))
    if suffix == ".xlsx":
        return write_xlsx(kind, rows, path)
    raise ValueError(suffix)


def estimate(kind: str, root: Unit, scope: str) -> int:
    """An upper bound of the rows an export holds, from the rollups (never a count over 1.3M rows)."""
    if kind == "units":
        return root.sub_units
    return root.sub_participants if scope == "participating" else root.sub_members


def filename(kind: str, root: Unit, fmt: str, *, template: bool = False) -> str:
    suffix = "导入模板" if template else "导出"
    return f"{ENTITIES[kind].noun}{suffix}-{root.code}.{fmt}"


def record_export(
    *, actor: Actor, kind: str, unit: Unit, fmt: str, scope: str, params: Mapping[str, Any]
) -> None:
    """Exports carry personal data (names, birth dates, phones): who took what is kept in the audit trail."""
    with transaction.atomic():
        audit.record(
            actor=actor,
            verb=verbs.UNIT_EXPORT if kind == "units" else verbs.MEMBER_EXPORT,
            object_type="orgs.export",
            object_id=unit.code,
            object_repr=unit.name,
            unit_id=unit.pk,
            unit_path=unit.path,
            after={"format": fmt, "scope": scope, "filters": dict(params)},
        )
