"""Scoping, once: every query a user triggers goes through `visible_to(user, action)`.

A user's grants name units; a grant covers the unit's subtree. The user model answers which subtree paths
an action is allowed in (`user.scope_paths(action)` → a list of paths, or None for everything); the
queryset turns that into path ranges on its `scope_field`. Core knows nothing of the domain apps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, Self, TypeVar

from django.db import models
from django.db.models import Q
from django.http import Http404

from echelon.core.actors import Actor, Person, is_person
from echelon.core.tree import subtree_q

ScopeProvider = Callable[[Person, str], Iterable[str]]
READ_ACTIONS = frozenset({"view", "export"})
_providers: list[ScopeProvider] = []


def register_scope_provider(provider: ScopeProvider) -> ScopeProvider:
    """Let a domain app add subtrees to a user's scope beyond their grants (e.g. a supervision group's
    targets). `provider(user, action)` returns paths; it is consulted by `User.scope_paths`."""
    _providers.append(provider)
    return provider


def provided_paths(user: Person, action: str) -> list[str]:
    return [p for provider in _providers for p in provider(user, action)]


def scope_paths(user: Actor, action: str) -> list[str] | None:
    """None means unrestricted; [] means nothing (also for the system, ``None``: see ``permissions.allowed``
    and ``in_scope`` for what the system may do)."""
    if not is_person(user) or not user.is_active:
        return []
    return user.scope_paths(action)


_M = TypeVar("_M", bound=models.Model)
_M_co = TypeVar("_M_co", bound=models.Model, covariant=True)


class Scopable(Protocol[_M_co]):
    """A queryset (or its manager) that scopes its rows to a user: a ``ScopedQuerySet``, or one with its own
    rule (``visible_to``)."""

    def all(self) -> models.QuerySet[_M_co]: ...

    def visible_to(self, user: Actor, action: str = "view") -> models.QuerySet[_M_co]: ...


def in_scope(user: Actor, queryset: Scopable[_M], action: str = "view") -> models.QuerySet[_M]:
    """``queryset.visible_to(user, action)``; ``user=None`` is the system (commands), which sees every row,
    as in ``core.permissions.allowed``."""
    return queryset.all() if user is None else queryset.visible_to(user, action)


def scoped_object(
    user: Actor,
    queryset: Scopable[_M],
    action: str = "view",
    *,
    otherwise: Exception | None = None,
    **lookup: Any,
) -> _M:
    """The row of ``queryset`` matching ``lookup`` (an id, a code), fetched through
    ``visible_to(user, action)`` (``in_scope``): there is no unscoped object to forget an ``allowed()`` check
    on. Missing, outside the user's scope and outside the action's scope all look the same: ``Http404``, or
    ``otherwise`` where the code came from a form field (a ``ValidationError`` naming it)."""
    row = in_scope(user, queryset, action).filter(**lookup).first()
    if row is None:
        raise otherwise if otherwise is not None else Http404
    return row


class ScopedQuerySet(models.QuerySet[_M]):
    """Rows in the user's granted subtrees, plus the rows that are the user's own (see `own`)."""

    scope_field = "path"

    def own(self, user: Person) -> Q | None:
        """Rows a user sees because they are theirs whatever their grants (a group they belong to, their
        liaison points). None: no such rows."""
        return None

    def visible_to(self, user: Actor, action: str = "view") -> Self:
        paths = scope_paths(user, action)
        if paths is None:
            return self
        # Own rows are for reading: being a group's member or a point's leader never lets one change it.
        reading = action in READ_ACTIONS
        own = self.own(user) if reading and is_person(user) else None
        if not paths and own is None:
            return self.none()
        cond = subtree_q(self.scope_field, paths) if paths else None
        if own is None:
            return self.filter(cond)
        cond = own if cond is None else cond | own
        # `own` may follow a many-valued relation (group members): keep each row once.
        return self.filter(pk__in=self.model._default_manager.filter(cond).values("pk"))

    def within(self, path: str) -> Self:
        """Rows in the subtree rooted at `path`."""
        return self.filter(subtree_q(self.scope_field, [path]))
