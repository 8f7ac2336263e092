"""Version-keyed caching: a figure that depends on rarely changing data is cached under the data's version.

Services that change the data call `bump(name)` in their transaction; readers call `cached(name, key, fn)`.
A stale entry is never read again (its key names an old version) and simply expires.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import cache
from django.db.models import F

from echelon.core.models import Counter

T = TypeVar("T")


def bump(name: str) -> None:
    if not Counter.objects.filter(name=name).update(value=F("value") + 1):
        Counter.objects.get_or_create(name=name)
        Counter.objects.filter(name=name).update(value=F("value") + 1)


def renew(names: Iterable[str]) -> None:
    """A new version for each of many names in a few statements: a random one rather than the next (an
    upsert cannot add one), which differs from the old just as surely."""
    rows = [Counter(name=name, value=secrets.randbits(62)) for name in names]
    for start in range(0, len(rows), 3_000):
        Counter.objects.bulk_create(
            rows[start : start + 3_000],
            update_conflicts=True,
            unique_fields=["name"],
            update_fields=["value"],
        )


def current(name: str) -> int:
    return Counter.objects.filter(name=name).values_list("value", flat=True).first() or 0


def cached(name: str, key: str, compute: Callable[[], T], timeout: int = 3600) -> T:
    full_key = f"v:{name}:{current(name)}:{key}"
    value: T | None = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, timeout)
    return value
