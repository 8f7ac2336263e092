"""The write API: each POST calls one service; refusals are 400 (with the service's Chinese message) or
403/404, and write nothing. Objects come from the access kit's world (tests/kit.py)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from echelon.core.models import AuditEvent
from echelon.supervision.models import GroupAssignment, Material, PatrolVisit, Review, SupervisionGroup
from echelon.supervision.tests import helpers, kit

pytestmark = pytest.mark.django_db

API = "/api/v1/supervision"


@pytest.fixture
def w(tree, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ctx = SimpleNamespace(tree=tree, personas=personas)
    world = kit.world(ctx)
    world.ctx = ctx
    return world


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def post(user, url, data):
    return client_for(user).post(url, json.dumps(data, default=str), content_type="application/json")


def test_group_create(w, personas, tree):
    data = kit.group_create(w.ctx)
    r = post(personas["county_office"], f"{API}/groups/", data)
    assert r.status_code == 201, r.content
    body = r.json()
    assert (
        body["name"] == "武川县第二督导组"
        and body["target_level"] == 4
        and body["home_unit_code"] == "150125"
    )
    group = SupervisionGroup.objects.get(pk=body["id"])
    assert list(group.members.values_list("username", flat=True)) == ["county_supervisor"]
    # the same name again: the service's message
    again = post(personas["county_office"], f"{API}/groups/", data)
    assert again.status_code == 400 and "已有名为" in again.json()["detail"][0]
    # the outsider cannot dispatch from 武川县
    outsider = client_for(personas["outsider"])
    before = AuditEvent.objects.count()
    payload = json.dumps({**data, "name": "越权组"})
    r = outsider.post(f"{API}/groups/", payload, content_type="application/json")
    assert r.status_code == 400 and "home_unit_code" in r.json()
    assert AuditEvent.objects.count() == before


def test_assign_overlap_needs_a_reason(w, personas, tree):
    office = personas["county_office"]
    second = post(office, f"{API}/groups/", {**kit.group_create(w.ctx), "members": []}).json()
    url = f"{API}/groups/{second['id']}/assign/"
    r = post(office, url, {"unit_code": tree.township.code})
    assert r.status_code == 400
    assert "既不交叉重复" in r.json()["detail"][0] and "武川县第一督导组" in r.json()["detail"][0]
    assert not GroupAssignment.objects.filter(group_id=second["id"]).exists()
    r = post(office, url, {"unit_code": tree.township.code, "override_reason": "重点整治对象"})
    assert r.status_code == 201, r.content
    assert r.json()["override_reason"] == "重点整治对象" and r.json()["unit_code"] == tree.township.code
    # unassign it again; a group member (not the office) may not
    assert (
        post(
            personas["county_supervisor"],
            f"{API}/groups/{second['id']}/unassign/",
            {"unit_code": tree.township.code},
        ).status_code
        == 403
    )
    assert (
        post(office, f"{API}/groups/{second['id']}/unassign/", {"unit_code": tree.township.code}).status_code
        == 204
    )
    assert not GroupAssignment.objects.filter(group_id=second["id"]).exists()


def test_members(w, personas, tree):
    url = f"{API}/groups/{w.group.pk}/members/"
    # issue 8, repro 3: an operator inside the targets cannot be made a member (no supervisor grant) ...
    office = client_for(personas["county_office"])
    before = AuditEvent.objects.count()
    r = office.post(url, {"username": "township_operator", "leader": True}, content_type="application/json")
    assert r.status_code == 400 and "督导组授权" in r.content.decode()
    assert AuditEvent.objects.count() == before
    assert not w.group.members.filter(username="township_operator").exists()
    # ... nor add themself: only an office above the targets (dispatch) manages membership
    r = post(personas["township_operator"], url, {"username": "township_operator", "leader": True})
    assert r.status_code in (403, 404) and not w.group.members.filter(username="township_operator").exists()
    # a supervisor granted at the dispatching county joins
    helpers.supervisor(personas["region_office"], tree.county)
    r = post(personas["county_office"], url, {"username": "region_office", "leader": True})
    assert r.status_code == 200 and r.json()["leader"] == "region_office"
    assert post(personas["county_office"], url, {"username": "nobody"}).status_code == 400
    assert post(personas["county_supervisor"], url, {"username": "village_secretary"}).status_code == 403
    r = post(personas["county_office"], url + "remove/", {"username": "region_office"})
    assert r.status_code == 200 and r.json()["leader"] is None
    assert post(personas["outsider"], url, {"username": "outsider"}).status_code == 404


def test_patrol(w, personas, tree):
    url = f"{API}/groups/{w.group.pk}/patrol/"
    r = post(personas["county_supervisor"], url, kit.patrol(w.ctx))
    assert r.status_code == 201, r.content
    assert r.json()["unit_code"] == tree.village.code and r.json()["findings"] == "台账不全"
    future = {**kit.patrol(w.ctx), "date": (date.today() + timedelta(days=2)).isoformat()}
    r = post(personas["county_supervisor"], url, future)
    assert r.status_code == 400 and "不能晚于今天" in r.json()["detail"][0]
    outside = {**kit.patrol(w.ctx), "unit_code": tree.community.code}
    r = post(personas["county_supervisor"], url, outside)
    assert r.status_code == 400 and "巡查范围" in r.json()["detail"][0]
    assert post(personas["county_office"], url, kit.patrol(w.ctx)).status_code == 403
    assert PatrolVisit.objects.count() == 1


def test_propose(w, personas, tree):
    from echelon.supervision import services

    # the kit's sibling group holds 城关街道: free it, so that the proposal has a township to place
    services.unassign(actor=None, assignment=GroupAssignment.objects.get(group=w.sibling))
    r = post(personas["outsider"], f"{API}/campaigns/{w.campaign.pk}/propose/", {"batch": "second"})
    assert r.status_code == 200 and r.json()["created"] == 0
    r = post(personas["county_office"], f"{API}/campaigns/{w.campaign.pk}/propose/", {"batch": "second"})
    assert r.status_code == 200 and r.json()["created"] >= 1
    # balanced: the county's group without a unit (the sibling) gets it
    county_groups = [w.group, w.sibling]
    assert GroupAssignment.objects.filter(group__in=county_groups, unit=tree.community_township).exists()
    r = post(personas["county_office"], f"{API}/campaigns/{w.campaign.pk}/propose/", {"batch": "nope"})
    assert r.status_code == 400


def test_unit_work_and_submit(w, personas, tree):
    operator = personas["township_operator"]
    base = f"{API}/campaigns/{w.campaign.pk}/units/{tree.township.code}"
    r = post(operator, f"{base}/submit/", {})
    assert r.status_code == 400 and "规定动作未完成" in r.json()["detail"][0]
    r = post(operator, f"{base}/confirm/", {"action": "group"})
    assert r.status_code == 200 and r.json() == {"phase": 0, "action": "group", "done": True}
    r = post(operator, f"{base}/confirm/", {"action": "plan"})
    assert r.status_code == 400 and "不能只确认" in r.json()["detail"][0]
    # materials are multipart: JSON is not accepted; content is checked
    assert post(operator, f"{base}/material/", {"action": "plan"}).status_code == 415
    c = client_for(operator)
    fake = SimpleUploadedFile("方案.pdf", b"just text", content_type="application/pdf")
    r = c.post(f"{base}/material/", {"action": "plan", "file": fake})
    assert r.status_code == 400 and "不支持的文件类型" in r.json()["detail"][0]
    pdf = SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n", content_type="application/pdf")
    r = c.post(f"{base}/material/", {"action": "plan", "file": pdf})
    assert r.status_code == 201, r.content
    assert r.json()["version"] == 1 and r.json()["file_type"] == "pdf"
    assert Material.objects.filter(participation__unit=tree.township).count() == 1
    future = {**kit.township_meeting(w.ctx), "date": (date.today() + timedelta(days=1)).isoformat()}
    r = post(operator, f"{base}/meeting/", future)
    assert r.status_code == 400 and "不能晚于今天" in r.json()["detail"][0]
    r = post(operator, f"{base}/meeting/", kit.township_meeting(w.ctx))
    assert r.status_code == 201 and r.json()["type"] == "mobilization"
    r = post(operator, f"{base}/submit/", {"note": "请审核"})
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "decided" and r.json()["decision"] == "pass"  # phase one has no gate
    # the village's secretary cannot work on the township
    assert post(personas["village_secretary"], f"{base}/confirm/", {"action": "group"}).status_code == 404
    assert Review.objects.filter(unit=tree.township).count() == 1


def test_a_second_decision_is_a_conflict(w):
    """``AlreadyDecided`` is a ``Conflict``: the exception handler answers 409 (the view catches nothing)."""
    from echelon.accounts.models import User

    instructor = User.objects.get(username="kit_instructor")
    url = f"{API}/reviews/{w.review.pk}/decide/"
    assert post(instructor, url, kit.decide(w.ctx)).status_code == 200
    decisions = AuditEvent.objects.filter(verb__startswith="review.")
    events = decisions.count()
    r = post(instructor, url, {**kit.decide(w.ctx), "decision": "redo"})
    assert r.status_code == 409 and r.json() == {"detail": ["该提交已被其他人处理（通过）。"]}
    assert Review.objects.get(pk=w.review.pk).decision == "pass" and decisions.count() == events
