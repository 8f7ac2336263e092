"""The read replica (ADR 20): which reads may go to it, the lag guard, read-your-writes.

A replica is configured by ``DATABASE_REPLICA_URL`` (settings.py: the alias ``replica``, the router
``core.routers.ReplicaRouter`` and ``ReplicaMiddleware``). Without it everything here is a no-op.

- **Which reads.** Only GET/HEAD requests of views marked ``@replica_eligible`` (read-only pages that
  tolerate a few seconds of lag: dashboards, reports, exports), and code explicitly inside
  ``with replica_reads():`` (a command or a job that wants it). Everything else reads from the primary:
  every other page, every write, every read inside a transaction, every read after this request wrote, and
  the models of ``PRIMARY_ONLY_APPS`` (sessions, accounts and grants, lockouts, the job queue).
- **Read-your-writes.** A request that writes (or any POST/PUT/PATCH/DELETE) sets the cookie
  ``echelon_primary_until`` for ``ECHELON_REPLICA_PIN_SECONDS``; while it holds, that browser's pages read
  from the primary.
- **The lag guard.** Before a request uses the replica, ``check()`` asks it how far behind it is, at most
  once every ``ECHELON_REPLICA_CHECK_SECONDS`` per process: caught up when its replayed WAL position has
  reached the primary's current one (an idle primary writes nothing, so the time since the last replayed
  transaction grows without anything missing); otherwise the lag is the time since the last replayed
  transaction. Above ``ECHELON_REPLICA_MAX_LAG_SECONDS``, or when the replica does not answer (a short
  connect timeout), the request reads from the primary, a warning is logged and
  ``echelon_replica_reads_total{outcome}`` counts it; a replica that did not answer is asked again after
  ``ECHELON_REPLICA_RETRY_SECONDS``. A replica that fails in the middle of a page makes the page run again
  on the primary (nothing was written: the page is read-only).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Gauge

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

PIN_COOKIE = "echelon_primary_until"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Read from the primary always: who is logged in, their grants and tokens (a revoked grant takes effect at
# once), lockouts, the job queue and its heartbeat.
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "accounts", "axes", "contenttypes", "django_tasks_db"})

READS = Counter(
    "echelon_replica_reads_total",
    "Requests of replica-eligible pages, by where they read: replica, or primary because the user is "
    "pinned after a write (pinned), the replica lags (lagging) or does not answer (down)",
    ["outcome"],
)
LAG = Gauge(
    "echelon_replica_lag_seconds",
    "The read replica's replay lag at the last check (0 when caught up)",
    multiprocess_mode="livemax",
)


@dataclass
class ReadState:
    """Where this request (or command) reads: set by the middleware, the decorator and ``replica_reads``."""

    pinned: bool = False  # the browser wrote a moment ago (the cookie)
    wrote: bool = False  # this request wrote through the ORM
    reads: str | None = None  # the replica's alias while an eligible view runs and the guard let it


_state: ContextVar[ReadState | None] = ContextVar("echelon_replica_state", default=None)


def replica_alias() -> str:
    """The replica's database alias, or "" when none is configured."""
    return str(getattr(settings, "ECHELON_REPLICA_ALIAS", "") or "")


def read_alias() -> str | None:
    """For the router: the alias reads go to now, None for the primary."""
    state = _state.get()
    if state is None or state.wrote:
        return None
    return state.reads


def note_write() -> None:
    """For the router: this request wrote, so its later reads and the browser's next pages use the primary."""
    state = _state.get()
    if state is not None:
        state.wrote = True


# --- the lag guard ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    state: str  # "ok" | "lagging" | "down"
    lag: float | None  # seconds behind; None when it did not answer
    at: float  # time.monotonic() of the check

    @property
    def usable(self) -> bool:
        return self.state == "ok"


_last: Check | None = None
_lock = threading.Lock()


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def measure_lag(alias: str) -> float:
    """Seconds the replica is behind the primary; 0.0 when it has replayed all the primary's WAL (or is no
    standby at all: in the tests it is the primary's own database). Raises when either does not answer."""
    replica = connections[alias]
    if replica.vendor != "postgresql" or connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        with replica.cursor() as cursor:  # at least: it answers
            cursor.execute("SELECT 1")
        return 0.0
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        row = cursor.fetchone()
    primary_lsn = row[0] if row else None
    with replica.cursor() as cursor:
        cursor.execute(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn() >= %s::pg_lsn,"
            " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8",
            [primary_lsn],
        )
        row = cursor.fetchone()
    in_recovery, caught_up, since_last = row if row else (False, None, None)
    if not in_recovery or caught_up:
        return 0.0
    return float(since_last) if since_last is not None else float("inf")


