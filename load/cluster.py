"""The load test's own PostgreSQL cluster: a throwaway cluster under var/load/pg on port 5433, with
pg_stat_statements preloaded and memory sized for a 24 GiB machine. The system cluster (5432) is never
touched. Run as root, the server runs as the `postgres` user (runuser); otherwise as the caller."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg

PORT = int(os.environ.get("LOAD_PG_PORT", "5433"))
HOST = "127.0.0.1"
SUPERUSER = "postgres"
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    "shared_preload_libraries": "'pg_stat_statements'",
    "pg_stat_statements.max": "10000",
    "pg_stat_statements.track": "top",
    "track_io_timing": "on",
    # memory for 24 GiB (the full demo database is a few GiB: it fits in shared buffers)
    "shared_buffers": "'6GB'",
    "effective_cache_size": "'16GB'",
    "work_mem": "'32MB'",
    "maintenance_work_mem": "'1GB'",
    "random_page_cost": "1.1",
    "effective_io_concurrency": "200",
    # the seed writes gigabytes once: fewer checkpoints; durability as in production (fsync, sync commit)
    "max_wal_size": "'8GB'",
    "checkpoint_timeout": "'15min'",
    "wal_compression": "on",
    "log_min_duration_statement": "1000",
    "logging_collector": "off",
}


def _bindir() -> Path:
    for version in ("15", "16", "17", "14"):
        found = Path(f"/usr/lib/postgresql/{version}/bin")
        if (found / "initdb").exists():
            return found
    raise SystemExit("PostgreSQL server binaries not found (Debian: apt-get install postgresql)")


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def url(dbname: str) -> str:
    return f"postgres://{SUPERUSER}@{HOST}:{PORT}/{dbname}"


def connect(dbname: str = "postgres") -> psycopg.Connection:
    return psycopg.connect(url(dbname), autocommit=True)


def _running() -> bool:
    try:
        with connect():
            return True
    except psycopg.OperationalError:
        return False


def start(datadir: Path) -> None:
    """Create the cluster when missing (initdb), start it when stopped; wait until it answers."""
    bindir = _bindir()
    if not (datadir / "PG_VERSION").exists():
        datadir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(datadir, "postgres", "postgres")
        datadir.chmod(0o700)
        subprocess.run(
            _as_owner(
                [str(bindir / "initdb"), "-D", str(datadir), "-U", SUPERUSER, "--auth=trust",
                 "-E", "UTF8", "--locale=C.UTF-8"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        conf = datadir / "postgresql.conf"
        with conf.open("a") as f:
            f.write("\n# echelon load test (load/cluster.py)\n")
            f.write(f"port = {PORT}\nunix_socket_directories = '{datadir}'\n")
            for key, value in SETTINGS.items():
                f.write(f"{key} = {value}\n")
    if _running():
        return
    subprocess.run(
        _as_owner(
            [str(bindir / "pg_ctl"), "-D", str(datadir), "-l", str(datadir / "server.log"), "-w", "start"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for _ in range(60):
        if _running():
            break
        time.sleep(0.5)
    with connect() as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")


def stop(datadir: Path) -> None:
    if (datadir / "postmaster.pid").exists():
        subprocess.run(
            _as_owner([str(_bindir() / "pg_ctl"), "-D", str(datadir), "-m", "fast", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )


def remove(datadir: Path) -> None:
    stop(datadir)
    shutil.rmtree(datadir, ignore_errors=True)


def exists(dbname: str) -> bool:
    with connect() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone() is not None


def copy(template: str, dbname: str) -> None:
    """dbname afresh as a copy of template (file copy: seconds for a few GiB, no WAL of every page)."""
    with connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}" TEMPLATE "{template}" STRATEGY FILE_COPY')
