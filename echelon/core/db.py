"""Database housekeeping shared by bulk writers."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection


def analyze(tables: Iterable[str]) -> None:
    """Refresh the planner's statistics after a bulk load, so subtree queries keep using the right index."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            for table in tables:
                cur.execute(f'ANALYZE "{table}"')
