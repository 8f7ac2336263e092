"""Reads that are more than a queryset method: breadcrumbs, subtree breakdowns, a user's top units."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.shortcuts import get_object_or_404

from echelon.core import versions
from echelon.core.actors import Actor
from echelon.core.querysets import scope_paths
from echelon.core.tree import ancestor_ids
from echelon.orgs.models import Kind, Level, Unit


def unit_for(user: Actor, code: str, action: str = "view") -> Unit:
    """The unit with this code if the user may `action` it; 404 otherwise (no hint that it exists)."""
    return get_object_or_404(Unit.objects.visible_to(user, action), code=code)


def path_of_code(code: str) -> str | None:
    """The tree path a unit code names, whoever asks (core's audit search narrows by it, within the rows the
    user may already see: registered in `OrgsConfig.ready`)."""
    return Unit.objects.filter(code=code).values_list("path", flat=True).first()


def names_of(ids: Collection[int]) -> dict[int, str]:
    """Units' names by id, in one query (core's audit pages name the unit of each event they already show:
    registered in `OrgsConfig.ready`)."""
    return dict(Unit.objects.filter(pk__in=list(ids)).values_list("pk", "name"))


def top_units(user: Actor) -> QuerySet[Unit]:
    """The roots of what the user sees: their granted units (outermost), or the tree's root for admins."""
    paths = scope_paths(user, "view")
    if paths is None:
        return Unit.objects.filter(parent__isnull=True)
    return Unit.objects.filter(path__in=paths).order_by("path")


def members_in_scope(user: Actor) -> int | None:
    """How many members the user sees, from the member rollups of the roots of their scope (nothing
    counted); None when a root of the scope is no unit's path (the caller counts then)."""
    paths = scope_paths(user, "view")
    roots = Unit.objects.filter(parent__isnull=True) if paths is None else Unit.objects.filter(path__in=paths)
    totals = list(roots.values_list("sub_members", flat=True))
    if paths is not None and len(totals) != len(paths):
        return None
    return sum(totals)


def breadcrumb(user: Actor, unit: Unit) -> list[Unit]:
    """Ancestors the user may see, top down, ending with the unit itself."""
    ids = ancestor_ids(unit.path)
    visible = Unit.objects.visible_to(user).filter(pk__in=ids).only("code", "name", "path", "level")
    return sorted(visible, key=lambda u: len(u.path))


def subtree_breakdown(unit: Unit) -> dict[str, list[dict[str, Any]]]:
    """Units in the subtree by level and by kind: one GROUP BY on the path range, cached per tree version."""
    from echelon.orgs.services import TREE_VERSION

    counts = versions.cached(TREE_VERSION, f"breakdown:{unit.pk}", lambda: _breakdown_counts(unit))
    return {
        "by_level": [{"key": k, "label": Level(k).label, "n": n} for k, n in sorted(counts["level"].items())],
        "by_kind": [
            {"key": k, "label": Kind(k).label, "n": n}
            for k, n in sorted(counts["kind"].items(), key=lambda kv: -kv[1])
        ],
    }


def _breakdown_counts(unit: Unit) -> dict[str, dict[Any, int]]:
    by_level: dict[int, int] = {}
    by_kind: dict[str, int] = {}
    rows = (
        Unit.objects.within(unit.path)
        .filter(is_active=True)
        .values_list("level", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for level, kind, n in rows:
        by_level[level] = by_level.get(level, 0) + n
        by_kind[kind] = by_kind.get(kind, 0) + n
    return {"level": by_level, "kind": by_kind}


def member_totals_by(level: int, under: Unit | None = None) -> list[dict[str, Any]]:
    """Subtree member figures per territorial unit at `level` (e.g. per league), from the rollups."""
    kinds = [Kind.VILLAGE, Kind.COMMUNITY] if level == Level.VILLAGE else [Kind.LEADERSHIP]
    qs = Unit.objects.filter(level=level, kind__in=kinds)
    if under is not None:
        qs = qs.filter(**{f"lv{under.level}": under}) if under.is_territorial else qs.within(under.path)
    rows = qs.values("code", "name", "sub_members", "sub_participants", "sub_mobile", "sub_blind")
    return sorted(rows, key=lambda r: r["code"])  # sorted here: ORDER BY code would walk the code index


def stats() -> dict[str, Any]:
    """Whole-registry figures for `echelon stats`."""
    from echelon.orgs.models import Member

    units = Unit.objects.filter(is_active=True)
    by_level = {Level(r["level"]).name.lower(): r["n"] for r in units.values("level").annotate(n=Count("id"))}
    by_kind = {r["kind"]: r["n"] for r in units.values("kind").annotate(n=Count("id"))}
    by_division = {
        r["division"]: r["n"] for r in units.exclude(division="").values("division").annotate(n=Count("id"))
    }
    root = Unit.objects.filter(parent__isnull=True).aggregate(
        members=Sum("sub_members"), mobile=Sum("sub_mobile"), blind=Sum("sub_blind")
    )
    counted = {
        "members": Member.objects.count(),
        "mobile": Member.objects.filter(is_mobile=True).count(),
        "blind": Member.objects.filter(is_mobile=True, inflow_unit__isnull=True).count(),
    }
    return {
        "units_by_level": dict(sorted(by_level.items(), key=lambda kv: Level[kv[0].upper()].value)),
        "units_by_kind": by_kind,
        "units_by_division": by_division,
        "total_units": sum(by_level.values()),
        "total_members": counted["members"],
        "mobile_members": counted["mobile"],
        "blind_spots": counted["blind"],
        "rollups_consistent": (root["members"] or 0, root["mobile"] or 0, root["blind"] or 0)
        == (counted["members"], counted["mobile"], counted["blind"]),
    }
