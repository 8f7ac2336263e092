"""From a management command to a service, once (the pages' counterpart is ``core.pages``, the API's
``core.api.exceptions``): a service's refusal becomes a ``CommandError`` with its Chinese messages, so the
command exits non-zero and prints why. Commands never write their own ``try/except`` around a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError

from echelon.core.pages import messages_of

T = TypeVar("T")


def run_service(call: Callable[[], T]) -> T:
    try:
        return call()
    except (ValidationError, PermissionDenied) as exc:
        raise CommandError("；".join(messages_of(exc))) from exc
