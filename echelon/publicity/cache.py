"""The public page's published part is cached per unit, language and day (a notice's period ends with a
day); publishing or withdrawing a notice forgets the unit's entries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.core.cache import cache as django_cache
from django.utils import timezone

TIMEOUT = 15 * 60  # seconds: a safety net; publish and withdraw forget at once


def key(unit_id: int, language: str, day: date) -> str:
    return f"publicity:unit:{unit_id}:{language}:{day.isoformat()}"


def cached(unit_id: int, language: str, build: Callable[[], str]) -> str:
    k = key(unit_id, language, timezone.localdate())
    value = django_cache.get(k)
    if value is None:
        value = build()
        django_cache.set(k, value, TIMEOUT)
    return str(value)


def forget(unit_id: int) -> None:
    forget_many([unit_id])


def forget_many(unit_ids: list[int]) -> None:
    today = timezone.localdate()
    keys = [key(unit_id, code, today) for unit_id in unit_ids for code, _name in settings.LANGUAGES]
    for start in range(0, len(keys), 3_000):
        django_cache.delete_many(keys[start : start + 3_000])
