"""The pages, as a village secretary, a township instructor and offices use them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from echelon.core.models import AuditEvent
from echelon.supervision.models import GroupKind, Review
from echelon.supervision.tests.helpers import ahead, group, make_campaign, part, user

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def client_for(u):
    c = Client()
    c.force_login(u)
    return c


@pytest.fixture
def setup(tree, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    instructor = user("instructor")
    g = group(campaign, tree.township, "可可以力更镇指导员", members=(instructor,), kind=GroupKind.INSTRUCTOR)
    return campaign, g, instructor


def test_secretary_to_instructor_and_back_through_the_pages(tree, personas, setup):
    campaign, g, instructor = setup
    county = client_for(personas["county_office"])
    # the county office cannot assign villages (a township's instructor does that: the township office)
    r = county.post(
        reverse("supervision:group_assign", args=[g.pk]), {"code": tree.village.code}, follow=True
    )
    assert "已指定督导对象" in r.content.decode()  # the county office is above the township: allowed
    secretary = client_for(personas["village_secretary"])
    unit_url = reverse("supervision:unit", args=[campaign.pk, tree.village.code])
    page = secretary.get(unit_url).content.decode()
    assert "还有 2 项规定动作未完成" in page and "制定活动安排，报苏木乡镇街道审核" in page
    pdf = SimpleUploadedFile("安排.pdf", b"%PDF-1.4\n")
    secretary.post(
        reverse("supervision:unit_material", args=[campaign.pk, tree.village.code]),
        {"action": "plan", "file": pdf},
    )
    bad = SimpleUploadedFile("病毒.pdf", b"MZ\x90\x00")
    r = secretary.post(
        reverse("supervision:unit_material", args=[campaign.pk, tree.village.code]),
        {"action": "plan", "file": bad},
        follow=True,
    )
    assert "不支持的文件类型" in r.content.decode()
    meeting = {
        "action": "mobilize",
        "type": "mobilization",
        "date": TODAY.isoformat(),
        "half_day": "am",
        "place": "村委会",
        "attendees": "全体党员",
    }
    secretary.post(reverse("supervision:unit_meeting", args=[campaign.pk, tree.village.code]), meeting)
    r = secretary.post(reverse("supervision:unit_submit", args=[campaign.pk, tree.village.code]), follow=True)
    assert "下一环节已开启" in r.content.decode()
    # The study phase opened today: 15 days at least, and after the township. The county office lets the
    # village go ahead (the rules themselves: test_gate_rules).
    ahead(part(campaign, tree.village))
    secretary.post(
        reverse("supervision:unit_meeting", args=[campaign.pk, tree.village.code]),
        {**meeting, "action": "study", "type": "study"},
    )
    secretary.post(
        reverse("supervision:unit_material", args=[campaign.pk, tree.village.code]),
        {"action": "opinions", "file": SimpleUploadedFile("意见.pdf", b"%PDF-1.4\n")},
    )
    r = secretary.post(reverse("supervision:unit_submit", args=[campaign.pk, tree.village.code]), follow=True)
    assert "等待“可可以力更镇指导员”审核" in r.content.decode()
    review = Review.objects.get(state="open")
    # the instructor's workbench lists it; the instructor returns it
    ins = client_for(instructor)
    assert tree.village.name in ins.get(reverse("supervision:workbench")).content.decode()
    checks = {
        "check_thinking": "pass",
        "check_materials": "fail",
        "check_work": "pass",
        "note_materials": "意见汇总不全",
    }
    r = ins.post(
        reverse("supervision:review", args=[review.pk]),
        {
            **checks,
            "decision": "return",
            "comment": "补充入户走访",
            "deadline": (TODAY + timedelta(days=5)).isoformat(),
        },
        follow=True,
    )
    assert "审核决定已保存" in r.content.decode()
    page = secretary.get(unit_url).content.decode()
    assert "补充入户走访" in page and "打回修改" in page
    r = secretary.post(reverse("supervision:unit_submit", args=[campaign.pk, tree.village.code]), follow=True)
    second = Review.objects.get(state="open")
    # the secretary who submitted cannot decide their own village's phase: a complete, valid decision is
    # refused (403) and nothing is decided
    passing = {"check_thinking": "pass", "check_materials": "pass", "check_work": "pass", "decision": "pass"}
    r = secretary.post(reverse("supervision:review", args=[second.pk]), passing)
    assert r.status_code == 403
    second.refresh_from_db()
    assert second.state == "open" and second.decided_by is None
    assert (
        not AuditEvent.objects.filter(verb__startswith="review.", actor=personas["village_secretary"])
        .exclude(verb="review.submit")
        .exists()
    )
    r = ins.post(
        reverse("supervision:review", args=[second.pk]),
        {"check_thinking": "pass", "check_materials": "pass", "check_work": "pass", "decision": "pass"},
        follow=True,
    )
    assert "审核决定已保存" in r.content.decode()
    assert part(campaign, tree.village).current_phase == 2
    page = secretary.get(unit_url).content.decode()
    assert "查摆问题、开展批评" in page


def test_scoping_outsider_404_and_member_sees_only_targets(tree, personas, setup):
    campaign, _g, _instructor = setup
    from echelon.supervision import services
    from echelon.supervision.tests.helpers import supervisor

    # an instructor whose supervisor grant is at the village they guide (not the township): they see it
    g = group(campaign, tree.township, "第二指导员", kind=GroupKind.INSTRUCTOR)
    services.assign(actor=None, group=g, participation=part(campaign, tree.village))
    instructor = supervisor(user("village_instructor"), tree.village)
    services.group_add_member(actor=None, group=g, user=instructor)
    outsider = client_for(personas["outsider"])
    assert outsider.get(reverse("supervision:unit", args=[campaign.pk, tree.village.code])).status_code == 404
    assert outsider.get(reverse("supervision:group", args=[g.pk])).status_code == 404
    ins = client_for(instructor)
    assert ins.get(reverse("supervision:unit", args=[campaign.pk, tree.village.code])).status_code == 200
    assert ins.get(reverse("supervision:unit", args=[campaign.pk, tree.community.code])).status_code == 404
    assert ins.get(reverse("supervision:group", args=[g.pk])).status_code == 200
    assert ins.get(reverse("orgs:unit", args=[tree.township.code])).status_code == 404


def test_coverage_page_drills_down_and_the_proposal_button(tree, personas, setup):
    campaign, _g, _instructor = setup
    county = client_for(personas["county_office"])
    url = reverse("supervision:coverage", args=[campaign.pk])
    page = county.get(url + "?batch=second").content.decode()
    assert "个单位无督导组" in page and tree.township.name in page
    page = county.get(url + f"?batch=second&under={tree.township.code}").content.decode()
    assert tree.village.name in page
    county.post(
        reverse("supervision:coverage_apply", args=[campaign.pk]), {"what": "defaults", "batch": "second"}
    )
    r = county.post(
        reverse("supervision:coverage_apply", args=[campaign.pk]),
        {"what": "propose", "batch": "second"},
        follow=True,
    )
    assert "已按均衡方案指派" in r.content.decode()
    # the townships, villages and communities are covered now; the county's organ is the league's to cover
    page = county.get(url + f"?batch=second&under={tree.county.code}").content.decode()
    assert tree.organ.name in page and tree.township.name not in page.split("空白逐级查看")[1]
