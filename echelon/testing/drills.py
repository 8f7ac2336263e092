"""Crash drills (issue 15): throwaway databases a child process can open, the real command started as that
child, SIGKILL while it is writing, and digests of every table to tell "nothing half-written" and "the rerun
gives what an uninterrupted run gives".

- ``Database``: a SQLite file or a PostgreSQL database named ``echelon_drills_*`` (``ECHELON_DRILLS_PREFIX``),
  cloned from a template (a file copy; ``CREATE DATABASE … TEMPLATE``) and dropped afterwards.
- ``Child``: the command started with the database's environment; ``writing()`` says whether it is inside a
  write transaction right now, without touching it: on PostgreSQL its backend has a transaction id
  (``pg_stat_activity.backend_xid``); on SQLite it holds the WAL write lock (byte 120 of the ``-shm`` file,
  seen in ``/proc/locks``).
- ``exact_digest`` (every row of every table: the state after a kill must be the state before) and
  ``content_digest`` (the same without what differs between two equal runs: keys from sequences, times,
  uuids, and the keys pointing at the rows a run created).
- ``record`` and ``table``: the drill table that ``make drills`` prints
  (``python -m echelon.testing.drills``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parents[2]
RESULTS = Path(os.environ.get("ECHELON_DRILLS_RESULTS") or PROJECT_DIR / "var" / "drills" / "results.jsonl")
PG_SERVER = os.environ.get("ECHELON_DRILLS_PG", "postgres://postgres@127.0.0.1:5432")
# The drill databases' names start with this (a shared server: ``ECHELON_DRILLS_PREFIX`` keeps one person's
# drills from dropping another's templates).
PREFIX = os.environ.get("ECHELON_DRILLS_PREFIX", "echelon_drills_")
# SQLite's WAL write lock: one byte at this offset of the -shm file (WALINDEX_LOCK_OFFSET + WAL_WRITE_LOCK).
WAL_WRITE_LOCK_BYTE = 120
WAL_CHECKPOINT_LOCK_BYTE = 121


# ---------------------------------------------------------------------------------------------------------
# The drill table
# ---------------------------------------------------------------------------------------------------------


def record(*, job: str, backend: str, runs: int, landed: int | str, result: str) -> None:
    """Add one line to the drill table (``RESULTS``, JSON lines)."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    line = {"job": job, "backend": backend, "runs": runs, "landed": landed, "result": result}
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(line, ensure_ascii=False) + "\n")


def table(path: Path = RESULTS) -> str:
    if not path.exists():
        return "(no drill results)"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    head = ("job", "backend", "runs", "kills mid-write (races: how lost)", "result")
    cells = [head] + [(r["job"], r["backend"], str(r["runs"]), str(r["landed"]), r["result"]) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head) - 1)]
    out = []
    for n, c in enumerate(cells):
        out.append("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=False)) + "  " + c[-1])
        if n == 0:
            out.append("  ".join("-" * w for w in widths) + "  " + "-" * len(head[-1]))
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------------------------------------


def _pg(dbname: str = "postgres") -> Any:
    import psycopg

    return psycopg.connect(f"{PG_SERVER}/{dbname}", autocommit=True)


@dataclass
class Database:
    backend: str  # "sqlite" or "postgresql"
    name: str  # the file's path, or the database's name
    var_dir: Path  # ECHELON_VAR_DIR of the children (secret key, uploads)

    @property
    def url(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.name}"
        return f"{PG_SERVER}/{self.name}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.url,
            "ECHELON_VAR_DIR": str(self.var_dir),
            "CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
        }

    @classmethod
    def create(cls, backend: str, name: str, var_dir: Path) -> Database:
        """An empty database (no tables)."""
        if backend == "sqlite":
            path = var_dir / f"{name}.sqlite3"
            for p in _sqlite_files(path):
                p.unlink(missing_ok=True)
            return cls(backend, str(path), var_dir)
        dbname = PREFIX + name
        with _pg() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{dbname}"')
        return cls(backend, dbname, var_dir)

    @classmethod
    def existing(cls, backend: str, name: str, var_dir: Path) -> Database:
        if backend == "sqlite":
            return cls(backend, str(var_dir / f"{name}.sqlite3"), var_dir)
        return cls(backend, PREFIX + name, var_dir)

    def clone(self, name: str) -> Database:
        if self.backend == "sqlite":
            self.checkpoint()
            target = Path(self.var_dir) / f"{name}.sqlite3"
            for p in _sqlite_files(target):
                p.unlink(missing_ok=True)
            shutil.copyfile(self.name, target)
            return Database(self.backend, str(target), self.var_dir)
        import psycopg

        dbname = PREFIX + name
        with _pg() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            for attempt in range(600):  # the template is in use a moment (another drill reading it)
                try:
                    conn.execute(f'CREATE DATABASE "{dbname}" TEMPLATE "{self.name}"')
                    break
                except psycopg.errors.ObjectInUse:
                    if attempt == 599:
                        raise
                    time.sleep(0.1)
        return Database(self.backend, dbname, self.var_dir)

    def exists(self) -> bool:
        if self.backend == "sqlite":
            return Path(self.name).exists()
        with _pg() as conn:
            return (
                conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone()
                is not None
            )

    def drop(self) -> None:
        if self.backend == "sqlite":
            for p in _sqlite_files(Path(self.name)):
                p.unlink(missing_ok=True)
            return
        with _pg() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def checkpoint(self) -> None:
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.name)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()

    def connect(self) -> Any:
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.name, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            return conn
        return _pg(self.name)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(sql if self.backend == "postgresql" else sql.replace("%s", "?"), params)
            return list(cur.fetchall())
        finally:
            conn.close()

    def backends_left(self) -> int:
        """PostgreSQL: sessions still open on this database (a killed child's backend until it notices)."""
        if self.backend == "sqlite":
            return 0
        with _pg() as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.name],
            ).fetchone()
        return int(row[0]) if row else 0

    def wait_idle(self, timeout: float = 120) -> None:
        """Until no session is left on the database: the killed child's backend has rolled back and gone."""
        deadline = time.monotonic() + timeout
        while self.backends_left():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: a backend is still there {timeout} s after the kill")
            time.sleep(0.05)


