"""Who does something: a signed-in person, or ``None`` for the system (commands, seeds, jobs for no one).

Core knows no user model (the accounts app sits above it), so an actor is described by what services read
of it. Every service takes ``actor: Actor`` as a keyword argument.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias, runtime_checkable


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


Actor: TypeAlias = Person | None
"""A person, or ``None``: the system."""


def is_person(actor: object) -> bool:
    """A signed-in person (not the system, not an anonymous visitor)."""
    return actor is not None and bool(getattr(actor, "is_authenticated", False))
