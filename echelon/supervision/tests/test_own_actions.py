"""Own actions (自选动作, issue 12 item 8): a unit adds its own actions to a phase beside the template's;
they are done with the same evidence, shown on its page and in the group's review, and the required ones
block the submission."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from echelon.core.models import AuditEvent
from echelon.supervision import selectors, services
from echelon.supervision.models import ActionDone, GroupKind, Material, OwnAction
from echelon.supervision.tests.helpers import PREPARED, ahead, group, make_campaign, part, user

PDF = b"%PDF-1.4\n% test\n"


@pytest.fixture
def village(tree, personas, settings, tmp_path):
    """The village's participation, its phase one's prescribed actions done (plan, mobilize)."""
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    p = part(campaign, tree.village)
    secretary = personas["village_secretary"]
    services.material_upload(
        actor=secretary, participation=p, phase=0, action_key="plan", fileobj=io.BytesIO(PDF), name="方案.pdf"
    )
    meeting = {
        "type": "mobilization",
        "date": timezone.localdate(),
        "place": "村委会",
        "attendees": "全体党员",
    }
    services.meeting_record(actor=secretary, participation=p, phase=0, data=meeting, action_key="mobilize")
    return p


def add(actor, p, title, evidence="confirm", required=False, phase=0):
    return services.own_action_add(
        actor=actor, participation=p, phase=phase, title=title, evidence=evidence, required=required
    )


def test_a_required_own_action_blocks_the_submission_and_names_itself(village, personas):
    secretary = personas["village_secretary"]
    own = add(secretary, village, "走访困难党员", evidence="confirm", required=True)
    add(secretary, village, "编印学习简报", evidence="material", required=False)
    state = selectors.phase_state(village)
    assert [a.name for a in state.missing] == ["走访困难党员"]
    with pytest.raises(ValidationError) as exc:
        services.gate_submit(actor=secretary, participation=village)
    assert "还有 1 项规定动作未完成" in exc.value.messages[0] and "走访困难党员" in exc.value.messages[0]
    assert "编印学习简报" not in exc.value.messages[0]
    village.refresh_from_db()
    assert village.current_phase == 0
    services.action_confirm(actor=secretary, participation=village, phase=0, action_key=own.key)
    assert ActionDone.objects.filter(participation=village, action_key=own.key, cleared_at=None).exists()
    services.gate_submit(actor=secretary, participation=village)  # the optional one does not block
    village.refresh_from_db()
    assert village.current_phase == 1


def test_own_actions_take_the_same_evidence_and_show_on_the_page_and_in_the_review(
    tree, personas, settings, tmp_path, client
):
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    instructor = user("instructor")
    g = group(campaign, tree.township, "可可以力更镇指导员", members=(instructor,), kind=GroupKind.INSTRUCTOR)
    p = part(campaign, tree.village)
    services.assign(actor=None, group=g, participation=p)
    secretary = personas["village_secretary"]
    services.material_upload(
        actor=secretary, participation=p, phase=0, action_key="plan", fileobj=io.BytesIO(PDF), name="方案.pdf"
    )
    meeting = {
        "type": "mobilization",
        "date": timezone.localdate(),
        "place": "村委会",
        "attendees": "全体党员",
    }
    services.meeting_record(actor=secretary, participation=p, phase=0, data=meeting, action_key="mobilize")
    services.gate_submit(actor=secretary, participation=p, day=PREPARED)  # now in the gated study phase
    p.refresh_from_db()
    client.force_login(secretary)
    url = reverse("supervision:unit", args=[campaign.pk, tree.village.code])
    r = client.post(
        reverse("supervision:unit_own_add", args=[campaign.pk, tree.village.code]),
        {"title": "党员亮身份承诺", "evidence": "material", "required": "on", "phase": "1"},
    )
    assert r.status_code == 302
    own = OwnAction.objects.get(participation=p, title="党员亮身份承诺")
    assert own.required and own.phase == 1 and own.created_by == secretary
    assert AuditEvent.objects.filter(verb="own_action.add", object_id=str(own.pk)).count() == 1
    page = client.get(url).content.decode()
    assert "党员亮身份承诺" in page and 'data-testid="own"' in page
    bad = io.BytesIO(b"MZ\x90\x00 not a pdf")
    with pytest.raises(ValidationError, match="不支持的文件类型"):
        services.material_upload(
            actor=secretary, participation=p, phase=1, action_key=own.key, fileobj=bad, name="承诺.pdf"
        )
    material = services.material_upload(
        actor=secretary,
        participation=p,
        phase=1,
        action_key=own.key,
        fileobj=io.BytesIO(PDF),
        name="承诺.pdf",
    )
    assert material.action_key == own.key and "own-" in material.file.name
    state = selectors.phase_state(p)
    row = next(a for a in state.actions if a.own_id == own.pk)
    assert row.done and row.materials == [material]
    # the rest of the study phase, then the review shows the own action with its evidence
    for a in state.missing:
        if a.evidence == "material":
            services.material_upload(
                actor=secretary,
                participation=p,
                phase=1,
                action_key=a.key,
                fileobj=io.BytesIO(PDF),
                name="x.pdf",
            )
        elif a.evidence == "meeting":
            data = {**meeting, "type": "study"}
            services.meeting_record(actor=secretary, participation=p, phase=1, data=data, action_key=a.key)
        else:
            services.action_confirm(actor=secretary, participation=p, phase=1, action_key=a.key)
    ahead(p)
    review = services.gate_submit(actor=secretary, participation=p)
    client.force_login(instructor)
    page = client.get(reverse("supervision:review", args=[review.pk])).content.decode()
    assert "党员亮身份承诺" in page and "承诺.pdf" in page and "自选动作" in page
    # once submitted, the unit cannot change it
    with pytest.raises(ValidationError, match="已提交审核"):
        services.own_action_update(
            actor=secretary, own=own, title="改名", evidence="material", required=False
        )
    with pytest.raises(ValidationError, match="已提交审核"):
        services.own_action_remove(actor=secretary, own=own)


def test_only_the_units_operators_add_and_nobody_touches_another_units(village, personas, tree, client):
    secretary = personas["village_secretary"]
    for name in ("county_supervisor", "liaison_leader", "township_leader"):
        with pytest.raises(PermissionDenied):
            add(personas[name], village, "走访困难党员")
    own = add(secretary, village, "走访困难党员", required=True)
    # the township's operator changes the township's own work, not the village's through the township
    township = part(village.campaign, tree.township)
    theirs = add(personas["township_operator"], township, "镇干部包村")
    with pytest.raises(PermissionDenied):
        services.own_action_update(
            actor=secretary, own=theirs, title="改名", evidence="confirm", required=True
        )
    with pytest.raises(PermissionDenied):
        services.own_action_remove(actor=secretary, own=theirs)
    with pytest.raises(ValidationError, match="没有规定动作"):
        services.action_confirm(actor=secretary, participation=village, phase=0, action_key=theirs.key)
    client.force_login(secretary)
    village_code = tree.village.code
    # another unit's own action through this unit's address: not found, nothing written
    r = client.post(
        reverse("supervision:unit_own_remove", args=[village.campaign_id, village_code, theirs.pk])
    )
    assert r.status_code == 404
    r = client.patch(
        f"/api/v1/supervision/campaigns/{village.campaign_id}/units/{village_code}/own-actions/{theirs.pk}/",
        {"title": "改名"},
        content_type="application/json",
    )
    assert r.status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == "镇干部包村" and theirs.removed_at is None
    assert own.removed_at is None


def test_bad_input_is_refused_in_chinese_with_nothing_written(village, personas):
    secretary = personas["village_secretary"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": "  "}, "请填写自选动作的名称"),
        ({"title": "长" * 101}, "最多"),
        ({"title": "走访", "evidence": "video"}, "请选择佐证方式"),
        ({"title": "走访", "phase": 9}, "没有这个环节"),
    ]
    for kwargs, message in cases:
        args = {"title": "走访", "evidence": "confirm", "required": False, "phase": 0, **kwargs}
        with pytest.raises(ValidationError, match=message):
            services.own_action_add(actor=secretary, participation=village, **args)
    add(secretary, village, "走访")
    with pytest.raises(ValidationError, match="已有自选动作"):
        add(secretary, village, "走访")
    assert OwnAction.objects.filter(participation=village).count() == 1
    own = add(secretary, village, "上传照片", evidence="material")
    services.material_upload(
        actor=secretary,
        participation=village,
        phase=0,
        action_key=own.key,
        fileobj=io.BytesIO(PDF),
        name="a.pdf",
    )
    with pytest.raises(ValidationError, match="已有佐证"):
        services.own_action_update(
            actor=secretary, own=own, title="上传照片", evidence="confirm", required=True
        )
    services.own_action_remove(actor=secretary, own=own)
    own.refresh_from_db()
    assert own.removed_at is not None and Material.objects.filter(action_key=own.key).count() == 1
    assert own.key not in [a.key for a in selectors.phase_state(village).actions]
    services.gate_submit(actor=secretary, participation=village)
    village.refresh_from_db()
    # a finished phase's own actions stay as they were
    with pytest.raises(ValidationError, match="已经完成"):
        add(secretary, village, "补充动作", phase=0)
