"""The read replica end to end (ADR 20): `make test-replica` only (echelon/core/tests/replica_clusters.sh).

A primary on 5434 and a real streaming standby on 5435 with the small demo; these tests use those databases
as they are (no test database: a standby cannot create one) and run in this order (``-p no:randomly``), the
last one stopping the standby. Elsewhere (CI) they are skipped: no ``DATABASE_REPLICA_URL``.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from echelon.accounts import services as account_services
from echelon.accounts.models import User
from echelon.core import replica
from echelon.orgs import editing
from echelon.orgs.models import Unit

pytestmark = [
    pytest.mark.replica,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_REPLICA_URL"), reason="needs a streaming standby: make test-replica"
    ),
]

UNIT_SQL = 'FROM "orgs_unit"'
LAST_REPLAYED = "pg_last_xact_replay_timestamp()"


@pytest.fixture(scope="session")
def django_db_setup() -> None:
    """The databases as they are: the primary with the demo, and its standby."""


@pytest.fixture(autouse=True)
def _live(django_db_blocker: Any, settings: Any) -> Iterator[None]:
    settings.ECHELON_REPLICA_MAX_LAG_SECONDS = 5
    settings.ECHELON_REPLICA_CHECK_SECONDS = 0  # every request asks: the tests change the standby's state
    replica.forget()
    with django_db_blocker.unblock():
        yield
    replica.forget()


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    """Polls until ``condition`` holds (a deadline against hanging, not a speed assertion)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def one(alias: str, sql: str, params: list[Any] | None = None) -> Any:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def caught_up() -> bool:
    lsn = one(DEFAULT_DB_ALIAS, "SELECT pg_current_wal_lsn()::text")
    return bool(one("replica", "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]))


def reads(outcome: str) -> float:
    return REGISTRY.get_sample_value("echelon_replica_reads_total", {"outcome": outcome}) or 0.0


def top() -> Unit:
    """The demo's region."""
    unit = Unit.objects.order_by("path").first()
    assert unit is not None
    return unit


def league() -> Unit:
    """The demo's first league (a unit below the region, with a dashboard of its own)."""
    unit = Unit.objects.filter(level=top().level + 1).order_by("path").first()
    assert unit is not None
    return unit


@pytest.fixture
def office() -> User:
    user = User.objects.filter(username="replica_e2e_office").first()
    if user is None:
        user = account_services.user_create(actor=None, username="replica_e2e_office", password=None)
        account_services.grant_add(actor=None, user=user, unit=top(), role="office")
    return user


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def dashboard(client: Client, unit: Unit) -> tuple[str, list[str], list[str]]:
    """The unit's dashboard: its HTML and the unit queries sent to the primary and to the standby."""
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections["replica"]) as standby,
    ):
        response = client.get(f"/dashboard/u/{unit.code}/")
    assert response.status_code == 200
    on = [q["sql"] for q in primary.captured_queries if UNIT_SQL in q["sql"]]
    off = [q["sql"] for q in standby.captured_queries if UNIT_SQL in q["sql"]]
    return response.content.decode(), on, off


def rename(user: User, unit: Unit, name: str) -> None:
    """Through the unit's edit page, on the primary (a write)."""
    client = browser(user)
    response = client.post(f"/orgs/u/{unit.code}/edit/", {**editing.unit_cells(unit), "name": name})
    assert response.status_code == 302
    assert "echelon_primary_until" in response.cookies


def test_the_replica_alias_is_the_standby():
    assert one(DEFAULT_DB_ALIAS, "SELECT pg_is_in_recovery()") is False
    assert one("replica", "SELECT pg_is_in_recovery()") is True
    assert one("replica", "SELECT inet_server_port()") != one(DEFAULT_DB_ALIAS, "SELECT inet_server_port()")


def test_a_dashboard_is_served_from_the_standby(office):
    wait_for(caught_up, "the standby to replay the office's grant")
    before = reads("replica")
    html, primary, standby = dashboard(browser(office), top())
    assert top().name in html and "调度" in html
    assert standby and not primary  # every unit the page shows was read on the standby
    assert reads("replica") == before + 1


def test_an_idle_primary_is_no_lag():
    def idle_and_caught_up() -> bool:
        if not caught_up():
            return False
        time.sleep(1.5)  # nothing is written: the last replayed transaction gets older, nothing is missing
        naive = one("replica", f"SELECT EXTRACT(EPOCH FROM clock_timestamp() - {LAST_REPLAYED})")
        return bool(naive > 1 and replica.measure_lag("replica") == 0.0)

    # (asked again if the primary wrote something of its own in between, a checkpoint say)
    wait_for(idle_and_caught_up, "an idle primary whose standby is caught up to count as no lag")


def test_a_write_goes_to_the_primary_and_reaches_the_standby(office):
    unit = league()
    new = unit.name + "（甲）"
    rename(office, unit, new)
    assert Unit.objects.get(pk=unit.pk).name == new
    wait_for(lambda: one("replica", "SELECT name FROM orgs_unit WHERE id = %s", [unit.pk]) == new, "replay")
    html, primary, standby = dashboard(browser(office), unit)  # a browser that did not write: the standby
    assert new in html and standby and not primary


def test_paused_replay_makes_the_guard_fall_back_to_the_primary(office, settings):
    unit = league()
    old, new = unit.name, unit.name + "（乙）"
    wait_for(caught_up, "the standby to catch up")
    one("replica", "SELECT pg_wal_replay_pause()::text")
    try:
        rename(office, unit, new)
        reader = browser(office)
        # within the limit the standby serves the page: the old name, proof of where it was read
        settings.ECHELON_REPLICA_MAX_LAG_SECONDS = 3600
        html, primary, standby = dashboard(reader, unit)
        assert old in html and new not in html and standby and not primary
        # beyond it the guard sends the page to the primary: the new name, nothing read on the standby
        settings.ECHELON_REPLICA_MAX_LAG_SECONDS = 1
        wait_for(lambda: replica.measure_lag("replica") > 1, "the lag to pass the limit")
        before = reads("lagging")
        html, primary, standby = dashboard(reader, unit)
        assert new in html and primary and not standby
        assert reads("lagging") == before + 1
        health = Client().get("/healthz")
        assert health.status_code == 200 and health.json()["checks"]["replica"] == "lagging"
    finally:
        one("replica", "SELECT pg_wal_replay_resume()::text")
    settings.ECHELON_REPLICA_MAX_LAG_SECONDS = 5
    wait_for(caught_up, "the standby to catch up after resuming")
    html, primary, standby = dashboard(browser(office), unit)
    assert new in html and standby and not primary


def test_a_stopped_standby_leaves_the_pages_on_the_primary(office):
    """Last: it stops the standby."""
    reader = browser(office)
    command = [f"{os.environ['REPLICA_PG_BIN']}/pg_ctl", "-D", f"{os.environ['REPLICA_DIR']}/standby"]
    command += ["-m", "fast", "-w", "stop"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True)
    before = reads("down")
    html, primary, standby = dashboard(reader, top())
    assert top().name in html and primary and not standby
    assert reads("down") == before + 1
    health = Client().get("/healthz")
    assert health.status_code == 200 and health.json()["checks"]["replica"] == "fail"
    assert health.json()["checks"]["database"] == "ok"
