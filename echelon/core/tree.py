"""Materialized paths: a unit's path is its ancestors' segments followed by its own.

A segment is the unit's id in base 36, zero-padded to SEGMENT_WIDTH characters, so a path never changes
when a sibling is added and a move only rewrites the moved subtree's prefix. A subtree is one range on an
indexed column: ``path >= P AND path < P || '~'``. The column is compared byte-wise on every backend
(SQLite's default BINARY collation; collation "C" on PostgreSQL, see ``PathField``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.functions import Substr

SEGMENT_WIDTH = 5
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
UPPER_BOUND = "~"  # sorts after every character of ALPHABET
MAX_ID = 36**SEGMENT_WIDTH - 1


def segment(pk: int) -> str:
    if not 0 < pk <= MAX_ID:
        raise ValueError(f"id {pk} does not fit a path segment")
    digits = []
    while pk:
        pk, rest = divmod(pk, 36)
        digits.append(ALPHABET[rest])
    return "".join(reversed(digits)).rjust(SEGMENT_WIDTH, "0")


def segment_id(seg: str) -> int:
    return int(seg, 36)


def child_path(parent_path: str, pk: int) -> str:
    return parent_path + segment(pk)


def depth_of(path: str) -> int:
    return len(path) // SEGMENT_WIDTH


def ancestor_ids(path: str) -> list[int]:
    """Ids from the root down to the node itself."""
    return [segment_id(path[i : i + SEGMENT_WIDTH]) for i in range(0, len(path), SEGMENT_WIDTH)]


def ancestor_paths(path: str) -> list[str]:
    return [path[: i + SEGMENT_WIDTH] for i in range(0, len(path), SEGMENT_WIDTH)]


def is_within(path: str, root_path: str) -> bool:
    return path.startswith(root_path)


def under(path: str, field: str = "path") -> Q:
    """Q for rows whose ``field`` lies in the subtree rooted at ``path`` (one range on the index)."""
    return Q(**{f"{field}__gte": path, f"{field}__lt": path + UPPER_BOUND})


def per_child(
    qs: QuerySet[Any], width: int, field_path: str = "path", **aggregates: Any
) -> dict[str, dict[str, Any]]:
    """``aggregates`` of ``qs`` per path prefix of ``width`` characters (one GROUP BY): per child of a focus
    whose path is ``width - SEGMENT_WIDTH`` long (the focus's own rows under its own, shorter, path), or per
    unit at one depth."""
    rows = qs.annotate(child=Substr(field_path, 1, width)).values("child").annotate(**aggregates).order_by()
    return {r.pop("child"): r for r in rows}


def subtree_q(field: str, paths: Iterable[str]) -> Q:
    """Q for rows whose `field` lies in any of the subtrees rooted at `paths` (outermost only)."""
    q = Q(pk__in=[])
    for p in collapse(paths):
        q |= Q(**{f"{field}__gte": p, f"{field}__lt": p + UPPER_BOUND})
    return q


def common_ancestor(paths: Iterable[str]) -> str:
    """The deepest path that every path in ``paths`` lies in ("" when there is none, or no paths)."""
    paths = sorted(paths)
    if not paths:
        return ""
    first, last = paths[0], paths[-1]  # the common prefix of all is that of the extremes
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[: size - size % SEGMENT_WIDTH]


def collapse(paths: Iterable[str]) -> list[str]:
    """Drop paths already covered by an ancestor in the list."""
    kept: list[str] = []
    for p in sorted(set(paths)):
        if not kept or not p.startswith(kept[-1]):
            kept.append(p)
    return kept


if TYPE_CHECKING:
    # django-stubs' fields are generic (the type set, the type read); Django's are not subscriptable.
    _CharField = models.CharField[str, str]
else:
    _CharField = models.CharField


class PathField(_CharField):
    """A CharField compared byte-wise, so a subtree is one index range on SQLite and PostgreSQL alike."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
