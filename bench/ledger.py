"""Ledger figures for ``make bench`` on a full-scale database that holds the demo campaign with its ledger
(``echelon demo_campaign`` fills it: about 500,000 opinions, 200,000 problems, 300,000 tasks).

    DATABASE_URL=sqlite:////path/to/full-with-demo.sqlite3 python -m bench.ledger

``bench_ledger(runs=30)``: server time (p95 and median over ``runs`` requests after one to warm up) with a
region user (``region_office``, unless ``username``), budget p95 ≤ 200 ms each:

- the summary of the whole region: ``selectors.summary`` called directly and ``GET
  /api/v1/ledger/summary/?under=150000`` through the full middleware stack, each beside a hand-written SQL
  floor measured in the same run on the same database (the same four counts: problems and tasks by
  category × status over the path range, the overdue tasks, the opinions by status); budget ≤ 1.5×. The
  selector reads the rollup counters (``ledger.rollup``), so it is also set beside the floor of reading
  them by hand (``ledger_summary_rollup_*``);
- the filtered problem list (``/ledger/problems/?category=formalism&status=open``);
- a county's ledger: its ledger tab (``/ledger/unit/150125/``), its problem list (``?under=150125``) and
  its Excel ledger (``/ledger/exports/unit/150125/xlsx/``, a file: reported, not judged);
- a search of one and of two Chinese characters (``?q=低``, ``?q=低保``);
- the public intake: ``POST /api/v1/public/opinions/`` (each from another address, to one of 40 villages,
  so that the rate limits do not answer instead; every post is written).

A figure over its budget is explained where the database can tell: the slowest query of one request and
its plan (``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN ANALYZE`` on PostgreSQL) are kept in the figures
(``<name>_slowest_ms``, ``<name>_slowest_sql``, ``<name>_plan``).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

BUDGET_MS = 200.0
RATIO_BUDGET = 1.5
REGION, COUNTY = "150000", "150125"
PAGES = {
    "ledger_problem_list_filtered": "/ledger/problems/?category=formalism&status=open",
    "ledger_county_unit_ledger": f"/ledger/unit/{COUNTY}/",
    "ledger_county_problem_list": f"/ledger/problems/?under={COUNTY}",
    "ledger_search_one_char": "/ledger/problems/?q=低",
    "ledger_search_two_chars": "/ledger/problems/?q=低保",
}
FILES = {"ledger_county_export_xlsx": f"/ledger/exports/unit/{COUNTY}/xlsx/"}
SUMMARY_API = f"/api/v1/ledger/summary/?under={REGION}"
PUBLIC_API = "/api/v1/public/opinions/"

FLOOR_SQL = (
    "SELECT category, status, COUNT(*) FROM ledger_problem WHERE path >= %s AND path < %s "
    "GROUP BY category, status",
    "SELECT category, status, COUNT(*) FROM ledger_task WHERE path >= %s AND path < %s "
    "GROUP BY category, status",
    "SELECT COUNT(*) FROM ledger_task WHERE path >= %s AND path < %s "
    "AND status IN ('open', 'deferred') AND deadline < %s",
    "SELECT status, COUNT(*) FROM ledger_opinion WHERE path >= %s AND path < %s GROUP BY status",
)

# The floor of reading the rollup (the selector's way): the counters of one unit, and the overdue tasks.
ROLLUP_SQL = "SELECT kind, category, status, n FROM ledger_ledgercount WHERE path = %s AND n > 0"


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    value = fn()  # warm
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        value = fn()
        samples.append((time.perf_counter() - began) * 1000)
    return samples, value


def _plan(sql: str, params: Any = ()) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return " | ".join(str(row[-1]) for row in cursor.fetchall())
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN ANALYZE {sql}", params)
            return " | ".join(str(row[0]) for row in cursor.fetchall())
    return ""


def _diagnose(name: str, fn: Callable[[], Any], out: dict[str, Any]) -> None:
    """The slowest query of one call and its plan (a figure over budget: why)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    if not ctx.captured_queries:
        return
    slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]))
    out[f"{name}_queries"] = len(ctx.captured_queries)
    out[f"{name}_slowest_ms"] = round(float(slowest["time"]) * 1000, 1)
    out[f"{name}_slowest_sql"] = slowest["sql"][:600]
    try:
        out[f"{name}_plan"] = _plan(slowest["sql"])
    except Exception as exc:  # a statement the plan cannot take as it was logged (quoting): say so
        out[f"{name}_plan"] = f"(no plan: {exc.__class__.__name__})"


