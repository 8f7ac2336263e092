"""Who does something: a signed-in person, an anonymous visitor, or ``None`` for the system (commands, seeds,
jobs for no one).

Core knows no user model (the accounts app sits above it), so a person is described by what services read
of it. Every service takes ``actor: Actor`` as a keyword argument. Views hand over ``request.user``, which
Django types as the user model or ``AnonymousUser``: an anonymous visitor may do nothing (its scope is empty,
``core.querysets.scope_paths``), while ``None`` — the system — may do everything. Narrow with ``is_person``
before reading what only a person has (``scope_paths``, a username for the audit trail).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeGuard, runtime_checkable

if TYPE_CHECKING:
    # Not at run time: this module is imported while the app registry loads (auth's models need it loaded).
    from django.contrib.auth.models import AnonymousUser


@runtime_checkable
class Person(Protocol):
    """What services read of a user: identity, flags and the subtrees where an action is allowed."""

    pk: Any
    is_active: bool
    is_superuser: bool

    @property
    def is_authenticated(self) -> bool: ...

    def get_username(self) -> str: ...

    def scope_paths(self, action: str) -> list[str] | None: ...


Actor: TypeAlias = "Person | AnonymousUser | None"
"""A person, an anonymous visitor (who may do nothing), or ``None``: the system."""


def is_person(actor: object) -> TypeGuard[Person]:
    """A signed-in person (not the system, not an anonymous visitor)."""
    return actor is not None and bool(getattr(actor, "is_authenticated", False))
