"""The public unit page (公示) for ``make bench`` on a full-scale database with the demo campaign and its
ledger (the ``ledger`` step's copy), after the demo's publicity is seeded (timed).

    DATABASE_URL=sqlite:////path/to/full-with-demo.sqlite3 python -m bench.publicity

``bench_publicity(runs=60)``: server time of anonymous requests (p95 and median; budget p95 ≤ 100 ms):

- the public page ``/p/<code>/`` of villages that publish (their promises, problem list with progress,
  results, the opinion box), in Chinese and in Mongolian (``Accept-Language: mn``), cycling over
  ``units`` villages: the published part comes from the cache after each unit's first request;
- the same pages with an empty cache (every request renders the published part from the rows);
- the public API ``GET /api/v1/public/units/<code>/``;
- the demo's publicity seed itself (seconds), when it is not there yet.
"""

from __future__ import annotations

import time
from typing import Any

from bench.ledger import _diagnose, _p95, _record

BUDGET_MS = 100.0


def bench_publicity(*, runs: int = 60, units: int = 20, verbose: bool = True) -> dict[str, Any]:
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    from echelon.campaigns.models import Campaign
    from echelon.demo.publicity import seed_publicity
    from echelon.orgs.models import Level, Unit
    from echelon.publicity.models import Publication

    settings.ALLOWED_HOSTS = ["*"]
    out: dict[str, Any] = {}
    today = timezone.localdate()
    if not Publication.objects.public(today).exists():
        campaign = Campaign.objects.order_by("-start", "-id").first()
        if campaign is None:
            return {"publicity_error": "no demo campaign: run the ledger step first"}
        result = seed_publicity(campaign, today)
        out["publicity_seed_s"] = round(result.seconds, 1)
        out.update({f"publicity_seed_{k}": v for k, v in result.counts.items()})
    published = (
        Publication.objects.public(today)
        .filter(kind="problems", level=Level.VILLAGE)
        .order_by("unit_id")
        .values_list("unit_id", flat=True)
        .distinct()[:units]
    )
    codes = list(Unit.objects.filter(pk__in=list(published)).values_list("code", flat=True))
    if not codes:
        return {**out, "publicity_error": "no village publishes"}
    client = Client()

    def sample(url: str, language: str, *, cold: bool = False) -> float:
        if cold:
            cache.clear()
        began = time.perf_counter()
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        elapsed = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, (url, response.status_code)
        return elapsed

    cases = [(f"/p/{code}/", lang) for code in codes for lang in ("zh-CN", "mn")]
    for url, lang in cases:  # warm: each unit's published part cached once per language
        sample(url, lang)
    warm = [sample(*cases[n % len(cases)]) for n in range(runs)]
    _record(out, "public_unit_page", warm)
    cold = [sample(*cases[n % len(cases)], cold=True) for n in range(min(runs, 30))]
    _record(out, "public_unit_page_cold", cold)
    api = [sample(f"/api/v1/public/units/{codes[n % len(codes)]}/", "zh-CN") for n in range(runs)]
    _record(out, "public_unit_api", api)
    out["public_unit_page_units"] = len(codes)
    if _p95(warm) > BUDGET_MS:
        _diagnose("public_unit_page", lambda: client.get(f"/p/{codes[0]}/"), out)
    if verbose:
        for key, value in out.items():
            print(f"{key:40s} {value}")
    return out


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echelon.settings")
    django.setup()
    bench_publicity()