def drop_all(backend: str, var_dir: Path, pattern: str, keep: str = "") -> None:
    """Drop the drill databases whose name starts with ``pattern`` (after ``PREFIX``), but not ``keep``*."""
    if backend == "sqlite":
        for path in var_dir.glob(f"{pattern}*.sqlite3*"):
            if not (keep and path.name.startswith(keep)):
                path.unlink(missing_ok=True)
        return
    with _pg() as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [PREFIX + pattern]
            )
        ]
        for name in names:
            if not (keep and name.startswith(PREFIX + keep)):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sqlite_files(path: Path) -> list[Path]:
    return [path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]


def code_key() -> str:
    """A hash of the product's code (every .py outside the tests): kept templates serve while it holds."""
    h = hashlib.sha256()
    for path in sorted((PROJECT_DIR / "echelon").rglob("*.py")):
        if "tests" in path.parts or "testing" in path.parts:
            continue
        h.update(str(path.relative_to(PROJECT_DIR)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------------------
# The child
# ---------------------------------------------------------------------------------------------------------


def echelon_command() -> list[str]:
    """The ``echelon`` console script of this environment (what an operator runs)."""
    script = Path(sys.executable).parent / "echelon"
    return [str(script)] if script.exists() else [sys.executable, "-m", "echelon.manage"]


@dataclass
class Child:
    db: Database
    argv: list[str]
    proc: subprocess.Popen[bytes] = field(init=False)
    started: float = field(init=False)
    log: Path = field(init=False)
    _monitor: Any = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.log = Path(self.db.var_dir) / f"child-{os.getpid()}-{time.monotonic_ns()}.log"
        self.started = time.monotonic()
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                self.argv, env=self.db.env(), stdout=out, stderr=subprocess.STDOUT, cwd=PROJECT_DIR
            )

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def running(self) -> bool:
        return self.proc.poll() is None

    def writing(self) -> bool:
        """Inside a write transaction now (PostgreSQL: a backend of this database with a transaction id;
        SQLite: this process holds the WAL write lock)."""
        if not self.running():
            return False
        if self.db.backend == "postgresql":
            if self._monitor is None:
                self._monitor = _pg()
            row = self._monitor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT NULL",
                [self.db.name],
            ).fetchone()
            return bool(row and row[0])
        return _holds_wal_write_lock(self.proc.pid, Path(f"{self.db.name}-shm"))

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.close()
        self.db.wait_idle()

    def wait(self, timeout: float = 600) -> int:
        code = self.proc.wait(timeout)
        self.close()
        return code

    def close(self) -> None:
        if self._monitor is not None:
            self._monitor.close()
            self._monitor = None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _holds_wal_write_lock(pid: int, shm: Path) -> bool:
    """``pid`` holds the WAL write lock and is not checkpointing (a checkpoint after a commit holds the write
    lock too, with the checkpoint lock: killing it then is not killing a write)."""
    try:
        inode = shm.stat().st_ino
        locks = Path("/proc/locks").read_text()
    except OSError:
        return False
    held: set[int] = set()
    for line in locks.splitlines():
        parts = line.split()
        # "1: POSIX  ADVISORY  WRITE 3417 fd:01:1835081 120 120"
        if len(parts) < 8 or parts[1] != "POSIX" or parts[3] != "WRITE" or parts[4] != str(pid):
            continue
        if int(parts[5].rsplit(":", 1)[-1]) != inode:
            continue
        start, end = int(parts[6]), parts[7]
        for byte in (WAL_WRITE_LOCK_BYTE, WAL_CHECKPOINT_LOCK_BYTE):
            if start <= byte and (end == "EOF" or int(end) >= byte):
                held.add(byte)
    return WAL_WRITE_LOCK_BYTE in held and WAL_CHECKPOINT_LOCK_BYTE not in held


