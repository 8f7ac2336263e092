"""Prometheus metrics at ``/metrics`` (ADR 19): requests counted and timed by route name.

``MetricsMiddleware`` (first in the middleware list, so it times everything after it) records per request:

    echelon_http_requests_total{route, method, status}         counter
    echelon_http_request_duration_seconds{route, method}      histogram

``route`` is the URL pattern's name (``orgs:unit``, ``api:supervision-review-decide``), never the path:
the label set stays small however many units there are; an unmatched path counts as ``unmatched``.

Who may read them: a request from this machine (127.0.0.1 or ::1, not forwarded by a proxy: a request that
carries ``X-Forwarded-For``, ``X-Real-IP`` or ``Forwarded`` is not local, so a reverse proxy on the same
machine does not open it to the world), or one with ``Authorization: Bearer <ECHELON_METRICS_TOKEN>`` when
that setting is set. Anyone else gets a 404, as if there were nothing here.

Several gunicorn workers: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory writable by the app
(prometheus-client's multiprocess mode) and every worker's counts are summed in each answer.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter(
    "echelon_http_requests_total",
    "HTTP requests answered, by route name, method and status",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "echelon_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name and method",
    ["route", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LOCAL = frozenset({"127.0.0.1", "::1"})
FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "OTHER"
        route = route_of(request)
        LATENCY.labels(route, method).observe(time.perf_counter() - start)
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        return response


def allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "ECHELON_METRICS_TOKEN", "")
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer "):
        return secrets.compare_digest(header.removeprefix("Bearer ").strip().encode(), token.encode())
    if any(request.META.get(h) for h in FORWARDED):
        return False
    return request.META.get("REMOTE_ADDR", "") in LOCAL


def registry() -> CollectorRegistry | None:
    """The registry to answer from: every worker's files in multiprocess mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)  # type: ignore[no-untyped-call]
        return collected
    return None


@login_not_required
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        raise Http404
    from prometheus_client import REGISTRY

    body = generate_latest(registry() or REGISTRY)
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
