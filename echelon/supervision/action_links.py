"""Links shown beside each action of a unit's phase page, contributed by the apps above supervision (ADR 13:
they register from ``AppConfig.ready()``; supervision knows none of them).

A provider is ``provider(participation, phase_key, action_keys) -> {action_key: [Link, ...]}``: e.g. the
typical cases (典型案例) published for that phase and action, with their number. One call per page for all
of a phase's actions, so that a provider answers with one query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    icon: str = ""


Provider = Callable[[Any, str, list[str]], dict[str, list[Link]]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def links(participation: Any, phase_key: str, action_keys: list[str]) -> dict[str, list[Link]]:
    out: dict[str, list[Link]] = {}
    for provider in _providers:
        for key, found in provider(participation, phase_key, action_keys).items():
            out.setdefault(key, []).extend(found)
    return out