@dataclass
class Watched:
    """A child run to its end while watched: when it was first and last seen writing."""

    returncode: int
    seconds: float
    first_write: float | None
    last_write: float | None
    output: str


def run_watched(db: Database, argv: list[str], *, poll: float = 0.02, timeout: float = 900) -> Watched:
    child = Child(db, argv)
    first = last = None
    while child.running():
        if child.writing():
            now = child.elapsed()
            first = now if first is None else first
            last = now
        if child.elapsed() > timeout:
            child.kill()
            break
        time.sleep(poll)
    code = child.wait()
    return Watched(code, child.elapsed(), first, last, child.output())


@dataclass
class Kill:
    at: float  # seconds after the start
    landed: bool  # the child was inside a write transaction when it was killed
    finished: bool  # the child ended by itself before the kill point


def kill_while_writing(
    db: Database, argv: list[str], after_first_write: float, *, poll: float = 0.02
) -> Kill:
    """Start ``argv``; ``after_first_write`` seconds after it is first seen writing, SIGKILL it (at once if it
    is writing then, else at its next write)."""
    child = Child(db, argv)
    first = None
    while child.running():
        writing = child.writing()
        if writing and first is None:
            first = child.elapsed()
        if first is not None and child.elapsed() >= first + after_first_write and writing:
            at = child.elapsed()
            child.kill()
            return Kill(at, landed=True, finished=False)
        time.sleep(poll)
    child.wait()
    return Kill(child.elapsed(), landed=False, finished=True)


# ---------------------------------------------------------------------------------------------------------
# Digests
# ---------------------------------------------------------------------------------------------------------


def tables(db: Database) -> list[str]:
    if db.backend == "sqlite":
        rows = db.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    else:
        rows = db.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
        )
    return [r[0] for r in rows]


def _rows(conn: Any, backend: str, table: str, columns: Sequence[str] | None) -> Iterable[tuple[Any, ...]]:
    cols = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    cur = conn.cursor()
    cur.execute(f'SELECT {cols} FROM "{table}"')  # noqa: S608 - names from the catalogue
    yield from cur


def _hash(rows: Iterable[tuple[Any, ...]]) -> tuple[int, str]:
    lines = sorted(repr(tuple(_plain(v) for v in row)) for row in rows)
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode())
        h.update(b"\n")
    return len(lines), h.hexdigest()[:16]


def _plain(v: Any) -> Any:
    """The same value whichever backend read it (SQLite gives text for dates and JSON)."""
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True, ensure_ascii=False)
    if isinstance(v, str) and v[:1] in "[{":
        try:
            return json.dumps(json.loads(v), sort_keys=True, ensure_ascii=False)
        except ValueError:
            return v
    if isinstance(v, memoryview):
        return bytes(v)
    return str(v) if v is not None and not isinstance(v, (int, str, bytes, bool)) else v


def exact_digest(db: Database, full: Iterable[str] | None = None) -> dict[str, tuple[int, str]]:
    """Every table: (rows, hash of all its rows). Equal digests: equal contents. With ``full``, only those
    tables are hashed; the others are counted (hash "-")."""
    wanted = None if full is None else set(full)
    conn = db.connect()
    try:
        out = {}
        for t in tables(db):
            if wanted is None or t in wanted:
                out[t] = _hash(_rows(conn, db.backend, t, None))
            else:
                cur = conn.cursor()
                cur.execute(f'SELECT count(*) FROM "{t}"')  # noqa: S608 - the catalogue's names
                out[t] = (int(cur.fetchone()[0]), "-")
        return out
    finally:
        conn.close()


