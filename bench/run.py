"""`make bench`: full-scale figures, each against its budget and, where the issue asks, against a floor
measured in the same run on the same database.

    python -m bench            # everything (about 5–10 minutes on 2 cores)
    python -m bench seed pages # chosen steps; later steps reuse var/bench/registry.sqlite3
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/echelon_bench_pg python -m bench
                               # the same on PostgreSQL (`make bench-postgres`); copies are databases
                               # echelon_bench_pg_<step>
    python -m bench --scale x10 …   # (or BENCH_SCALE=x10) the scale given to seed_demo; default full

Every database a step uses comes from bench.target (the registry, and named copies of it). Each step runs in
a child process with DATABASE_URL pointing at its database, prints one JSON line, and the parent prints a
table at the end (beside it the figures of the other database when its figures file exists). Nothing here
is a test: no timing is asserted anywhere.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import target
from bench.target import ROOT, WORK, Target, figures_file, main_target, scale

STEPS = [
    "seed",
    "counts",
    "cold_start",
    "pages",
    "api",
    "import",
    "schedule",
    "supervision",
    "ledger",
    "dashboards",
    "evaluation",
    "appraisal",
    "publicity",
    "migrate",
    "registry_pages",
]
COLD_RUNS = 5


def _target() -> Target:
    """The bench's registry (BENCH_DATABASE_URL / BENCH_SCALE; the SQLite file by default)."""
    return main_target()


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def _timed_gets(client: Any, name: str, url: str, runs: int = 30) -> dict[str, float]:
    """``runs`` GETs of ``url`` (each must answer 200): ``{name}_p95_ms`` and ``{name}_median_ms``."""
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(url)
        samples.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{url}: {r.status_code}")
    return {
        f"{name}_p95_ms": round(_p95(samples), 1),
        f"{name}_median_ms": round(statistics.median(samples), 1),
    }


# --- steps (run in a child) -------------------------------------------------------------------------------


def step_seed() -> dict[str, Any]:
    db = _target()
    db.create_empty()
    env = db.env()
    echelon = [sys.executable, "-m", "echelon.manage"]
    subprocess.run([*echelon, "migrate", "-v0"], env=env, check=True)
    began = time.perf_counter()
    seed = [*echelon, "seed_demo", "--scale", scale()]
    subprocess.run(seed, env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    stats = json.loads(
        subprocess.run(
            [*echelon, "stats", "--json"], env=env, check=True, capture_output=True, text=True
        ).stdout
    )
    return {
        "seed_s": round(seconds, 1),
        "seed_peak_mb": round(peak),
        "units": stats["total_units"],
        "members": stats["total_members"],
        "mobile": stats["mobile_members"],
        "blind": stats["blind_spots"],
    }


def step_counts() -> dict[str, Any]:
    """Subtree member counts of the 12 leagues: the product (rollups, through the ORM) against hand-written
    SQL that counts the members per league on the same database."""
    _target().setup()
    from django.db import connection

    from echelon.orgs.models import Level
    from echelon.orgs.selectors import member_totals_by

    floor_sql = (
        "SELECT l.code, COUNT(*) FROM orgs_member m JOIN orgs_unit u ON u.id = m.unit_id "
        "JOIN orgs_unit l ON l.id = u.lv2_id GROUP BY l.code ORDER BY l.code"
    )

    def product() -> dict[str, int]:
        return {r["code"]: r["sub_members"] for r in member_totals_by(Level.LEAGUE)}

    def floor() -> dict[str, int]:
        with connection.cursor() as cur:
            cur.execute(floor_sql)
            return dict(cur.fetchall())

    def best(fn: Callable[[], Any], n: int) -> tuple[float, Any]:
        times, value = [], None
        for _ in range(n):
            t = time.perf_counter()
            value = fn()
            times.append(time.perf_counter() - t)
        return min(times), value

    p_s, p_val = best(product, 20)
    f_s, f_val = best(floor, 3)
    if p_val != f_val:
        raise RuntimeError(f"rollups disagree with the count: {p_val} != {f_val}")
    raw_rollup_s, _ = best(
        lambda: (
            connection.cursor()
            .execute(
                "SELECT code, sub_members FROM orgs_unit "
                "WHERE level = 2 AND kind = 'leadership' ORDER BY code"
            )
            .fetchall()
        ),
        20,
    )
    return {
        "leagues": len(p_val),
        "counts_product_ms": round(p_s * 1000, 2),
        "counts_floor_ms": round(f_s * 1000, 1),
        "counts_ratio": round(p_s / f_s, 4),
        "counts_raw_rollup_ms": round(raw_rollup_s * 1000, 3),
    }


def step_cold_start() -> dict[str, Any]:
    """Cold start of the command line on the full registry: `echelon help` (Django set up, nothing else)
    and `echelon stats --json` (a read-only report: it skips the system checks, as Django's shell does),
    each in a fresh interpreter as a shell or cron starts it, wall seconds, median of COLD_RUNS; the CPU
    seconds too (user + system: what the command itself costs, whatever else the machine is doing).
    The project's bytecode is compiled first, as installing the package does (`pip install` writes it):
    with PYTHONDONTWRITEBYTECODE set and no bytecode, every start would compile every module again."""
    import compileall

    compileall.compile_dir(str(ROOT / "echelon"), quiet=1)
    out: dict[str, Any] = {}
    for key, args in (("cold_help", ["help"]), ("cold_stats_json", ["stats", "--json"])):
        runs, cpu = [], []
        for _ in range(COLD_RUNS):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            began = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "echelon.manage", *args],
                env=_target().env(),
                check=True,
                stdout=subprocess.DEVNULL,
            )
            runs.append(time.perf_counter() - began)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        out[f"{key}_s"] = round(statistics.median(runs), 2)
        out[f"{key}_runs_s"] = [round(r, 2) for r in runs]
        out[f"{key}_cpu_s"] = round(statistics.median(cpu), 2)
    return out


