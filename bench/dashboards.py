"""Dashboard figures for ``make bench`` on a full-scale database with the demo campaign and its ledger (the
``ledger`` step's copy).

    DATABASE_URL=sqlite:////path/to/full-with-demo.sqlite3 python -m bench.dashboards

``bench_dashboards(runs=30)``: server time (p95 and median over ``runs`` requests after one to warm up) with
a region user, budget p95 ≤ 200 ms each:

- ``figures.board`` of the whole region, beside a hand-written SQL floor for the same figures measured in
  the same run (budget ≤ 1.5×): the units per league by state, phase, plan and gate from the participation
  rows, the supervision coverage per league, the ledger's counters of each league and its overdue tasks;
  the two must agree;
- the dashboard pages of the region (``/dashboard/``), a league, a county and a village, the region's
  drill-down to its overdue units, and ``GET /api/v1/dashboard/150000/``;
- live: a submission at a village, then the region's figures in the next read (the open reviews + 1);
- the daily snapshot of every unit and the early warnings' refresh (seconds; budget ≤ 60 s for the
  snapshot), when they are built.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.ledger import _diagnose, _p95, _record, _timed

BUDGET_MS = 200.0
RATIO_BUDGET = 1.5
REGION, LEAGUE, COUNTY = "150000", "150100", "150125"
PAGES = {
    "dashboard_region": "/dashboard/",
    "dashboard_league": f"/dashboard/u/{LEAGUE}/",
    "dashboard_county": f"/dashboard/u/{COUNTY}/",
    "dashboard_region_overdue_units": f"/dashboard/u/{REGION}/units/?measure=overdue",
    "dashboard_api_region": f"/api/v1/dashboard/{REGION}/",
}

# The same figures by hand: one GROUP BY per table over the region's range, per league (prefix of 10).
FLOOR_SQL = (
    "SELECT substr(path, 1, 10), COUNT(*), SUM(actual_start IS NOT NULL), SUM(actual_start IS NULL), "
    "SUM(planned_start <= %(today)s), SUM(current_phase >= %(n)s), SUM(planned_end < %(today)s), "
    "SUM(current_phase < %(n)s AND current_due < %(today)s), "
    "SUM(actual_start IS NOT NULL AND current_phase < %(n)s AND gate = ''), "
    "SUM(actual_start IS NOT NULL AND current_phase < %(n)s AND gate = 'open'), "
    "SUM(actual_start IS NOT NULL AND current_phase < %(n)s AND gate = 'return'), "
    "SUM(actual_start IS NOT NULL AND current_phase < %(n)s AND gate = 'interview'), "
    "SUM(actual_start IS NOT NULL AND current_phase < %(n)s AND gate = 'redo'), "
    "SUM(actual_start IS NOT NULL AND current_phase < %(n)s AND gate = 'open' AND gate_at < %(due)s), "
    "SUM(actual_start IS NOT NULL AND current_phase < %(n)s AND current_phase = 0), "
    "SUM(actual_start IS NOT NULL AND current_phase < %(n)s AND current_phase = 1), "
    "SUM(actual_start IS NOT NULL AND current_phase < %(n)s AND current_phase = 2), "
    "SUM(actual_start IS NOT NULL AND current_phase < %(n)s AND current_phase = 3), "
    "SUM(actual_start IS NOT NULL AND current_phase < %(n)s AND current_phase = 4) "
    "FROM campaigns_participation WHERE path >= %(lo)s AND path < %(hi)s AND batch_id = %(batch)s "
    "GROUP BY 1",
    "SELECT substr(a.path, 1, 10), COUNT(DISTINCT a.participation_id) FROM supervision_groupassignment a "
    "JOIN campaigns_participation p ON p.id = a.participation_id WHERE a.campaign_id = %(campaign)s "
    "AND a.path >= %(lo)s AND a.path < %(hi)s AND p.batch_id = %(batch)s GROUP BY 1",
    "SELECT path, kind, status, n FROM ledger_ledgercount WHERE length(path) = 10 AND path >= %(lo)s "
    "AND path < %(hi)s AND kind IN ('opinion', 'problem', 'task') AND n > 0",
    "SELECT substr(path, 1, 10), COUNT(*) FROM ledger_task WHERE path >= %(lo)s AND path < %(hi)s "
    "AND status IN ('open', 'claimed', 'deferred') AND deadline < %(today)s GROUP BY 1",
)


def bench_dashboards(
    *, runs: int = 30, username: str = "region_office", verbose: bool = True
) -> dict[str, Any]:
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from echelon.accounts.models import User
    from echelon.campaigns.models import Batch, GateState, Participation
    from echelon.core.tree import UPPER_BOUND
    from echelon.dashboards import figures
    from echelon.orgs.models import Unit
    from echelon.supervision.selectors.gates import review_due_days

    settings.ALLOWED_HOSTS = ["*"]
    out: dict[str, Any] = {}
    user = User.objects.get(username=username)
    root = Unit.objects.get(code=REGION)
    batch = Batch.objects.select_related("campaign").get(key="second")
    today = timezone.localdate()
    phases = len(batch.campaign.spec.phases)
    params: dict[str, Any] = {
        "today": today.isoformat(),
        "due": (today - timedelta(days=review_due_days())).isoformat(),
        "n": phases,
        "lo": root.path,
        "hi": root.path + UPPER_BOUND,
        "batch": batch.pk,
        "campaign": batch.campaign_id,
    }

    def product() -> Any:
        return figures.board(batch, root, today)

    def floor() -> list[Any]:
        with connection.cursor() as cursor:
            rows = []
            for sql in FLOOR_SQL:
                cursor.execute(sql, params)
                rows.append(cursor.fetchall())
            return rows

    product_ms, board = _timed(product, runs)
    floor_ms, floor_rows = _timed(floor, runs)
    by_league = {r[0]: r for r in floor_rows[0]}
    for row in board.rows:
        hand = by_league[row.path]
        if (row["units"], row["open"], row["overdue"], row["reviews_overdue"]) != (
            hand[1],
            hand[9],
            hand[7],
            hand[13],
        ):
            raise RuntimeError(f"the dashboard disagrees with the hand-written count for {row.path}")
    _record(out, "dashboard_figures_region", product_ms)
    _record(out, "dashboard_figures_floor", floor_ms)
    out["dashboard_figures_ratio"] = round(_p95(product_ms) / _p95(floor_ms), 2)
    out["dashboard_units"] = board.total["units"]
    if _p95(product_ms) > BUDGET_MS:
        _diagnose("dashboard_figures_region", product, out)

    client = Client()
    client.force_login(user)
    for name, url in PAGES.items():

        def get(url: str = url) -> Any:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")
            return response

        samples, _response = _timed(get, runs)
        _record(out, name, samples)
        if _p95(samples) > BUDGET_MS:
            _diagnose(name, get, out)
    village = (
        Participation.objects.filter(batch=batch, level=5, gate=GateState.NONE, actual_start__isnull=False)
        .select_related("unit")
        .first()
    )
    if village is not None:
        url = f"/dashboard/u/{village.unit.code}/"
        samples, _response = _timed(lambda: client.get(url), runs)
        _record(out, "dashboard_village", samples)

        # Live: the village's figures change, and the region's next read shows it (rolled back after).
        with transaction.atomic():
            before = figures.board(batch, root, today).total["open"]
            Participation.objects.filter(pk=village.pk).update(gate=GateState.OPEN, gate_at=today)
            after = figures.board(batch, root, today).total["open"]
            out["dashboard_live_next_read"] = after == before + 1
            transaction.set_rollback(True)

    _timed_jobs(batch, today, out)
    if verbose:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    return out


def _timed_jobs(batch: Any, today: Any, out: dict[str, Any]) -> None:
    """The daily snapshot of every unit and the warnings' refresh, when the services exist."""
    try:
        from echelon.dashboards.services import snapshots, warnings
    except ImportError:  # not built yet
        return
    began = time.perf_counter()
    out["snapshot_rows"] = snapshots.snapshot_take(actor=None, batch=batch, day=today)
    out["snapshot_all_units_s"] = round(time.perf_counter() - began, 1)
    began = time.perf_counter()
    found = warnings.warnings_refresh(actor=None, batch=batch, today=today)
    out["warnings_refresh_s"] = round(time.perf_counter() - began, 1)
    out["warnings_found"] = sum(found.values()) if isinstance(found, dict) else found


if __name__ == "__main__":
    import django

    django.setup()
    bench_dashboards()
