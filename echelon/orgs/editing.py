"""On-screen editing of units and members (pages and API): the importer's row checks, then the services.

A form (or an API body) carries the cells of one file row, as text, by the column names of
``orgs.columns``; the very checks of an import read it: ``imports.units.parse_unit_rows`` and
``check_units`` for a unit (required cells, coded values, the parent known, active and in the writer's
subtree, parent cycles through the tree, the level fitting under the parent), ``imports.members
.MemberRowParser`` for a member (dates, the units known, active and in the subtree, the inflow unit's
rules). No check is written twice: what an import refuses, the form refuses with the same words, on the
field the import names as the column. The row then goes to the services (``unit_create``, ``unit_update``,
``unit_move``, ``member_create``, ``member_update``), which write the audit events, all in one transaction.

The writer's subtree is their ``change`` scope (offices and operators, ADR 11: registry edits). A code is a
unit's or a member's identity: it is given when created and never changed. An existing unit's level is not
changed here either (as in imports: a unit of another level is another unit).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.core.actors import Actor
from echelon.core.querysets import scope_paths
from echelon.orgs import services
from echelon.orgs.columns import MEMBER, UNIT, Entity
from echelon.orgs.imports.members import MEMBER_CELLS, MemberRowParser, UnitRefs
from echelon.orgs.imports.parsing import inflow_out_of_scope
from echelon.orgs.imports.report import ImportReport
from echelon.orgs.imports.units import UNIT_CELLS, UnitsByCode, check_units, parse_unit_rows
from echelon.orgs.models import Member, Unit

ROW = 1  # the one row of an on-screen edit (errors name no row)


def _scope(actor: Actor) -> list[str] | None:
    return None if actor is None else scope_paths(actor, "change")


def _refusal(report: ImportReport, entity: Entity) -> ValidationError:
    """The importer's errors as a form's: on the field named by the column, the others on the form."""
    field_of = {c.label: c.name for c in entity.file_columns}
    errors: dict[str, list[str]] = defaultdict(list)
    for e in report.errors:
        errors[field_of.get(e.column, NON_FIELD_ERRORS)].append(e.reason)
    return ValidationError(dict(errors))


def _text(cells: Mapping[str, Any], name: str) -> str:
    value = cells.get(name)
    return "" if value is None else str(value).strip()


# ---------------------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------------------


def unit_cells(unit: Unit) -> dict[str, str]:
    """A unit as the cells of its file row (stored values; a form's initial values)."""
    return {
        c.name: (unit.parent.code if unit.parent_id and unit.parent else "")
        if c.name == "parent"
        else str(getattr(unit, c.attname) or "")
        for c in UNIT_CELLS
    }


def unit_save(*, actor: Actor, cells: Mapping[str, Any], unit: Unit | None = None) -> Unit:
    """Create a unit (``unit`` None) or change one from the cells of its row, checked as an import checks
    it. A changed parent moves the unit with its subtree (cycles refused). A new unit joins the campaigns
    running over it (``services.units_created``)."""
    values = {c.name: _text(cells, c.name) for c in UNIT_CELLS}
    if unit is not None:
        values["code"] = unit.code
        values["level"] = str(unit.level)
    report = ImportReport(kind="units")
    rows = parse_unit_rows([(ROW, [values[c.name] for c in UNIT_CELLS])], report)
    if not report.ok:
        raise _refusal(report, UNIT)
    with transaction.atomic():
        existing = UnitsByCode()
        if unit is None and values["code"] in existing:
            raise ValidationError({"code": [_("组织代码“%(code)s”已存在。") % {"code": values["code"]}]})
        plan = check_units(rows, existing, _scope(actor), report)
        if not report.ok:
            raise _refusal(report, UNIT)
        (row,) = rows
        if plan.creates:
            parent = Unit.objects.get(code=row.parent) if row.parent else None
            data = services.UnitData(
                **{f: getattr(row, f) for f in ("code", "name", "level", "kind", "division", "area_type")},
                industry=row.industry,
                lead_by=row.lead_by,
            )
            return services.unit_create(actor=actor, parent=parent, data=data)
        assert unit is not None
        for r, ex in plan.moves:
            services.unit_move(actor=actor, unit=Unit(pk=ex.id), new_parent=Unit.objects.get(code=r.parent))
        for r, ex in plan.updates:
            changes = {
                f: getattr(r, f)
                for f in services.UNIT_EDITABLE
                if (getattr(r, f) or None) != (getattr(ex, f) or None)  # as check_units compares
            }
            services.unit_update(actor=actor, unit=Unit(pk=ex.id), changes=changes)
        return Unit.objects.get(pk=unit.pk)


# ---------------------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------------------


def member_cells(member: Member) -> dict[str, str]:
    """A member as the cells of its file row (stored values: codes, ISO dates, 是/否)."""
    cells: dict[str, str] = {}
    for c in MEMBER_CELLS:
        if c.name in ("unit", "inflow_unit"):
            ref = getattr(member, c.name)
            cells[c.name] = ref.code if ref is not None else ""
        elif c.name == "is_mobile":
            cells[c.name] = "是" if member.is_mobile else "否"
        else:
            value = getattr(member, c.attname)
            cells[c.name] = value.isoformat() if isinstance(value, datetime.date) else str(value or "")
    return cells


def member_save(*, actor: Actor, cells: Mapping[str, Any], member: Member | None = None) -> Member:
    """Create a member (``member`` None) or change one from the cells of its row, checked by the importer's
    row parser: editing, a transfer to another unit of the writer's subtree, marking mobile with an inflow
    unit (or none: a blind spot). An inflow unit outside the subtree is kept only if the member already has
    it (``imports.parsing.inflow_out_of_scope``), as in imports."""
    values = {c.name: _text(cells, c.name) for c in MEMBER_CELLS}
    if member is not None:
        values["code"] = member.code
    report = ImportReport(kind="members")
    parser = MemberRowParser(UnitRefs(_scope(actor)), report, timezone.localdate())
    row = parser(ROW, [values[c.name] for c in MEMBER_CELLS])
    if row is None:
        raise _refusal(report, MEMBER)
    (
        _line,
        code,
        name,
        gender,
        ethnicity,
        birth,
        joined,
        status,
        phone,
        unit_id,
        _p,
        mobile,
        inflow_id,
        _pp,
    ) = row
    data = {
        "code": code,
        "name": name,
        "gender": gender,
        "ethnicity": ethnicity,
        "birth_date": datetime.date.fromisoformat(birth),
        "joined_date": datetime.date.fromisoformat(joined),
        "status": status,
        "phone": phone,
        "unit_id": unit_id,
        "is_mobile": mobile,
        "inflow_unit_id": inflow_id,
    }
    kept_refused = ValidationError({"inflow_unit": [inflow_out_of_scope(values["inflow_unit"])]})
    with transaction.atomic():
        if member is None:
            if Member.objects.filter(code=code).exists():
                raise ValidationError({"code": [_("党员编号“%(code)s”已存在。") % {"code": code}]})
            if parser.kept:
                raise kept_refused
            return services.member_create(actor=actor, data=data)
        current = Member.objects.select_for_update().get(pk=member.pk)
        if parser.kept and current.inflow_unit_id != inflow_id:
            raise kept_refused
        del data["code"]
        return services.member_update(actor=actor, member=current, changes=data)
