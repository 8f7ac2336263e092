"""`make load`: the real stack under the real personas, figures printed. Not a test, not in CI.

    python -m load                          # 50 users for 5 minutes (LOAD_USERS, LOAD_TIME)
    python -m load --users 10 --time 30s    # a short smoke run
    python -m load --clean                  # stop and remove the load cluster and everything under var/load

1. A throwaway PostgreSQL cluster of its own (load/cluster.py): var/load/pg, port 5433, pg_stat_statements
   preloaded, memory for 24 GiB. The system cluster is never touched. Kept between runs.
2. The full demo prepared once in the database `echelon_load_seed`, as `make demo` does (migrate, seed_demo
   --scale full, demo_campaign, snapshot --backfill-from start, dashboards_daily), plus the load's own unit
   accounts (`echelon grant`: one operator per village of the demo township and per township of the demo
   county, password as the demo's), so that every simulated writer has a unit of its own. Kept.
3. Every run works on `echelon_load`, a fresh copy of the prepared database (CREATE DATABASE … TEMPLATE,
   a file copy: seconds), with the Redis cache database emptied and the uploads folder removed: each run
   starts from the same data, whatever the previous run wrote.
4. The stack as `make demo` runs it: gunicorn (2 workers × 4 threads, port 8101) and `echelon db_worker`,
   DEBUG off, Redis (REDIS_URL, database 6) as the cache, settings `load.settings` (production's plus a
   trusted proxy, so each simulated villager has its own address; see there).
5. locust headless (load/locustfile.py) with pg_stat_statements and the database statistics reset at the
   start; then the figures: requests, errors, throughput, p50/p95/p99 per route, the 15 slowest statements
   by mean and by total time, the cluster's cache hit ratio, and the machine's CPU (load average and busy
   share sampled during the run: locust runs on the same cores). All saved as JSON under var/load/.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

from load import cluster

ROOT = Path(__file__).resolve().parent.parent  # the project: load/ is beside echelon/
WORK = Path(os.environ.get("ECHELON_LOAD_DIR", ROOT / "var" / "load"))
PGDATA = WORK / "pg"
APP_VAR = WORK / "app"  # the app servers' ECHELON_VAR_DIR: secret key, uploads (static: the finders)
SEED_DB = os.environ.get("LOAD_SEED_DB", "echelon_load_seed")  # another prepared database: a smoke test
RUN_DB = "echelon_load"
PREPARED = "echelon load: prepared"
PORT = int(os.environ.get("LOAD_PORT", "8101"))
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/6")
PASSWORD = "Echelon-2014"  # noqa: S105 (the demo accounts' README, `echelon demo_logins`)
DEMO_TOWNSHIP = "150125100"
DEMO_COUNTY = "150125"
ACCOUNTS_EACH = 16  # load accounts of each kind (villages, townships), at most
PUBLIC_CODES = 3000  # units whose posters the simulated villagers scan
PREPARE_STEPS = [
    ["migrate", "--noinput", "-v0"],
    ["seed_demo", "--scale", "full", "--if-empty"],
    ["demo_campaign", "--if-empty"],
    ["snapshot", "--backfill-from", "start"],
    ["dashboards_daily"],
]


def _env(dbname: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": cluster.url(dbname),
        "DJANGO_SETTINGS_MODULE": "load.settings",
        "ECHELON_VAR_DIR": str(APP_VAR),
        "REDIS_URL": REDIS_URL,
        "DEBUG": "0",
        "PYTHONPATH": str(ROOT),
    }


def _echelon(dbname: str, *args: str, quiet: bool = False) -> None:
    subprocess.run(
        [sys.executable, "-m", "echelon.manage", *args],
        env=_env(dbname),
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


# --- preparing the data once ----------------------------------------------------------------------------


def _prepared() -> bool:
    if not cluster.exists(SEED_DB):
        return False
    with cluster.connect() as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [SEED_DB]
        ).fetchone()
    return bool(row and row[0] == PREPARED)


def prepare() -> None:
    """The full demo in SEED_DB, as `make demo` makes it, plus the load's accounts; once."""
    if _prepared():
        print(f"   the prepared database {SEED_DB} is reused")
        return
    if not cluster.exists(SEED_DB):
        with cluster.connect() as conn:
            conn.execute(f'CREATE DATABASE "{SEED_DB}"')
    for step in PREPARE_STEPS:
        began = time.perf_counter()
        print(f"   echelon {' '.join(step)} …", flush=True)
        _echelon(SEED_DB, *step, quiet=True)
        print(f"   ({time.perf_counter() - began:.0f} s)", flush=True)
    subprocess.run(
        [sys.executable, "-m", "load", "--child", "accounts"], env=_env(SEED_DB), cwd=ROOT, check=True
    )
    with cluster.connect(SEED_DB) as conn:
        conn.execute("VACUUM ANALYZE")
    with cluster.connect() as conn:
        conn.execute(f"COMMENT ON DATABASE \"{SEED_DB}\" IS '{PREPARED}'")


