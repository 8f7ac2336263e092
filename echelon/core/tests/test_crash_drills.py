"""Crash drills (issue 15): kill -9 in the middle of every long job, on SQLite and on PostgreSQL.

For each job the real command (or, for the importers without one, the service the upload page calls) runs
as a child process on a throwaway database (a SQLite file; a PostgreSQL database ``echelon_drills_*``)
cloned from the small demo:

1. an uninterrupted run on one clone: what the job writes, and when it is inside a write transaction;
2. on another clone, ``DRILL_KILLS`` runs (3 by default) SIGKILLed at spread points of that write window,
   each at a moment the child is seen writing (PostgreSQL: its backend has a transaction id; SQLite: it holds
   the WAL write lock). After each kill every table is exactly as before (rows and contents), SQLite's
   integrity and foreign-key checks pass, and no job row is left "running";
3. a rerun of the same command on the killed clone completes and writes what the uninterrupted run wrote
   (every table's row count; the written tables' contents without keys, times and uuids).

Slow (minutes: every run starts a Django process): ``make drills``, which sets ``ECHELON_DRILLS`` and prints
the drill table (``echelon.testing.drills``). Skipped otherwise. ``DRILL_BACKENDS`` (sqlite,postgresql),
``DRILL_JOBS`` (names, all by default), ``DRILL_KILLS``, ``DRILL_KEEP``; ``ECHELON_DRILLS_PREFIX`` names the
PostgreSQL databases on a shared server, ``ECHELON_DRILLS_RESULTS`` the table's file.

A job of several transactions (``steps``: the daily run) may keep whole steps a kill came after; its rerun
must still equal the clean run, audit events included (it skips the steps done).
"""

from __future__ import annotations

import csv
import json
import os
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from echelon.testing import drills

pytestmark = [
    pytest.mark.drill,
    pytest.mark.skipif(not os.environ.get("ECHELON_DRILLS"), reason="crash drills: make drills"),
]

KILLS = int(os.environ.get("DRILL_KILLS", "3"))
BACKENDS = [b for b in os.environ.get("DRILL_BACKENDS", "sqlite,postgresql").split(",") if b]
ONLY = {j for j in os.environ.get("DRILL_JOBS", "").split(",") if j}


@dataclass
class Job:
    name: str
    template: str  # the clone it starts from: "empty" (migrated), "seeded" (seed_demo), "demo" (+ campaign)
    argv: list[str]  # after the echelon command; {placeholders} from World.files
    service: bool = False  # a service run by echelon.testing.drills (no command of its own)
    # a job of several transactions: a kill may leave the earlier ones committed (each whole)
    steps: bool = False
    volatile: dict[str, set[str]] = field(default_factory=dict)


# Besides keys, times and uuids (drills.volatile_columns): what differs between two equal runs of any job —
# the references by key to the rows a run created that are not foreign keys (the audit events', a notice's
# target; on PostgreSQL a killed run has used up sequence numbers), password hashes (a random salt each
# time), and cache versions (named after a row's key, e.g. ``supervision.coverage.<campaign>``; a random
# value from ``core.versions.renew``): their number is still compared.
AUDIT_IDS = {
    "core_auditevent": {"object_id", "unit_id", "before", "after", "request_id"},
    "core_notification": {"target_id"},
    "accounts_user": {"password"},
    "core_counter": {"name", "value"},
}

JOBS = [
    Job("seed_demo", "empty", ["seed_demo", "--scale", "small"], volatile=AUDIT_IDS),
    Job("import_units", "empty", ["import_units", "{units}"], volatile=AUDIT_IDS),
    Job("import_members", "seeded", ["import_members", "{members}"], volatile=AUDIT_IDS),
    Job("import_users", "seeded", ["import_users", "{users}"], service=True, volatile=AUDIT_IDS),
    Job(
        "import_opinions",
        "demo",
        ["import_opinions", "{opinions}", "150125"],
        service=True,
        volatile=AUDIT_IDS | {"ledger_opinion": {"tracking_code"}},
    ),
    Job("schedule", "demo", ["schedule", "{campaign}"], volatile=AUDIT_IDS),
    Job("demo_campaign", "seeded", ["demo_campaign"], volatile=AUDIT_IDS),
    Job("snapshot", "demo", ["snapshot", "--backfill-from", "start"], volatile=AUDIT_IDS),
    Job("warnings", "demo", ["warnings", "--no-notify"], volatile=AUDIT_IDS),
    Job("dashboards_daily", "demo", ["dashboards_daily"], steps=True, volatile=AUDIT_IDS),
]