def check(*, force: bool = False) -> Check:
    """The replica's state, asked at most every ``ECHELON_REPLICA_CHECK_SECONDS`` per process (a replica that
    did not answer: every ``ECHELON_REPLICA_RETRY_SECONDS``)."""
    global _last
    alias = replica_alias()
    now = time.monotonic()
    last = _last
    if last is not None and not force:
        ttl = _setting(
            "ECHELON_REPLICA_RETRY_SECONDS" if last.state == "down" else "ECHELON_REPLICA_CHECK_SECONDS", 2
        )
        if now - last.at < ttl:
            return last
    if not _lock.acquire(blocking=False):  # another thread is asking: use what is known
        return last or Check("down", None, now)
    try:
        max_lag = _setting("ECHELON_REPLICA_MAX_LAG_SECONDS", 5)
        try:
            lag = measure_lag(alias)
        except Exception as exc:
            log.warning(
                "replica: %s did not answer (%s); reading from the primary", alias, type(exc).__name__
            )
            _close(alias)
            result = Check("down", None, time.monotonic())
        else:
            LAG.set(lag if lag != float("inf") else -1)
            if lag > max_lag:
                log.warning("replica: %s is %.1f s behind (limit %.1f s); primary", alias, lag, max_lag)
                result = Check("lagging", lag, time.monotonic())
            else:
                result = Check("ok", lag, time.monotonic())
        _last = result
        return result
    finally:
        _lock.release()


def forget() -> None:
    """Drop the cached check (tests; and after the replica failed in the middle of a page)."""
    global _last
    _last = None


def _mark_down() -> None:
    global _last
    _last = Check("down", None, time.monotonic())


def _close(alias: str) -> None:
    with contextlib.suppress(Exception):
        connections[alias].close()


def health_state() -> str | None:
    """For /healthz: "ok", "lagging" or "fail"; None when no replica is configured."""
    if not replica_alias():
        return None
    state = check().state
    return "fail" if state == "down" else state


# --- choosing, per request -------------------------------------------------------------------------------


def _choose(state: ReadState) -> str | None:
    """The replica's alias when this request may read from it now, else None (counted either way)."""
    alias = replica_alias()
    if not alias:
        return None
    if state.pinned or state.wrote:
        READS.labels("pinned").inc()
        return None
    result = check()
    READS.labels("replica" if result.usable else result.state).inc()
    return alias if result.usable else None


@contextlib.contextmanager
def replica_reads() -> Iterator[str]:
    """Reads inside go to the replica when one is configured, it is not too far behind and nothing pins this
    request to the primary; yields the alias they go to. Pages use ``@replica_eligible``; a command or a job
    that tolerates lag may use this explicitly (without it they read from the primary)."""
    outer = _state.get()
    state = outer if outer is not None else ReadState()
    token = _state.set(state) if outer is None else None
    before = state.reads
    state.reads = _choose(state)
    try:
        yield state.reads or DEFAULT_DB_ALIAS
    finally:
        state.reads = before
        if token is not None:
            _state.reset(token)


def replica_eligible(
    view: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R]:
    """Marks a page as read-only and tolerant of a few seconds of lag: its GET/HEAD requests read from the
    replica when the lag guard allows (ADR 20). Other methods, and everything when no replica is configured,
    read from the primary. Never mark a page that writes, or whose reader acts on what it shows at once."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if request.method not in SAFE_METHODS or not replica_alias():
            return view(request, *args, **kwargs)
        with replica_reads() as alias:
            if alias == DEFAULT_DB_ALIAS:
                return view(request, *args, **kwargs)
            try:
                return view(request, *args, **kwargs)
            except (OperationalError, InterfaceError) as exc:
                state = _state.get()
                if state is not None and state.wrote:
                    raise
                log.warning("replica: %s failed during a page (%s); again on the primary", alias, exc)
                _mark_down()
                _close(alias)
                READS.labels("down").inc()
        return view(request, *args, **kwargs)  # outside replica_reads: on the primary

    wrapped.replica_eligible = True  # type: ignore[attr-defined]
    return wrapped


def _pinned(request: HttpRequest) -> bool:
    value = request.COOKIES.get(PIN_COOKIE, "")
    return value.isdigit() and int(value) > time.time()


class ReplicaMiddleware:
    """Binds the request's ``ReadState``; after a request that wrote (or any unsafe method), pins the browser
    to the primary for ``ECHELON_REPLICA_PIN_SECONDS`` with a cookie (read-your-writes). Installed by
    settings.py only when a replica is configured, early, so that it sees the session's writes too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = ReadState(pinned=_pinned(request))
        token = _state.set(state)
        try:
            response = self.get_response(request)
        finally:
            _state.reset(token)
        if state.wrote or request.method not in SAFE_METHODS:
            seconds = int(_setting("ECHELON_REPLICA_PIN_SECONDS", 10))
            response.set_cookie(
                PIN_COOKIE,
                str(int(time.time()) + seconds),
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
            )
        return response
