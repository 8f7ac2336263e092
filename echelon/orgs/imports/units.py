"""Units import: typed rows, checked in memory (≤ 70k rows) against the file and the tree as a whole, then
written in one transaction.

Cross-row checks: duplicate codes, unknown parents, parent cycles (through the file and the tree), levels
that do not fit under their parent (``services.placement_error``), scope. Apply: bulk insert of new codes
(parents before children), bulk update of changed attributes, ``services.unit_move`` for changed parents.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.core.actors import Actor
from echelon.core.tree import child_path, depth_of
from echelon.orgs import pinyin, services, verbs
from echelon.orgs.columns import UNIT, Type
from echelon.orgs.imports.parsing import (
    CODE_MATCH,
    LookedUpByCode,
    choice_reason,
    code_error,
    in_scope,
    lookup,
)
from echelon.orgs.imports.reading import read_table
from echelon.orgs.imports.report import SAMPLE, ImportFailed, ImportReport, ProgressFn, audit_import
from echelon.orgs.models import TERRITORIAL_KINDS, LeadBy, Level, Unit

# The cells the row parser reads, in the order it reads them (the file's columns may come in any order).
UNIT_CELLS = tuple(
    UNIT[name]
    for name in ("code", "name", "parent", "level", "kind", "division", "area_type", "industry", "lead_by")
)


@dataclass(slots=True)
class UnitValues:
    """A unit's values in the file columns (``columns.UNIT``), typed. Also what ``services.placement_error``
    reads of a parent."""

    code: str
    name: str
    parent: str | None  # the parent's code
    level: int
    kind: str
    division: str
    area_type: str
    industry: str
    lead_by: str

    @property
    def is_territorial(self) -> bool:
        return self.kind in TERRITORIAL_KINDS


@dataclass(slots=True)
class UnitRow(UnitValues):
    """A row of the file, parsed."""

    parent: str  # "" for none
    row: int = field(kw_only=True)


@dataclass(slots=True)
class ExistingUnit(UnitValues):
    """A unit as the registry has it."""

    id: int = field(kw_only=True)
    path: str = field(kw_only=True)
    is_active: bool = field(kw_only=True)
    lv: tuple[int | None, ...] = field(kw_only=True)  # lv1_id … lv5_id


def parse_unit_rows(rows: Iterable[tuple[int, list[str]]], report: ImportReport) -> list[UnitRow]:
    """Typed unit rows from cells in ``UNIT_CELLS`` order; field errors go to the report (a row with an
    error is left out)."""
    label = UNIT.labels
    level_of = lookup(UNIT["level"])
    kind_of = lookup(UNIT["kind"])
    division_of = lookup(UNIT["division"])
    area_of = lookup(UNIT["area_type"])
    lead_of = lookup(UNIT["lead_by"])
    required = _("必填，不能为空。")
    parsed: list[UnitRow] = []
    for number, c in rows:
        report.rows += 1
        code, name, parent, level_s, kind_s, division_s, area_s, industry, lead_s = c
        n_before = report.error_count
        for col, value in zip(UNIT_CELLS, c, strict=True):
            if col.required and not value:
                report.error(number, col.label, required)
        if code and (len(code) > 32 or not CODE_MATCH(code)):
            report.error(number, label["code"], code_error(code, _("组织代码")) or "")
        if parent and (len(parent) > 32 or not CODE_MATCH(parent)):
            report.error(number, label["parent"], code_error(parent, _("上级组织代码")) or "")
        if len(name) > 100:
            report.error(number, label["name"], _("名称最多 100 个字。"))
        if len(industry) > 50:
            report.error(number, label["industry"], _("行业系统最多 50 个字。"))
        level = level_of.get(level_s)
        if level_s and level is None:
            report.error(number, label["level"], choice_reason(level_s, UNIT["level"]))
        kind = kind_of.get(kind_s) or kind_of.get(kind_s.lower())
        if kind_s and kind is None:
            report.error(number, label["kind"], choice_reason(kind_s, UNIT["kind"]))
        division = division_of.get(division_s) or division_of.get(division_s.lower()) if division_s else ""
        if division is None:
            report.error(number, label["division"], choice_reason(division_s, UNIT["division"]))
        area = area_of.get(area_s) or area_of.get(area_s.lower()) if area_s else ""
        if area is None:
            report.error(number, label["area_type"], choice_reason(area_s, UNIT["area_type"]))
        lead = lead_of.get(lead_s) or lead_of.get(lead_s.lower()) if lead_s else LeadBy.TERRITORY.value
        if lead is None:
            report.error(number, label["lead_by"], choice_reason(lead_s, UNIT["lead_by"]))
        if report.error_count != n_before:
            if code:
                report.failed_codes.add(code)
        else:
            parsed.append(
                UnitRow(
                    code,
                    name,
                    parent,
                    level or 0,
                    kind or "",
                    division or "",
                    area or "",
                    industry,
                    lead or LeadBy.TERRITORY.value,
                    row=number,
                )
            )
    return parsed


_EXISTING = (
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


def _existing(r: Sequence[Any], parent_code: str | None) -> ExistingUnit:
    return ExistingUnit(
        r[1], r[2], parent_code, *r[5:11], id=r[0], path=r[4], is_active=r[11], lv=tuple(r[12:17])
    )


def load_units() -> dict[str, ExistingUnit]:
    """Every unit by code (≈70k rows at full scale), with its parent's code."""
    rows = list(Unit.objects.order_by().values_list(*_EXISTING))
    code_of = {r[0]: r[1] for r in rows}
    return {r[1]: _existing(r, code_of.get(r[3]) if r[3] else None) for r in rows}


