"""Figures for `echelon stats`, contributed by the apps above the registry (ADR 13: core names no app).

The registry's own figures are the command's (``orgs``); an app above it registers a callable in its
`AppConfig.ready()` that returns its whole-database figures as a flat mapping of JSON values (e.g. the
ledger: ``{"opinions": 12, "opinions_by_status": {...}, ...}``), and optionally ``text``: the lines the
command prints for them without ``--json``. ``collect()`` merges every registered mapping, in ``order``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Figures = Callable[[], Mapping[str, Any]]
Lines = Callable[[Mapping[str, Any]], list[str]]


@dataclass(frozen=True)
class Source:
    name: str
    figures: Figures
    text: Lines | None = None
    order: int = 100


_sources: dict[str, Source] = {}


def register(name: str, figures: Figures, *, text: Lines | None = None, order: int = 100) -> Source:
    """Add (or replace) a source of figures named ``name``."""
    source = Source(name, figures, text, order)
    _sources[name] = source
    return source


def unregister(name: str) -> None:
    _sources.pop(name, None)


def sources() -> list[Source]:
    return sorted(_sources.values(), key=lambda s: (s.order, s.name))


def collect() -> dict[str, Any]:
    """Every registered source's figures merged into one mapping (two sources giving one key: a bug)."""
    out: dict[str, Any] = {}
    for source in sources():
        figures = source.figures()
        clash = set(figures) & set(out)
        if clash:
            raise ValueError(f"stats source {source.name!r} repeats {sorted(clash)}")
        out.update(figures)
    return out


def text_lines(figures: Mapping[str, Any]) -> list[str]:
    """The lines each source prints for its part of ``figures`` (sources without ``text``: none)."""
    return [line for source in sources() if source.text is not None for line in source.text(figures)]
