"""Trends and early warnings (pages and API) for core's access kit (echelon/core/tests/test_access.py). The
campaign is the supervision kit's world (the village's study phase submitted), with today's snapshot and
warnings (the 2014 campaign is long overdue today: every unit has some).

In test_access.py: ``from echelon.dashboards.tests import kit_warnings``, then
``DECLARED.update(kit_warnings.declarations(D))`` after ``DECLARED``. Every route reads: the outsider (an
office of the sibling league) gets 404 for a unit of ours, and the list of warnings shows it only its own.
"""

from __future__ import annotations

from typing import Any

from echelon.campaigns.models import Batch
from echelon.dashboards.services.snapshots import snapshot_take
from echelon.dashboards.services.warnings import warnings_refresh
from echelon.supervision.tests import kit as sv


def world(ctx: Any) -> Any:
    found = sv.world(ctx)
    if not getattr(ctx, "_warnings", False):
        batch = Batch.objects.select_related("campaign").get(campaign=found.campaign, key="second")
        snapshot_take(batch=batch)
        warnings_refresh(batch=batch)
        ctx._warnings = True
    return found


def _village(ctx: Any) -> dict[str, str]:
    world(ctx)
    return {"code": ctx.tree.village.code}


def _county(ctx: Any) -> dict[str, str]:
    world(ctx)
    return {"code": ctx.tree.county.code}


def _rule(ctx: Any) -> dict[str, str]:
    return {**_village(ctx), "rule": "phase_overdue"}


def _built(ctx: Any) -> dict[str, str]:
    world(ctx)
    return {}


def declarations(D: Any) -> dict[str, Any]:
    return {
        "dashboards:warnings": D(kwargs=_village),
        "dashboards:warnings_rule": D(kwargs=_rule),
        "api:dashboard-trends": D(kwargs=_county, allowed="county_office", query="keys=done,open"),
        "api:warning-list": D(kwargs=_built, allowed="county_office", outsider="empty"),
    }
