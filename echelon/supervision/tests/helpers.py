"""Shared set-up: the built-in campaign on the small tree (scheduled), groups and users, through services."""

from __future__ import annotations

from datetime import date
from typing import Any

from echelon.accounts import services as account_services
from echelon.campaigns import services as campaign_services
from echelon.campaigns.models import Campaign, Participation
from echelon.supervision import services
from echelon.supervision.models import SupervisionGroup

BUILTIN = "mass-line-2014-nmg"
# The day a unit of the tests closes its first phase (no minimum) when its later phases are submitted today:
# by then the study phase (15 days at least) has long been open.
PREPARED = date(2014, 3, 1)


def make_campaign(root: Any) -> Campaign:
    template = campaign_services.template_for_use(actor=None, name=BUILTIN)
    campaign = campaign_services.campaign_create(
        actor=None,
        spec=template.spec,
        root=root,
        start=date(2014, 1, 20),
        end=date(2014, 9, 30),
        template=template,
    )
    result = campaign_services.campaign_schedule(actor=None, campaign=campaign)
    assert result.feasible, result.violations
    campaign.refresh_from_db()
    return campaign


def part(campaign: Campaign, unit: Any) -> Participation:
    return Participation.objects.select_related("unit", "campaign").get(campaign=campaign, unit=unit)


def user(name: str) -> Any:
    return account_services.user_create(actor=None, username=name, password=None, display_name=name)


def supervisor(person: Any, unit: Any) -> Any:
    """Give ``person`` a supervisor grant at ``unit`` (what a group member needs, ADR 11)."""
    account_services.grant_add(actor=None, user=person, unit=unit, role="supervisor")
    return person


def group(
    campaign: Campaign, home: Any, name: str = "", members: tuple[Any, ...] = (), **kw: Any
) -> SupervisionGroup:
    """A group dispatched by ``home``; its members get a supervisor grant at ``home`` first."""
    for m in members:
        supervisor(m, home)
    batch = part(campaign, home).batch if home.level > 1 and kw.pop("same_batch", False) else None
    if batch is None:  # the 2014 template: every unit below the region is in batch two
        batch = campaign.batches.get(key="second")
    return services.group_create(
        actor=None,
        campaign=campaign,
        batch=batch,
        name=name or f"{home.name}督导组",
        home_unit=home,
        members=members,
        leader=members[0] if members else None,
        **kw,
    )


def ahead(participation: Participation, reason: str = "上级领导班子另行安排，同意本单位先行。") -> Any:
    """An office lets the unit close its current phase before the rules on actual progress allow it
    (its leadership body has not passed that phase yet, in these tests)."""
    return campaign_services.phase_rules_override(actor=None, participation=participation, reason=reason)