@dataclass
class World:
    backend: str
    templates: dict[str, drills.Database]
    files: dict[str, str]
    digests: dict[str, dict[str, tuple[int, str]]] = field(default_factory=dict)

    def argv(self, job: Job) -> list[str]:
        args = [a.format(**self.files) for a in job.argv]
        if job.service:
            return [sys.executable, "-m", "echelon.testing.drills", "service", *args]
        return [*drills.echelon_command(), *args]

    def before(self, template: str) -> dict[str, tuple[int, str]]:
        if template not in self.digests:
            self.digests[template] = drills.exact_digest(self.templates[template])
        return self.digests[template]


def _run(db: drills.Database, *args: str) -> str:
    watched = drills.run_watched(db, [*drills.echelon_command(), *args], poll=0.5)
    assert watched.returncode == 0, watched.output
    return watched.output


@pytest.fixture(scope="module", params=BACKENDS)
def world(request, tmp_path_factory) -> Any:
    """The three templates of one backend (migrated; + the small demo registry; + the demo campaign) and
    the files the importers get, built once by the real commands. ``DRILL_KEEP=1`` keeps them for the next
    session (under var/drills, and PostgreSQL databases ``echelon_drills_t*``) while the code that builds
    them is unchanged (``drills.code_key``)."""
    backend = request.param
    if backend == "postgresql":
        try:
            with drills._pg():
                pass
        except Exception as exc:
            pytest.skip(f"PostgreSQL not reachable: {exc}")
    keep = bool(os.environ.get("DRILL_KEEP"))
    key = drills.code_key() if keep else "x"
    var = drills.PROJECT_DIR / "var" / "drills" / backend if keep else tmp_path_factory.mktemp(backend)
    var.mkdir(parents=True, exist_ok=True)
    prefix = f"t{key[:8]}_{backend[:2]}"
    names = {t: f"{prefix}_{t}" for t in ("empty", "seeded", "demo")}
    files_ok = var / f"{prefix}.json"
    templates = {t: drills.Database.existing(backend, n, var) for t, n in names.items()}
    if keep and files_ok.exists() and all(db.exists() for db in templates.values()):
        files = json.loads(files_ok.read_text())
    else:  # (a kept template may have been dropped by a session of other code: built again)
        drills.drop_all(backend, var, "t", keep=prefix)  # the templates of older code
        empty = drills.Database.create(backend, names["empty"], var)
        _run(empty, "migrate", "--noinput", "-v0")
        seeded = empty.clone(names["seeded"])
        _run(seeded, "seed_demo", "--scale", "small")
        demo = seeded.clone(names["demo"])
        _run(demo, "demo_campaign")
        files = _files(demo, var)
        templates = {"empty": empty, "seeded": seeded, "demo": demo}
        for db in templates.values():
            db.checkpoint()
        files_ok.write_text(json.dumps(files))
    yield World(backend, templates, files)
    if not keep:
        for db in templates.values():
            db.drop()


def _files(demo: drills.Database, var: Path) -> dict[str, str]:
    """What the importers get: the demo's units (into an empty registry: every unit new); its members with
    every phone changed and 5,000 more (updates and inserts); 30 users with a grant each (password hashing is
    slow on purpose); 3,000 opinions."""
    units, members = var / "units.csv", var / "members.csv"
    _run(demo, "export_units", str(units))
    _run(demo, "export_members", str(members))
    with members.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    phone = header.index("联系电话")
    code = header.index("党员编号")
    for n, row in enumerate(body):
        row[phone] = f"139{n:08d}"
    extra = []
    for n in range(5_000):
        row = list(body[n % len(body)])
        row[code] = f"15999{n:08d}"
        extra.append(row)
    changed_members = var / "members-changed.csv"
    with changed_members.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *body, *extra])
    with units.open(encoding="utf-8-sig", newline="") as fh:
        unit_rows = list(csv.reader(fh))
    villages = [r[0] for r in unit_rows[1:] if r[3] == "嘎查村社区"]
    users = var / "users.csv"
    with users.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["用户名", "姓名", "组织代码", "角色", "初始密码"])
        for n in range(30):
            w.writerow(
                [
                    f"drill_user_{n:03d}",
                    f"演练用户{n}",
                    villages[n % len(villages)],
                    "operator",
                    "Drill-Pass-2014!",
                ]
            )
    opinions = var / "opinions.csv"
    received = (timezone.localdate() - timedelta(days=10)).isoformat()
    with opinions.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["单位代码", "渠道", "收到日期", "意见内容", "联系方式"])
        for n in range(3_000):
            w.writerow(
                ["", "座谈会", received, f"演练意见第{n}条：希望村务公开更及时，编号{n * 7919 % 100003}", ""]
            )
    campaign = demo.query("SELECT min(id) FROM campaigns_campaign")[0][0]
    return {
        "units": str(units),
        "members": str(changed_members),
        "users": str(users),
        "opinions": str(opinions),
        "campaign": str(campaign),
    }


