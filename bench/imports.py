"""Benchmark: a members CSV imported through the product, against a raw floor on the same database.

    floor    stdlib ``csv.reader`` over the file, a dict lookup of the unit code (to fill the table's NOT NULL
             ``unit_id`` / ``path`` / ``part_path`` columns, nothing else), ``sqlite3`` ``executemany`` of
             the rows into ``orgs_member`` in one transaction: same table, same indexes and constraints,
             same PRAGMAs as the application's connections (``settings.DATABASES`` init command).
    product  ``imports.import_file(kind="members")`` exactly as ``echelon import_members FILE`` runs it:
             content sniffing, sha256, every row parsed and validated, TEMP staging, duplicate check,
             classification against existing codes, set-based merge, ``rollups_rebuild()``, audit event.

Both start from identical copies of the given database with the members table emptied (a first import of
the whole registry), each in its own child process, so that the peak memory of each is its own
(``os.wait4`` rusage). Timings are measured inside the children around the work itself (interpreter and
Django start-up excluded on both sides); wall times of the children are reported too. Optionally the
product import is run a second time on its database (every row unchanged: the idempotent re-import).

    python -m bench.imports DB CSV        # prints the figures as JSON
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DEFAULT_INIT = (
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
    "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
)
MEMBER_INSERT = (
    "INSERT INTO orgs_member (code, name, gender, ethnicity, birth_date, joined_date, status, phone, "
    "unit_id, path, is_mobile, inflow_unit_id, part_path, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def _sqlite_path(db_path_or_alias: str | os.PathLike[str]) -> Path:
    candidate = Path(db_path_or_alias)
    if candidate.suffix in (".sqlite3", ".sqlite", ".db") or candidate.exists():
        return candidate.resolve()
    _setup_django()
    from django.conf import settings

    db = settings.DATABASES[str(db_path_or_alias)]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        raise ValueError("the import floor is defined with raw sqlite3: give a SQLite database")
    return Path(db["NAME"]).resolve()


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echelon.settings")
    import django

    django.setup()


def _init_command() -> str:
    try:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echelon.settings")
        from django.conf import settings

        return str(settings.DATABASES["default"].get("OPTIONS", {}).get("init_command") or DEFAULT_INIT)
    except Exception:  # settings not importable: the project's own defaults
        return DEFAULT_INIT


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in _init_command().split(";"):
        if pragma.strip():
            con.execute(pragma)
    return con


def prepare_base(src: Path, base: Path) -> None:
    """A compact copy of `src` with no members (and rollups of an empty registry)."""
    for p in (base, base.with_name(base.name + "-wal"), base.with_name(base.name + "-shm")):
        p.unlink(missing_ok=True)
    source = sqlite3.connect(src)
    target = sqlite3.connect(base)
    source.backup(target)
    source.close()
    target.isolation_level = None
    target.execute("PRAGMA foreign_keys=OFF")
    target.execute("DELETE FROM orgs_member")
    target.execute(
        "UPDATE orgs_unit SET members_here = 0, participants_here = 0, mobile_here = 0, blind_here = 0, "
        "sub_members = 0, sub_participants = 0, sub_mobile = 0, sub_blind = 0"
    )
    target.execute("PRAGMA journal_mode=DELETE")
    target.execute("VACUUM")
    target.close()


def _copy(base: Path, dest: Path) -> None:
    for p in (dest, dest.with_name(dest.name + "-wal"), dest.with_name(dest.name + "-shm")):
        p.unlink(missing_ok=True)
    shutil.copyfile(base, dest)


# ---------------------------------------------------------------------------------------------------------
# The two measured operations (each runs in a child process)
# ---------------------------------------------------------------------------------------------------------


def floor(db: Path, csv_path: Path) -> dict[str, Any]:
    _setup_django()
    from echelon.orgs.imports import SQLITE_IMPORT_PRAGMAS

    con = _connect(db)
    # The main-database setting of the product's import session: the floor gets it too, so that it is not
    # slowed by a setting the product drops (the temp_* settings only concern the product's staging table).
    con.execute(f"PRAGMA mmap_size = {SQLITE_IMPORT_PRAGMAS['mmap_size']}")
    units = {code: (pk, path) for pk, code, path in con.execute("SELECT id, code, path FROM orgs_unit")}
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    gender = {"男": "m", "女": "f"}
    status = {"正式党员": "full", "预备党员": "probationary"}
    started = time.perf_counter()
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)

        def rows() -> Any:
            for code, name, g, eth, birth, joined, st, phone, unit, mobile, inflow in reader:
                uid, path = units[unit]
                iid, ipath = units[inflow] if inflow else (None, path)
                yield (
                    code,
                    name,
                    gender.get(g, g),
                    eth,
                    birth,
                    joined,
                    status.get(st, st),
                    phone,
                    uid,
                    path,
                    mobile == "是",
                    iid,
                    ipath,
                    now,
                )

        con.execute("BEGIN")
        cur = con.executemany(MEMBER_INSERT, rows())
        con.execute("COMMIT")
    seconds = time.perf_counter() - started
    n = cur.rowcount
    con.close()
    return {"seconds": seconds, "rows": n}


def product(db: Path, csv_path: Path) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    _setup_django()
    from echelon.core import context
    from echelon.orgs import imports

    started = time.perf_counter()
    with context.bind(context.new_context("cli")), open(csv_path, "rb") as fh:
        report = imports.import_file(
            kind="members",
            fileobj=fh,
            name=csv_path.name,
            actor=None,
            scope=None,
            dry_run=False,
            max_bytes=1 << 40,
        )
    seconds = time.perf_counter() - started
    if not report.ok:
        raise SystemExit(f"import refused: {report.summary()} {[str(e) for e in report.errors[:5]]}")
    return {
        "seconds": seconds,
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
    }


def export_csv(db: Path, csv_path: Path) -> dict[str, Any]:
    """Write the members of `db` as the import CSV (the round trip's other half)."""
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    _setup_django()
    from echelon.orgs import exports
    from echelon.orgs.models import Unit

    started = time.perf_counter()
    n = 0
    with open(csv_path, "wb") as fh:
        for root in Unit.objects.filter(parent=None).order_by("path"):
            for chunk in exports.iter_csv(
                "members", exports.member_rows(exports.member_queryset(None, root))
            ):
                fh.write(chunk)
    with open(csv_path, encoding="utf-8-sig") as fh:
        n = sum(1 for _line in fh) - 1
    return {"seconds": time.perf_counter() - started, "rows": n}


def _child(step: str, db: Path, csv_path: Path) -> dict[str, Any]:
    """Run one step in a fresh interpreter; its own result, wall time and peak RSS (MB)."""
    with tempfile.NamedTemporaryFile("w+", suffix=".json") as out:
        cmd = [
            sys.executable,
            "-m",
            "bench.imports",
            "--step",
            step,
            str(db),
            str(csv_path),
            out.name,
        ]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        if proc.returncode:
            raise RuntimeError(f"{step} failed with exit code {proc.returncode}")
        result = json.loads(Path(out.name).read_text())
    result["wall_seconds"] = wall
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    return result


def bench_members_import(
    db_path_or_alias: str | os.PathLike[str],
    csv_path: str | os.PathLike[str],
    *,
    workdir: str | os.PathLike[str] | None = None,
    reimport: bool = True,
    repeat: int = 1,
    keep: bool = False,
) -> dict[str, Any]:
    """Measure the floor and the product import of `csv_path` on copies of the given SQLite database.

    Returns floor_s, product_s, ratio, peak_mb (the product child's peak RSS), floor_peak_mb, rows, the
    children's wall times and, with `reimport`, reimport_s (the same file again: every row unchanged).
    With `repeat` > 1, floor and product alternate on fresh copies and the best time of each is kept (the
    machine may be busy with other work). The given database is not changed.
    """
    src = _sqlite_path(db_path_or_alias)
    csv_file = Path(csv_path).resolve()
    work = Path(workdir) if workdir else src.parent / "bench-import"
    work.mkdir(parents=True, exist_ok=True)
    base, floor_db, product_db = work / "base.sqlite3", work / "floor.sqlite3", work / "product.sqlite3"
    prepare_base(src, base)
    floors, products = [], []
    for _ in range(max(1, repeat)):
        _copy(base, floor_db)
        floors.append(_child("floor", floor_db, csv_file))
        _copy(base, product_db)
        products.append(_child("product", product_db, csv_file))
    f = min(floors, key=lambda r: r["seconds"])
    p = min(products, key=lambda r: r["seconds"])
    if f["rows"] != p["rows"] or p["created"] != p["rows"]:
        raise RuntimeError(f"floor and product did not write the same rows: {f} {p}")
    figures: dict[str, Any] = {
        "rows": p["rows"],
        "floor_s": round(f["seconds"], 2),
        "product_s": round(p["seconds"], 2),
        "ratio": round(p["seconds"] / f["seconds"], 2),
        "peak_mb": round(max(r["peak_mb"] for r in products), 1),
        "floor_peak_mb": round(max(r["peak_mb"] for r in floors), 1),
        "floor_wall_s": round(f["wall_seconds"], 2),
        "product_wall_s": round(p["wall_seconds"], 2),
        "runs": {
            "floor_s": [round(r["seconds"], 2) for r in floors],
            "product_s": [round(r["seconds"], 2) for r in products],
        },
    }
    if reimport:
        r = _child("product", product_db, csv_file)
        figures.update(
            reimport_s=round(r["seconds"], 2),
            reimport_unchanged=r["unchanged"],
            reimport_peak_mb=round(r["peak_mb"], 1),
        )
    if not keep:
        for db in (base, floor_db, product_db):
            for p_ in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
                p_.unlink(missing_ok=True)
    return figures


def main(argv: list[str]) -> None:
    if argv[:1] == ["--step"]:
        step, db, csv_path, out = argv[1], Path(argv[2]), Path(argv[3]), Path(argv[4])
        result = {"floor": floor, "product": product, "export": export_csv}[step](db, csv_path)
        out.write_text(json.dumps(result))
        return
    if len(argv) != 2:
        raise SystemExit("usage: python -m bench.imports DB CSV  (CSV is exported from DB if missing)")
    db, csv_path = _sqlite_path(argv[0]), Path(argv[1])
    if not csv_path.exists():
        print(json.dumps({"export": _child("export", db, csv_path)}), flush=True)
    repeat = int(os.environ.get("BENCH_REPEAT", "1"))
    print(json.dumps(bench_members_import(db, csv_path, repeat=repeat), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
