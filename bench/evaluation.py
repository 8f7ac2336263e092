"""The evaluation's rollups for ``make bench`` on a full-scale database with the demo campaign (the ledger
step's copy), with evaluations seeded for every unit of the tree (``echelon.demo.evaluation``, timed).

    DATABASE_URL=sqlite:////path/to/full-with-demo.sqlite3 python -m bench.evaluation

``bench_evaluation(runs=30)``: server time (p95 and median over ``runs`` requests after one to warm up) with
a region user, budget p95 ≤ 200 ms each: ``selectors.rollup`` of the whole region (three GROUP BYs over
its path range), the board pages of the region, a league and a county, ``GET
/api/v1/evaluation/rollup/150000/``, and the public result of a village (``selectors.public_result``). The
region's figures are checked against a hand-written count.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.ledger import _diagnose, _p95, _record, _timed

BUDGET_MS = 200.0
REGION, LEAGUE, COUNTY = "150000", "150100", "150125"
PAGES = {
    "evaluation_board_region": f"/evaluation/?unit={REGION}",
    "evaluation_board_league": f"/evaluation/?unit={LEAGUE}",
    "evaluation_board_county": f"/evaluation/?unit={COUNTY}",
    "evaluation_api_rollup_region": f"/api/v1/evaluation/rollup/{REGION}/",
}


def bench_evaluation(
    *, runs: int = 30, username: str = "region_office", verbose: bool = True
) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    from echelon.accounts.models import User
    from echelon.demo.evaluation import seed_evaluation
    from echelon.evaluation import selectors
    from echelon.evaluation.models import Redo, Session
    from echelon.orgs.models import Unit

    settings.ALLOWED_HOSTS = ["*"]
    out: dict[str, Any] = {}
    user = User.objects.get(username=username)
    root = Unit.objects.get(code=REGION)
    campaign = selectors.campaign_for(root)
    if campaign is None:
        raise RuntimeError("no campaign on the region: run the demo campaign first")
    # Evaluations across the whole tree (the demo's date has few units in the summary phase yet): the
    # demo's own are replaced on this copy by the same seeding for every unit, timed.
    if Session.objects.filter(campaign=campaign).count() < campaign.participations_count // 2:
        Redo.objects.filter(campaign=campaign).delete()
        Session.objects.filter(campaign=campaign).delete()
        began = time.perf_counter()
        seeded = seed_evaluation(campaign, every_unit=True)
        out["evaluation_seed_s"] = round(time.perf_counter() - began, 1)
        out["evaluation_seed_sessions"] = seeded.sessions

    def product() -> Any:
        return selectors.rollup(campaign, root)

    samples, board = _timed(product, runs)
    _record(out, "evaluation_rollup_region", samples)
    if _p95(samples) > BUDGET_MS:
        _diagnose("evaluation_rollup_region", product, out)
    current = Session.objects.filter(campaign=campaign, current=True)
    hand = (
        current.count(),
        current.filter(passed=False).count(),
        Redo.objects.filter(campaign=campaign).count(),
    )
    if (board.total.evaluated, board.total.below, board.total.redo_open + board.total.redo_done) != hand:
        raise RuntimeError("the evaluation rollup disagrees with the hand-written count")
    out.update(
        evaluation_units=board.total.units,
        evaluation_evaluated=board.total.evaluated,
        evaluation_below=board.total.below,
        evaluation_redo_open=board.total.redo_open,
    )

    client = Client()
    client.force_login(user)
    for name, url in PAGES.items():

        def get(url: str = url) -> Any:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code}")
            return response

        page_samples, _response = _timed(get, runs)
        _record(out, name, page_samples)
        if _p95(page_samples) > BUDGET_MS:
            _diagnose(name, get, out)
    village = current.filter(level=5).select_related("unit").first()
    if village is not None:
        result_samples, _result = _timed(lambda: selectors.public_result(village.unit), runs)
        _record(out, "evaluation_public_result", result_samples)
    if verbose:
        print(json.dumps(out, ensure_ascii=False, indent=1))
    return out


if __name__ == "__main__":
    import django

    django.setup()
    bench_evaluation()