def child_accounts() -> None:
    """One operator for each village of the demo township and each township of the demo county (the demo
    has one of each; ACCOUNTS_EACH at most), through `echelon grant`; existing ones are kept."""
    import django

    django.setup()
    from django.core.management import call_command

    from echelon.accounts.models import User
    from echelon.campaigns.models import Participation

    for prefix, parent, kinds in (
        ("load_village", DEMO_TOWNSHIP, ["village", "community"]),
        ("load_township", DEMO_COUNTY, ["leadership"]),
    ):
        codes = (
            Participation.objects.filter(
                unit__parent__code=parent, unit__kind__in=kinds, unit__is_active=True
            )
            .exclude(unit__code__in=["150125100201", DEMO_TOWNSHIP])
            .order_by("unit__code")
            .values_list("unit__code", flat=True)[:ACCOUNTS_EACH]
        )
        for n, code in enumerate(codes, start=1):
            username = f"{prefix}_{n:02d}"
            if not User.objects.filter(username=username).exists():
                call_command("grant", username, code, "operator", password=PASSWORD, stdout=io.StringIO())


def plan() -> dict[str, Any]:
    """Who logs in as whom and which units the public writes to: read from the prepared database."""
    with cluster.connect(SEED_DB) as conn:
        campaign = conn.execute("SELECT id FROM campaigns_campaign ORDER BY id LIMIT 1").fetchone()
        grants = conn.execute(
            "SELECT u.username, o.code FROM accounts_grant g JOIN accounts_user u ON u.id = g.user_id "
            "JOIN orgs_unit o ON o.id = g.unit_id WHERE u.is_active ORDER BY u.username"
        ).fetchall()
        public = conn.execute(
            "SELECT code FROM orgs_unit WHERE is_active AND kind = 'village' ORDER BY md5(code) LIMIT %s",
            [PUBLIC_CODES],
        ).fetchall()
    by_name: dict[str, str] = {name: code for name, code in grants}

    def of(*names: str) -> list[dict[str, str]]:
        return [{"username": n, "code": by_name[n]} for n in names if n in by_name]

    def prefixed(first: str, prefix: str) -> list[dict[str, str]]:
        return of(first, *sorted(n for n in by_name if n.startswith(prefix)))

    if campaign is None:
        raise SystemExit("no campaign in the prepared database")
    return {
        "campaign": campaign[0],
        "password": PASSWORD,
        "accounts": {
            "region_office": of("region_office"),
            "league_office": of("league_office"),
            "county_office": of("county_office"),
            "county_supervisor": of("county_supervisor"),
            "township_instructor": of("township_instructor"),
            "village": prefixed("village_secretary", "load_village_"),
            "township": prefixed("township_operator", "load_township_"),
        },
        "public_codes": [code for (code,) in public],
    }


