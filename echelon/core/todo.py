"""我的待办: what waits for the user, contributed by the apps (ADR 13: each registers a provider from its
``AppConfig.ready()``; core knows none of them). The home page lists it, so every persona lands on their
work: a secretary on the unit's phase and its ledger, a supervisor on the reviews and claims to verify, an
office on escalations and what is overdue, a leader on the meetings to attend.

A provider is ``provider(user) -> list[Item]``; it must be cheap (counts from rollups or indexed ranges,
capped with ``capped_count``): the home page is the most visited page there is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import QuerySet

from echelon.core.actors import Actor, Person, is_person

Tone = Literal["danger", "warning", "primary", "secondary"]
CAP = 100  # counts beyond this read "100+"


@dataclass(frozen=True)
class Item:
    title: Any  # what is waiting, in words
    url: str
    count: int | None = None  # how many (None: a single thing, e.g. the unit's current phase)
    detail: Any = ""  # one line more: the phase's state, the next deadline
    tone: Tone = "primary"  # danger: overdue or returned; warning: waiting on the user

    @property
    def count_label(self) -> str:
        if self.count is None:
            return ""
        return f"{CAP}+" if self.count > CAP else str(self.count)


@dataclass(frozen=True)
class Provider:
    key: str
    label: Any
    icon: str
    items: Callable[[Person], list[Item]]
    order: int = 100


@dataclass
class Section:
    key: str
    label: Any
    icon: str
    items: list[Item] = field(default_factory=list)


_providers: dict[str, Provider] = {}


def register(
    key: str, label: Any, icon: str, items: Callable[[Person], list[Item]], order: int = 100
) -> None:
    _providers[key] = Provider(key, label, icon, items, order)


def unregister(key: str) -> None:
    _providers.pop(key, None)


def sections(user: Actor) -> list[Section]:
    """The sections with something waiting, in their order (the danger items of each first)."""
    if not is_person(user):
        return []
    tones = {"danger": 0, "warning": 1, "primary": 2, "secondary": 3}
    out = []
    for p in sorted(_providers.values(), key=lambda p: (p.order, p.key)):
        items = [i for i in p.items(user) if i.count is None or i.count > 0]
        if items:
            items.sort(key=lambda i: tones[i.tone])
            out.append(Section(p.key, p.label, p.icon, items))
    return out


def capped_count(queryset: QuerySet[Any]) -> int:
    """How many rows, counting at most ``CAP + 1`` (shown as "100+")."""
    return int(queryset.order_by()[: CAP + 1].count())
