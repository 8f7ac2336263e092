"""Version-keyed caching: a figure that depends on rarely changing data is cached under the data's version.

Services that change the data call `bump(name)` in their transaction; readers call `cached(name, key, fn)`.
A stale entry is never read again (its key names an old version) and simply expires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db.models import F

from echelon.core.models import Counter

T = TypeVar("T")


def bump(name: str) -> None:
    if not Counter.objects.filter(name=name).update(value=F("value") + 1):
        Counter.objects.get_or_create(name=name)
        Counter.objects.filter(name=name).update(value=F("value") + 1)


def current(name: str) -> int:
    return Counter.objects.filter(name=name).values_list("value", flat=True).first() or 0


def cached(name: str, key: str, compute: Callable[[], T], timeout: int = 3600) -> T:
    full_key = f"v:{name}:{current(name)}:{key}"
    value: T | None = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, timeout)
    return value
