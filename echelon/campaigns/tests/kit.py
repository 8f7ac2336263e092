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


# --- the role-aware kit: real payloads for the page writes, and effects ------------------------------------


def create_page(ctx: Any) -> dict[str, Any]:
    """A second campaign on the village (the county office plans its subtree)."""
    world(ctx)
    return {
        "template": BUILTIN,
        "root": ctx.tree.village.code,
        "start": "2014-01-20",
        "end": "2014-09-30",
        "name": "东土城村第二批教育实践活动",
    }


def what_if_page(ctx: Any) -> dict[str, Any]:
    world(ctx)
    return {"batch": "second", "lead_days": "5"}


def template_text(ctx: Any) -> dict[str, Any]:
    """A new template: the generic one under another key and name."""
    from echelon.campaigns import specs

    found = specs.find_builtin(GENERIC)
    assert found is not None
    text = found.text.replace(f"key: {GENERIC}", "key: kit-rollout", 1)
    text = text.replace("name: Staged training roll-out", "name: Kit roll-out", 1)
    return {"text": text}


def template_edit(ctx: Any) -> dict[str, Any]:
    """The kit's template with a new description line (same key)."""
    t = world(ctx).template
    return {"text": t.text.rstrip("\n") + "\n# edited by the access kit\n"}


def campaigns(ctx: Any) -> int:
    from echelon.campaigns.models import Campaign

    return Campaign.objects.count()


def templates(ctx: Any) -> int:
    from echelon.campaigns.models import CampaignTemplate

    return CampaignTemplate.objects.count()


def template_state(ctx: Any) -> str:
    from echelon.campaigns.models import CampaignTemplate

    return CampaignTemplate.objects.get(pk=world(ctx).template.pk).text


def scheduled_at(ctx: Any) -> Any:
    from echelon.campaigns.models import Campaign

    return Campaign.objects.get(pk=world(ctx).campaign.pk).scheduled_at


def baselines(ctx: Any) -> int:
    from echelon.campaigns.models import Campaign

    return Campaign.objects.get(pk=world(ctx).campaign.pk).baseline_count


def village_actuals(ctx: Any) -> list[tuple[int, Any, Any]]:
    from echelon.campaigns.models import PhaseActual

    return sorted(
        PhaseActual.objects.filter(
            participation__campaign=world(ctx).campaign, participation__unit=ctx.tree.village
        ).values_list("phase", "start", "end")
    )


def jobs(ctx: Any) -> int:
    from echelon.core.models import Job

    world(ctx)
    return Job.objects.count()