def restrict(digest: dict[str, tuple[int, str]], full: Iterable[str]) -> dict[str, tuple[int, str]]:
    """``digest`` as ``exact_digest(db, full)`` would give it: counts only outside ``full``."""
    wanted = set(full)
    return {t: v if t in wanted else (v[0], "-") for t, v in digest.items()}


def changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))


def content_digest(
    db: Database, only: Iterable[str], volatile: dict[str, set[str]]
) -> dict[str, tuple[int, str]]:
    """The tables ``only``, without the columns ``volatile`` names for each (keys, times); the tree paths
    (made of unit keys) by their length: the depth of each row in the tree."""
    paths = path_columns()
    conn = db.connect()
    try:
        out = {}
        for t in only:
            columns = [c for c in _columns(conn, db.backend, t) if c not in volatile.get(t, set())]
            exprs = [f'length("{c}")' if c in paths.get(t, set()) else f'"{c}"' for c in columns]
            cur = conn.cursor()
            cur.execute(f'SELECT {", ".join(exprs) or "1"} FROM "{t}"')  # noqa: S608 - the catalogue's names
            out[t] = _hash(cur)
        return out
    finally:
        conn.close()


def path_columns() -> dict[str, set[str]]:
    """The materialised tree paths of every model (``core.fields.PathField``: unit keys in base 36)."""
    from django.apps import apps

    out: dict[str, set[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.concrete_fields:
            if type(f).__name__ == "PathField":
                out.setdefault(model._meta.db_table, set()).add(f.column)
    return out


def _columns(conn: Any, backend: str, table: str) -> list[str]:
    cur = conn.cursor()
    if backend == "sqlite":
        cur.execute(f'PRAGMA table_info("{table}")')
        return [r[1] for r in cur.fetchall()]
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [table],
    )
    return [r[0] for r in cur.fetchall()]


def volatile_columns(written: Iterable[str]) -> dict[str, set[str]]:
    """What two equal runs of a job may write differently, from the models (Django must be set up): every
    table's date-times and uuids; the keys of the tables the job writes (``written``: a killed run on
    PostgreSQL has used up sequence numbers), and the references to them."""
    from django.apps import apps
    from django.db import models

    written = set(written)
    out: dict[str, set[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        cols = out.setdefault(table, set())
        for f in model._meta.concrete_fields:
            if isinstance(f, (models.DateTimeField, models.UUIDField)):
                cols.add(f.column)
            if f.primary_key and table in written and isinstance(f, models.AutoField):
                cols.add(f.column)
            related = f.related_model if f.is_relation else None
            if related is not None and not isinstance(related, str) and related._meta.db_table in written:
                cols.add(f.column)
    return out


def integrity_problems(db: Database) -> list[str]:
    """SQLite: integrity_check and foreign_key_check (PostgreSQL checks references at commit)."""
    if db.backend != "sqlite":
        return []
    problems = [r[0] for r in db.query("PRAGMA integrity_check") if r[0] != "ok"]
    problems += [repr(r) for r in db.query("PRAGMA foreign_key_check")]
    return problems


def run_service(kind: str, path: str, unit_code: str = "") -> int:
    """A child for the importers that have no command of their own (users, opinions): the service the upload
    page calls, as the system, in a process of its own. Exit status 0 when the file was imported."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echelon.settings")
    django.setup()
    from echelon.accounts.imports import import_users
    from echelon.core import context
    from echelon.ledger.services.imports import opinion_import
    from echelon.orgs.models import Unit

    with context.bind(context.new_context("cli")), open(path, "rb") as fh:
        result: Any
        if kind == "import_users":
            result = import_users(actor=None, fileobj=fh, name=Path(path).name)
        elif kind == "import_opinions":
            unit = Unit.objects.get(code=unit_code)
            result = opinion_import(actor=None, unit=unit, fileobj=fh, name=Path(path).name)
        else:
            raise SystemExit(f"unknown service {kind}")
    print(kind, "ok" if result.ok else f"refused: {result.errors[:5]}", vars(result).get("created"))
    return 0 if result.ok else 1


def main(argv: Sequence[str] = ()) -> int:
    args = list(argv or sys.argv[1:])
    if args and args[0] == "service":
        return run_service(*args[1:])
    print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
