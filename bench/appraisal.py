"""Democratic appraisal (民主评议党员) for ``make bench`` on a full-scale database with the demo campaign (the
``ledger`` step's copy):

    DATABASE_URL=sqlite:////path/to/full-with-demo.sqlite3 python -m bench.appraisal

``bench_appraisal(runs=30)``: appraisals seeded set-based for every branch of the tree (seconds;
budget ≤ 60 s for the 1.3 million members), then the server time (p95 and median over ``runs`` requests
after one to warm up) of the counts a region user reads, budget p95 ≤ 200 ms each: the summary pages of the
region, a league and a county, the region's summary API and its Excel export.
"""

from __future__ import annotations

import time
from typing import Any

from bench.ledger import _diagnose, _p95, _record, _timed

BUDGET_MS = 200.0
SEED_BUDGET_S = 60.0
REGION, LEAGUE, COUNTY = "150000", "150100", "150125"
PAGES = {
    "appraisal_region": "/appraisal/",
    "appraisal_league": f"/appraisal/u/{LEAGUE}/",
    "appraisal_county": f"/appraisal/u/{COUNTY}/",
    "appraisal_api_region": f"/api/v1/appraisal/summary/{REGION}/",
    "appraisal_xlsx_region": f"/appraisal/u/{REGION}/summary.xlsx",
}


def bench_appraisal(
    *, runs: int = 30, username: str = "region_office", verbose: bool = True
) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    from echelon.accounts.models import User
    from echelon.appraisal.models import Appraisal, Rating
    from echelon.campaigns.models import Campaign, Status
    from echelon.demo.appraisal import seed_appraisal

    out: dict[str, Any] = {}
    campaign = Campaign.objects.exclude(status=Status.DRAFT).order_by("-start", "-id").first()
    if campaign is None:
        raise SystemExit("no scheduled campaign: run the ledger step (or `demo_campaign`) first")
    # Appraisals across the whole tree (the demo's date has few branches past the phase yet): the demo's
    # own are replaced on this copy by the same seeding for every branch (about 1.3M ratings), timed.
    if Appraisal.objects.filter(campaign=campaign).count() < campaign.participations_count // 2:
        Appraisal.objects.filter(campaign=campaign).delete()
        began = time.perf_counter()
        seeded = seed_appraisal(campaign, every_branch=True)
        out["appraisal_seed_s"] = round(time.perf_counter() - began, 1)
        out.update({f"appraisal_seeded_{k}": v for k, v in seeded.items()})
    out["appraisal_appraisals"] = Appraisal.objects.count()
    out["appraisal_ratings"] = Rating.objects.count()

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(User.objects.get(username=username))
    for name, url in PAGES.items():

        def get(url: str = url) -> Any:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        samples, _value = _timed(get, runs)
        _record(out, name, samples)
        if _p95(samples) > BUDGET_MS:
            _diagnose(name, get, out)
    if verbose:
        for key, value in out.items():
            if not key.endswith(("_sql", "_plan")):
                print(f"{key}: {value}")
    return out


if __name__ == "__main__":
    import django

    django.setup()
    bench_appraisal()
