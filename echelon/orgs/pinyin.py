"""Pinyin keys for search: full (huhehaoteshi) and initials (hhhts)."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import lazy_pinyin


@lru_cache(maxsize=65536)
def keys(text: str) -> tuple[str, str]:
    syllables = [s.lower() for s in lazy_pinyin(text, errors="ignore") if s.strip()]
    full = "".join(ch for s in syllables for ch in s if ch.isalnum())
    initials = "".join(s[0] for s in syllables if s and s[0].isalnum())
    return full[:300], initials[:100]
