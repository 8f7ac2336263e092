"""What the evaluation's tests share: the built-in campaign on the region, the village in its summary
phase, and a county group (the county supervisor) responsible for the village."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from echelon.campaigns.models import Campaign, Participation
from echelon.supervision import services as supervision_services
from echelon.supervision.models import GroupAssignment, GroupKind, SupervisionGroup
from echelon.supervision.tests.helpers import make_campaign, part

HELD_ON = date(2014, 9, 10)
SUMMARY = 4
GROUP = (
    "可可以力更镇测评指导组"  # the 2014 template's summary phase (prepare, study, examine, rectify, summary)
)


def in_summary(campaign: Campaign, unit: Any) -> Participation:
    """The unit has reached the summary phase (test set-up: its phases passed)."""
    Participation.objects.filter(campaign=campaign, unit=unit).update(current_phase=SUMMARY)
    return part(campaign, unit)


def evaluation_world(tree: Any, personas: dict[str, Any]) -> SimpleNamespace:
    campaign = Campaign.objects.filter(root=tree.region).first() or make_campaign(tree.region)
    village = in_summary(campaign, tree.village)
    grp = SupervisionGroup.objects.filter(name=GROUP).first()
    if grp is None:  # villages are guided by instructors sent from the township (the county supervisor)
        supervisor = personas["county_supervisor"]
        grp = supervision_services.group_create(
            actor=None,
            campaign=campaign,
            batch=campaign.batches.get(key="second"),
            name=GROUP,
            home_unit=tree.township,
            members=(supervisor,),
            leader=supervisor,
            kind=GroupKind.INSTRUCTOR,
        )
    if not GroupAssignment.objects.filter(group=grp, participation=village).exists():
        supervision_services.assign(
            actor=None, group=grp, participation=village, override_reason="满意度测评和补课由该组负责"
        )
    return SimpleNamespace(campaign=campaign, village=village, group=grp)
