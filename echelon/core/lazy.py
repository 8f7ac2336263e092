"""A callable named by its dotted path and imported at its first call.

An app's ``ready()`` registers its hooks (to-do providers, page parts, job handlers, …) with the registries
of other apps; importing every hook's module there made every command — ``echelon help`` included — import
most of the product at start-up (issue 15: a cold command under one second). ``deferred`` registers the
name instead; the module is imported when the hook first runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.module_loading import import_string


class deferred:
    __slots__ = ("_target", "path")

    def __init__(self, path: str) -> None:
        self.path = path
        self._target: Callable[..., Any] | None = None

    def resolve(self) -> Callable[..., Any]:
        if self._target is None:
            self._target = import_string(self.path)
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, deferred) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __repr__(self) -> str:
        return f"deferred({self.path!r})"
