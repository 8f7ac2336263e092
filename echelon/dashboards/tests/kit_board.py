"""The dashboard's pages and API for core's access kit (echelon/core/tests/test_access.py). The campaign is
the supervision kit's world (the village's study phase submitted: an open review)."""

from __future__ import annotations

from typing import Any

from echelon.supervision.tests import kit as sv


def _village(ctx: Any) -> dict[str, str]:
    sv.world(ctx)
    return {"code": ctx.tree.village.code}


def _built(ctx: Any) -> dict[str, str]:
    sv.world(ctx)
    return {}


def declarations(D: Any) -> dict[str, Any]:
    return {
        # the caller's own top unit: the outsider's is its own league, with nothing of 武川县
        "dashboards:index": D(kwargs=_built, outsider="empty"),
        "dashboards:unit": D(kwargs=_village),
        "dashboards:units": D(kwargs=_village, query="measure=units"),
        "api:dashboard": D(kwargs=_village),
    }
