"""Operations (issue 15, ADR 19): ``/healthz``, the request id in the logs, ``/metrics``."""

from __future__ import annotations

import datetime
import json
import logging

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from echelon.core import health
from echelon.core.logs import JsonFormatter, RequestIdFilter
from echelon.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def heartbeats():
    return DBTaskResult.objects.filter(task_path=health.HEARTBEAT_PATH)


class TestHealthz:
    def test_anonymous_gets_json_without_anything_sensitive(self, client):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response["Cache-Control"] == "no-store"
        body = response.json()
        assert body["checks"]["database"] == "ok" and body["checks"]["cache"] == "ok"
        assert set(body) <= {"status", "checks", "worker_seen_seconds_ago"}
        text = response.content.decode()
        for secret in ("sqlite", "postgres", "var/", "echelon.sqlite3", "SECRET", "Django"):
            assert secret not in text

    @pytest.mark.django_db(transaction=True)  # the real worker closes its connection after a task
    def test_the_worker_is_starting_then_ok_once_it_ran_the_heartbeat(self, client):
        body = client.get("/healthz").json()
        assert body["checks"]["worker"] == "starting" and body["status"] == "degraded"
        assert heartbeats().filter(status=TaskResultStatus.READY).count() == 1
        # the load balancer asks again: still one heartbeat waiting, none added
        client.get("/healthz")
        assert heartbeats().count() == 1
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
        body = client.get("/healthz").json()
        assert body == {
            "status": "ok",
            "checks": {"database": "ok", "cache": "ok", "worker": "ok"},
            "worker_seen_seconds_ago": body["worker_seen_seconds_ago"],
        }
        assert 0 <= body["worker_seen_seconds_ago"] < 60

    @pytest.mark.django_db(transaction=True)  # the real worker closes its connection after a task
    def test_a_worker_that_stopped_is_stale_and_old_heartbeats_are_pruned(self, client, settings):
        client.get("/healthz")
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
        long_ago = timezone.now() - datetime.timedelta(hours=1)
        heartbeats().update(finished_at=long_ago)
        body = client.get("/healthz").json()  # enqueues the next one: nobody runs it
        assert body["checks"]["worker"] == "stale" and body["worker_seen_seconds_ago"] >= 3600
        assert client.get("/healthz").status_code == 200  # a dead worker does not take the app server out
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
        assert client.get("/healthz").json()["checks"]["worker"] == "ok"
        heartbeats().update(finished_at=long_ago)
        client.get("/healthz")
        assert heartbeats().filter(status=TaskResultStatus.SUCCESSFUL).count() == 1

    def test_a_heartbeat_waiting_too_long_is_stale(self, client):
        client.get("/healthz")
        heartbeats().update(enqueued_at=timezone.now() - datetime.timedelta(hours=1))
        assert client.get("/healthz").json()["checks"]["worker"] == "stale"

    def test_another_task_backend_reports_the_worker_unknown(self, client, settings):
        settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
        assert client.get("/healthz").json()["checks"]["worker"] == "unknown"

    def test_a_broken_cache_is_503(self, client, monkeypatch):
        def broken(*args, **kwargs):
            raise ConnectionError("redis://secret-host:6379 refused")

        monkeypatch.setattr(cache, "set", broken)
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["status"] == "fail" and response.json()["checks"]["cache"] == "fail"
        assert "secret-host" not in response.content.decode()

    def test_a_broken_database_is_503(self, client, monkeypatch):
        monkeypatch.setattr(health, "check_database", lambda: False)
        response = client.get("/healthz")
        assert response.status_code == 503 and response.json()["checks"]["database"] == "fail"

    def test_only_get(self, client):
        assert client.post("/healthz").status_code == 405


class TestRequestId:
    def test_a_new_id_is_given_and_echoed(self, client):
        response = client.get("/healthz")
        assert len(response["X-Request-ID"]) == 32

    def test_a_plain_incoming_id_is_kept_through_to_the_audit_trail(self, personas):
        c = Client()
        c.force_login(personas["county_office"])
        response = c.post(
            "/api/v1/tokens/", {"name": "ci"}, HTTP_X_REQUEST_ID="lb-7f3a.22", content_type="application/json"
        )
        assert response.status_code == 201 and response["X-Request-ID"] == "lb-7f3a.22"
        assert AuditEvent.objects.latest("id").request_id == "lb-7f3a.22"

    @pytest.mark.parametrize("bad", ["a b", "x" * 65, "<script>", "id\nforged log line", "-leading"])
    def test_anything_else_is_replaced(self, client, bad):
        response = client.get("/healthz", HTTP_X_REQUEST_ID=bad)
        assert response["X-Request-ID"] != bad and len(response["X-Request-ID"]) == 32

    def test_log_lines_carry_it_as_json(self, client, caplog, settings):
        """A 404 is logged by Django after the middleware returned: the filter finds the id on the request."""
        handler = logging.StreamHandler()
        lines: list[str] = []
        handler.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]
        handler.addFilter(RequestIdFilter())
        handler.setFormatter(JsonFormatter())
        logger = logging.getLogger("django.request")
        logger.addHandler(handler)
        try:
            response = client.get("/no/such/page/", HTTP_X_REQUEST_ID="trace-42")
        finally:
            logger.removeHandler(handler)
        assert response.status_code == 404
        record = json.loads(lines[-1])
        assert record["request_id"] == "trace-42" and record["level"] == "WARNING" and record["status"] == 404
        assert record["logger"] == "django.request" and "/no/such/page/" in record["message"]

    def test_outside_a_request_the_id_is_a_dash(self):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
        RequestIdFilter().filter(record)
        assert getattr(record, "request_id", None) == "-"
        assert json.loads(JsonFormatter().format(record))["request_id"] == "-"


class TestMetrics:
    def test_from_this_machine_requests_are_counted_by_route_name(self, client):
        client.get("/healthz")
        client.get("/no/such/page/")
        body = client.get("/metrics").content.decode()
        assert 'echelon_http_requests_total{method="GET",route="healthz",status="200"}' in body
        assert 'route="unmatched",status="404"' in body
        assert 'echelon_http_request_duration_seconds_bucket{le="0.01",method="GET",route="healthz"}' in body
        assert "/no/such/page/" not in body

    def test_the_path_never_becomes_a_label(self, personas):
        c = Client()
        c.force_login(personas["county_office"])
        c.get("/api/v1/units/150125/")
        body = Client().get("/metrics").content.decode()
        assert 'route="api:unit-detail"' in body and "150125" not in body

    def test_from_elsewhere_it_is_not_there(self, client):
        assert client.get("/metrics", REMOTE_ADDR="10.0.0.8").status_code == 404
        # behind a reverse proxy on this machine: forwarded, so not local
        assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404

    def test_a_token_opens_it_from_elsewhere(self, client, settings):
        settings.ECHELON_METRICS_TOKEN = "s3cret-metrics-token"
        remote = {"REMOTE_ADDR": "10.0.0.8"}
        assert (
            client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token", **remote).status_code
            == 200
        )
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **remote).status_code == 404
        assert client.get("/metrics", **remote).status_code == 404