# --- one run ------------------------------------------------------------------------------------------


def _fresh_copy() -> None:
    cluster.copy(SEED_DB, RUN_DB)
    shutil.rmtree(APP_VAR / "media", ignore_errors=True)
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def _start_stack(log: Path) -> list[subprocess.Popen[bytes]]:
    env = _env(RUN_DB)
    out = log.open("ab")
    bin_dir = Path(sys.executable).parent
    procs = [
        subprocess.Popen(
            [str(bin_dir / "gunicorn"), "echelon.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "2",
             "--threads", "4", "--timeout", "300", "--access-logfile", str(WORK / "access.log")],
            env=env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "echelon.manage", "db_worker", "--interval", "1"],
            env=env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True,
        ),
    ]  # fmt: skip
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=5) as r:
                if r.status == 200:
                    return procs
        except OSError:
            pass
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(1)
    _stop(procs)
    raise SystemExit(f"the app did not start: see {log}")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def _db_counters() -> dict[str, int]:
    with cluster.connect() as conn:
        row = conn.execute(
            "SELECT sum(blks_hit), sum(blks_read), sum(xact_commit), sum(xact_rollback) FROM pg_stat_database"
        ).fetchone()
    hit, read, commits, rollbacks = row or (0, 0, 0, 0)
    return {"hit": int(hit), "read": int(read), "commits": int(commits), "rollbacks": int(rollbacks)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu() -> tuple[int, int]:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _tree_cpu(root: int) -> float:
    """CPU seconds of a process and its descendants (live ones, plus the children it has reaped)."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    own: dict[int, float] = {}
    reaped = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parent[pid] = int(fields[1])
        own[pid] = (int(fields[11]) + int(fields[12])) / tick
        if pid == root:
            reaped = (int(fields[13]) + int(fields[14])) / tick
    total, stack = reaped, [root]
    while stack:
        pid = stack.pop()
        total += own.get(pid, 0.0)
        stack.extend(child for child, up in parent.items() if up == pid)
    return total


def _postmaster() -> int:
    return int((PGDATA / "postmaster.pid").read_text().split()[0])


def _statements(limit: int = 15) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    with cluster.connect() as conn:
        for key, order in (("by_mean", "mean_exec_time"), ("by_total", "total_exec_time")):
            rows = conn.execute(
                f"SELECT s.calls, s.mean_exec_time, s.total_exec_time, s.rows, s.shared_blks_hit, "  # noqa: S608
                f"s.shared_blks_read, s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                f"WHERE d.datname = %s ORDER BY {order} DESC LIMIT %s",
                [RUN_DB, limit],
            ).fetchall()
            out[key] = [
                {
                    "calls": calls,
                    "mean_ms": round(mean, 2),
                    "total_ms": round(total),
                    "rows": nrows,
                    "hit_ratio": round(hit / (hit + read), 4) if hit + read else None,
                    "query": " ".join(query.split()),
                }
                for calls, mean, total, nrows, hit, read, query in rows
            ]
    return out


def _locust(users: int, run_time: str, plan_path: Path, prefix: Path) -> int:
    """locust headless; its own output (and any traceback of a simulated user) in PREFIX.log."""
    env = {**os.environ, "LOAD_PLAN": str(plan_path)}
    bin_dir = Path(sys.executable).parent
    spawn = max(1, users // 10)
    with Path(f"{prefix}.log").open("w") as log:
        return subprocess.run(
            [str(bin_dir / "locust"), "-f", str(ROOT / "load" / "locustfile.py"), "--headless",
             "--users", str(users), "--spawn-rate", str(spawn), "--run-time", run_time,
             "--host", f"http://127.0.0.1:{PORT}", "--csv", str(prefix), "--only-summary",
             "--stop-timeout", "30", "--loglevel", "WARNING"],
            env=env, cwd=ROOT, check=False, stdout=log, stderr=subprocess.STDOUT,
        ).returncode  # fmt: skip


def _read_stats(prefix: Path) -> tuple[list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    rows, total = [], {}
    with open(f"{prefix}_stats.csv", newline="") as f:
        for r in csv.DictReader(f):
            entry = {
                "method": r["Type"],
                "name": r["Name"],
                "requests": int(r["Request Count"]),
                "errors": int(r["Failure Count"]),
                "rps": round(float(r["Requests/s"]), 2),
                "p50_ms": _num(r["50%"]),
                "p95_ms": _num(r["95%"]),
                "p99_ms": _num(r["99%"]),
                "max_ms": _num(r["Max Response Time"]),
                "mean_ms": round(float(r["Average Response Time"]), 1),
            }
            if r["Name"] == "Aggregated":
                total = entry
            else:
                rows.append(entry)
    with open(f"{prefix}_failures.csv", newline="") as f:
        failures = [
            {"method": r["Method"], "name": r["Name"], "error": r["Error"], "count": int(r["Occurrences"])}
            for r in csv.DictReader(f)
        ]
    return rows, total, failures


def _num(value: str) -> float | None:
    return None if value in ("", "N/A") else round(float(value), 1)


def run(users: int, run_time: str) -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"== PostgreSQL cluster {PGDATA} (port {cluster.PORT}) …", flush=True)
    cluster.start(PGDATA)
    print("== the full demo data …", flush=True)
    prepare()
    plan_path = WORK / "plan.json"
    plan_path.write_text(json.dumps(plan(), ensure_ascii=False, indent=1))
    print(f"== a fresh copy: {RUN_DB} from {SEED_DB}, cache and uploads emptied …", flush=True)
    began = time.perf_counter()
    _fresh_copy()
    copy_s = time.perf_counter() - began
    print(
        f"   ({copy_s:.0f} s)\n== gunicorn on :{PORT} (2 workers × 4 threads) and the job worker …",
        flush=True,
    )
    procs = _start_stack(WORK / "stack.log")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    prefix = WORK / f"locust-{stamp}"
    try:
        with cluster.connect() as conn:  # the extension lives in the maintenance database; it sees all
            conn.execute("SELECT pg_stat_statements_reset()")
        before, cpu_before, load_before = _db_counters(), _cpu(), os.getloadavg()
        roots = {"app": [p.pid for p in procs], "database": [_postmaster()]}
        spent = {k: sum(_tree_cpu(pid) for pid in pids) for k, pids in roots.items()}
        locust_before = _children_cpu()
        print(f"== locust: {users} users for {run_time} …", flush=True)
        started = time.time()
        _locust(users, run_time, plan_path, prefix)
        seconds = time.time() - started
        after, cpu_after, load_after = _db_counters(), _cpu(), os.getloadavg()
        spent = {k: round(sum(_tree_cpu(pid) for pid in pids) - spent[k]) for k, pids in roots.items()}
        spent["locust"] = round(_children_cpu() - locust_before)
        statements = _statements()
    finally:
        _stop(procs)
    rows, total, failures = _read_stats(prefix)
    hit, read = after["hit"] - before["hit"], after["read"] - before["read"]
    busy = (cpu_after[0] - cpu_before[0]) / max(1, cpu_after[1] - cpu_before[1])
    result = {
        "when": stamp,
        "users": users,
        "run_time": run_time,
        "seconds": round(seconds),
        "requests": total.get("requests", 0),
        "errors": total.get("errors", 0),
        "throughput_rps": total.get("rps"),
        "p50_ms": total.get("p50_ms"),
        "p95_ms": total.get("p95_ms"),
        "p99_ms": total.get("p99_ms"),
        "routes": sorted(rows, key=lambda r: -r["requests"]),
        "failures": failures,
        "db_cache_hit_ratio": round(hit / (hit + read), 4) if hit + read else None,
        "db_commits": after["commits"] - before["commits"],
        "db_rollbacks": after["rollbacks"] - before["rollbacks"],
        "statements": statements,
        "cpu": {
            "cores": os.cpu_count(),
            "busy_share": round(busy, 2),
            "load_average_before": [round(v, 2) for v in load_before],
            "load_average_after": [round(v, 2) for v in load_after],
            "cpu_seconds": spent,  # app = gunicorn + job worker, database = the load cluster
        },
        "fresh_copy_s": round(copy_s, 1),
    }
    report(result)
    out = WORK / f"results-{stamp}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    shutil.copyfile(out, WORK / "latest.json")
    print(f"\nall figures: {out}")
    return 0 if result["errors"] == 0 and result["requests"] > 0 else 1


def report(r: dict[str, Any]) -> None:
    cpu = r["cpu"]
    print(
        f"\nEchelon under load: {r['users']} users for {r['run_time']} (full demo, PostgreSQL, gunicorn 2×4)"
    )
    print(f"requests {r['requests']}, errors {r['errors']}, throughput {r['throughput_rps']} req/s, "
          f"p50/p95/p99 {r['p50_ms']}/{r['p95_ms']}/{r['p99_ms']} ms")  # fmt: skip
    print(f"database cache hit ratio {r['db_cache_hit_ratio']}, commits {r['db_commits']}; "
          f"CPU: {cpu['cores']} cores {cpu['busy_share']:.0%} busy during the run, load average "
          f"{cpu['load_average_before'][0]} before, {cpu['load_average_after'][0]} after "
          "(locust and other work share the cores)")  # fmt: skip
    spent = cpu["cpu_seconds"]
    print(f"CPU seconds over {r['seconds']} s: app (gunicorn + worker) {spent['app']}, "
          f"PostgreSQL {spent['database']}, locust {spent['locust']}")  # fmt: skip
    print(
        f"\n{'route':34s} {'method':6s} {'reqs':>6s} {'err':>4s}"
        f" {'p50':>7s} {'p95':>7s} {'p99':>7s} {'max':>7s}"
    )
    for row in r["routes"]:
        print(
            f"{row['name']:34s} {row['method']:6s} {row['requests']:6d} {row['errors']:4d} "
            f"{_ms(row['p50_ms'])} {_ms(row['p95_ms'])} {_ms(row['p99_ms'])} {_ms(row['max_ms'])}"
        )
    for failure in r["failures"]:
        print(f"  ERROR {failure['count']}× {failure['method']} {failure['name']}: {failure['error'][:200]}")
    for key, title in (("by_mean", "by mean time"), ("by_total", "by total time")):
        print(f"\nthe database's 15 slowest statements {title} (pg_stat_statements)")
        print(f"{'calls':>7s} {'mean ms':>9s} {'total ms':>10s}  statement")
        for s in r["statements"][key]:
            print(f"{s['calls']:7d} {s['mean_ms']:9.2f} {s['total_ms']:10d}  {_short(s['query'])}")


def _short(query: str, width: int = 150) -> str:
    """A statement for the table: a long select list shown as …, the rest cut at ``width``."""
    query = re.sub(r"^SELECT (DISTINCT )?(?=.{60,}? FROM )(.+?) FROM ", r"SELECT \1… FROM ", query, count=1)
    return query[:width]


def _ms(value: float | None) -> str:
    return f"{'-':>7s}" if value is None else f"{value:7.0f}"


def clean() -> int:
    cluster.remove(PGDATA)
    shutil.rmtree(WORK, ignore_errors=True)
    print(f"removed the load cluster and {WORK}")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m load", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=int(os.environ.get("LOAD_USERS", "50")))
    parser.add_argument("--time", default=os.environ.get("LOAD_TIME", "5m"))
    parser.add_argument("--clean", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "accounts":
        child_accounts()
        return 0
    if args.clean:
        return clean()
    return run(args.users, args.time)