def campaign_history() -> bool:
    """Whether the pages step's demo campaign gets its history (progress, ledger, evaluations, appraisals,
    publicity): yes, except at scale x10, where `demo_campaign` would take hours on two shared cores, or
    with BENCH_NO_HISTORY=1. Without it the pages (and, at x10, the dashboards, on the pages step's copy)
    are measured on the campaign as created, scheduled, published and assigned (`demo_campaign --no-history`).
    """
    flag = os.environ.get("BENCH_NO_HISTORY")
    if flag:
        return flag == "0"
    return scale() != "x10"


def _with_demo_campaign(name: str) -> Target:
    """A copy of the registry with the demo campaign, made by another process (so that this one's memory
    is that of an app server). BENCH_REUSE=1 keeps an existing copy of that name (measuring again after
    a change of code, not of data)."""
    copy = _target().sibling(name)
    if os.environ.get("BENCH_REUSE") == "1" and copy.exists():
        subprocess.run([sys.executable, "-m", "echelon.manage", "migrate", "-v0"], env=copy.env(), check=True)
        return copy
    copy = _target().copy(name)
    history = campaign_history()
    subprocess.run(
        [sys.executable, "-m", "echelon.manage", "demo_campaign", *([] if history else ["--no-history"])],
        env=copy.env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return copy


def step_pages() -> dict[str, Any]:
    """Server time of the main pages and API lists (Django test client, in process, full middleware), p95
    of 30 requests, on a copy of the registry with the demo campaign (published, every unit assigned to a
    group). The coverage page and API are also timed on their first call with the cache empty (what the
    first visitor after a change of groups waits), and `echelon coverage` in a fresh process."""
    began = time.perf_counter()
    copy = _with_demo_campaign("pages")
    campaign_s = time.perf_counter() - began
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "echelon.manage", "coverage", "--json", str(_campaign_id(copy))],
        env=copy.env(),
        stdout=subprocess.DEVNULL,
    )  # exit 1 when there are gaps: not a failure here
    coverage_cli_s = time.perf_counter() - began
    copy.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client

    from echelon.accounts.models import User
    from echelon.campaigns.models import Campaign
    from echelon.orgs.models import Level, Unit

    campaign = Campaign.objects.get()
    settings.ALLOWED_HOSTS = ["*"]
    village = Unit.objects.filter(level=Level.VILLAGE, kind="village").order_by("code")[5000]
    region_pages = {
        "region_unit_page": "/orgs/u/150000/",
        "village_unit_page": f"/orgs/u/{village.code}/",
        "region_member_list": "/orgs/u/150000/members/",
        "league_member_list_page_40": "/orgs/u/150100/members/?page=40",
        "member_search_by_name": "/orgs/u/150000/members/?q=王",
        "blind_spots_region": "/orgs/u/150000/blind-spots/",
        "unit_search_pinyin": "/orgs/search/?q=hhht",
        # the pickers' type-ahead (orgs.lookup): a name prefix, a query with a party-body suffix, a code
        # prefix every unit shares (30 samples each stay under the look-up throttle's 240 a minute)
        "unit_lookup_name": "/orgs/autocomplete/?q=马家",
        "unit_lookup_suffix": "/orgs/autocomplete/?q=武川县党委",
        "unit_lookup_code_prefix": "/api/v1/units/lookup/?q=15",
        "api_children_region": "/api/v1/units/150000/children/",
        "campaign_page": f"/campaigns/{campaign.pk}/",
        "campaign_gantt_region": f"/campaigns/{campaign.pk}/gantt/",
        "campaign_units": f"/campaigns/{campaign.pk}/units/",
        "coverage_page": f"/supervision/{campaign.pk}/coverage/",
        "audit_search": "/audit/",
        "api_campaign_progress": f"/api/v1/campaigns/{campaign.pk}/progress/",
        "api_coverage": f"/api/v1/supervision/campaigns/{campaign.pk}/coverage/",
    }
    first_calls = {"coverage_page", "api_coverage"}
    personal_pages = {
        "village_secretary": {
            "village_plan": f"/campaigns/{campaign.pk}/u/150125100201/",
            "village_phase_page": f"/supervision/{campaign.pk}/u/150125100201/",
        },
        "county_supervisor": {"supervisor_workbench": "/supervision/workbench/"},
    }
    out: dict[str, Any] = {
        "coverage_cli_s": round(coverage_cli_s, 2),
        "pages_demo_campaign_s": round(campaign_s, 1),
        "pages_campaign_history": campaign_history(),
        "pages_units": Unit.objects.count(),
    }

    def measure(client: Client, name: str, url: str) -> None:
        if name in first_calls:  # the first call, caches empty
            cache.clear()
            t = time.perf_counter()
            client.get(url)
            out[f"{name}_first_ms"] = round((time.perf_counter() - t) * 1000, 1)
        client.get(url)  # warm
        out.update(_timed_gets(client, name, url))

    client = Client()
    client.force_login(User.objects.get(username="region_office"))
    for name, url in region_pages.items():
        measure(client, name, url)
    for username, pages in personal_pages.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        for name, url in pages.items():
            measure(client, name, url)
    out["app_process_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


API_LISTS = {
    # a page of the region's 1.3M members (under the region; the office's whole scope), the same list
    # filtered, a later page of it, and the region's subtree of 70,000 units
    "api_members_region": "/api/v1/members/?under=150000",
    "api_members_scope": "/api/v1/members/",
    "api_members_region_female": "/api/v1/members/?under=150000&gender=f",
    "api_members_region_offset_5000": "/api/v1/members/?under=150000&offset=5000",
    "api_units_subtree_region": "/api/v1/units/150000/subtree/",
}


def step_api() -> dict[str, Any]:
    """The API's big lists as the region office reads them, on the registry itself (read only): server
    time through the Django test client, p95 and median of 30 requests after one to warm up, and what
    each answers as its count."""
    _target().setup()
    from django.conf import settings
    from django.test import Client

    from echelon.accounts.models import User

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(User.objects.get(username="region_office"))
    out: dict[str, Any] = {}
    for name, url in API_LISTS.items():
        body = client.get(url).json()  # warm
        out.update(_timed_gets(client, name, url))
        out[f"{name}_count"] = [body.get("count"), body.get("count_exact", True)]
    out.update(_deep_member_pages(client))
    return out


DEEP_OFFSET = 1_000_000


def _deep_member_pages(client: Any) -> dict[str, Any]:
    """A deep page of the region's member list (``?under=150000``, 50 rows): by offset at about 1,000,000
    (or the list's last page when it is shorter), which reads every row it skips, against the keyset page at
    the same position (``?cursor=``), which starts from it on the (path, id) index. The cursor is the one the
    API hands out after the row before the page, found by one query (not timed); both answer the same rows
    (``…_same``). The offset page is timed 5 times (it is the slow one), the cursor page 30."""
    from urllib.parse import urlencode

    from echelon.core import paging
    from echelon.core.api.pagination import Keyset
    from echelon.orgs.models import Member, Unit

    region = Unit.objects.get(code="150000")
    members = Member.objects.within(region.path).order_by("path", "id")
    offset = min(DEEP_OFFSET, paging.MAX_OFFSET, max(1, region.sub_members - 50))
    keyset = Keyset.of(members)
    assert keyset is not None
    cursor = keyset.token(members[offset - 1])
    base = "/api/v1/members/?under=150000&limit=50"
    by_offset, by_cursor = f"{base}&offset={offset}", f"{base}&{urlencode({'cursor': cursor})}"
    same = [r["code"] for r in client.get(by_offset).json()["results"]] == [
        r["code"] for r in client.get(by_cursor).json()["results"]
    ]  # (and warm)
    return {
        "api_members_deep_offset": offset,
        "api_members_deep_same": same,
        **_timed_gets(client, "api_members_region_offset_deep", by_offset, runs=5),
        **_timed_gets(client, "api_members_region_cursor_deep", by_cursor),
    }


def _campaign_id(copy: Target) -> int:
    """The demo campaign's id on a copy (asked in a child: this process may not have Django set up)."""
    code = "from echelon.campaigns.models import Campaign; print(Campaign.objects.get().pk)"
    proc = subprocess.run(
        [sys.executable, "-m", "echelon.manage", "shell", "-c", code],
        env=copy.env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return int(proc.stdout.strip().splitlines()[-1])


REGISTRY_PAGES = {
    "region_unit_page": "/orgs/u/150000/",
    "region_member_list": "/orgs/u/150000/members/",
    "league_member_list_page_40": "/orgs/u/150100/members/?page=40",
    "member_search_by_name": "/orgs/u/150000/members/?q=王",
    "blind_spots_region": "/orgs/u/150000/blind-spots/",
    "unit_search_pinyin": "/orgs/search/?q=hhht",
    "unit_lookup_name": "/orgs/autocomplete/?q=马家",
    "unit_lookup_code_prefix": "/api/v1/units/lookup/?q=15",
    "api_children_region": "/api/v1/units/150000/children/",
}


def step_registry_pages() -> dict[str, Any]:
    """The pages of the pages step that need no campaign, on the registry itself (no copy, no demo campaign:
    minutes at x10 instead of hours), as a region office: per page the median wall time, this process's CPU
    time and the SQL time (Django's captured queries) of RUNS requests. CPU and SQL tell the size's cost
    apart from a busy machine's (the wall time on two shared cores mostly measures the queue)."""
    _target().setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from echelon.accounts.models import User
    from echelon.orgs.models import Level, Unit

    runs = 7
    settings.ALLOWED_HOSTS = ["*"]
    village = Unit.objects.filter(level=Level.VILLAGE, kind="village").order_by("code")[5000]
    pages = {**REGISTRY_PAGES, "village_unit_page": f"/orgs/u/{village.code}/"}
    client = Client()
    client.force_login(User.objects.get(username="region_office"))
    out: dict[str, Any] = {"registry_units": Unit.objects.count()}
    for name, url in pages.items():
        client.get(url)  # warm
        wall, cpu, sql = [], [], []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                t, c = time.perf_counter(), time.process_time()
                response = client.get(url)
                wall.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")
            sql.append(sum(float(q["time"]) for q in queries.captured_queries) * 1000)
        out[f"reg_{name}_median_ms"] = round(statistics.median(wall), 1)
        out[f"reg_{name}_cpu_ms"] = round(statistics.median(cpu), 1)
        out[f"reg_{name}_sql_ms"] = round(statistics.median(sql), 1)
    return out


def step_import() -> dict[str, Any]:
    from bench import imports

    db = _target()
    csv_path = WORK / ("members.csv" if scale() == "full" else f"members-{scale()}.csv")
    if not csv_path.exists():
        imports._child("export", db, csv_path)
    return imports.bench_members_import(db, csv_path)


def step_schedule() -> dict[str, Any]:
    _target().copy("campaigns").setup()
    from bench.campaigns import bench_figures

    figures = bench_figures(verbose=False)
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in figures.items()}


def step_supervision() -> dict[str, Any]:
    """The demo campaign (created, scheduled, published, every unit assigned to a group), then the coverage
    check of the whole campaign and the review queue of the busiest group."""
    _target().copy("supervision").setup()
    import io

    from django.core.management import call_command

    from bench.supervision import bench_coverage, bench_review_queue

    began = time.perf_counter()
    call_command("demo_campaign", stdout=io.StringIO())
    demo_s = time.perf_counter() - began
    cov = bench_coverage(verbose=False)
    queue = bench_review_queue(verbose=False)
    return {
        "demo_campaign_s": round(demo_s, 1),
        "coverage_check_s": round(cov["coverage_seconds"], 2),
        "coverage_gaps": cov["gaps"],
        "coverage_overlaps": cov["overlaps"],
        "review_queue_targets": queue.get("targets"),
        "review_queue_p50_ms": round(queue["p50_ms"], 1),
        "review_queue_p95_ms": round(queue["p95_ms"], 1),
    }


def step_ledger() -> dict[str, Any]:
    """The demo campaign with its ledger (another process, timed: the ledger's own seconds from its
    output), then the ledger's summary beside its SQL floor, lists, search and the public intake."""
    import re

    copy = _target().copy("ledger")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "echelon.manage", "demo_campaign"],
        env=copy.env(),
        check=True,
        capture_output=True,
        text=True,
    )
    demo_s = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    filled = re.search(r"问题台账：.*用时 ([0-9.]+) 秒", proc.stdout)
    copy.setup()
    from bench.ledger import bench_ledger

    figures = bench_ledger(verbose=False)
    figures.update(
        demo_campaign_with_ledger_s=round(demo_s, 1),
        demo_campaign_with_ledger_cpu_s=round(
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1
        ),
        ledger_fill_s=float(filled.group(1)) if filled else None,
    )
    return figures


