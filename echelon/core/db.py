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


def analyze_postgresql(tables: Iterable[str]) -> None:
    """``analyze`` on PostgreSQL only, after a bulk load of tables that SQLite's planner reads well without
    statistics: PostgreSQL's takes a never-analysed table for nearly empty (until autovacuum comes, if it is
    on) and picks plans for a few rows (a sort of the whole subtree instead of the ordered index)."""
    if connection.vendor == "postgresql":
        analyze(tables)
