"""The ballot pages' abuse guard: every code look-up and every ballot counts against the address (fixed
windows in Django's cache, as ``ledger.throttle``, whose address rule it shares). A village meeting votes
from one wireless network: the default allows 60 attempts per address in 10 minutes
(``ECHELON_BALLOTS_PER_ADDRESS``); a flood beyond it is refused in Chinese with 429."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from echelon.ledger.throttle import Refusal, client_address

PER_ADDRESS = (60, 600)
_PREFIX = "evaluation:ballot"


def admit(request: HttpRequest, now: float | None = None) -> Refusal | None:
    """Count one attempt of the request's address; a 429 refusal when over the limit."""
    now = time.time() if now is None else now
    count, seconds = getattr(settings, "ECHELON_BALLOTS_PER_ADDRESS", PER_ADDRESS)
    seconds = max(1, int(seconds))
    digest = hashlib.blake2b(client_address(request).encode(), digest_size=10).hexdigest()
    name = f"{_PREFIX}:{digest}:{seconds}:{int(now // seconds)}"
    cache.add(name, 0, timeout=seconds + 5)
    try:
        n = cache.incr(name)
    except ValueError:
        cache.set(name, 1, timeout=seconds + 5)
        n = 1
    if n <= int(count):
        return None
    wait = max(1, seconds - int(now % seconds))
    minutes = max(1, (wait + 59) // 60)
    return Refusal(_("操作过于频繁，请 %(n)d 分钟后再试。") % {"n": minutes}, status=429, retry_after=wait)