def _on_ledger_copy() -> None:
    """Point this process at the ledger step's copy (made when missing), migrated to the current code; without
    the campaign's history (`campaign_history()`: at x10), at the pages step's copy instead (no ledger)."""
    if not campaign_history():
        copy = _target().sibling("pages")
        if not copy.exists():
            step_pages()
    else:
        copy = _target().sibling("ledger")
        if not copy.exists():
            step_ledger()
    subprocess.run([sys.executable, "-m", "echelon.manage", "migrate", "-v0"], env=copy.env(), check=True)
    copy.setup()


def step_dashboards() -> dict[str, Any]:
    """On the ledger step's copy (the demo campaign and its ledger; made here when missing): the region
    dashboard beside its hand-written SQL floor, the dashboard pages and API, the live next read, the daily
    snapshot of every unit and the early warnings' refresh."""
    _on_ledger_copy()
    from bench.dashboards import bench_dashboards

    return bench_dashboards(verbose=False)


def step_appraisal() -> dict[str, Any]:
    """On the ledger step's copy (made here when missing): the demo's appraisals (seeded when the demo
    command did not), the counts a region user reads: the summary pages and the API."""
    _on_ledger_copy()
    from bench.appraisal import bench_appraisal

    return bench_appraisal(verbose=False)


def step_evaluation() -> dict[str, Any]:
    """On the ledger step's copy (made here when missing): the demo's evaluations (seeded when the demo
    command did not), the region's evaluation rollup, the board pages and the API."""
    _on_ledger_copy()
    from bench.evaluation import bench_evaluation

    return bench_evaluation(verbose=False)


