"""Dashboard figures for ``make bench`` on a full-scale database with the demo campaign, its ledger and (when
the ``evaluation`` step seeded them) evaluations of every unit (the ``ledger`` step's copy).

    DATABASE_URL=sqlite:////path/to/full-with-demo.sqlite3 python -m bench.dashboards

``bench_dashboards(runs=30)``: server time (p95 and median over ``runs`` requests after one to warm up) with
a region user, budget p95 ≤ 200 ms each:

- ``figures.board`` of the whole region beside two hand-written SQL floors for the same figures, measured in
  the same run (budget ≤ 1.5×), and the product and the floors must agree:
  - the floor on the rows (``FLOOR_SQL``): one GROUP BY per table over the region's range, per league —
    the participations by state, phase, plan, gate and evaluation phase, the supervision coverage, the
    current evaluation results and the remedial rounds, the ledger's counters and its overdue tasks, the
    warnings and the leagues' members;
  - the floor on the rollups (``ROLLUP_SQL``): the same figures from the participations' rollup
    (``campaigns.progress``) and the ledger's counters, without the two the product caches on a version
    its services bump (coverage, evaluation; their first read after a write is ``uncached`` below);
- the same figures with every cache empty (``dashboard_figures_uncached``: the first read after a write);
- the dashboard pages of the region (``/dashboard/``), a league, a county and a village, the region's
  drill-down to its overdue units, and ``GET /api/v1/dashboard/150000/``;
- live: a submission at a village (through ``campaigns.progress``, as the gate services write it), then the
  region's figures in the next read (the open reviews + 1);
- the daily snapshot of every unit and the early warnings' refresh (seconds; budget ≤ 60 s for the
  snapshot).
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
# Conditional counts are spelled SUM(CASE …) so the same SQL runs on SQLite and PostgreSQL.
_STARTED_OPEN = "actual_start IS NOT NULL AND current_phase < %(n)s AND "
_PARTICIPATION_COUNTS = [
    "actual_start IS NOT NULL",
    "actual_start IS NULL",
    "planned_start <= %(today)s",
    "current_phase >= %(n)s",
    "planned_end < %(today)s",
    "current_phase < %(n)s AND current_due < %(today)s",
    *(_STARTED_OPEN + f"gate = '{gate}'" for gate in ("", "open", "return", "interview", "redo")),
    _STARTED_OPEN + "gate = 'open' AND gate_at < %(due)s",
    *(_STARTED_OPEN + f"current_phase = {phase}" for phase in range(5)),
    "actual_start IS NOT NULL AND current_phase >= %(eval_phase)s",
]
FLOOR_SQL = {
    "participations": (
        "SELECT substr(path, 1, 10), COUNT(*), "  # noqa: S608 - the conditions are the constants above
        + ", ".join(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)" for cond in _PARTICIPATION_COUNTS)
        + " FROM campaigns_participation WHERE path >= %(lo)s AND path < %(hi)s AND batch_id = %(batch)s "
        "GROUP BY 1"
    ),
    "coverage": (
        "SELECT substr(a.path, 1, 10), COUNT(DISTINCT a.participation_id) FROM supervision_groupassignment a "
        "JOIN campaigns_participation p ON p.id = a.participation_id WHERE a.campaign_id = %(campaign)s "
        "AND a.path >= %(lo)s AND a.path < %(hi)s AND p.batch_id = %(batch)s GROUP BY 1"
    ),
    "evaluation": (
        "SELECT substr(s.path, 1, 10), COUNT(*), SUM(s.satisfied_votes), SUM(s.total_votes), "
        "SUM(CASE WHEN s.passed THEN 0 ELSE 1 END) FROM evaluation_session s "
        "JOIN campaigns_participation p ON p.id = s.participation_id WHERE s.campaign_id = %(campaign)s "
        "AND s.current AND s.path >= %(lo)s AND s.path < %(hi)s AND p.batch_id = %(batch)s GROUP BY 1"
    ),
    "redos": (
        "SELECT substr(r.path, 1, 10), COUNT(DISTINCT r.participation_id) FROM evaluation_redo r "
        "JOIN campaigns_participation p ON p.id = r.participation_id WHERE r.campaign_id = %(campaign)s "
        "AND r.status IN ('open', 'passed') AND r.path >= %(lo)s AND r.path < %(hi)s "
        "AND p.batch_id = %(batch)s GROUP BY 1"
    ),
    "ledger": (
        "SELECT path, kind, status, n FROM ledger_ledgercount WHERE depth IN (1, 2) "
        "AND path >= %(lo)s AND path < %(hi)s AND kind IN ('opinion', 'problem', 'task') AND n > 0"
    ),
    "tasks_overdue": (
        "SELECT substr(path, 1, 10), COUNT(*) FROM ledger_task WHERE path >= %(lo)s "
        "AND path < %(hi)s AND status IN ('open', 'claimed', 'deferred') AND deadline < %(today)s GROUP BY 1"
    ),
    "alerts": (
        "SELECT substr(path, 1, 10), COUNT(*) FROM dashboards_alert WHERE batch_id = %(batch)s "
        "AND path >= %(lo)s AND path < %(hi)s GROUP BY 1"
    ),
    "members": (
        "SELECT path, sub_members, sub_mobile, sub_blind, members_here, mobile_here, blind_here "
        "FROM orgs_unit WHERE path IN (SELECT DISTINCT path FROM campaigns_progresscount "
        "WHERE batch_id = %(batch)s AND depth IN (1, 2) AND path >= %(lo)s AND path < %(hi)s)"
    ),
}
# The same figures from the rollups (the participations' and the ledger's), by hand; the rest as above but
# coverage and evaluation, which the product caches (``dashboard_figures_uncached`` reads them afresh).
ROLLUP_SQL = {
    "states": (
        "SELECT path, phase, started, gate, n FROM campaigns_progresscount WHERE batch_id = %(batch)s "
        "AND depth IN (1, 2) AND path >= %(lo)s AND path < %(hi)s AND n <> 0"
    ),
    "days": (
        "SELECT path, SUM(CASE WHEN field = 'planned_start' AND day <= %(today)s THEN n ELSE 0 END), "
        "SUM(CASE WHEN field = 'planned_end' AND day < %(today)s THEN n ELSE 0 END), "
        "SUM(CASE WHEN field = 'due' AND day < %(today)s THEN n ELSE 0 END), "
        "SUM(CASE WHEN field = 'open_since' AND day < %(due)s THEN n ELSE 0 END) "
        "FROM campaigns_progressday WHERE batch_id = %(batch)s "
        "AND depth IN (1, 2) AND path >= %(lo)s AND path < %(hi)s GROUP BY path"
    ),
    **{k: FLOOR_SQL[k] for k in ("ledger", "tasks_overdue", "alerts", "members")},
}


def bench_dashboards(
    *, runs: int = 30, username: str = "region_office", verbose: bool = True
) -> dict[str, Any]:
    from datetime import timedelta

    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from echelon.accounts.models import User
    from echelon.campaigns import progress
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
    eval_phase = figures.evaluation_phase(batch)
    params: dict[str, Any] = {
        "today": today.isoformat(),
        "due": (today - timedelta(days=review_due_days())).isoformat(),
        "n": phases,
        "eval_phase": phases + 1 if eval_phase is None else eval_phase,
        "lo": root.path,
        "hi": root.path + UPPER_BOUND,
        "batch": batch.pk,
        "campaign": batch.campaign_id,
    }

    def product() -> Any:
        return figures.board(batch, root, today)

    def uncached() -> Any:
        cache.clear()
        return figures.board(batch, root, today)

    def by_hand(queries: dict[str, str]) -> dict[str, list[Any]]:
        with connection.cursor() as cursor:
            rows = {}
            for key, sql in queries.items():
                cursor.execute(sql, params)
                rows[key] = cursor.fetchall()
            return rows

    product_ms, board = _timed(product, runs)
    uncached_ms, _board = _timed(uncached, max(5, runs // 3))
    floor_ms, floor_rows = _timed(lambda: by_hand(FLOOR_SQL), runs)
    rollup_ms, rollup_rows = _timed(lambda: by_hand(ROLLUP_SQL), runs)
    _agree(board, floor_rows, rollup_rows)
    _record(out, "dashboard_figures_region", product_ms)
    _record(out, "dashboard_figures_uncached", uncached_ms)
    _record(out, "dashboard_figures_floor", floor_ms)
    _record(out, "dashboard_figures_rollup_floor", rollup_ms)
    out["dashboard_figures_ratio"] = round(_p95(product_ms) / _p95(floor_ms), 2)
    out["dashboard_figures_rollup_ratio"] = round(_p95(product_ms) / _p95(rollup_ms), 2)
    out["dashboard_units"] = board.total["units"]
    out["dashboard_evaluated"] = board.total["evaluated"]
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
        .select_related("unit", "campaign")
        .first()
    )
    if village is not None:
        url = f"/dashboard/u/{village.unit.code}/"
        samples, _response = _timed(lambda: client.get(url), runs)
        _record(out, "dashboard_village", samples)

        # Live: the village's submission written as the gate services write it (the participation and its
        # counters), and the region's next read shows it (rolled back after).
        with transaction.atomic():
            before = figures.board(batch, root, today).total["open"]
            village.gate, village.gate_at = GateState.OPEN, today
            progress.save(village, ["gate", "gate_at"])
            after = figures.board(batch, root, today).total["open"]
            out["dashboard_live_next_read"] = after == before + 1
            transaction.set_rollback(True)

    _timed_jobs(batch, today, out)
    if verbose:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    return out


def _agree(board: Any, floor: dict[str, list[Any]], rollup: dict[str, list[Any]]) -> None:
    """The product, the floor on the rows and the floor on the rollups give the same figures per league."""
    rows = {r.path: r for r in board.rows if r.unit is not None}
    hand = {r[0]: r for r in floor["participations"]}
    evaluated = {r[0]: r for r in floor["evaluation"]}
    late = dict(floor["tasks_overdue"])
    days = {r[0]: r for r in rollup["days"]}
    units: dict[str, int] = {}
    for path, _phase, _started, _gate, n in rollup["states"]:
        units[path] = units.get(path, 0) + n
    for path, row in rows.items():
        h, e, d = hand[path], evaluated.get(path, (path, 0, 0, 0, 0)), days.get(path, (path, 0, 0, 0, 0))
        product = (
            *(row["units"], row["open"], row["overdue"], row["reviews_overdue"], row["eval_due"]),
            *(row["evaluated"], row["satisfied_votes"], row["eval_below"], row["tasks_overdue"]),
        )
        by_hand = (h[1], h[9], h[7], h[13], h[19], e[1], e[2] or 0, e[4] or 0, late.get(path, 0))
        from_rollup = (units.get(path), d[3], d[4])
        if product != by_hand or from_rollup != (row["units"], row["overdue"], row["reviews_overdue"]):
            raise RuntimeError(
                f"the dashboard disagrees with the hand-written count for {path}: "
                f"{product} != {by_hand} or {from_rollup}"
            )


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
