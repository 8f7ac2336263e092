"""Reads of publicity: what the public sees of a unit today (published, within its period, never
withdrawn: the frozen copies only), and the notices staff may read (scoped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from echelon.core.actors import Actor
from echelon.orgs.models import Unit
from echelon.publicity import kinds
from echelon.publicity.models import Publication


@dataclass(frozen=True)
class PublicItem:
    """One published notice as the public sees it."""

    pk: int
    kind: str
    kind_label: str
    template: str
    title: str
    starts_on: date
    ends_on: date
    snapshot: dict[str, Any]


def public_items(unit: Unit, today: date | None = None) -> list[PublicItem]:
    """The unit's notices on its public page today, in the kinds' order (promises first), latest first."""
    today = today or timezone.localdate()
    rows = (
        Publication.objects.public(today)
        .filter(unit_id=unit.pk)
        .only("id", "kind", "title", "starts_on", "ends_on", "snapshot")
        .order_by("-starts_on", "-id")
    )
    items = []
    for row in rows:
        kind = kinds.KINDS.get(row.kind)
        if kind is None or row.starts_on is None or row.ends_on is None:
            continue  # a kind no longer installed is not shown
        items.append(
            PublicItem(
                row.pk,
                kind.key,
                str(kind.label),
                kind.template,
                row.title,
                row.starts_on,
                row.ends_on,
                row.snapshot or {},
            )
        )
    order = {k.key: n for n, k in enumerate(kinds.ordered())}
    return sorted(items, key=lambda i: order.get(i.kind, 99))


def public_item(unit: Unit, pk: int, today: date | None = None) -> PublicItem | None:
    return next((i for i in public_items(unit, today) if i.pk == pk), None)


def publications_for(actor: Actor, action: str = "view") -> QuerySet[Publication]:
    return Publication.objects.visible_to(actor, action).select_related("unit")
