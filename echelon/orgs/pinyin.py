"""Pinyin keys for search: full (huhehaoteshi) and initials (hhhts).

pypinyin loads a phrase dictionary of ~0.3 s when imported: it is imported on first use, so a command or
worker that never names a unit does not pay for it."""

from __future__ import annotations

from functools import lru_cache


def syllables(text: str) -> list[str]:
    from pypinyin import lazy_pinyin

    return lazy_pinyin(text, errors="ignore")


@lru_cache(maxsize=65536)
def keys(text: str) -> tuple[str, str]:
    parts = [s.lower() for s in syllables(text) if s.strip()]
    full = "".join(ch for s in parts for ch in s if ch.isalnum())
    initials = "".join(s[0] for s in parts if s and s[0].isalnum())
    return full[:300], initials[:100]
