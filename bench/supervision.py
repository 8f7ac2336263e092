"""Supervision figures for ``make bench`` on a full-scale database (a campaign over the full seeded tree).

    DATABASE_URL=sqlite:////path/to/full.sqlite3 python -m bench.supervision

- ``bench_coverage(campaign_id=None)``: the coverage check of the whole campaign as the coverage page and
  ``echelon coverage`` run it (load participations, groups and assignments, run the engine, every batch).
  First, unless the campaign already has groups, it creates default groups and applies the balanced proposal
  (so the check sees ~70,000 assignments); all of that is rolled back. Budget ≤ 5 s.
- ``bench_review_queue(campaign_id=None, runs=40)``: server time of the workbench page (the review queue)
  for a member of the busiest township-level group, with an open submission for each of its targets and
  returned work, p50/p95 over ``runs`` requests through the full middleware stack. Rolled back. Budget
  p95 ≤ 200 ms.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

COVERAGE_BUDGET_S = 5.0
QUEUE_BUDGET_MS = 200.0


class _Rollback(Exception):
    pass


def _campaign(campaign_id: int | None) -> Any:
    from echelon.campaigns.models import Campaign

    qs = Campaign.objects.order_by("-participations_count", "-id")
    campaign = qs.get(pk=campaign_id) if campaign_id else qs.first()
    if campaign is None:
        raise SystemExit("no campaign: create and schedule the built-in campaign on the full tree first")
    return campaign


def _fill(campaign: Any) -> dict[str, Any]:
    from echelon.supervision import services
    from echelon.supervision.models import GroupAssignment

    began = time.perf_counter()
    created = services.coverage_default_groups(actor=None, campaign=campaign)
    result = services.coverage_propose_apply(actor=None, campaign=campaign)
    return {
        "fill_seconds": time.perf_counter() - began,
        "groups_created": len(created),
        "assignments": GroupAssignment.objects.filter(campaign=campaign).count(),
        "proposed": result.created,
    }


def bench_coverage(campaign_id: int | None = None, *, verbose: bool = True) -> dict[str, Any]:
    from django.core.cache import cache
    from django.db import transaction

    from echelon.supervision import selectors

    campaign = _campaign(campaign_id)
    figures: dict[str, Any] = {"campaign": campaign.pk, "participations": campaign.participations_count}
    try:
        with transaction.atomic():
            figures.update(_fill(campaign))
            timings = []
            for _ in range(3):
                cache.clear()  # each time computed: the report is cached until groups change
                began = time.perf_counter()
                reports = selectors.coverage_report(campaign)
                timings.append(time.perf_counter() - began)
            figures["coverage_seconds"] = min(timings)
            figures["coverage_seconds_max"] = max(timings)
            figures["gaps"] = sum(len(r.report.gaps) for r in reports)
            figures["overlaps"] = sum(len(r.report.overlaps) for r in reports)
            raise _Rollback
    except _Rollback:
        pass
    figures["budget_seconds"] = COVERAGE_BUDGET_S
    if verbose:
        print(
            f"supervision coverage: {figures['participations']:,} participations, "
            f"{figures['assignments']:,} assignments (filled in {figures['fill_seconds']:.1f} s); "
            f"check {figures['coverage_seconds']:.2f} s (worst {figures['coverage_seconds_max']:.2f} s; "
            f"budget {COVERAGE_BUDGET_S:.0f} s); gaps {figures['gaps']}, overlaps {figures['overlaps']}"
        )
    return figures


def bench_review_queue(
    campaign_id: int | None = None, *, runs: int = 40, verbose: bool = True
) -> dict[str, Any]:
    from datetime import timedelta

    from django.conf import settings
    from django.db import transaction
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from echelon.accounts.models import User
    from echelon.supervision.models import Decision, GroupAssignment, Review, ReviewState, SupervisionGroup

    campaign = _campaign(campaign_id)
    figures: dict[str, Any] = {"campaign": campaign.pk}
    try:
        with transaction.atomic():
            if not GroupAssignment.objects.filter(campaign=campaign).exists():
                _fill(campaign)
            busiest = (
                SupervisionGroup.objects.filter(campaign=campaign)
                .annotate(n=Count("assignments"))
                .order_by("-n", "id")
                .first()
            )
            if busiest is None:
                raise SystemExit("no groups")
            user = User.objects.create_user("bench_supervisor", password=None)
            busiest.members.add(user)
            now = timezone.now()
            rows = []
            for i, a in enumerate(
                GroupAssignment.objects.filter(group=busiest).select_related("participation").order_by("id")
            ):
                p = a.participation
                base = dict(
                    campaign_id=campaign.pk,
                    participation_id=p.pk,
                    unit_id=p.unit_id,
                    path=p.path,
                    level=p.level,
                    group=busiest,
                )
                if i % 4 == 3:  # a quarter returned, awaiting resubmission
                    rows.append(
                        Review(
                            **base,
                            phase=1,
                            state=ReviewState.DECIDED,
                            decision=Decision.RETURN,
                            submitted_at=now - timedelta(days=9),
                            decided_at=now - timedelta(days=8),
                            deadline=(now + timedelta(days=i % 7 - 3)).date(),
                            comment="bench",
                        )
                    )
                rows.append(Review(**base, phase=2, submitted_at=now - timedelta(hours=i)))
            Review.objects.bulk_create(rows, batch_size=2000)
            host = (settings.ALLOWED_HOSTS or ["127.0.0.1"])[0]
            client = Client(HTTP_HOST=host if host != "*" else "127.0.0.1")
            client.force_login(user)
            url = reverse("supervision:workbench")
            assert client.get(url).status_code == 200
            samples = []
            for _ in range(runs):
                began = time.perf_counter()
                response = client.get(url)
                samples.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200
            samples.sort()
            figures.update(
                group=busiest.name,
                targets=busiest.n,
                reviews=len(rows),
                p50_ms=statistics.median(samples),
                p95_ms=samples[max(0, round(0.95 * len(samples)) - 1)],
            )
            raise _Rollback
    except _Rollback:
        pass
    figures["budget_ms"] = QUEUE_BUDGET_MS
    if verbose:
        print(
            f"supervision review queue: group {figures['group']} ({figures['targets']} targets, "
            f"{figures['reviews']} reviews); p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms "
            f"(budget {QUEUE_BUDGET_MS:.0f} ms)"
        )
    return figures


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echelon.settings")
    django.setup()
    bench_coverage()
    bench_review_queue()
