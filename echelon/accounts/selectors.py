from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from echelon.accounts.models import Grant, User
from echelon.core.querysets import scope_paths
from echelon.core.tree import subtree_q


def managed_users(actor: Any) -> QuerySet[User]:
    """Users an actor may manage: those holding at least one grant inside the actor's manage_users scope.

    The actor never manages themself through this (own grants can't be raised by their holder)."""
    paths = scope_paths(actor, "manage_users")
    if paths is None:
        return User.objects.all()
    if not paths:
        return User.objects.none()
    grant_users = Grant.objects.filter(subtree_q("unit__path", paths)).values("user_id")
    return User.objects.filter(pk__in=grant_users).exclude(pk=actor.pk)


def grants_visible_to(actor: Any) -> QuerySet[Grant]:
    paths = scope_paths(actor, "manage_users")
    qs = Grant.objects.select_related("user", "unit")
    if paths is None:
        return qs
    return qs.filter(subtree_q("unit__path", paths)) if paths else qs.none()
