"""Reads about users and grants that pages, API and imports share."""

from __future__ import annotations

from django.db.models import QuerySet

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