def step_publicity() -> dict[str, Any]:
    """On the ledger step's copy (made here when missing): the demo's publicity seeded (timed), then the
    public unit page of villages that publish, in Chinese and Mongolian, warm and cold, and the public API."""
    _on_ledger_copy()
    from bench.publicity import bench_publicity

    return bench_publicity(verbose=False)


# Migrations undone and applied again, one by one, on the full data: the newest migration of each app with
# a big table whose operations stay within it (nothing else's schema depends on them being there):
#   orgs.0002       1.3M members: the inflow foreign key altered, two partial indexes built
#   campaigns.0005  70k participations: the progress rollup tables created and filled (RunPython)
#   ledger.0003     300k tasks: an index replaced by a wider one
# (ledger.0002 is left out: undoing it drops the ledger's counts, which it does not fill again.)
MIGRATE_REDO = [
    ("orgs", "0002_member_partial_indexes"),
    ("campaigns", "0005_progress_rollup"),
    ("ledger", "0003_task_overdue_index"),
]


def step_migrate() -> dict[str, Any]:
    """Migrations on the full data, on a copy of the ledger step's database (the registry, the demo campaign
    with its history and its ledger; the bare registry when that copy is missing, said in `migrate_on`):

    - `migrate_noop_s`: `echelon migrate` with nothing to apply, in a fresh process as a deploy runs it
      (start-up, the migration graph, the system checks): what every deploy pays;
    - `migrate_<app>_back_s` / `migrate_<app>_forward_s`: each migration of MIGRATE_REDO undone and applied
      again by Django's migration executor, alone (`MigrationExecutor.unapply_migration` then
      `apply_migration`, recorded as Django records them), timed around each: the forward time is what
      deploying that migration costs on a full registry (index builds over 1.3M members, a table rebuilt
      where SQLite must, the rollup filled). `migrate_forward_s` is their sum. Not `migrate APP TARGET`:
      Django would also undo every later migration of other apps that depends on the target, dropping
      their tables and data, and the forward run would then create empty tables (cheap and meaningless).
    The copy is dropped afterwards.
    """
    ledger = _target().sibling("ledger")
    source = ledger if ledger.exists() else _target()
    copy = source.copy_to(_target().sibling("migrate"))
    manage = [sys.executable, "-m", "echelon.manage", "migrate"]
    subprocess.run([*manage, "-v0"], env=copy.env(), check=True)  # the copy at the current code, untimed
    began = time.perf_counter()
    subprocess.run([*manage, "-v1"], env=copy.env(), check=True, capture_output=True)
    out: dict[str, Any] = {
        "migrate_on": "ledger" if source == ledger else "registry",
        "migrate_noop_s": round(time.perf_counter() - began, 1),
    }
    copy.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    forward = 0.0
    for app, name in MIGRATE_REDO:
        migration = executor.loader.get_migration(app, name)
        began = time.perf_counter()
        # both take the project state before the migration (`unapply` replays it to find what to undo)
        executor.unapply_migration(executor.loader.project_state((app, name), at_end=False), migration)
        out[f"migrate_{app}_back_s"] = round(time.perf_counter() - began, 1)
        began = time.perf_counter()
        executor.apply_migration(executor.loader.project_state((app, name), at_end=False), migration)
        seconds = time.perf_counter() - began
        out[f"migrate_{app}_forward_s"] = round(seconds, 1)
        forward += seconds
    out["migrate_forward_s"] = round(forward, 1)
    connection.close()
    if executor.loader.detect_conflicts() or MigrationExecutor(connection).migration_plan(
        executor.loader.graph.leaf_nodes()
    ):
        raise RuntimeError("the copy is not fully migrated after the redo")
    copy.drop()
    return out


