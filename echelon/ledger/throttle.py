"""The public intake's abuse guard, in one place for the page (``views.public``) and the API (``api.public``).

- **Rate limits** in fixed windows kept in Django's cache (``cache.add`` then ``cache.incr``: atomic on
  Redis and on the local-memory cache): per address (``ECHELON_PUBLIC_PER_ADDRESS``, default 5 posts per
  600 s) and per unit (``ECHELON_PUBLIC_PER_UNIT``, default 60 per 3600 s), shared by the page and the API;
  tracking look-ups per address (``ECHELON_PUBLIC_LOOKUPS_PER_ADDRESS``, default 60 per 60 s). Every attempt
  counts, refused ones too: a flood of bad posts is still a flood. One message for every limit, so a refusal
  tells nothing about how many opinions a unit receives.
- **The address** is ``REMOTE_ADDR``; ``X-Forwarded-For`` only when ``ECHELON_PUBLIC_PROXY_COUNT`` (default
  0) says how many proxies of ours stand in front (the entry that many places from the right is the one our
  first proxy saw). IPv6 addresses count per /64, what one subscriber gets.
- **The form's own checks** (pages only; API clients are programs): a honeypot field (``website``, hidden by
  CSS) and a signed timestamp (``started``) that says when the form was shown. Filled honeypot: refused with
  the same neutral message as a stale form, and the form comes back with the text kept and the honeypot
  empty; nothing is written. We do not fake a success: a person whose browser filled the field (autofill,
  an assistive tool) would carry away a tracking code that leads nowhere and believe they were heard.
  Sent sooner than ``ECHELON_PUBLIC_MIN_SECONDS`` (default 3) after the form was shown: refused, "please
  check and send again". A missing, forged, foreign (another unit's) or older than
  ``ECHELON_PUBLIC_MAX_FORM_AGE`` (default two days) timestamp: refused, send again (the form comes back
  with a fresh one, the text kept).

Lengths and duplicates are the service's (``services.opinion_submit_public``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from echelon.core.views import too_many_requests

log = logging.getLogger(__name__)

PER_ADDRESS = (5, 600)  # posts, seconds
PER_UNIT = (60, 3600)
LOOKUPS_PER_ADDRESS = (60, 60)
MIN_SECONDS = 3.0
MAX_FORM_AGE = 2 * 24 * 3600
HONEYPOT = "website"
STARTED = "started"
_SALT = "echelon.ledger.public.form"
_PREFIX = "ledger:public"


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused: the Chinese message, the HTTP status, and for 429 when to come back."""

    message: str
    status: int = 400
    retry_after: int | None = None


def limit_of(name: str, default: tuple[int, int]) -> tuple[int, int]:
    count, seconds = getattr(settings, name, default)
    return int(count), max(1, int(seconds))


def client_address(request: HttpRequest) -> str:
    """The address a limit counts: REMOTE_ADDR, or the trusted proxies' X-Forwarded-For entry; IPv6 by /64."""
    raw = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "ECHELON_PUBLIC_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            raw = hops[-proxies] if len(hops) >= proxies else hops[0]
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        return "unknown"
    if address.version == 6:
        mapped = address.ipv4_mapped
        if mapped is not None:
            return str(mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def digest(value: str) -> str:
    return hashlib.blake2b(value.encode(), digest_size=10).hexdigest()  # short keys, safe for any backend


def hit(key: str, limit: tuple[int, int], now: float) -> int | None:
    """Count one attempt in the current window; the seconds until it ends when over the limit, else None."""
    count, seconds = limit
    window = int(now // seconds)
    name = f"{_PREFIX}:{key}:{seconds}:{window}"
    cache.add(name, 0, timeout=seconds + 5)
    try:
        n = cache.incr(name)
    except ValueError:  # the window's key expired between add and incr
        cache.set(name, 1, timeout=seconds + 5)
        n = 1
    if n > count:
        return max(1, seconds - int(now % seconds))
    return None


def _too_many(retry_after: int) -> Refusal:
    minutes = max(1, (retry_after + 59) // 60)
    return Refusal(
        _("提交过于频繁，请 %(n)d 分钟后再试。") % {"n": minutes},
        status=429,
        retry_after=retry_after,
    )


def admit_post(request: HttpRequest, unit_code: str, now: float | None = None) -> Refusal | None:
    """Count a post to ``unit_code`` against the address's and the unit's limits (a 429 refusal when over)."""
    now = time.time() if now is None else now
    address = client_address(request)
    wait = hit(f"addr:{digest(address)}", limit_of("ECHELON_PUBLIC_PER_ADDRESS", PER_ADDRESS), now)
    if wait is None:
        code = (unit_code or "").strip()[:32]
        wait = hit(f"unit:{digest(code)}", limit_of("ECHELON_PUBLIC_PER_UNIT", PER_UNIT), now)
    if wait is not None:
        log.info("public intake: rate limit for %s (unit %r)", address, unit_code[:32])
        return _too_many(wait)
    return None


def admit_lookup(request: HttpRequest, now: float | None = None) -> Refusal | None:
    """Count a tracking look-up against the address's limit."""
    now = time.time() if now is None else now
    key = f"look:{digest(client_address(request))}"
    wait = hit(key, limit_of("ECHELON_PUBLIC_LOOKUPS_PER_ADDRESS", LOOKUPS_PER_ADDRESS), now)
    if wait is None:
        return None
    return Refusal(_("查询过于频繁，请稍后再试。"), status=429, retry_after=wait)


def too_many(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """The API's (and any page's without a form to give back) answer: 429, Retry-After, Chinese."""
    return too_many_requests(request, retry_after=refusal.retry_after, message=refusal.message)


# --- the form's own checks (pages) ------------------------------------------------------------------------


def form_token(unit_code: str, now: float | None = None) -> str:
    """The signed ``started`` value of a freshly shown form for ``unit_code``."""
    now = time.time() if now is None else now
    return signing.dumps([unit_code, round(now, 1)], salt=_SALT, compress=False)


def check_form(data: Mapping[str, Any], unit_code: str, now: float | None = None) -> Refusal | None:
    """The honeypot and the fill time of a posted form (``data`` is ``request.POST``)."""
    now = time.time() if now is None else now
    get = data.get
    stale = Refusal(_("提交未成功：页面已失效。您写的内容还在，请再点击一次“提交意见”。"))
    if (get(HONEYPOT) or "").strip():
        log.info("public intake: honeypot filled (unit %r)", unit_code[:32])
        return stale
    max_age = int(getattr(settings, "ECHELON_PUBLIC_MAX_FORM_AGE", MAX_FORM_AGE))
    try:
        code, started = signing.loads(get(STARTED) or "", salt=_SALT, max_age=max_age)
        started = float(started)
    except (signing.BadSignature, TypeError, ValueError):
        return stale
    if code != unit_code or started > now + 5 or now - started > max_age:
        return stale
    if now - started < float(getattr(settings, "ECHELON_PUBLIC_MIN_SECONDS", MIN_SECONDS)):
        return Refusal(_("提交得太快了。请再看一遍您写的内容，然后重新点击“提交意见”。"))
    return None
