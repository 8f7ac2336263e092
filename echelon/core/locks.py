"""Row locks, once: a service reads the row it is about to change again under a lock on that row only.

``Model.objects.select_for_update().select_related("campaign", "unit")`` locks every joined row on
PostgreSQL (a plain ``FOR UPDATE`` covers all the tables of the query): a problem's edit would lock its
campaign and its unit too, so every write in a campaign queued behind every other, and every insert naming
the campaign waited in its foreign key check (found by ``make load``). ``locked`` asks for ``FOR UPDATE OF``
the row's own table; the related rows come in the same query, unlocked. A service that must serialise on a
parent row (one number at a time per unit, one plan at a time per campaign) locks that parent itself, in a
line of its own that says why. ``test_row_locks`` keeps the plain chained form out of the code.

SQLite has no row locks (a writer holds the whole database): there, this is a plain read.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

_M = TypeVar("_M", bound=models.Model)


def locked(rows: models.QuerySet[_M] | type[_M], pk: Any, *related: str) -> _M:
    """The row ``pk`` of ``rows`` (a model or a queryset), read under a lock on that row alone
    (``select_for_update(of=("self",))``), with the ``related`` rows joined in, not locked. Call inside the
    writer's transaction; raises ``DoesNotExist`` like ``get``."""
    queryset = rows._default_manager.all() if isinstance(rows, type) else rows
    queryset = queryset.select_for_update(of=("self",))
    if related:
        queryset = queryset.select_related(*related)
    return queryset.get(pk=pk)
