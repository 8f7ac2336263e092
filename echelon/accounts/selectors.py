"""Reads about users and grants that pages, API and imports share."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from echelon.accounts.models import Grant, User
from echelon.core.actors import Actor
from echelon.core.querysets import scope_paths
from echelon.core.tree import common_ancestor, subtree_q


def managed_users(actor: Actor) -> QuerySet[User]:
    """The users ``actor`` manages (see ``UserQuerySet.managed_by``): the one rule for user pages, the user
    API, the user import, password resets, activation, grants and other people's tokens."""
    return User.objects.managed_by(actor)


def manages(actor: Actor, user: User) -> bool:
    """``actor=None`` is the system (commands)."""
    return actor is None or managed_users(actor).filter(pk=user.pk).exists()


def grants_visible_to(actor: Actor) -> QuerySet[Grant]:
    """Grants inside the actor's ``manage_users`` subtrees (never a grant elsewhere, even of a user seen)."""
    paths = scope_paths(actor, "manage_users")
    qs = Grant.objects.select_related("user", "unit")
    if paths is None:
        return qs
    return qs.filter(subtree_q("unit__path", paths)) if paths else qs.none()


def user_unit_path(user: User | None) -> str:
    """Where an event about ``user`` belongs in the tree: the deepest unit that holds all of the user's
    grants, so every office above sees it in its audit search ("" for a user without grants)."""
    if user is None or user.pk is None:
        return ""
    return common_ancestor(Grant.objects.filter(user=user).values_list("unit__path", flat=True))


LOOKUP_LIMIT = 20


def users_in_scope(actor: Actor, action: str = "view", role: str = "") -> QuerySet[User]:
    """Active users holding a grant (of ``role``, when given) on a unit inside the subtrees where ``actor``
    may ``action``: the people a picker offers (a liaison point's leader, a group's member)."""
    paths = scope_paths(actor, action)
    if paths is not None and not paths:
        return User.objects.none()
    grants = Grant.objects.filter(unit__is_active=True)
    if paths is not None:
        grants = grants.filter(subtree_q("unit__path", paths))
    if role:
        grants = grants.filter(role=role)
    return User.objects.filter(is_active=True, pk__in=grants.values("user_id"))


def lookup_users(
    actor: Actor, q: str, action: str = "view", role: str = "", limit: int = LOOKUP_LIMIT
) -> list[dict[str, Any]]:
    """The people picker's answer: users in scope whose username or name starts with ``q`` (else contains
    it), each with their grants inside the actor's scope ("武川县 · 联系点领导")."""
    q = " ".join(q.split())[:50]
    if not q:
        return []
    scoped = users_in_scope(actor, action, role)
    starts = Q(username__istartswith=q) | Q(display_name__startswith=q)
    found = list(scoped.filter(starts).order_by("username")[:limit])
    if not found:
        found = list(
            scoped.filter(Q(display_name__contains=q) | Q(username__icontains=q)).order_by("username")[:limit]
        )
    paths = scope_paths(actor, action)
    grants = Grant.objects.filter(user__in=found).select_related("unit").order_by("unit__path")
    if paths is not None:
        grants = grants.filter(subtree_q("unit__path", paths))
    held: dict[int, list[str]] = {}
    for g in grants:
        held.setdefault(g.user_id, []).append(f"{g.unit.name} · {g.get_role_display()}")
    return [
        {"username": u.username, "name": str(u), "grants": "；".join(held.get(u.pk, [])[:3])} for u in found
    ]


def resolve_username(actor: Actor, value: str, action: str = "view") -> str:
    """The username of the one user in ``actor``'s scope that ``value`` names (a username, or an exact
    name); refused in Chinese otherwise."""
    value = " ".join(value.split())[:150]
    scoped = users_in_scope(actor, action)
    username = scoped.filter(username=value).values_list("username", flat=True).first()
    if username is not None:
        return username
    named = list(scoped.filter(display_name=value).values_list("username", flat=True)[:6])
    if len(named) == 1:
        return named[0]
    if named:
        raise ValidationError(
            _("有多位名为“%(name)s”的用户，请从列表中选择，或输入用户名：%(choices)s")
            % {"name": value, "choices": "、".join(named[:5])}
        )
    raise ValidationError(_("找不到用户“%(value)s”，或该用户不在您的范围内。") % {"value": value[:50]})
