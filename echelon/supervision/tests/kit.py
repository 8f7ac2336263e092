"""Objects for the generic access kit (echelon/core/tests/test_access.py): a scheduled campaign on the
small tree, the county's group for a township, a township instructor for the village, the village's phase
one done and phase two submitted (an open review) and one material.

Built once per test, lazily (only the routes that need them pay for them), through the services; the kit
builds a route's URL before it counts the audit events a request writes.
"""

from __future__ import annotations

import io
from datetime import date
from types import SimpleNamespace
from typing import Any

from echelon.supervision import services
from echelon.supervision.models import GroupKind, Material
from echelon.supervision.tests.helpers import group, make_campaign, part, user


def world(ctx: Any) -> SimpleNamespace:
    cached = getattr(ctx, "_supervision", None)
    if cached is not None:
        return cached
    tree, secretary = ctx.tree, ctx.personas["village_secretary"]
    campaign = make_campaign(tree.region)
    county_group = group(
        campaign, tree.county, "武川县第一督导组", members=(ctx.personas["county_supervisor"],)
    )
    assignment = services.assign(actor=None, group=county_group, participation=part(campaign, tree.township))
    instructor = group(
        campaign,
        tree.township,
        "可可以力更镇指导员",
        members=(user("kit_instructor"),),
        kind=GroupKind.INSTRUCTOR,
    )
    village = part(campaign, tree.village)
    services.assign(actor=None, group=instructor, participation=village)
    pdf = b"%PDF-1.4\n"
    services.material_upload(
        actor=secretary,
        participation=village,
        phase=0,
        action_key="plan",
        fileobj=io.BytesIO(pdf),
        name="实施方案.pdf",
    )
    meeting = {"type": "mobilization", "date": date.today(), "place": "村委会", "attendees": "全体党员"}
    services.meeting_record(
        actor=secretary, participation=village, phase=0, data=meeting, action_key="mobilize"
    )
    services.gate_submit(actor=secretary, participation=village)
    services.meeting_record(
        actor=secretary,
        participation=village,
        phase=1,
        data={**meeting, "type": "study"},
        action_key="study",
    )
    services.material_upload(
        actor=secretary,
        participation=village,
        phase=1,
        action_key="opinions",
        fileobj=io.BytesIO(pdf),
        name="征求意见.pdf",
    )
    review = services.gate_submit(actor=secretary, participation=village)
    found = SimpleNamespace(
        campaign=campaign,
        group=county_group,
        assignment=assignment,
        instructor=instructor,
        review=review,
        material=Material.objects.filter(participation=village).first(),
        village=village,
    )
    ctx._supervision = found
    return found


def campaign(ctx: Any) -> dict[str, Any]:
    return {"pk": world(ctx).campaign.pk}


def unit(ctx: Any) -> dict[str, Any]:
    return {"pk": world(ctx).campaign.pk, "code": ctx.tree.village.code}


def group_pk(ctx: Any) -> dict[str, Any]:
    return {"pk": world(ctx).group.pk}


def decide(ctx: Any) -> dict[str, Any]:
    return {
        "decision": "pass",
        "comment": "同意",
        "checks": [{"key": k, "passed": True} for k in ("thinking", "materials", "work")],
    }


def liaison(ctx: Any) -> Any:
    """The liaison leader's point at 武川县 in the kit's campaign (its mobilization meeting is planned)."""
    cached = getattr(ctx, "_liaison", None)
    if cached is not None:
        return cached
    point = services.liaison_add(
        actor=None,
        leader=ctx.personas["liaison_leader"],
        unit=ctx.tree.county,
        kind="link",
        campaign=world(ctx).campaign,
    )
    ctx._liaison = point
    return point


def with_liaison(ctx: Any) -> dict[str, Any]:
    liaison(ctx)
    return {}


def attend(ctx: Any) -> dict[str, Any]:
    point = liaison(ctx)
    return {
        "participation": part(point.campaign, ctx.tree.county).pk,
        "meeting_type": "mobilization",
        "attended": "1",
        "note": "出席并讲话",
    }


# --- the write API (POST endpoints): payloads built on the kit world -----------------------------------


def township(ctx: Any) -> dict[str, Any]:
    """URL kwargs of the township's participation (its phase one is open; its operator records)."""
    return {"pk": world(ctx).campaign.pk, "code": ctx.tree.township.code}


def group_create(ctx: Any) -> dict[str, Any]:
    return {
        "campaign": world(ctx).campaign.pk,
        "batch": "second",
        "name": "武川县第二督导组",
        "home_unit_code": ctx.tree.county.code,
        "members": ["county_supervisor"],
    }


def assign(ctx: Any) -> dict[str, Any]:
    """The county group takes 城关街道 too (no other group has it: no overlap)."""
    world(ctx)
    return {"unit_code": ctx.tree.community_township.code}


def unassign(ctx: Any) -> dict[str, Any]:
    world(ctx)
    return {"unit_code": ctx.tree.township.code}


def patrol(ctx: Any) -> dict[str, Any]:
    """The county group visits the village below its target township (its patrol scope)."""
    world(ctx)
    return {"unit_code": ctx.tree.village.code, "date": date.today().isoformat(), "findings": "台账不全"}


def township_meeting(ctx: Any) -> dict[str, Any]:
    world(ctx)
    return {
        "action": "mobilize",
        "type": "mobilization",
        "date": date.today().isoformat(),
        "place": "镇政府",
        "attendees": "全体党员干部",
    }


def township_ready(ctx: Any) -> dict[str, Any]:
    """The township's phase one done (confirm, material, meeting): it can be submitted."""
    w = world(ctx)
    township = part(w.campaign, ctx.tree.township)
    services.action_confirm(actor=None, participation=township, phase=0, action_key="group")
    services.material_upload(
        actor=None,
        participation=township,
        phase=0,
        action_key="plan",
        fileobj=io.BytesIO(b"%PDF-1.4\n"),
        name="方案.pdf",
    )
    services.meeting_record(
        actor=None,
        participation=township,
        phase=0,
        data={**township_meeting(ctx), "date": date.today()},
        action_key="mobilize",
    )
    return {"note": "请审核"}
