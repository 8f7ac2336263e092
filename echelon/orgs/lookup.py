"""Finding a unit by what a person types (the pickers, the header's type-ahead and the search page).

One scoped search: by code, name, pinyin (``huhehaote``) or its initials (``hhht``), first as index prefix
ranges, then anywhere in the name or pinyin (``filters.search_units``). A query naming the unit's party
body as well (``武川县党委``, ``东土城村党支部``) finds nothing that way: the suffix is then dropped and the
search tried again. Each hit carries its parent path within what the user sees, so that two villages of the
same name in different townships can be told apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from echelon.core.actors import Actor
from echelon.core.querysets import in_scope, scope_paths
from echelon.core.tree import ancestor_paths
from echelon.orgs.filters import search_units, unit_contains_q, unit_search_q
from echelon.orgs.models import Level, Unit

LIMIT = 20
QUERY_MAX = 50
PARENT_SEPARATOR = " › "
# Words that name a unit's party body or its office rather than the unit: longest first, dropped from the end
# of a query one after another (武川县委员会 → 武川县, 东土城村党支部委员会 → 东土城村).
SUFFIXES: tuple[str, ...] = (
    "党委员会",
    "党工委",
    "党总支",
    "党支部",
    "委员会",
    "党委",
    "党组",
    "总支",
    "支部",
    "工委",
    "党",
    "委",
)


def normalize(q: str) -> str:
    """The query as searched: trimmed, inner spaces collapsed, at most ``QUERY_MAX`` characters."""
    return " ".join(q.split())[:QUERY_MAX]


def strip_suffixes(q: str) -> str:
    """``q`` without the party-body words at its end ("" when nothing but such words is left)."""
    q = normalize(q)
    changed = True
    while changed:
        changed = False
        for suffix in SUFFIXES:
            if q.endswith(suffix) and len(q) > len(suffix):
                q = q[: -len(suffix)].rstrip()
                changed = True
                break
    return q


def search(queryset: QuerySet[Unit], q: str) -> QuerySet[Unit]:
    """Units of ``queryset`` matching ``q`` (prefix, then anywhere), else matching ``q`` without its
    party-body suffix. An empty query matches nothing."""
    q = normalize(q)
    if not q:
        return queryset.none()
    found = search_units(queryset, q)
    if found.exists():
        return found
    bare = strip_suffixes(q)
    if bare and bare != q:
        return search_units(queryset, bare)
    return found


def parent_paths(user: Actor, units: Iterable[Unit]) -> dict[int, str]:
    """Each unit's ancestors the user sees, top down, without the region (every unit's), joined by " › ";
    "" for a unit at the top of the user's part. One query for all the units."""
    units = list(units)
    scopes = scope_paths(user, "view") if user is not None else None
    wanted: dict[int, list[str]] = {}
    for unit in units:
        above = ancestor_paths(unit.path)[:-1]
        if scopes is not None:
            above = [p for p in above if any(p.startswith(s) for s in scopes)]
        wanted[unit.pk] = above
    paths = {p for above in wanted.values() for p in above}
    names = dict(Unit.objects.filter(path__in=paths).exclude(level=Level.REGION).values_list("path", "name"))
    return {pk: PARENT_SEPARATOR.join(names[p] for p in above if p in names) for pk, above in wanted.items()}


def matches(visible: QuerySet[Unit], q: str, limit: int = LIMIT) -> list[Unit]:
    """At most ``limit`` units of ``visible`` for the type-ahead: exact code or name first (the name also
    without its party-body suffix), then prefix matches (of the query, then of it without the suffix),
    else matches anywhere in the name or pinyin; each part in tree order (a unit before the units under
    it). Every query
    is an index lookup or an index walk that stops at ``limit`` (no sort of a large range), except the
    scan for "anywhere", which runs only when nothing starts with the query."""
    q = normalize(q)
    if not q:
        return []
    bare = strip_suffixes(q)
    fields = ("code", "name", "path", "level")
    exact = list(
        visible.filter(Q(code=q) | Q(name__in={q, bare})).only(*fields).order_by("level", "code")[:limit]
    )
    found = list(exact)
    for prefix in (q, bare) if bare and bare != q else (q,):
        if len(found) < limit:
            found += (
                visible.filter(unit_search_q(prefix))
                .exclude(pk__in=[u.pk for u in found])
                .only(*fields)
                .order_by("path")[: limit - len(found)]
            )
    for anywhere in (q, bare) if bare and bare != q else (q,):
        if not found:
            found = list(visible.filter(unit_contains_q(anywhere)).only(*fields).order_by("path")[:limit])
    return found


def lookup_units(user: Actor, q: str, action: str = "view", limit: int = LIMIT) -> list[dict[str, Any]]:
    """The type-ahead's answer: at most ``limit`` active units the user may ``action`` matching ``q``
    (``matches``), each with its parent path."""
    visible = in_scope(user, Unit.objects, action).filter(is_active=True)
    units = matches(visible, q, limit)
    parents = parent_paths(user, units)
    return [
        {
            "code": u.code,
            "name": u.name,
            "level": u.level,
            "level_label": str(Level(u.level).label),
            "parents": parents[u.pk],
            "url": u.get_absolute_url(),
        }
        for u in units
    ]


def resolve_code(user: Actor, value: str, action: str = "view") -> str:
    """The code of the one active unit ``value`` names within what the user may ``action``: a code, or an
    exact name (without a JavaScript picker, a person types 马家壕村). Refused in Chinese when there is no
    such unit in the user's scope, or when several units carry that name."""
    value = normalize(value)
    visible = in_scope(user, Unit.objects, action).filter(is_active=True)
    code = visible.filter(code=value).values_list("code", flat=True).first()
    if code is not None:
        return code
    bare = strip_suffixes(value)
    named = list(visible.filter(name__in={value, bare}).only("code", "name", "path", "level")[:6])
    if len(named) == 1:
        return named[0].code
    if named:
        raise ValidationError(
            _("有多个名为“%(name)s”的组织，请从列表中选择，或输入组织代码：%(choices)s")
            % {"name": value, "choices": _describe(user, named)}
        )
    text = (
        _("找不到组织“%(value)s”，或它不在您的查看范围内。")
        if action in ("view", "export")
        else _("找不到组织“%(value)s”，或它不在您的管理范围内。")
    )
    raise ValidationError(text % {"value": value[:QUERY_MAX]})


def _describe(user: Actor, units: Sequence[Unit]) -> str:
    parents = parent_paths(user, units)
    return "；".join(
        f"{u.code}（{parents[u.pk] + PARENT_SEPARATOR if parents[u.pk] else ''}{u.name}）" for u in units[:5]
    )
