"""The public page's published part is cached per unit, language and day (a notice's period ends with a
day); publishing or withdrawing a notice forgets the unit's entries.

Forgetting gives the unit a new version in the database (``core.versions``), part of every key, rather
than deleting keys: without Redis each gunicorn worker has a cache of its own, which another worker's
deletion never reaches, and it would serve the old page for up to ``TIMEOUT``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.core.cache import cache as django_cache
from django.utils import timezone

from echelon.core import versions

TIMEOUT = 15 * 60  # seconds: a safety net; publish and withdraw forget at once


def key(unit_id: int, language: str, day: date, version: int = 0) -> str:
    return f"publicity:unit:{unit_id}:{version}:{language}:{day.isoformat()}"


def _version_name(unit_id: int) -> str:
    return f"publicity:unit:{unit_id}"


def cached(unit_id: int, language: str, build: Callable[[], str]) -> str:
    k = key(unit_id, language, timezone.localdate(), versions.current(_version_name(unit_id)))
    value = django_cache.get(k)
    if value is None:
        value = build()
        django_cache.set(k, value, TIMEOUT)
    return str(value)


def forget(unit_id: int) -> None:
    forget_many([unit_id])


def forget_many(unit_ids: list[int]) -> None:
    versions.renew(_version_name(unit_id) for unit_id in unit_ids)
