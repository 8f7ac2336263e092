"""Benchmark: a members CSV imported through the product, against a raw floor on the same database.

    floor    stdlib ``csv.reader`` over the file, a dict lookup of the unit code (to fill the table's NOT NULL
             ``unit_id`` / ``path`` / ``part_path`` columns, nothing else), then the rows into
             ``orgs_member`` in one transaction: same table, same indexes and constraints.
               SQLite      ``sqlite3`` ``executemany``, same PRAGMAs as the application's connections
                           (``settings.DATABASES`` init command);
               PostgreSQL  psycopg ``COPY orgs_member (…) FROM STDIN`` with ``write_row`` — the database's
                           own bulk path, the one the product itself stages its rows with (a plain
                           ``executemany`` of INSERTs would be a slower floor, hence a kinder ratio).
    product  ``imports.import_file(kind="members")`` exactly as ``echelon import_members FILE`` runs it:
             content sniffing, sha256, every row parsed and validated, TEMP staging, duplicate check,
             classification against existing codes, set-based merge, ``rollups_rebuild()``, audit event.

Both start from identical copies (``bench.target``: SQLite files or PostgreSQL template copies) of the
given database with the members table emptied (a first import of the whole registry), each in its own
child process, so that the peak memory of each is its own (``os.wait4`` rusage). Timings are measured
inside the children around the work itself (interpreter and Django start-up excluded on both sides); wall
times of the children are reported too. Optionally the product import is run a second time on its
database (every row unchanged: the idempotent re-import).

    python -m bench.imports DB CSV        # prints the figures as JSON (DB: a SQLite file or a database URL)
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.target import Target

DEFAULT_INIT = (
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
    "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=268435456;"
)
MEMBER_COLUMNS = (
    "code, name, gender, ethnicity, birth_date, joined_date, status, phone, "
    "unit_id, path, is_mobile, inflow_unit_id, part_path, updated_at"
)
MEMBER_INSERT = f"INSERT INTO orgs_member ({MEMBER_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"  # noqa: S608


def _target(db: str | os.PathLike[str] | Target) -> Target:
    """A Target from a Target, a database URL or a SQLite file path."""
    if isinstance(db, Target):
        return db
    text = str(db)
    if "://" in text:
        return Target(text)
    return Target(f"sqlite:///{Path(text).resolve()}")


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


EMPTY_ROLLUPS = (
    "UPDATE orgs_unit SET members_here = 0, participants_here = 0, mobile_here = 0, blind_here = 0, "
    "sub_members = 0, sub_participants = 0, sub_mobile = 0, sub_blind = 0"
)


def prepare_base(src: Target) -> Target:
    """A compact copy of `src` with no members (and rollups of an empty registry)."""
    base = src.copy("import_base")
    if base.is_postgres:
        import psycopg

        with psycopg.connect(base.url, autocommit=True) as con:
            con.execute("DELETE FROM orgs_member")
            con.execute(EMPTY_ROLLUPS)
            con.execute("VACUUM FULL ANALYZE orgs_member")
            con.execute("VACUUM FULL ANALYZE orgs_unit")
        return base
    target = sqlite3.connect(base.path)
    target.isolation_level = None
    target.execute("PRAGMA foreign_keys=OFF")
    target.execute("DELETE FROM orgs_member")
    target.execute(EMPTY_ROLLUPS)
    target.execute("PRAGMA journal_mode=DELETE")
    target.execute("VACUUM")
    target.close()
    return base


# ---------------------------------------------------------------------------------------------------------
# The two measured operations (each runs in a child process)
# ---------------------------------------------------------------------------------------------------------


def _floor_rows(csv_path: Path, units: dict[str, tuple[int, str]], now: str) -> Any:
    gender = {"男": "m", "女": "f"}
    status = {"正式党员": "full", "预备党员": "probationary"}
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
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


def floor(db: Target, csv_path: Path) -> dict[str, Any]:
    if db.is_postgres:
        return _floor_postgres(db, csv_path)
    _setup_django()
    from echelon.orgs.imports import SQLITE_IMPORT_PRAGMAS

    con = _connect(db.path)
    # The main-database setting of the product's import session: the floor gets it too, so that it is not
    # slowed by a setting the product drops (the temp_* settings only concern the product's staging table).
    con.execute(f"PRAGMA mmap_size = {SQLITE_IMPORT_PRAGMAS['mmap_size']}")
    units = {code: (pk, path) for pk, code, path in con.execute("SELECT id, code, path FROM orgs_unit")}
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    started = time.perf_counter()
    con.execute("BEGIN")
    cur = con.executemany(MEMBER_INSERT, _floor_rows(csv_path, units, now))
    con.execute("COMMIT")
    seconds = time.perf_counter() - started
    n = cur.rowcount
    con.close()
    return {"seconds": seconds, "rows": n}


def _floor_postgres(db: Target, csv_path: Path) -> dict[str, Any]:
    """The PostgreSQL floor: COPY of the same rows into orgs_member in one transaction."""
    import psycopg

    with psycopg.connect(db.url) as con:
        units = {code: (pk, path) for pk, code, path in con.execute("SELECT id, code, path FROM orgs_unit")}
        con.commit()
        now = time.strftime("%Y-%m-%d %H:%M:%S+00")
        started = time.perf_counter()
        n = 0
        with con.cursor() as cur, cur.copy(f"COPY orgs_member ({MEMBER_COLUMNS}) FROM STDIN") as copy:
            for row in _floor_rows(csv_path, units, now):
                copy.write_row(row)
                n += 1
        con.commit()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": n}


def product(db: Target, csv_path: Path) -> dict[str, Any]:
    os.environ["DATABASE_URL"] = db.url
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


def export_csv(db: Target, csv_path: Path) -> dict[str, Any]:
    """Write the members of `db` as the import CSV (the round trip's other half)."""
    os.environ["DATABASE_URL"] = db.url
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


def _child(step: str, db: Target, csv_path: Path) -> dict[str, Any]:
    """Run one step in a fresh interpreter; its own result, wall time and peak RSS (MB)."""
    with tempfile.NamedTemporaryFile("w+", suffix=".json") as out:
        cmd = [
            sys.executable,
            "-m",
            "bench.imports",
            "--step",
            step,
            db.url,
            str(csv_path),
            out.name,
        ]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=db.env(PYTHONDONTWRITEBYTECODE="1"))
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
    db: str | os.PathLike[str] | Target,
    csv_path: str | os.PathLike[str],
    *,
    reimport: bool = True,
    repeat: int = 1,
    keep: bool = False,
) -> dict[str, Any]:
    """Measure the floor and the product import of `csv_path` on copies of the given database (a Target,
    a database URL or a SQLite file).

    Returns floor_s, product_s, ratio, peak_mb (the product child's peak RSS), floor_peak_mb, rows, the
    children's wall times and, with `reimport`, reimport_s (the same file again: every row unchanged).
    With `repeat` > 1, floor and product alternate on fresh copies and the best time of each is kept (the
    machine may be busy with other work). The given database is not changed.
    """
    src = _target(db)
    csv_file = Path(csv_path).resolve()
    base = prepare_base(src)
    floor_db, product_db = src.sibling("import_floor"), src.sibling("import_product")
    floors, products = [], []
    for _ in range(max(1, repeat)):
        base.copy_to(floor_db)
        floors.append(_child("floor", floor_db, csv_file))
        base.copy_to(product_db)
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
        for copy in (base, floor_db, product_db):
            copy.drop()
    return figures


def main(argv: list[str]) -> None:
    if argv[:1] == ["--step"]:
        step, db, csv_path, out = argv[1], Target(argv[2]), Path(argv[3]), Path(argv[4])
        result = {"floor": floor, "product": product, "export": export_csv}[step](db, csv_path)
        out.write_text(json.dumps(result))
        return
    if len(argv) != 2:
        raise SystemExit("usage: python -m bench.imports DB CSV  (CSV is exported from DB if missing)")
    db, csv_path = _target(argv[0]), Path(argv[1])
    if not csv_path.exists():
        print(json.dumps({"export": _child("export", db, csv_path)}), flush=True)
    repeat = int(os.environ.get("BENCH_REPEAT", "1"))
    print(json.dumps(bench_members_import(db, csv_path, repeat=repeat), indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