@pytest.mark.parametrize("job", JOBS, ids=[j.name for j in JOBS])
def test_kill_mid_write_then_rerun(world: World, job: Job) -> None:
    if ONLY and job.name not in ONLY:
        pytest.skip("not in DRILL_JOBS")
    tag = f"{world.backend[:2]}_{job.name}"
    made: list[drills.Database] = []
    tally = {"landed": 0}
    try:
        note = _drill(world, job, tag, made, tally)
    except BaseException as exc:
        first = str(exc).strip().splitlines()[0][:150] if str(exc).strip() else type(exc).__name__
        drills.record(
            job=job.name, backend=world.backend, runs=KILLS, landed=tally["landed"], result=f"FAILED: {first}"
        )
        raise
    else:
        drills.record(job=job.name, backend=world.backend, runs=KILLS, landed=tally["landed"], result=note)
    finally:
        for db in made:
            db.drop()


def _different_contents(db: drills.Database, ref: drills.Database, written: list[str], job: Job) -> list[str]:
    """The tables ``written`` whose contents differ between ``db`` and ``ref`` (keys, times, uuids aside)."""
    volatile = drills.volatile_columns(written)
    for table, cols in job.volatile.items():
        volatile.setdefault(table, set()).update(cols)
    got, want = drills.content_digest(db, written, volatile), drills.content_digest(ref, written, volatile)
    return drills.changed(want, got)


def _drill(world: World, job: Job, tag: str, made: list[drills.Database], tally: dict[str, int]) -> str:
    argv = world.argv(job)
    before = world.before(job.template)

    def clone(name: str) -> drills.Database:
        db = world.templates[job.template].clone(f"{tag}_{name}")
        made.append(db)
        return db

    # 1. the uninterrupted run: what it writes and when
    ref = clone("ref")
    clean = drills.run_watched(ref, argv)
    assert clean.returncode == 0, clean.output
    assert clean.first_write is not None, f"never seen writing:\n{clean.output}"
    after_clean = drills.exact_digest(ref)
    written = drills.changed(before, after_clean)
    assert written, "the uninterrupted run wrote nothing"
    window = max((clean.last_write or clean.first_write) - clean.first_write, 0.0)

    # 2. the kills, spread over the write window, each while the child writes
    db = clone("kill")
    missed, late, stepped, notes = 0, 0, 0, []
    for i in range(KILLS):
        kill = drills.kill_while_writing(db, argv, window * (i + 0.5) / KILLS)
        if kill.finished:  # it ended before the kill point: start again from a fresh clone
            missed += 1
            db = clone(f"kill{i}")
            continue
        # the tables the job writes, row by row; every other table, its row count
        half = drills.changed(drills.restrict(before, written), drills.exact_digest(db, written))
        assert not drills.integrity_problems(db), drills.integrity_problems(db)
        if half and not job.steps and not _different_contents(db, ref, written, job):
            # the whole job had committed (seen writing after the commit, say): not a kill mid-write
            late += 1
            db = clone(f"kill{i}")
            continue
        tally["landed"] += kill.landed
        if job.steps:
            # whole steps may have committed before the kill: only tables the job writes, nothing else
            assert set(half) <= set(written), f"kill {i} at {kill.at:.2f} s changed {half}"
            stepped += bool(half)
        else:
            assert not half, f"kill {i} at {kill.at:.2f} s left these tables changed: {half}"
        assert not db.query("SELECT count(*) FROM core_job WHERE status = 'running'")[0][0]
        notes.append(f"{kill.at:.1f}")

    # 3. the rerun completes and writes what the uninterrupted run wrote
    rerun = drills.run_watched(db, argv)
    assert rerun.returncode == 0, rerun.output
    after_rerun = drills.exact_digest(db, ())
    counts = {t: n for t, (n, _h) in after_rerun.items()}
    expected = {t: n for t, (n, _h) in after_clean.items()}
    assert counts == expected, {t: (counts.get(t), n) for t, n in expected.items() if counts.get(t) != n}
    different = _different_contents(db, ref, written, job)
    assert not different, f"the rerun wrote other contents in {different}"
    kept = (
        f"earlier steps kept whole (after {stepped} of the kills), nothing else"
        if job.steps
        else "unchanged after each kill"
    )
    return (
        f"ok: {kept}; rerun = clean run ({len(written)} tables; clean run "
        f"{clean.seconds:.0f} s, writing {window:.1f} s of it; killed at {', '.join(notes)} s"
        + (f"; {missed} ended before the kill" if missed else "")
        + (f"; {late} killed after the commit" if late else "")
        + ")"
    )
