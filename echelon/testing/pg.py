"""PostgreSQL helpers for the concurrency tests: which backend a thread's connection is, and whether another
backend is waiting on a lock (seen in ``pg_stat_activity``, so a test never sleeps and hopes)."""

from __future__ import annotations

import time

from django.db import connection


def backend_pid() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return int(cur.fetchone()[0])


def seen_waiting_on_a_lock(pid: int | None, *, polls: int = 2000) -> bool:
    """Poll (every 10 ms, at most ``polls`` times) until backend ``pid`` waits on a lock; False if it never
    does. Works inside a transaction too: there ``pg_stat_activity`` is a snapshot, cleared before each
    look."""
    for _ in range(polls):
        with connection.cursor() as cur:
            cur.execute("SELECT pg_stat_clear_snapshot()")
            cur.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cur.fetchone()
        if row and row[0] == "Lock":
            return True
        time.sleep(0.01)
    return False
