"""Objects for the generic access kit (echelon/core/tests/test_access.py): the built-in campaign on 武川县
(a name the outsider must never see), scheduled and published, and the built-in template loaded.

Built once per test, lazily, through the services; the kit builds a route's URL (and so these objects)
before it counts the audit events a request writes.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from echelon.campaigns import services
from echelon.campaigns.tests.helpers import BUILTIN, GENERIC, WINDOW


def world(ctx: Any) -> SimpleNamespace:
    cached = getattr(ctx, "_campaigns", None)
    if cached is not None:
        found: SimpleNamespace = cached
        return found
    template = services.template_for_use(actor=None, name=BUILTIN)
    campaign = services.campaign_create(
        actor=None,
        spec=template.spec,
        root=ctx.tree.county,
        start=WINDOW[0],
        end=WINDOW[1],
        name="武川县第二批教育实践活动",
        template=template,
    )
    services.campaign_schedule(actor=None, campaign=campaign)
    services.campaign_publish(actor=None, campaign=campaign)
    found = SimpleNamespace(campaign=campaign, template=template)
    ctx._campaigns = found
    return found


def campaign(ctx: Any) -> dict[str, Any]:
    return {"pk": world(ctx).campaign.pk}


def unit(ctx: Any) -> dict[str, Any]:
    return {"pk": world(ctx).campaign.pk, "code": ctx.tree.village.code}


def template(ctx: Any) -> dict[str, Any]:
    return {"key": world(ctx).template.key}


def village(ctx: Any) -> dict[str, Any]:
    world(ctx)
    return {"code": ctx.tree.village.code}


def api_create(ctx: Any) -> dict[str, Any]:
    return {
        "template": BUILTIN,
        "root_code": ctx.tree.village.code,
        "start": "2014-01-20",
        "end": "2014-09-30",
    }


ACTUAL = {"phase": "prepare", "start": "2014-02-20"}
LOAD = {"name": GENERIC}
