"""Scoping, once: every query a user triggers goes through `visible_to(user, action)`.

A user's grants name units; a grant covers the unit's subtree. The user model answers which subtree paths
an action is allowed in (`user.scope_paths(action)` → a list of paths, or None for everything); the
queryset turns that into path ranges on its `scope_field`. Core knows nothing of the domain apps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Self

from django.db import models

from echelon.core.tree import subtree_q

ScopeProvider = Callable[[Any, str], Iterable[str]]
_providers: list[ScopeProvider] = []


def register_scope_provider(provider: ScopeProvider) -> ScopeProvider:
    """Let a domain app add subtrees to a user's scope beyond their grants (e.g. a supervision group's
    targets). `provider(user, action)` returns paths; it is consulted by `User.scope_paths`."""
    _providers.append(provider)
    return provider


def provided_paths(user: Any, action: str) -> list[str]:
    return [p for provider in _providers for p in provider(user, action)]


def scope_paths(user: Any, action: str) -> list[str] | None:
    """None means unrestricted; [] means nothing."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    return user.scope_paths(action)


class ScopedQuerySet(models.QuerySet):
    scope_field = "path"

    def visible_to(self, user: Any, action: str = "view") -> Self:
        paths = scope_paths(user, action)
        if paths is None:
            return self
        if not paths:
            return self.none()
        return self.filter(subtree_q(self.scope_field, paths))

    def within(self, path: str) -> Self:
        """Rows in the subtree rooted at `path`."""
        return self.filter(subtree_q(self.scope_field, [path]))
