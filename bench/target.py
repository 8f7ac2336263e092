"""Where the bench's databases live: one place that every step asks.

    BENCH_DATABASE_URL unset          SQLite files under var/bench (registry.sqlite3, copies beside it)
    BENCH_DATABASE_URL=postgres://…/echelon_bench_pg
                                      that database on the server; each copy is a database named
                                      echelon_bench_pg_<copy> made with CREATE DATABASE … TEMPLATE
    BENCH_SCALE=x10 (or --scale x10)  the scale given to `seed_demo` (default: full); a scale other than
                                      full gets its own SQLite file (registry-x10.sqlite3) and figures file

A target is a database that a child process reaches through DATABASE_URL (`env()`); `copy(name)` makes a
named copy of it (SQLite: the backup API; PostgreSQL: a template copy, after ending the other sessions on
the source, which a template copy requires). Nothing here measures anything.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent  # the project: bench/ is beside echelon/
WORK = Path(os.environ.get("ECHELON_BENCH_DIR", ROOT / "var" / "bench"))
# Every PostgreSQL database the bench makes or drops starts with this (BENCH_PG_PREFIX: another prefix, for a
# shared server where each user keeps to names of their own, e.g. echelon_x10 for echelon_x10_bench).
PG_PREFIX = os.environ.get("BENCH_PG_PREFIX") or "echelon_bench"


def scale() -> str:
    return os.environ.get("BENCH_SCALE") or "full"


@dataclass(frozen=True)
class Target:
    url: str

    # --- what it is ---------------------------------------------------------------------------------

    @property
    def vendor(self) -> str:
        return "postgresql" if self.url.startswith(("postgres://", "postgresql://")) else "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.vendor == "postgresql"

    @property
    def path(self) -> Path:
        """The SQLite file."""
        if self.is_postgres:
            raise ValueError(f"{self.url} is not a SQLite database")
        return Path(self.url.removeprefix("sqlite:///").removeprefix("sqlite://"))

    @property
    def dbname(self) -> str:
        """The PostgreSQL database's name."""
        if not self.is_postgres:
            raise ValueError(f"{self.url} is not a PostgreSQL database")
        return urlsplit(self.url).path.lstrip("/")

    @property
    def label(self) -> str:
        """A short name for tables and files: sqlite, or the PostgreSQL database's name."""
        return self.dbname if self.is_postgres else "sqlite"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a child process on this database (the bench's own settings kept)."""
        env = {**os.environ, "DATABASE_URL": self.url, "DJANGO_SETTINGS_MODULE": "echelon.settings", **extra}
        env.pop("DATABASE_OWNER_URL", None)  # the bench's role owns what it makes
        return env

    def setup(self) -> None:
        """Point this process's Django at the database and set it up."""
        os.environ.update(self.env())
        import django

        django.setup()

    # --- copies -------------------------------------------------------------------------------------

    def sibling(self, name: str) -> Target:
        """The target a copy called `name` lives at (nothing made)."""
        if self.is_postgres:
            parts = urlsplit(self.url)
            return Target(urlunsplit(parts._replace(path=f"/{self.dbname}_{name}")))
        return Target(f"sqlite:///{self.path.with_name(f'{name}.sqlite3')}")

    def exists(self) -> bool:
        if self.is_postgres:
            with _admin(self) as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.dbname,))
                return cur.fetchone() is not None
        return self.path.exists()

    def drop(self) -> None:
        if self.is_postgres:
            _check_name(self.dbname)
            with _admin(self) as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
            return
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)

    def create_empty(self) -> None:
        """An empty database here (an existing one dropped first)."""
        self.drop()
        if self.is_postgres:
            with _admin(self) as cur:
                cur.execute(f'CREATE DATABASE "{self.dbname}"')
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def copy(self, name: str) -> Target:
        """A fresh copy of this database called `name` (an older copy of that name replaced)."""
        return self.copy_to(self.sibling(name))

    def copy_to(self, dest: Target) -> Target:
        """A fresh copy of this database at `dest` (of the same kind; whatever was there replaced)."""
        if dest.vendor != self.vendor:
            raise ValueError(f"cannot copy {self.vendor} to {dest.vendor}")
        dest.drop()
        if self.is_postgres:
            with _admin(self) as cur:
                # A template copy needs the source to have no other session: end them (this process's
                # own Django connection included, which reconnects on its next query).
                _close_django_connections()
                cur.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.dbname,),
                )
                cur.execute(f'CREATE DATABASE "{dest.dbname}" TEMPLATE "{self.dbname}"')
        else:
            with sqlite3.connect(self.path) as s, sqlite3.connect(dest.path) as d:
                s.backup(d)
            s.close()
            d.close()
        return dest


def _check_name(dbname: str) -> None:
    if not dbname.startswith(PG_PREFIX):
        raise ValueError(f"the bench only makes and drops databases named {PG_PREFIX}*: not {dbname}")


def _close_django_connections() -> None:
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


class _admin:
    """A cursor on the server's maintenance database (autocommit: CREATE/DROP DATABASE)."""

    def __init__(self, target: Target) -> None:
        parts = urlsplit(target.url)
        self.url = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))

    def __enter__(self) -> Any:
        import psycopg

        self.conn = psycopg.connect(self.url, autocommit=True)
        return self.conn.cursor()

    def __exit__(self, *exc: object) -> None:
        self.conn.close()


def main_target() -> Target:
    """The bench's registry: BENCH_DATABASE_URL, or the SQLite file of the scale."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        target = Target(url)
        if target.is_postgres:
            _check_name(target.dbname)
        return target
    name = "registry.sqlite3" if scale() == "full" else f"registry-{scale()}.sqlite3"
    return Target(f"sqlite:///{WORK / name}")


def figures_file(target: Target) -> Path:
    """var/bench/figures.json for SQLite at full scale; figures-<label>[-<scale>].json otherwise."""
    if target.label == "sqlite" and scale() == "full":
        return WORK / "figures.json"
    suffix = "" if scale() == "full" else f"-{scale()}"
    return WORK / f"figures-{target.label}{suffix}.json"