class UnitsByCode(LookedUpByCode[ExistingUnit]):
    """The registry's units looked up a code at a time, for ``check_units`` on one row (an on-screen edit):
    what the checks read of the tree (the parent, the chain above it) without loading every unit. Iterating
    gives only the units looked up so far."""

    def fetch(self, code: str) -> ExistingUnit | None:
        row = Unit.objects.filter(code=code).values_list(*_EXISTING, "parent__code").first()
        return _existing(row, row[-1]) if row else None


# What an import may change: every file column but the code (the identity) and the level (refused).
UNIT_DIFF_FIELDS = tuple(c.name for c in UNIT.file_columns if c.name not in ("code", "level"))
# Written as they are on a new unit (the parent is placed) and on a changed one (the parent is moved).
UNIT_ATTRS = tuple(c.name for c in UNIT.file_columns if c.type is not Type.UNIT)
UNIT_UPDATED = tuple(f for f in UNIT_ATTRS if f in UNIT_DIFF_FIELDS)


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
    col_code, col_parent, col_level, col_kind = (UNIT.labels[n] for n in ("code", "parent", "level", "kind"))
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
            if r.is_territorial != ex.is_territorial:
                report.error(r.row, col_kind, _("不能把区划单位改为非区划单位，反之亦然。"))
                continue
        parent_changed = ex is None or (r.parent or None) != ex.parent
        parent_obj: UnitValues | None = None
        if r.parent:
            if r.parent == r.code:
                report.error(r.row, col_parent, _("上级组织不能是它自己。"))
                continue
            prow = in_file.get(r.parent)
            pex = existing.get(r.parent)
            if prow is not None:
                parent_obj = prow
            elif pex is not None:
                parent_obj = pex
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
            division = UNIT.labels["division"]
            column = division if division in error else col_level
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
    labels = UNIT.labels
    shown = {  # coded values as their labels, in the user's language
        c.name: dict(UNIT.model_field(c.name).choices or ())
        for c in UNIT.file_columns
        if c.type is Type.CHOICE
    }
    parts = []
    for f in changed:
        old, new = getattr(ex, f) or "", getattr(r, f) or ""
        if f in shown:
            old, new = str(shown[f].get(old, old)) if old else "", str(shown[f].get(new, new)) if new else ""
        parts.append(f"{labels[f]}：{old or '—'} → {new or '—'}")
    return {"row": r.row, "code": r.code, "name": r.name, "action": _("更新"), "changes": "；".join(parts)}


def _apply_units(
    plan: UnitPlan, existing: Mapping[str, ExistingUnit], *, actor: Actor, scope: Sequence[str] | None
) -> None:
    """Write the plan (inside the caller's transaction): bulk inserts, bulk updates, moves via the service."""
    now = timezone.now()
    placed: dict[str, Unit] = {}
    created: list[Unit] = []

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
                    **{f: getattr(r, f) for f in UNIT_ATTRS},
                    pinyin=full,
                    initials=initials,
                    parent_id=parent.pk if parent else None,
                    path="~" + r.code,
                    depth=0,
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
                parent=parent, level=r.level, territorial=r.is_territorial, self_id=obj.pk
            )
            for key, value in lv.items():
                setattr(obj, key, value)
            placed[r.code] = obj
            created.append(obj)
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
                    *(getattr(r, f) for f in UNIT_UPDATED),
                    full,
                    initials,
                    connection.ops.adapt_datetimefield_value(now),
                    ex.id,
                ]
            )
        sets = "".join(f"{f} = %s, " for f in UNIT_UPDATED)
        with connection.cursor() as cur:
            cur.executemany(
                f"UPDATE orgs_unit SET {sets}pinyin = %s, initials = %s, updated_at = %s WHERE id = %s",  # noqa: S608
                params,
            )
    for r, ex in plan.moves:
        target = placed[r.parent] if r.parent in placed else Unit(pk=existing[r.parent].id)
        services.unit_move(actor=actor, unit=Unit(pk=ex.id), new_parent=target)
    if created and plan.moves:  # where they are now: a move above may have carried some along
        ids = [u.pk for u in created]
        created = [u for i in range(0, len(ids), 500) for u in Unit.objects.filter(pk__in=ids[i : i + 500])]
    services.units_created(actor=actor, units=created)


def units_import(
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
    rows = parse_unit_rows(read_table(fileobj, fmt, UNIT.file_columns, report, UNIT_CELLS), report)
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
            audit_import(report, actor=actor, scope=scope, audit_unit=audit_unit, verb=verbs.UNIT_IMPORT)
    except ImportFailed:
        report.applied = False
    return report
