"""Which key meetings on a leader's calendar clash: a pure function of plain data (no Django).

Rule: two meetings clash when they fall on the same day and the same half-day (上午 / 下午) and are held in
different places: one leader cannot be at both. A meeting whose half-day is not known yet (a planned
mobilization meeting: the plan gives only the day) may fall in either half-day, so it clashes with any
meeting of that day held elsewhere; the calendar says "可能冲突" for such a pair. Two meetings in the same
place on the same half-day (a unit holding two meetings back to back) do not clash.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Slot:
    key: str
    day: date
    half_day: str | None  # "am", "pm", or None when not known
    place: str


@dataclass(frozen=True)
class Clash:
    a: str
    b: str
    certain: bool  # False when a half-day is not known yet


def _place(text: str) -> str:
    return "".join(text.split()).casefold()


def find_clashes(slots: Iterable[Slot]) -> list[Clash]:
    by_day: dict[date, list[Slot]] = defaultdict(list)
    for s in slots:
        by_day[s.day].append(s)
    found: list[Clash] = []
    for day in sorted(by_day):
        same_day = sorted(by_day[day], key=lambda s: s.key)
        for i, a in enumerate(same_day):
            for b in same_day[i + 1 :]:
                if a.half_day is not None and b.half_day is not None and a.half_day != b.half_day:
                    continue
                pa, pb = _place(a.place), _place(b.place)
                if pa and pa == pb:
                    continue
                found.append(Clash(a.key, b.key, a.half_day is not None and b.half_day is not None))
    return found


def clashing_keys(slots: Iterable[Slot]) -> dict[str, list[str]]:
    """Each clashing meeting's key → the keys it clashes with."""
    out: dict[str, list[str]] = defaultdict(list)
    for c in find_clashes(slots):
        out[c.a].append(c.b)
        out[c.b].append(c.a)
    return dict(out)
