"""The ballot pages' abuse guard: every code look-up and every ballot counts against the address (the
ledger's fixed windows and address rule, ``ledger.throttle.hit``, with its own limit). A village meeting votes
from one wireless network: the default allows 60 attempts per address in 10 minutes
(``ECHELON_BALLOTS_PER_ADDRESS``); a flood beyond it is refused in Chinese with 429."""

from __future__ import annotations

import time

from django.http import HttpRequest
from django.utils.translation import gettext as _

from echelon.ledger import throttle
from echelon.ledger.throttle import Refusal

PER_ADDRESS = (60, 600)


def admit(request: HttpRequest, now: float | None = None) -> Refusal | None:
    """Count one attempt of the request's address; a 429 refusal when over the limit."""
    now = time.time() if now is None else now
    limit = throttle.limit_of("ECHELON_BALLOTS_PER_ADDRESS", PER_ADDRESS)
    wait = throttle.hit(f"ballot:{throttle.digest(throttle.client_address(request))}", limit, now)
    if wait is None:
        return None
    minutes = max(1, (wait + 59) // 60)
    return Refusal(_("操作过于频繁，请 %(n)d 分钟后再试。") % {"n": minutes}, status=429, retry_after=wait)