# --- the parent ---------------------------------------------------------------------------------------

BUDGETS = [
    ("seed_s", "full seed (s)", 180, "≤"),
    ("seed_peak_mb", "full seed peak memory (MB)", None, ""),
    ("counts_ratio", "league member counts: product / hand-written SQL", 1.5, "≤"),
    ("cold_help_s", "cold start: echelon help, median (s)", 1, "≤"),
    ("cold_help_cpu_s", "  the same, CPU seconds (user + system), median", None, ""),
    ("cold_stats_json_s", "cold start: echelon stats --json, median (s)", None, ""),
    ("cold_stats_json_cpu_s", "  the same, CPU seconds (user + system), median", None, ""),
    ("region_unit_page_p95_ms", "region unit page p95 (ms)", 200, "≤"),
    ("village_unit_page_p95_ms", "village unit page p95 (ms)", 200, "≤"),
    ("region_member_list_p95_ms", "region member list p95 (ms)", 200, "≤"),
    ("league_member_list_page_40_p95_ms", "league member list, page 40, p95 (ms)", 200, "≤"),
    ("member_search_by_name_p95_ms", "member search by name p95 (ms)", 200, "≤"),
    ("blind_spots_region_p95_ms", "region blind spots p95 (ms)", 200, "≤"),
    ("unit_search_pinyin_p95_ms", "unit search by pinyin p95 (ms)", 200, "≤"),
    ("unit_lookup_name_p95_ms", "unit picker type-ahead, name prefix, p95 (ms)", 100, "≤"),
    ("unit_lookup_suffix_p95_ms", "unit picker type-ahead, 武川县党委, p95 (ms)", 100, "≤"),
    ("unit_lookup_code_prefix_p95_ms", "unit picker type-ahead, code prefix 15, p95 (ms)", 100, "≤"),
    ("api_children_region_p95_ms", "API children of the region p95 (ms)", 200, "≤"),
    ("campaign_page_p95_ms", "campaign page, region office, p95 (ms)", 200, "≤"),
    ("campaign_gantt_region_p95_ms", "Gantt of the whole region p95 (ms)", 200, "≤"),
    ("campaign_units_p95_ms", "participations list p95 (ms)", 200, "≤"),
    ("coverage_page_p95_ms", "coverage page, region office, p95 (ms)", 200, "≤"),
    ("coverage_page_first_ms", "  the same, first call, caches empty (ms)", None, ""),
    ("api_members_region_p95_ms", "API member list of the region, p95 (ms)", 200, "≤"),
    ("api_members_region_median_ms", "  the same, median (ms)", None, ""),
    ("api_members_scope_p95_ms", "API member list, the region office's scope, p95 (ms)", 200, "≤"),
    ("api_members_region_female_p95_ms", "API member list of the region, filtered, p95 (ms)", 200, "≤"),
    ("api_members_region_offset_5000_p95_ms", "API member list of the region, offset 5000 (ms)", 200, "≤"),
    ("api_members_deep_offset", "API member list of the region, the deep page's position (offset)", None, ""),
    ("api_members_region_offset_deep_median_ms", "  the page there by offset, median (ms)", None, ""),
    ("api_members_region_cursor_deep_p95_ms", "  the same page by cursor (keyset), p95 (ms)", 200, "≤"),
    ("api_members_region_cursor_deep_median_ms", "  the same page by cursor (keyset), median (ms)", None, ""),
    ("api_members_deep_same", "  both answer the same rows", None, ""),
    ("api_units_subtree_region_p95_ms", "API subtree of the region's units, p95 (ms)", 200, "≤"),
    ("api_campaign_progress_p95_ms", "API campaign progress per level, p95 (ms)", 200, "≤"),
    ("api_coverage_p95_ms", "API coverage of the campaign, p95 (ms)", 200, "≤"),
    ("api_coverage_first_ms", "  the same, first call, caches empty (ms)", None, ""),
    ("coverage_cli_s", "echelon coverage CAMPAIGN --json, fresh process (s)", None, ""),
    ("audit_search_p95_ms", "audit search p95 (ms)", 200, "≤"),
    ("village_plan_p95_ms", "a village's own plan (village secretary) p95 (ms)", 200, "≤"),
    ("village_phase_page_p95_ms", "a village's phase page (village secretary) p95 (ms)", 200, "≤"),
    ("supervisor_workbench_p95_ms", "supervisor workbench p95 (ms)", 200, "≤"),
    ("app_process_rss_mb", "app process peak RSS (MB)", 300, "≤"),
    ("ratio", "1.3M member CSV import: product / floor", 3, "≤"),
    ("peak_mb", "1.3M member import peak memory (MB)", 500, "≤"),
    ("store_seconds", "store the plan of every participation (s)", 10, "≤"),
    ("coverage_check_s", "coverage check, full campaign (s)", 5, "≤"),
    ("review_queue_p95_ms", "review queue page p95 (ms)", 200, "≤"),
    ("demo_campaign_s", "demo campaign: create, schedule, publish, assign, history to today (s)", None, ""),
    ("demo_campaign_with_ledger_s", "demo campaign with its ledger (s)", 120, "≤"),
    ("ledger_fill_s", "  of which the ledger: 500k opinions, 200k problems, 300k tasks (s)", None, ""),
    ("ledger_summary_selector_p95_ms", "ledger summary of the region, selector, p95 (ms)", 200, "≤"),
    ("ledger_summary_api_p95_ms", "ledger summary of the region, API, p95 (ms)", 200, "≤"),
    ("ledger_summary_floor_p95_ms", "ledger summary, hand-written SQL floor, p95 (ms)", None, ""),
    ("ledger_summary_ratio", "ledger summary: selector / hand-written SQL (p95)", 1.5, "≤"),
    ("ledger_summary_api_ratio", "ledger summary: API / hand-written SQL (p95)", 1.5, "≤"),
    ("ledger_summary_rollup_ratio", "ledger summary: selector / hand-written SQL on the rollup", 1.5, "≤"),
    ("ledger_problem_list_filtered_p95_ms", "problem list, formalism and open, p95 (ms)", 200, "≤"),
    ("ledger_county_unit_ledger_p95_ms", "a county's ledger tab p95 (ms)", 200, "≤"),
    ("ledger_county_problem_list_p95_ms", "a county's problem list p95 (ms)", 200, "≤"),
    ("ledger_county_export_xlsx_p95_ms", "a county's Excel ledger (a file) p95 (ms)", None, ""),
    ("ledger_search_one_char_p95_ms", "problem search, one character, p95 (ms)", 200, "≤"),
    ("ledger_search_two_chars_p95_ms", "problem search, two characters, p95 (ms)", 200, "≤"),
    ("ledger_public_post_p95_ms", "public intake POST p95 (ms)", 200, "≤"),
    ("dashboard_figures_region_p95_ms", "dashboard figures of the region p95 (ms)", 200, "≤"),
    ("dashboard_figures_floor_p95_ms", "dashboard figures, hand-written SQL floor, p95 (ms)", None, ""),
    ("dashboard_figures_ratio", "dashboard figures: product / hand-written SQL (p95)", 1.5, "≤"),
    (
        "dashboard_figures_rollup_floor_p95_ms",
        "dashboard figures, hand-written SQL on the rollups, p95 (ms)",
        None,
        "",
    ),
    (
        "dashboard_figures_rollup_ratio",
        "dashboard figures: product / hand-written SQL on the rollups",
        1.5,
        "≤",
    ),
    (
        "dashboard_figures_uncached_p95_ms",
        "dashboard figures, caches empty (first read after a write), p95 (ms)",
        None,
        "",
    ),
    ("dashboard_region_p95_ms", "region dashboard page p95 (ms)", 200, "≤"),
    ("dashboard_league_p95_ms", "league dashboard page p95 (ms)", 200, "≤"),
    ("dashboard_county_p95_ms", "county dashboard page p95 (ms)", 200, "≤"),
    ("dashboard_village_p95_ms", "village dashboard page p95 (ms)", 200, "≤"),
    ("dashboard_region_overdue_units_p95_ms", "region drill-down to its overdue units p95 (ms)", 200, "≤"),
    ("dashboard_api_region_p95_ms", "dashboard API of the region p95 (ms)", 200, "≤"),
    ("dashboard_live_next_read", "a village's write shows at the region in the next read", None, ""),
    ("snapshot_all_units_s", "daily snapshot of every unit (s)", 60, "≤"),
    ("warnings_refresh_s", "early warnings refresh (s)", None, ""),
    ("appraisal_seed_s", "demo appraisals seeded (s)", 60, "≤"),
    ("appraisal_region_p95_ms", "appraisal counts of the region p95 (ms)", 200, "≤"),
    ("appraisal_league_p95_ms", "appraisal counts of a league p95 (ms)", 200, "≤"),
    ("appraisal_county_p95_ms", "appraisal counts of a county p95 (ms)", 200, "≤"),
    ("appraisal_api_region_p95_ms", "appraisal summary API of the region p95 (ms)", 200, "≤"),
    ("appraisal_xlsx_region_p95_ms", "appraisal summary Excel of the region p95 (ms)", None, ""),
    ("evaluation_seed_s", "evaluations seeded for every unit (s)", None, ""),
    ("evaluation_rollup_region_p95_ms", "evaluation rollup of the region p95 (ms)", 200, "≤"),
    ("evaluation_board_region_p95_ms", "evaluation board of the region p95 (ms)", 200, "≤"),
    ("evaluation_board_league_p95_ms", "evaluation board of a league p95 (ms)", 200, "≤"),
    ("evaluation_board_county_p95_ms", "evaluation board of a county p95 (ms)", 200, "≤"),
    ("evaluation_api_rollup_region_p95_ms", "evaluation rollup API of the region p95 (ms)", 200, "≤"),
    ("publicity_seed_s", "demo publicity: 20% of the units with problems publish (s)", None, ""),
    ("public_unit_page_p95_ms", "public unit page of a village (公示), zh and mn, p95 (ms)", 100, "≤"),
    ("public_unit_page_cold_p95_ms", "  the same with an empty cache, p95 (ms)", None, ""),
    ("public_unit_api_p95_ms", "public unit API p95 (ms)", 100, "≤"),
    ("migrate_noop_s", "migrate, nothing to apply, full data (s)", None, ""),
    ("migrate_orgs_forward_s", "migrate orgs.0002 on 1.3M members (s)", None, ""),
    ("migrate_campaigns_forward_s", "migrate campaigns.0005 (progress rollup filled) (s)", None, ""),
    ("migrate_ledger_forward_s", "migrate ledger.0003 (index on 300k tasks) (s)", None, ""),
    ("migrate_forward_s", "  the three applied again on the full data (s)", None, ""),
    ("counts_product_ms", "league member counts, product (ms)", None, ""),
    ("counts_floor_ms", "league member counts, hand-written SQL over the members (ms)", None, ""),
    ("pages_demo_campaign_s", "pages step: its demo campaign (s)", None, ""),
    ("registry_units", "registry_pages: units in the registry", None, ""),
    *[
        (f"reg_{name}_{what}_ms", f"registry page {name}, {label} (ms)", None, "")
        for name in [*REGISTRY_PAGES, "village_unit_page"]
        for what, label in (("median", "median wall"), ("cpu", "app CPU"), ("sql", "SQL"))
    ],
]


