"""Every change to the registry goes through these functions: scoped, validated, atomic and audited.

Each takes `actor=` (a user, or None for the system: commands and seeds) and keeps the rollup counters on
units current, so that subtree figures never need a scan of the members table.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from echelon.core import audit, versions
from echelon.core.actors import Actor
from echelon.core.permissions import allowed_everywhere, require
from echelon.core.tree import ancestor_ids, child_path, depth_of, segment
from echelon.orgs import pinyin, verbs
from echelon.orgs.columns import MEMBER, UNIT
from echelon.orgs.models import (
    DIVISIONS_BY_LEVEL,
    TERRITORIAL_KINDS,
    Division,
    Kind,
    Level,
    Member,
    Unit,
)

# What the audit snapshots of a unit or a member record: the attributes of their file columns (orgs.columns).
UNIT_FIELDS = UNIT.attnames
MEMBER_FIELDS = MEMBER.attnames


# ---------------------------------------------------------------------------------------------------------
# New units: the layers above are told, inside the transaction that creates them
# ---------------------------------------------------------------------------------------------------------

# A higher app's hook, called as ``hook(actor=..., units=[...])`` with the units just created (placed: path,
# level ancestors). Orgs does not know the apps above it (ADR 13): campaigns registers the hook that lets a
# new unit join the campaigns running over it, in its AppConfig.ready(). A hook's refusal (ValidationError)
# undoes the creation with it.
UnitsCreatedHook = Callable[..., object]  # its result is not used
_units_created_hooks: list[UnitsCreatedHook] = []


def on_units_created(hook: UnitsCreatedHook) -> None:
    """Register a hook told about every new unit (on screen, by the API, by an import)."""
    if hook not in _units_created_hooks:
        _units_created_hooks.append(hook)


def units_created(*, actor: Actor, units: Sequence[Unit]) -> None:
    """Tell the registered hooks about new units (the caller's transaction is still open)."""
    if units:
        for hook in _units_created_hooks:
            hook(actor=actor, units=list(units))


# ---------------------------------------------------------------------------------------------------------
# Placement rules
# ---------------------------------------------------------------------------------------------------------


def placement_error(*, level: int, kind: str, division: str, parent: Unit | None) -> str | None:
    """Why a unit of this level and kind cannot sit under `parent`, or None when it can."""
    territorial = kind in TERRITORIAL_KINDS
    if parent is None:
        if level != Level.REGION or kind != Kind.LEADERSHIP:
            return _("只有自治区领导班子可以没有上级组织。")
        return None
    if kind in (Kind.VILLAGE, Kind.COMMUNITY) and level != Level.VILLAGE:
        return _("嘎查村、社区只能位于第五级。")
    if territorial:
        if not parent.is_territorial:
            return _("区划单位的上级必须是区划单位。")
        if level != parent.level + 1:
            return _("“%(level)s”不能直接设在“%(parent)s”（%(plevel)s）下。") % {
                "level": Level(level).label,
                "parent": parent.name,
                "plevel": Level(parent.level).label,
            }
        if division and division not in DIVISIONS_BY_LEVEL[level]:
            return _("区划类型“%(division)s”与层级“%(level)s”不符。") % {
                "division": Division(division).label,
                "level": Level(level).label,
            }
    else:
        if level != parent.level:
            return _("“%(kind)s”的层级必须与上级组织相同（%(plevel)s）。") % {
                "kind": Kind(kind).label,
                "plevel": Level(parent.level).label,
            }
        if division:
            return _("只有区划单位才有区划类型。")
    return None


def level_ancestors(
    *, parent: Unit | None, level: int, territorial: bool, self_id: int
) -> dict[str, int | None]:
    values: dict[str, int | None] = {f"lv{n}_id": None for n in range(1, 6)}
    if parent is not None:
        for n in range(1, 6):
            values[f"lv{n}_id"] = getattr(parent, f"lv{n}_id")
    if territorial:
        values[f"lv{level}_id"] = self_id
    return values


# ---------------------------------------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------------------------------------


@dataclass
class UnitData:
    code: str
    name: str
    level: int
    kind: str
    division: str = ""
    area_type: str = ""
    industry: str = ""
    lead_by: str = "territory"


def _validate_unit(unit: Unit) -> None:
    unit.full_clean(
        exclude=["parent", "path", "depth", "lv1", "lv2", "lv3", "lv4", "lv5", "merged_into"],
        validate_unique=False,
        validate_constraints=False,
    )


def unit_create(*, actor: Actor, parent: Unit | None, data: UnitData) -> Unit:
    with transaction.atomic():
        if parent is not None:
            parent = Unit.objects.select_for_update().get(pk=parent.pk)
            require(actor, "change", parent.path)
        elif not allowed_everywhere(actor, "change"):
            raise ValidationError(_("只有系统管理员可以创建根组织。"))
        if error := placement_error(level=data.level, kind=data.kind, division=data.division, parent=parent):
            raise ValidationError(error)
        if Unit.objects.filter(code=data.code).exists():
            raise ValidationError(_("组织代码“%(code)s”已存在。") % {"code": data.code})
        full, initials = pinyin.keys(data.name)
        unit = Unit(parent=parent, pinyin=full, initials=initials, path="~pending", depth=0, **data.__dict__)
        _validate_unit(unit)
        unit.save()
        unit.path = child_path(parent.path if parent else "", unit.pk)
        unit.depth = depth_of(unit.path)
        for key, value in level_ancestors(
            parent=parent, level=unit.level, territorial=unit.is_territorial, self_id=unit.pk
        ).items():
            setattr(unit, key, value)
        unit.save(update_fields=["path", "depth", "lv1", "lv2", "lv3", "lv4", "lv5"])
        if parent is not None:
            Unit.objects.filter(pk__in=ancestor_ids(parent.path)).update(sub_units=F("sub_units") + 1)
        versions.bump(TREE_VERSION)
        audit.record(
            actor=actor,
            verb=verbs.UNIT_CREATE,
            obj=unit,
            unit_id=unit.pk,
            unit_path=unit.path,
            after=audit.snapshot(unit, UNIT_FIELDS),
        )
        units_created(actor=actor, units=[unit])
        return unit


# What unit_update changes: a unit's own attributes (code and level are its identity; parent: unit_move).
UNIT_EDITABLE = ("name", "kind", "division", "area_type", "industry", "lead_by")


def unit_update(*, actor: Actor, unit: Unit, changes: dict[str, Any]) -> Unit:
    """Change a unit's own attributes (not its place in the tree: see unit_move)."""
    if unknown := set(changes) - set(UNIT_EDITABLE):
        raise ValidationError(_("不能在此修改：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)
        require(actor, "change", unit.path)
        before = audit.snapshot(unit, UNIT_FIELDS)
        for key, value in changes.items():
            setattr(unit, key, value)
        if "kind" in changes or "division" in changes:
            if (unit.kind in TERRITORIAL_KINDS) != (before["kind"] in TERRITORIAL_KINDS):
                raise ValidationError(_("不能把区划单位改为非区划单位，反之亦然。"))
            if error := placement_error(
                level=unit.level, kind=unit.kind, division=unit.division, parent=unit.parent
            ):
                raise ValidationError(error)
        if "name" in changes:
            unit.pinyin, unit.initials = pinyin.keys(unit.name)
        _validate_unit(unit)
        unit.save()
        old, new = audit.diff(before, audit.snapshot(unit, UNIT_FIELDS))
        if "kind" in new:
            versions.bump(TREE_VERSION)
        if new:
            audit.record(
                actor=actor,
                verb=verbs.UNIT_UPDATE,
                obj=unit,
                unit_id=unit.pk,
                unit_path=unit.path,
                before=old,
                after=new,
            )
        return unit


TREE_VERSION = "orgs.tree"  # bumped whenever units appear, move, merge or change kind (cached breakdowns)

ROLLUP_SUB_FIELDS = ("sub_units", "sub_members", "sub_participants", "sub_mobile", "sub_blind")


def unit_move(*, actor: Actor, unit: Unit, new_parent: Unit) -> Unit:
    """Re-parent a unit with its whole subtree: paths, depths, level ancestors, members and rollups follow."""
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)
        new_parent = Unit.objects.select_for_update().get(pk=new_parent.pk)
        require(actor, "change", unit.path)
        require(actor, "change", new_parent.path)
        if unit.parent_id is None:
            raise ValidationError(_("根组织不能移动。"))
        if new_parent.path.startswith(unit.path):
            raise ValidationError(
                _("不能把“%(unit)s”移到它自己或它的下级“%(parent)s”之下（会形成循环）。")
                % {"unit": unit.name, "parent": new_parent.name}
            )
        if not new_parent.is_active:
            raise ValidationError(_("目标上级组织已撤销或合并。"))
        if unit.parent_id == new_parent.pk:
            return unit
        if error := placement_error(
            level=unit.level, kind=unit.kind, division=unit.division, parent=new_parent
        ):
            raise ValidationError(error)
        old_parent = unit.parent
        assert old_parent is not None
        old_prefix = unit.path
        new_prefix = new_parent.path + segment(unit.pk)
        delta = depth_of(new_prefix) - depth_of(old_prefix)
        # Totals leave the old ancestors and join the new ones.
        totals = {f: getattr(unit, f) for f in ROLLUP_SUB_FIELDS}
        Unit.objects.filter(pk__in=ancestor_ids(old_parent.path)).update(
            **{f: F(f) - v for f, v in totals.items()}
        )
        Unit.objects.filter(pk__in=ancestor_ids(new_parent.path)).update(
            **{f: F(f) + v for f, v in totals.items()}
        )
        # Level ancestors above the moved unit come from the new parent.
        top = unit.level - 1 if unit.is_territorial else unit.level
        lv_updates = {f"lv{n}_id": getattr(new_parent, f"lv{n}_id") for n in range(1, top + 1)}
        lv_sql = "".join(f", lv{n}_id = %s" for n in range(1, top + 1))
        n = len(old_prefix)
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE orgs_unit SET path = %s || SUBSTR(path, {n + 1}), depth = depth + %s{lv_sql} "  # noqa: S608
                "WHERE path >= %s AND path < %s",
                [new_prefix, delta, *lv_updates.values(), old_prefix, old_prefix + "~"],
            )
            for column in ("path", "part_path"):
                cur.execute(
                    f"UPDATE orgs_member SET {column} = %s || SUBSTR({column}, {n + 1}) "  # noqa: S608
                    f"WHERE {column} >= %s AND {column} < %s",
                    [new_prefix, old_prefix, old_prefix + "~"],
                )
        Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
        versions.bump(TREE_VERSION)
        unit.refresh_from_db()
        require(actor, "change", unit.path)  # re-check after the write
        audit.record(
            actor=actor,
            verb=verbs.UNIT_MOVE,
            obj=unit,
            unit_id=unit.pk,
            unit_path=unit.path,
            before={"parent": old_parent.code, "path": old_prefix},
            after={"parent": new_parent.code, "path": unit.path},
        )
        return unit


def unit_merge(*, actor: Actor, source: Unit, target: Unit) -> Unit:
    """Merge `source` into `target`: its children and members move over; the source is kept, inactive,
    so that earlier batches keep their tree."""
    with transaction.atomic():
        source = Unit.objects.select_for_update().get(pk=source.pk)
        target = Unit.objects.select_for_update().get(pk=target.pk)
        require(actor, "change", source.path)
        require(actor, "change", target.path)
        if source.pk == target.pk or target.path.startswith(source.path):
            raise ValidationError(_("不能把组织合并到它自己或它的下级。"))
        if (source.level, source.is_territorial) != (target.level, target.is_territorial):
            raise ValidationError(_("只能合并同一层级、同一性质的组织。"))
        for child in list(source.children.filter(is_active=True)):
            unit_move(actor=actor, unit=child, new_parent=target)
        for member in list(Member.objects.filter(unit=source).only("pk")):
            member_update(actor=actor, member=member, changes={"unit_id": target.pk})
        for member in list(Member.objects.filter(inflow_unit=source).only("pk")):
            member_update(actor=actor, member=member, changes={"inflow_unit_id": target.pk})
        source.refresh_from_db()
        Unit.objects.filter(pk=source.pk).update(is_active=False, merged_into=target)
        versions.bump(TREE_VERSION)
        audit.record(
            actor=actor,
            verb=verbs.UNIT_MERGE,
            obj=source,
            unit_id=source.pk,
            unit_path=source.path,
            before={"is_active": True},
            after={"is_active": False, "merged_into": target.code},
        )
        target.refresh_from_db()
        return target


# ---------------------------------------------------------------------------------------------------------
# Members
# ---------------------------------------------------------------------------------------------------------


def _member_counts(m: Member | dict[str, Any]) -> list[tuple[Any, str, int]]:
    """(path, counter, +1) pairs a member adds; used with -1 to remove."""
    get = m.get if isinstance(m, dict) else lambda k: getattr(m, k)
    path, part_path = get("path"), get("part_path")
    effects = [(path, "members", 1), (part_path, "participants", 1)]
    if get("is_mobile"):
        effects.append((path, "mobile", 1))
        if get("inflow_unit_id") is None:
            effects.append((path, "blind", 1))
    return effects


def _apply_counts(effects: Iterable[tuple[str, str, int]], sign: int) -> None:
    for path, counter, delta in effects:
        d = delta * sign
        Unit.objects.filter(path=path).update(**{f"{counter}_here": F(f"{counter}_here") + d})
        Unit.objects.filter(pk__in=ancestor_ids(path)).update(**{f"sub_{counter}": F(f"sub_{counter}") + d})


def _place_member(member: Member) -> None:
    unit = Unit.objects.only("path", "is_active").get(pk=member.unit_id)
    if not unit.is_active:
        raise ValidationError(_("所在组织已撤销或合并。"))
    member.path = unit.path
    if not member.is_mobile:
        member.inflow_unit_id = None
    if member.inflow_unit_id:
        inflow = Unit.objects.only("path", "is_active").get(pk=member.inflow_unit_id)
        if inflow.pk == unit.pk:
            raise ValidationError(_("流入组织不能与所在组织相同。"))
        member.part_path = inflow.path
    else:
        member.part_path = member.path


def _validate_member(member: Member) -> None:
    member.full_clean(
        exclude=["path", "part_path", "unit", "inflow_unit"],
        validate_unique=False,
        validate_constraints=False,
    )
    if member.joined_date <= member.birth_date:
        raise ValidationError(_("入党日期必须晚于出生日期。"))
    if member.joined_date > datetime.date.today():
        raise ValidationError(_("入党日期不能晚于今天。"))


def member_create(*, actor: Actor, data: dict[str, Any]) -> Member:
    with transaction.atomic():
        member = Member(**data)
        _place_member(member)
        require(actor, "change", member.path)
        if Member.objects.filter(code=member.code).exists():
            raise ValidationError(_("党员编号“%(code)s”已存在。") % {"code": member.code})
        _validate_member(member)
        member.save()
        _apply_counts(_member_counts(member), +1)
        audit.record(
            actor=actor,
            verb=verbs.MEMBER_CREATE,
            obj=member,
            unit_id=member.unit_id,
            unit_path=member.path,
            after=audit.snapshot(member, MEMBER_FIELDS),
        )
        return member


def member_update(*, actor: Actor, member: Member, changes: dict[str, Any]) -> Member:
    if unknown := set(changes) - set(MEMBER_FIELDS) - {"code"}:
        raise ValidationError(_("不能修改：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        require(actor, "change", member.path)
        before = audit.snapshot(member, MEMBER_FIELDS)
        old_effects = _member_counts(member)
        for key, value in changes.items():
            setattr(member, key, value)
        _place_member(member)
        require(actor, "change", member.path)
        _validate_member(member)
        member.save()
        _apply_counts(old_effects, -1)
        _apply_counts(_member_counts(member), +1)
        old, new = audit.diff(before, audit.snapshot(member, MEMBER_FIELDS))
        if new:
            audit.record(
                actor=actor,
                verb=verbs.MEMBER_UPDATE,
                obj=member,
                unit_id=member.unit_id,
                unit_path=member.path,
                before=old,
                after=new,
            )
        return member


# ---------------------------------------------------------------------------------------------------------
# Rollups
# ---------------------------------------------------------------------------------------------------------


def rollups_rebuild() -> None:
    """Recount every unit's counters from the members table, set-based (used after bulk imports and seeds)."""
    with transaction.atomic(), connection.cursor() as cur:
        versions.bump(TREE_VERSION)  # bulk writers (seed, imports) end here
        cur.execute(
            """
            UPDATE orgs_unit SET
              members_here = (SELECT COUNT(*) FROM orgs_member m WHERE m.unit_id = orgs_unit.id),
              mobile_here = (SELECT COUNT(*) FROM orgs_member m
                             WHERE m.unit_id = orgs_unit.id AND m.is_mobile),
              blind_here = (SELECT COUNT(*) FROM orgs_member m
                            WHERE m.unit_id = orgs_unit.id AND m.is_mobile AND m.inflow_unit_id IS NULL),
              participants_here = (SELECT COUNT(*) FROM orgs_member m WHERE m.part_path = orgs_unit.path)
            """
        )
        cur.execute(
            """
            UPDATE orgs_unit SET
              sub_units = s.n, sub_members = s.members, sub_participants = s.participants,
              sub_mobile = s.mobile, sub_blind = s.blind
            FROM (
              SELECT a.id AS id, COUNT(*) AS n, SUM(d.members_here) AS members,
                     SUM(d.participants_here) AS participants, SUM(d.mobile_here) AS mobile,
                     SUM(d.blind_here) AS blind
              FROM orgs_unit a JOIN orgs_unit d ON d.path >= a.path AND d.path < a.path || '~'
              GROUP BY a.id
            ) AS s
            WHERE orgs_unit.id = s.id
            """
        )
