"""Parts other apps add to a unit's public page (publicity: what the unit published; evaluation: the
ballot-code entry), by slot, in order. A light module: apps register their parts from ``ready()`` without
importing the public views (``views.public`` shows them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from django.http import HttpRequest

    from echelon.orgs.models import Unit

# A part renders HTML from the request and the unit; it must show only what is public.
PagePart = Callable[["HttpRequest", "Unit"], str]
_PARTS: dict[str, list[tuple[int, PagePart]]] = {}


def register_part(slot: str, part: PagePart, order: int = 50) -> None:
    """Add ``part`` to the unit page's ``slot`` ("published": above the opinion box; "ballot": the
    ballot-code entry). Registered once, from an app's ``ready()``."""
    parts = _PARTS.setdefault(slot, [])
    if all(existing is not part for _n, existing in parts):
        parts.append((order, part))
        parts.sort(key=lambda entry: entry[0])


def page_parts(request: HttpRequest, unit: Unit) -> dict[str, SafeString]:
    """Every slot's parts rendered, as safe HTML (the parts render their own templates)."""
    return {
        slot: SafeString("".join(part(request, unit) for _n, part in parts)) for slot, parts in _PARTS.items()
    }
