"""Objects for the generic access kit (echelon/core/tests/test_access.py): a scheduled campaign on the
small tree, the county's group for a township, a sibling county group for 城关街道 (the sibling supervisor's),
a township instructor for the village, the village's phase one done and phase two submitted (an open review)
and one material.

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
from echelon.supervision.tests.helpers import PREPARED, ahead, group, make_campaign, part, user


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
    # a sibling group of the same county for 城关街道: its supervisor is the wrong person at the right place
    # for everything of the county group's township and its village
    sibling = group(campaign, tree.county, "武川县城关督导组", members=(ctx.personas["sibling_supervisor"],))
    services.assign(actor=None, group=sibling, participation=part(campaign, tree.community_township))
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
    services.gate_submit(actor=secretary, participation=village, day=PREPARED)  # study open since then
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
    ahead(village)  # its township has not passed the study phase: the county office let the village go first
    found = SimpleNamespace(
        campaign=campaign,
        group=county_group,
        sibling=sibling,
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


# --- the role-aware kit: real payloads for the page writes, and the objects some writes need -------------


def eligible_supervisor(ctx: Any) -> str:
    """A new user holding a supervisor grant at the county: eligible for the county group (ADR 11)."""
    from echelon.accounts import services as account_services
    from echelon.accounts.models import User

    world(ctx)
    found = User.objects.filter(username="kit_supervisor").first()
    if found is None:
        found = user("kit_supervisor")
        account_services.grant_add(actor=None, user=found, unit=ctx.tree.county, role="supervisor")
    return "kit_supervisor"


def add_member(ctx: Any) -> dict[str, Any]:
    return {"username": eligible_supervisor(ctx)}


def assign_page(ctx: Any) -> dict[str, Any]:
    """The county group joins the sibling group at 城关街道, with the reason an overlap needs."""
    world(ctx)
    return {"code": ctx.tree.community_township.code, "override_reason": "联合督导"}


def assign_overlap(ctx: Any) -> dict[str, Any]:
    world(ctx)
    return {"unit_code": ctx.tree.community_township.code, "override_reason": "联合督导"}


def community_instructor(ctx: Any) -> Any:
    """An instructor group of 城关街道 without a target: the balanced proposal gives it 新华社区 (the one unit
    the proposal can place), so that a proposal writes exactly one assignment."""
    from echelon.supervision.models import SupervisionGroup

    w = world(ctx)
    found = SupervisionGroup.objects.filter(
        campaign=w.campaign, home_unit=ctx.tree.community_township
    ).first()
    return found or group(
        w.campaign, ctx.tree.community_township, "城关街道指导员", kind=GroupKind.INSTRUCTOR
    )


def propose(ctx: Any) -> dict[str, Any]:
    community_instructor(ctx)
    return {"batch": "second"}


def propose_page(ctx: Any) -> dict[str, Any]:
    community_instructor(ctx)
    return {"what": "propose", "batch": "second"}


def group_create_page(ctx: Any) -> dict[str, Any]:
    world(ctx)
    return {
        "batch": "second",
        "home": ctx.tree.county.code,
        "name": "武川县第二督导组",
        "kind": GroupKind.GROUP,
        "leader": "county_supervisor",
        "members": "county_supervisor",
    }


def patrol_page(ctx: Any) -> dict[str, Any]:
    world(ctx)
    return {"code": ctx.tree.village.code, "date": date.today().isoformat(), "findings": "台账不全"}


def township_meeting_page(ctx: Any) -> dict[str, Any]:
    return {**township_meeting(ctx), "half_day": "am"}


def township_material_page(ctx: Any) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    world(ctx)
    return {"action": "plan", "file": SimpleUploadedFile("实施方案.pdf", b"%PDF-1.4\n%kit\n")}


def decide_page(ctx: Any) -> dict[str, Any]:
    world(ctx)
    return {
        "decision": "pass",
        "comment": "同意",
        **{f"check_{k}": "pass" for k in ("thinking", "materials", "work")},
    }


# --- effects: what a write changes (read from the database) -----------------------------------------------


def members_of(ctx: Any) -> list[int]:
    return sorted(world(ctx).group.members.values_list("pk", flat=True))


def assignments(ctx: Any) -> int:
    from echelon.supervision.models import GroupAssignment

    return GroupAssignment.objects.filter(campaign=world(ctx).campaign).count()


def groups(ctx: Any) -> int:
    from echelon.supervision.models import SupervisionGroup

    return SupervisionGroup.objects.filter(campaign=world(ctx).campaign).count()


def patrols(ctx: Any) -> int:
    from echelon.supervision.models import PatrolVisit

    return PatrolVisit.objects.filter(group=world(ctx).group).count()


def review_state(ctx: Any) -> tuple[str, str]:
    from echelon.supervision.models import Review

    review = Review.objects.get(pk=world(ctx).review.pk)
    return review.state, review.decision


def township_work(ctx: Any) -> tuple[int, int, int, int]:
    """Done actions, materials, meetings and submissions of the township (phase one is open)."""
    from echelon.supervision.models import ActionDone, Meeting, Review

    p = part(world(ctx).campaign, ctx.tree.township)
    return (
        ActionDone.objects.filter(participation=p, cleared_at=None).count(),
        Material.objects.filter(participation=p).count(),
        Meeting.objects.filter(participation=p).count(),
        Review.objects.filter(participation=p).count(),
    )


def liaison_points(ctx: Any) -> int:
    from echelon.supervision.models import LiaisonPoint

    return LiaisonPoint.objects.count()


def attendance(ctx: Any) -> int:
    from echelon.supervision.models import MeetingAttendance

    return MeetingAttendance.objects.filter(leader=ctx.personas["liaison_leader"]).count()


def county_groups(ctx: Any) -> int:
    """The groups dispatched within 武川县 (the county office's; other offices' defaults are theirs)."""
    from echelon.supervision.models import SupervisionGroup

    return SupervisionGroup.objects.filter(
        campaign=world(ctx).campaign, home_path__startswith=ctx.tree.county.path
    ).count()


def dual(ctx: Any) -> Any:
    """kit_dual: a member of a township group that also supervises the village (an accepted overlap), who
    holds an operator grant at the township too: a reviewer of the village by membership, refused by the
    separation of duties (ADR 11: nobody holding an operator grant on the unit or above decides it)."""
    from echelon.accounts import services as account_services
    from echelon.accounts.models import User

    w = world(ctx)
    found = User.objects.filter(username="kit_dual").first()
    if found is None:
        found = user("kit_dual")
        account_services.grant_add(actor=None, user=found, unit=ctx.tree.township, role="operator")
        township_group = group(w.campaign, ctx.tree.township, "可可以力更镇督导组", members=(found,))
        services.assign(actor=None, group=township_group, participation=w.village, override_reason="联合督导")
    return found


def review_pk(ctx: Any) -> dict[str, Any]:
    """The village's open review, with kit_dual built (a member who must not decide it)."""
    dual(ctx)
    return {"pk": world(ctx).review.pk}
