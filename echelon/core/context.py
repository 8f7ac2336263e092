"""Who is acting, from where: set by the middleware for web requests, by `acting_as` for commands and jobs.

Services read it to fill audit events, so a command, an import or a job leaves the same trail as a page.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    client_ip: str | None = None
    channel: str = "web"  # web | api | cli | job


_current: ContextVar[RequestContext | None] = ContextVar("echelon_request_context", default=None)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        return RequestContext(request_id=uuid.uuid4().hex, channel="cli")
    return ctx


def bound_request_id() -> str:
    """The id of the request, command or job being served, or "" outside any (for the log lines)."""
    ctx = _current.get()
    return ctx.request_id if ctx is not None else ""


@contextlib.contextmanager
def bind(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def new_context(channel: str, client_ip: str | None = None, request_id: str = "") -> RequestContext:
    return RequestContext(request_id=request_id or uuid.uuid4().hex, client_ip=client_ip, channel=channel)
