"""Shared set-up for the campaigns tests: the built-in campaign on the small tree, through the services."""

from __future__ import annotations

from datetime import date
from typing import Any

from echelon.campaigns import services, specs
from echelon.campaigns.models import Campaign
from echelon.core.actors import Actor

BUILTIN = "mass-line-2014-nmg"
GENERIC = "staged-training-rollout"
WINDOW = (date(2014, 1, 20), date(2014, 9, 30))


def builtin_spec(key: str = BUILTIN) -> specs.Spec:
    found = specs.find_builtin(key)
    assert found is not None
    return found.spec


def make_campaign(
    root: Any,
    *,
    actor: Actor = None,
    key: str = BUILTIN,
    start: date = WINDOW[0],
    end: date = WINDOW[1],
    name: str = "",
    **extra: Any,
) -> Campaign:
    template = services.template_for_use(actor=None, name=key)
    return services.campaign_create(
        actor=actor,
        spec=template.spec,
        root=root,
        start=start,
        end=end,
        name=name,
        template=template,
        **extra,
    )


def scheduled_campaign(root: Any, *, publish: bool = False, **kwargs: Any) -> Campaign:
    campaign = make_campaign(root, **kwargs)
    result = services.campaign_schedule(actor=None, campaign=campaign)
    assert result.feasible, result.violations
    if publish:
        services.campaign_publish(actor=None, campaign=campaign)
    campaign.refresh_from_db()
    return campaign
