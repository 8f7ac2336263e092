"""Excel/CSV export of units and members, and the import templates (an export with a 说明 sheet).

Same columns as the import (``imports.UNIT_COLUMNS`` / ``MEMBER_COLUMNS``), coded values as their Chinese
labels, so that an exported file can be edited and uploaded again. Rows are read with ``.iterator()`` and
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
from django.utils import translation

from echelon.core import audit, tabular
from echelon.orgs.filters import MemberFilter, UnitFilter
from echelon.orgs.imports import COLUMNS, XLSX_MAX_DATA_ROWS, header, help_rows
from echelon.orgs.models import AreaType, Division, Gender, Kind, LeadBy, Level, Member, MemberStatus, Unit

KINDS = ("units", "members")
FORMATS = ("csv", "xlsx")
CHUNK = 2000


class ExportTooLarge(Exception):
    """More rows than one Excel sheet holds."""


def unit_queryset(
    user: Any, root: Unit, *, params: Mapping[str, Any] | None = None, scope: str = "subtree"
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
    user: Any, root: Unit, *, params: Mapping[str, Any] | None = None, scope: str = "home"
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


def _labels(choices_cls: Any) -> dict[Any, str]:
    with translation.override("zh-hans"):
        return {v: str(label) for v, label in choices_cls.choices if v != ""}


def unit_rows(qs: QuerySet[Unit]) -> Iterator[list[Any]]:
    level, kind, division = _labels(Level), _labels(Kind), _labels(Division)
    area, lead = _labels(AreaType), _labels(LeadBy)
    values = qs.values_list(
        "code", "name", "parent__code", "level", "kind", "division", "area_type", "industry", "lead_by"
    )
    for code, name, parent, lv, kd, div, ar, industry, lb in values.iterator(chunk_size=CHUNK):
        yield [
            code,
            name,
            parent or "",
            level.get(lv, lv),
            kind.get(kd, kd),
            division.get(div, ""),
            area.get(ar, ""),
            industry,
            lead.get(lb, lb),
        ]


def member_rows(qs: QuerySet[Member]) -> Iterator[list[Any]]:
    gender, status = _labels(Gender), _labels(MemberStatus)
    values = qs.values_list(
        "code",
        "name",
        "gender",
        "ethnicity",
        "birth_date",
        "joined_date",
        "status",
        "phone",
        "unit__code",
        "is_mobile",
        "inflow_unit__code",
    )
    for code, name, g, eth, birth, joined, st, phone, unit, mobile, inflow in values.iterator(
        chunk_size=CHUNK
    ):
        yield [
            code,
            name,
            gender.get(g, g),
            eth,
            birth,
            joined,
            status.get(st, st),
            phone,
            unit,
            "是" if mobile else "否",
            inflow or "",
        ]


def rows_for(kind: str, qs: QuerySet[Any]) -> Iterator[list[Any]]:
    return unit_rows(qs) if kind == "units" else member_rows(qs)


def _iso_dates(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    for row in rows:
        yield [v.isoformat() if hasattr(v, "isoformat") else v for v in row]


def iter_csv(kind: str, rows: Iterator[list[Any]]) -> Iterator[bytes]:
    """CSV bytes in chunks (UTF-8 with BOM so Excel reads the Chinese); dates as YYYY-MM-DD."""
    return tabular.iter_csv(header(kind), _iso_dates(rows))


def write_xlsx(kind: str, rows: Iterator[list[Any]], out: Path | IO[bytes]) -> int:
    """A workbook that is also the import template: bold frozen header, drop-down lists for the coded
    columns, a 说明 sheet. Refuses to go beyond one sheet's rows rather than cut the data silently."""
    columns = COLUMNS[kind]
    validations = [(i, [label for _code, label in c.choices()]) for i, c in enumerate(columns) if c.choices]

    too_many = False

    def capped() -> Iterator[list[Any]]:
        nonlocal too_many
        for n, row in enumerate(rows, start=1):
            if n > XLSX_MAX_DATA_ROWS:
                too_many = True  # stop here and let the workbook close cleanly; refused below
                return
            yield row

    title = "组织" if kind == "units" else "党员"
    n = tabular.write_xlsx(
        out,
        header(kind),
        capped(),
        title=title,
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
    what = {"units": "组织", "members": "党员"}[kind]
    suffix = "导入模板" if template else "导出"
    return f"{what}{suffix}-{root.code}.{fmt}"


def record_export(
    *, actor: Any, kind: str, unit: Unit, fmt: str, scope: str, params: Mapping[str, Any]
) -> None:
    """Exports carry personal data (names, birth dates, phones): who took what is kept in the audit trail."""
    with transaction.atomic():
        audit.record(
            actor=actor,
            verb=f"orgs.export_{kind}",
            object_type="orgs.export",
            object_id=unit.code,
            object_repr=unit.name,
            unit_id=unit.pk,
            unit_path=unit.path,
            after={"format": fmt, "scope": scope, "filters": dict(params)},
        )
