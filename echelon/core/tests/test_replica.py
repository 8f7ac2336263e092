"""The read replica's router (issue 15 item 4, ADR 20), in CI on SQLite and PostgreSQL.

The alias ``replica`` is added for these tests only, pointing at the test database itself (a mirror, as
Django's ``TEST: {"MIRROR": "default"}`` does): a second connection, so which alias a query went through is
seen, while the data is the same. The tests that run pages commit their data (``transaction=True``) so that
the second connection sees it. The lag is stubbed where a test needs one; a replica that is down is a
database that cannot be opened. The real streaming standby is `make test-replica` (test_replica_e2e.py).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from echelon.accounts.models import Grant, User
from echelon.core import replica
from echelon.core.routers import ReplicaRouter
from echelon.orgs import editing
from echelon.orgs.models import Unit
from echelon.supervision.tests.helpers import make_campaign

PASSWORD = "x-Replica-Pass-2014"


def _reads(outcome: str) -> float:
    return REGISTRY.get_sample_value("echelon_replica_reads_total", {"outcome": outcome}) or 0.0


@pytest.fixture(scope="class")
def replica_alias() -> Iterator[dict]:
    """The alias ``replica`` on the test database, there before pytest-django checks the test's databases."""
    config = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    config["TEST"] = {**config.get("TEST", {}), "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings["replica"] = config
    yield config
    connections["replica"].close()
    del connections["replica"]
    del connections.settings["replica"]


@pytest.fixture
def with_replica(replica_alias, settings) -> Iterator[None]:
    """A replica is configured: the alias, the router and the middleware, as settings.py does."""
    settings.ECHELON_REPLICA_ALIAS = "replica"
    settings.ECHELON_REPLICA_MAX_LAG_SECONDS = 5
    settings.DATABASE_ROUTERS = ["echelon.core.routers.ReplicaRouter"]
    settings.MIDDLEWARE = [
        settings.MIDDLEWARE[0],
        "echelon.core.replica.ReplicaMiddleware",
        *settings.MIDDLEWARE[1:],
    ]
    replica.forget()
    yield
    replica.forget()


@pytest.fixture
def replica_down(replica_alias, with_replica) -> Iterator[None]:
    """The replica is configured but does not answer: a database that cannot be opened."""
    del connections["replica"]  # a new connection with the settings below (SQLite's in memory never closes)
    saved = dict(replica_alias)
    if connections[DEFAULT_DB_ALIAS].vendor == "sqlite":
        replica_alias["NAME"] = "/nonexistent/echelon-replica/db.sqlite3"
    else:
        replica_alias["PORT"] = "1"  # nothing listens there: refused at once
    yield
    del connections["replica"]
    replica_alias.update(saved)


class Capture:
    """The SQL sent through each alias while it is open."""

    def __enter__(self) -> Capture:
        self._default = CaptureQueriesContext(connections[DEFAULT_DB_ALIAS])
        self._replica = CaptureQueriesContext(connections["replica"])
        self._default.__enter__()
        self._replica.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._replica.__exit__(*exc)
        self._default.__exit__(*exc)

    def on(self, alias: str, table: str = "") -> list[str]:
        ctx = self._default if alias == DEFAULT_DB_ALIAS else self._replica
        return [q["sql"] for q in ctx.captured_queries if table in q["sql"]]


def _office(tree) -> Client:
    user = User.objects.create_user("replica_office", password=PASSWORD)
    Grant.objects.create(user=user, unit=tree.region, role="office")
    client = Client()
    client.force_login(user)
    return client


# --- the router's decisions --------------------------------------------------------------------------------


class TestRouter:
    router = ReplicaRouter()

    @pytest.fixture(autouse=True)
    def _ok(self, settings, monkeypatch):
        settings.ECHELON_REPLICA_ALIAS = "replica"
        settings.ECHELON_REPLICA_MAX_LAG_SECONDS = 5
        monkeypatch.setattr(replica, "measure_lag", lambda alias: 0.5)
        replica.forget()
        yield
        replica.forget()

    def test_outside_an_eligible_page_everything_reads_from_the_primary(self):
        # a command, a job, any page not marked: no state, or a state without the replica
        assert self.router.db_for_read(Unit) == DEFAULT_DB_ALIAS
        assert self.router.db_for_write(Unit) == DEFAULT_DB_ALIAS

    def test_an_eligible_read_goes_to_the_replica_but_not_the_primary_only_apps(self):
        with replica.replica_reads() as alias:
            assert alias == "replica"
            assert self.router.db_for_read(Unit) == "replica"
            assert self.router.db_for_read(User) == DEFAULT_DB_ALIAS  # accounts: who is logged in
            assert self.router.db_for_read(Grant) == DEFAULT_DB_ALIAS  # a revoked grant counts at once
        assert self.router.db_for_read(Unit) == DEFAULT_DB_ALIAS

    def test_after_a_write_the_same_request_reads_from_the_primary(self):
        with replica.replica_reads():
            assert self.router.db_for_write(Unit) == DEFAULT_DB_ALIAS
            assert self.router.db_for_read(Unit) == DEFAULT_DB_ALIAS

    @pytest.mark.django_db
    def test_inside_a_transaction_reads_go_to_the_primary(self):
        with replica.replica_reads(), transaction.atomic():
            assert self.router.db_for_read(Unit) == DEFAULT_DB_ALIAS

    def test_over_the_lag_limit_the_primary(self, settings, monkeypatch, caplog):
        monkeypatch.setattr(replica, "measure_lag", lambda alias: 60.0)
        before = _reads("lagging")
        with (
            caplog.at_level(logging.WARNING, logger="echelon.core.replica"),
            replica.replica_reads() as alias,
        ):
            assert alias == DEFAULT_DB_ALIAS
            assert self.router.db_for_read(Unit) == DEFAULT_DB_ALIAS
        assert _reads("lagging") == before + 1
        assert "60.0 s behind" in caplog.text

    def test_the_lag_is_asked_once_per_interval(self, settings, monkeypatch):
        asked = []

        def measure(alias):
            asked.append(alias)
            return 0.0

        monkeypatch.setattr(replica, "measure_lag", measure)
        settings.ECHELON_REPLICA_CHECK_SECONDS = 60
        for _ in range(5):
            with replica.replica_reads() as alias:
                assert alias == "replica"
        assert asked == ["replica"]

    def test_a_replica_that_does_not_answer_means_the_primary(self, monkeypatch):
        def refuse(alias):
            raise OSError("connection refused")

        monkeypatch.setattr(replica, "measure_lag", refuse)
        before = _reads("down")
        with replica.replica_reads() as alias:
            assert alias == DEFAULT_DB_ALIAS
        assert _reads("down") == before + 1
        assert replica.health_state() == "fail"

    def test_the_replica_is_never_migrated(self):
        assert self.router.allow_migrate("replica", "orgs") is False
        assert self.router.allow_migrate(DEFAULT_DB_ALIAS, "orgs") is None

    def test_without_a_replica_nothing_changes(self, settings):
        settings.ECHELON_REPLICA_ALIAS = ""
        with replica.replica_reads() as alias:
            assert alias == DEFAULT_DB_ALIAS
        assert replica.health_state() is None


# --- pages, through the middleware and the decorator -------------------------------------------------------


# committed, so that the replica's own connection sees it
@pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, "replica"])
class TestPages:
    def test_a_dashboard_reads_from_the_replica(self, tree, with_replica):
        client = _office(tree)
        before = _reads("replica")
        with Capture() as seen:
            response = client.get(f"/dashboard/u/{tree.region.code}/")
        assert response.status_code == 200
        assert tree.region.name in response.content.decode()
        assert seen.on("replica", 'FROM "orgs_unit"'), "the dashboard's units come from the replica"
        assert not seen.on(DEFAULT_DB_ALIAS, 'FROM "orgs_unit"')
        assert seen.on(DEFAULT_DB_ALIAS, "django_session")  # who is logged in: the primary
        assert not seen.on("replica", "django_session") and not seen.on("replica", "accounts_")
        assert _reads("replica") == before + 1
        assert "echelon_primary_until" not in response.cookies  # a read pins nobody

    def test_the_dashboard_api_reads_from_the_replica(self, tree, with_replica):
        make_campaign(tree.region)
        client = _office(tree)
        with Capture() as seen:
            response = client.get(f"/api/v1/dashboard/{tree.region.code}/")
        assert response.status_code == 200
        assert seen.on("replica", 'FROM "orgs_unit"') and not seen.on(DEFAULT_DB_ALIAS, 'FROM "orgs_unit"')

    def test_a_page_that_is_not_marked_reads_from_the_primary(self, tree, with_replica):
        client = _office(tree)
        with Capture() as seen:
            response = client.get(f"/orgs/u/{tree.region.code}/")
        assert response.status_code == 200
        assert seen.on(DEFAULT_DB_ALIAS, 'FROM "orgs_unit"') and not seen.on("replica")

    def test_a_write_goes_to_the_primary_and_pins_the_browser_there(self, tree, with_replica):
        client = _office(tree)
        cells = editing.unit_cells(tree.county)
        with Capture() as seen:
            response = client.post(f"/orgs/u/{tree.county.code}/edit/", {**cells, "name": "武川县（改）"})
        assert response.status_code == 302, response.content.decode()[:2000]
        assert Unit.objects.get(pk=tree.county.pk).name == "武川县（改）"
        assert seen.on(DEFAULT_DB_ALIAS, 'UPDATE "orgs_unit"')
        assert not seen.on("replica")
        assert "echelon_primary_until" in response.cookies
        # read-your-writes: the next dashboard of this browser reads from the primary, and shows the change
        before = _reads("pinned")
        with Capture() as seen:
            page = client.get(f"/dashboard/u/{tree.county.code}/")
        assert page.status_code == 200 and "武川县（改）" in page.content.decode()
        assert seen.on(DEFAULT_DB_ALIAS, 'FROM "orgs_unit"') and not seen.on("replica")
        assert _reads("pinned") == before + 1
        # once the pin has expired (the cookie is gone), the replica again
        client.cookies.pop("echelon_primary_until")
        with Capture() as seen:
            assert client.get(f"/dashboard/u/{tree.county.code}/").status_code == 200
        assert seen.on("replica", 'FROM "orgs_unit"')

    def test_a_lagging_replica_sends_the_page_to_the_primary(self, tree, with_replica, monkeypatch):
        monkeypatch.setattr(replica, "measure_lag", lambda alias: 42.0)
        client = _office(tree)
        before = _reads("lagging")
        with Capture() as seen:
            response = client.get(f"/dashboard/u/{tree.region.code}/")
        assert response.status_code == 200
        assert seen.on(DEFAULT_DB_ALIAS, 'FROM "orgs_unit"') and not seen.on("replica", 'FROM "orgs_unit"')
        assert _reads("lagging") == before + 1
        health = Client().get("/healthz")
        assert health.status_code == 200
        assert health.json()["checks"]["replica"] == "lagging" and health.json()["status"] == "degraded"

    def test_a_replica_that_is_down_leaves_the_pages_on_the_primary(self, tree, replica_down):
        client = _office(tree)
        before = _reads("down")
        with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
            response = client.get(f"/dashboard/u/{tree.region.code}/")
        assert response.status_code == 200 and tree.region.name in response.content.decode()
        assert [q for q in primary.captured_queries if "orgs_unit" in q["sql"]]
        assert _reads("down") == before + 1
        health = Client().get("/healthz")
        assert health.status_code == 200 and health.json()["checks"]["replica"] == "fail"
        # asked again only after the retry interval: the next page does not wait for it
        assert client.get(f"/dashboard/u/{tree.region.code}/").status_code == 200
        assert _reads("down") == before + 2

    def test_a_replica_that_fails_during_a_page_makes_it_run_again_on_the_primary(
        self, tree, replica_down, monkeypatch
    ):
        monkeypatch.setattr(replica, "measure_lag", lambda alias: 0.0)  # the guard let it through
        client = _office(tree)
        response = client.get(f"/dashboard/u/{tree.region.code}/")
        assert response.status_code == 200 and tree.region.name in response.content.decode()
        assert replica.check().state == "down"  # and the next pages do not try it until the retry