def run_step(name: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--child", name],
        env=_target().env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _columns(current: Path) -> list[tuple[str, dict[str, Any]]]:
    """The figures files side by side: SQLite's (figures.json) first, then the others in var/bench."""
    files = [WORK / "figures.json", *sorted(WORK.glob("figures-*.json"))]
    out = []
    for f in files:
        if f.exists():
            name = "sqlite" if f.name == "figures.json" else f.stem.removeprefix("figures-")
            name = name.removeprefix("echelon_bench_") if name.startswith("echelon_bench_") else name
            name = name.removeprefix(f"{target.PG_PREFIX}_")  # BENCH_PG_PREFIX's databases too
            out.append((("*" if f == current else "") + name[:11], json.loads(f.read_text())))
    return out


def print_table(current: Path) -> None:
    columns = _columns(current)
    print("\nEchelon benchmarks (Inner Mongolia data set, this machine); * this run's file, ! over budget")
    print(f"{'figure':66s} " + " ".join(f"{name:>12s}" for name, _ in columns) + "  budget")
    for key, label, budget, op in BUDGETS:
        if not any(key in figs for _, figs in columns):
            continue
        cells = []
        for _, figs in columns:
            value = figs.get(key, "")
            over = budget is not None and isinstance(value, int | float) and value > budget
            cells.append(f"{value!s:>11s}{'!' if over else ' '}")
        print(f"{label[:66]:66s} " + " ".join(cells) + (f"  {op} {budget}" if budget is not None else ""))


def main(argv: list[str]) -> int:
    if "--scale" in argv:  # the scale given to seed_demo, passed to every child through the environment
        i = argv.index("--scale")
        os.environ["BENCH_SCALE"] = argv[i + 1]
        argv = argv[:i] + argv[i + 2 :]
    if argv[:1] == ["--child"]:
        print(json.dumps(globals()[f"step_{argv[1]}"]()))
        return 0
    if argv[:1] == ["--table"]:
        print_table(figures_file(_target()))
        return 0
    steps = argv or STEPS
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        print(f"unknown steps {unknown}; choose from {STEPS}")
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    db = _target()
    print(f"bench database: {db.url} (scale {scale()})", flush=True)
    if "seed" not in steps and not db.exists():
        steps = ["seed", *steps]
    elif "seed" not in steps:  # an older bench database: bring its schema up to date
        subprocess.run([sys.executable, "-m", "echelon.manage", "migrate", "-v0"], env=db.env(), check=True)
    # Figures of earlier runs are kept (one step at a time adds to them); this run's replace theirs.
    out = figures_file(db)
    figures: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    runs = figures.setdefault("_runs", {})
    for step in steps:
        t = time.perf_counter()
        print(f"== {step} …", flush=True)
        load = os.getloadavg()[0]
        result = run_step(step)
        elapsed = time.perf_counter() - t
        print(f"   {json.dumps(result, ensure_ascii=False)}  ({elapsed:.0f} s)", flush=True)
        figures.pop(f"{step}_error", None)
        figures.update({k if k != "error" else f"{step}_error": v for k, v in result.items()})
        runs[step] = {
            "at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "seconds": round(elapsed),
            "load_before": round(load, 2),
            "load_after": round(os.getloadavg()[0], 2),
        }
        out.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print_table(out)
    print(f"\nall figures: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