def _record(out: dict[str, Any], name: str, samples: list[float]) -> None:
    out[f"{name}_p95_ms"] = round(_p95(samples), 1)
    out[f"{name}_median_ms"] = round(statistics.median(samples), 1)


def counts() -> dict[str, int]:
    from echelon.ledger.models import Escalation, Handover, Institution, Opinion, Problem, Task

    return {
        "ledger_opinions": Opinion.objects.count(),
        "ledger_problems": Problem.objects.count(),
        "ledger_tasks": Task.objects.count(),
        "ledger_escalations": Escalation.objects.count(),
        "ledger_handovers": Handover.objects.count(),
        "ledger_institutions": Institution.objects.count(),
    }


def bench_ledger(*, runs: int = 30, username: str = "region_office", verbose: bool = True) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from echelon.accounts.models import User
    from echelon.core.tree import UPPER_BOUND
    from echelon.ledger import selectors
    from echelon.orgs.models import Level, Unit

    settings.ALLOWED_HOSTS = ["*"]
    out: dict[str, Any] = counts()
    if not out["ledger_problems"]:
        raise SystemExit("no ledger: run `echelon demo_campaign` on the full demo data first")
    user = User.objects.get(username=username)
    root = Unit.objects.get(code=REGION)
    today = timezone.localdate()
    client = Client()
    client.force_login(user)

    # The summary: the selector, the API, and the hand-written floor.
    def product() -> Any:
        user.__dict__.pop("_scope_cache", None)  # a request's user: grants read afresh
        return selectors.summary(user, root, today=today).as_dict()

    def floor() -> list[Any]:
        bounds = (root.path, root.path + UPPER_BOUND)
        rows = []
        with connection.cursor() as cursor:
            for sql in FLOOR_SQL:
                cursor.execute(sql, (*bounds, today) if "deadline" in sql else bounds)
                rows.append(cursor.fetchall())
        return rows

    def rollup_floor() -> list[Any]:
        """The same answer by hand from the rollup counters the selector reads (``LedgerCount``)."""
        with connection.cursor() as cursor:
            cursor.execute(ROLLUP_SQL, (root.path,))
            counters = cursor.fetchall()
            cursor.execute(FLOOR_SQL[2], (root.path, root.path + UPPER_BOUND, today))
            return [counters, cursor.fetchall()]

    product_ms, summary = _timed(product, runs)
    rollup_ms, _counters = _timed(rollup_floor, runs)
    _record(out, "ledger_summary_rollup_floor", rollup_ms)
    out["ledger_summary_rollup_ratio"] = round(_p95(product_ms) / _p95(rollup_ms), 2)
    floor_ms, floor_rows = _timed(floor, runs)
    if summary["problems"]["total"] != sum(n for _c, _s, n in floor_rows[0]):
        raise RuntimeError("the summary disagrees with the hand-written count")
    if summary["tasks"]["overdue"] != floor_rows[2][0][0]:
        raise RuntimeError("the overdue count disagrees with the hand-written count")
    _record(out, "ledger_summary_selector", product_ms)
    _record(out, "ledger_summary_floor", floor_ms)
    out["ledger_summary_ratio"] = round(_p95(product_ms) / _p95(floor_ms), 2)
    bounds = (root.path, root.path + UPPER_BOUND)
    out["ledger_summary_floor_plans"] = [
        _plan(sql, (*bounds, today) if "deadline" in sql else bounds) for sql in FLOOR_SQL
    ]

    def api() -> Any:
        response = client.get(SUMMARY_API)
        if response.status_code != 200:
            raise RuntimeError(f"{SUMMARY_API}: {response.status_code}")
        return response

    try:
        api_ms, response = _timed(api, runs)
    except RuntimeError as exc:  # not built yet: the selector's figure stands for it
        out["ledger_summary_api_error"] = str(exc)
    else:
        _record(out, "ledger_summary_api", api_ms)
        out["ledger_summary_api_ratio"] = round(_p95(api_ms) / _p95(floor_ms), 2)
        body = json.loads(response.content)
        if body.get("problems", {}).get("total") not in (None, summary["problems"]["total"]):
            raise RuntimeError("the API's summary disagrees with the selector's")

    # Pages and files through the full middleware stack.
    def page(url: str) -> Callable[[], Any]:
        def get() -> Any:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")
            if getattr(response, "streaming", False):
                b"".join(getattr(response, "streaming_content"))  # noqa: B009  (not on every response type)
            return response

        return get

    for name, url in {**PAGES, **FILES}.items():
        try:
            samples, _response = _timed(page(url), runs if name in PAGES else max(5, runs // 3))
        except RuntimeError as exc:
            out[f"{name}_error"] = str(exc)
            continue
        _record(out, name, samples)

    # The public intake: another address each time, 40 villages in turn, a different text each time.
    villages = list(
        Unit.objects.filter(level=Level.VILLAGE, kind="village", is_active=True)
        .order_by("code")
        .values_list("code", flat=True)[:40]
    )
    sent = [0]
    run = int(time.time()) % 100_000  # texts differ from an earlier run's on the same database
    # One client (a new one builds a new request handler, and with it WhiteNoise's scan of every static file:
    # hundreds of ms that an app server spends once), without cookies, from another address each time.
    anonymous = Client()

    def post() -> Any:
        n = sent[0] = sent[0] + 1
        anonymous.cookies.clear()
        body = {
            "unit": villages[n % len(villages)],
            "text": f"村里路灯坏了很久没人修，晚上出行不便（第{run}-{n}号）",
        }
        response = anonymous.post(
            PUBLIC_API,
            data=body,
            content_type="application/json",
            REMOTE_ADDR=f"10.{n // 250 % 250}.{n % 250}.{n // 62500 + 1}",
        )
        if response.status_code != 201:
            raise RuntimeError(f"{PUBLIC_API}: {response.status_code} {response.content[:200]!r}")
        return response

    try:
        samples, _response = _timed(post, runs)
    except RuntimeError as exc:
        out["ledger_public_post_error"] = str(exc)
    else:
        _record(out, "ledger_public_post", samples)

    # Over budget: why (the slowest query and its plan).
    calls: dict[str, Callable[[], Any]] = {
        "ledger_summary_selector": product,
        "ledger_summary_api": api,
        **{name: page(url) for name, url in PAGES.items()},
        "ledger_public_post": post,
    }
    for name, fn in calls.items():
        if out.get(f"{name}_p95_ms", 0) > BUDGET_MS:
            _diagnose(name, fn, out)
    out["ledger_budget_ms"] = BUDGET_MS
    if verbose:
        print(report(out))
    return out


def report(out: dict[str, Any]) -> str:
    lines = [
        f"ledger: {out['ledger_opinions']:,} opinions, {out['ledger_problems']:,} problems, "
        f"{out['ledger_tasks']:,} tasks, {out['ledger_escalations']:,} escalations, "
        f"{out['ledger_handovers']:,} hand-overs"
    ]
    for key, value in out.items():
        if key.endswith("_p95_ms"):
            name = key[: -len("_p95_ms")]
            verdict = (
                ""
                if name.startswith(("ledger_summary_floor", "ledger_county_export"))
                else ("ok" if value <= BUDGET_MS else "OVER")
            )
            lines.append(f"  {name}: p95 {value} ms, median {out[f'{name}_median_ms']} ms {verdict}")
        elif key.endswith(("_ratio", "_error", "_plan", "_slowest_ms", "_slowest_sql")):
            lines.append(f"  {key}: {value}")
    return "\n".join(lines)


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echelon.settings")
    django.setup()
    bench_ledger()
