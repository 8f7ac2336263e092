"""Materials approved first (ADR 18): the plan of the special democratic life meeting is approved by the
supervision group before the meeting is recorded; the group's queue; approve or return with a reason,
audited and told to the unit; a second decision loses; the API."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from echelon.core.models import AuditEvent, Notification
from echelon.supervision import selectors, services
from echelon.supervision.models import ApprovalState, MaterialApproval
from echelon.supervision.services import AlreadyApproved
from echelon.supervision.tests.helpers import group, make_campaign, part, user
from echelon.supervision.tests.kit_approval import to_examine, upload_plan
from echelon.supervision.todo import items as supervision_todo
from echelon.testing.pg import backend_pid, seen_waiting_on_a_lock

TODAY = timezone.localdate()
DEMOCRATIC_LIFE = {"type": "democratic_life", "date": TODAY, "place": "镇政府会议室", "attendees": "班子成员"}


@pytest.fixture
def examine(tree, personas, settings, tmp_path):
    """可可以力更镇 in its examination phase; the county's group (two reviewers) supervises it."""
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    a, b = user("reviewer_a"), user("reviewer_b")
    g = group(campaign, tree.county, "武川县第一督导组", members=(a, b))
    p = part(campaign, tree.township)
    services.assign(actor=None, group=g, participation=p)
    operator = personas["township_operator"]
    return to_examine(p, operator, a), operator, a, b


def record_meeting(actor: Any, p: Any) -> Any:
    return services.meeting_record(
        actor=actor, participation=p, phase=2, data=DEMOCRATIC_LIFE, action_key="meeting"
    )


def meeting_state(p: Any) -> Any:
    return next(a for a in selectors.phase_state(p).actions if a.key == "meeting")


def test_the_meeting_waits_for_the_approved_plan(examine):
    p, operator, reviewer, _other = examine
    # Before the plan is uploaded: locked, and the service refuses with a Chinese explanation.
    state = meeting_state(p)
    assert state.locked and state.waits_approval
    with pytest.raises(ValidationError, match="须先上传“专题民主生活会方案报督导组审核”并经督导组审核通过"):
        record_meeting(operator, p)

    material = upload_plan(operator, p)
    approval = MaterialApproval.objects.get(material=material)
    assert approval.state == ApprovalState.PENDING and approval.group is not None
    assert AuditEvent.objects.filter(verb="approval.request", object_id=str(approval.pk)).count() == 1
    # The group's queue and its members' notices.
    assert [a.pk for a in selectors.approval_queue(reviewer)] == [approval.pk]
    assert selectors.approval_queue(operator) == []
    assert Notification.objects.filter(user=reviewer, target_id=str(approval.pk)).exists()
    todo = {str(item.title): item.count for item in supervision_todo(reviewer)}
    assert todo.get("等待您所在督导组审核的方案材料") == 1
    with pytest.raises(ValidationError, match="正在等待督导组审核，审核通过后才能办理“召开专题民主生活会”"):
        record_meeting(operator, p)

    services.approval_decide(actor=reviewer, approval=approval, approve=True)
    approval.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED and approval.decided_by == reviewer
    assert AuditEvent.objects.filter(verb="approval.approve", object_id=str(approval.pk)).count() == 1
    assert Notification.objects.filter(user=operator, kind="passed", text__contains="审核通过").exists()
    assert not Notification.objects.filter(user=reviewer, target_id=str(approval.pk), read_at=None).exists()
    assert selectors.approval_queue(reviewer) == []
    assert not meeting_state(p).locked
    meeting = record_meeting(operator, p)
    assert meeting.action_key == "meeting"


def test_a_returned_plan_needs_a_reason_and_a_new_version(examine):
    p, operator, reviewer, _other = examine
    upload_plan(operator, p)
    approval = MaterialApproval.objects.get(participation=p, state=ApprovalState.PENDING)
    with pytest.raises(ValidationError, match="退回时请写明理由"):
        services.approval_decide(actor=reviewer, approval=approval, approve=False, reason="  ")
    assert MaterialApproval.objects.get(pk=approval.pk).state == ApprovalState.PENDING
    services.approval_decide(actor=reviewer, approval=approval, approve=False, reason="未列出征求到的意见")
    assert AuditEvent.objects.filter(verb="approval.return", object_id=str(approval.pk)).count() == 1
    assert Notification.objects.filter(
        user=operator, kind="returned", text__contains="未列出征求到的意见"
    ).exists()
    state = meeting_state(p)
    assert "督导组退回了" in state.locked and "未列出征求到的意见" in state.locked
    with pytest.raises(ValidationError, match="请修改后重新上传"):
        record_meeting(operator, p)

    # A new version goes to the group again; while it waits, a newer one supersedes it.
    upload_plan(operator, p, "方案（修改稿）.pdf")
    upload_plan(operator, p, "方案（第三稿）.pdf")
    rows = list(MaterialApproval.objects.filter(participation=p).order_by("material__version"))
    assert [r.state for r in rows] == [
        ApprovalState.RETURNED,
        ApprovalState.SUPERSEDED,
        ApprovalState.PENDING,
    ]
    services.approval_decide(actor=reviewer, approval=rows[2], approve=True)
    record_meeting(operator, p)


def test_a_changed_plan_after_approval_locks_the_meeting_again(examine):
    p, operator, reviewer, _other = examine
    upload_plan(operator, p)
    approval = MaterialApproval.objects.get(participation=p)
    services.approval_decide(actor=reviewer, approval=approval, approve=True)
    upload_plan(operator, p, "方案（改）.pdf")
    assert meeting_state(p).locked
    with pytest.raises(ValidationError, match="正在等待督导组审核"):
        record_meeting(operator, p)


def test_who_may_not_approve(examine, personas):
    p, operator, _reviewer, _other = examine
    upload_plan(operator, p)
    approval = MaterialApproval.objects.get(participation=p)
    # who sent it (the unit's operator), a supervisor outside the unit's group, the county office
    for person in (operator, personas["county_supervisor"], personas["county_office"]):
        with pytest.raises(PermissionDenied):
            services.approval_decide(actor=person, approval=approval, approve=True)
    assert MaterialApproval.objects.get(pk=approval.pk).state == ApprovalState.PENDING
    assert not AuditEvent.objects.filter(verb__startswith="approval.a").exists()


def test_a_second_decision_loses(examine):
    p, operator, a, b = examine
    upload_plan(operator, p)
    approval = MaterialApproval.objects.get(participation=p)
    services.approval_decide(actor=a, approval=approval, approve=True)
    with pytest.raises(AlreadyApproved, match="该材料已被处理（审核通过）"):
        services.approval_decide(actor=b, approval=approval, approve=False, reason="晚了")
    assert AuditEvent.objects.filter(verb__in=["approval.approve", "approval.return"]).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_once_exactly_one_decision(tree, personas, settings, tmp_path):
    """Reviewer A approves and keeps its transaction open; reviewer B's locking read of the request waits for
    A's row lock (seen in pg_stat_activity, no timing); after A commits B reads it decided and loses."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes writers")
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    a, b = user("reviewer_a"), user("reviewer_b")
    g = group(campaign, tree.county, "武川县第一督导组", members=(a, b))
    p = part(campaign, tree.township)
    services.assign(actor=None, group=g, participation=p)
    operator = personas["township_operator"]
    to_examine(p, operator, a)
    upload_plan(operator, p)
    approval = MaterialApproval.objects.get(participation=p)
    a_done = threading.Event()
    outcome: dict[str, Any] = {}

    def reviewer_a() -> None:
        try:
            with transaction.atomic():
                services.approval_decide(actor=a, approval=approval, approve=True)
                a_done.set()
                # hold the lock until B is seen waiting for it
                outcome["b_blocked"] = seen_waiting_on_a_lock(outcome.get("b_pid"))
            outcome["a"] = "approved"
        except Exception as exc:
            outcome["a"] = exc
            a_done.set()
        finally:
            connection.close()

    def reviewer_b() -> None:
        try:
            outcome["b_pid"] = backend_pid()
            a_done.wait(20)
            services.approval_decide(actor=b, approval=approval, approve=False, reason="退回")
            outcome["b"] = "decided"
        except Exception as exc:
            outcome["b"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=reviewer_a), threading.Thread(target=reviewer_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), outcome
    assert outcome["a"] == "approved", outcome
    assert isinstance(outcome["b"], AlreadyApproved), outcome
    assert outcome["b_blocked"] is True, outcome
    approval.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED and approval.decided_by == a
    assert AuditEvent.objects.filter(verb__in=["approval.approve", "approval.return"]).count() == 1


def test_the_phase_page_and_the_queue(examine, client):
    p, operator, reviewer, _other = examine
    unit_url = reverse("supervision:unit", args=[p.campaign_id, p.unit.code])
    client.force_login(operator)
    page = client.get(unit_url).content.decode()
    assert "待督导组审核方案" in page and 'data-testid="locked"' in page
    assert "须经督导组审核" in page
    upload_plan(operator, p)
    approval = MaterialApproval.objects.get(participation=p)
    client.force_login(reviewer)
    bench = client.get(reverse("supervision:workbench")).content.decode()
    assert f'data-approval="{approval.pk}"' in bench and "专题民主生活会方案报督导组审核" in bench
    answer = client.post(reverse("supervision:approval_decide", args=[approval.pk]), {"decision": "return"})
    assert answer.status_code == 302
    assert MaterialApproval.objects.get(pk=approval.pk).state == ApprovalState.PENDING  # no reason: refused
    client.post(reverse("supervision:approval_decide", args=[approval.pk]), {"decision": "approve"})
    assert MaterialApproval.objects.get(pk=approval.pk).state == ApprovalState.APPROVED
    client.force_login(operator)
    page = client.get(unit_url).content.decode()
    assert "督导组已审核通过" in page and 'data-testid="locked"' not in page


def test_the_api(examine, client):
    p, operator, reviewer, other = examine
    upload_plan(operator, p)
    approval = MaterialApproval.objects.get(participation=p)
    client.force_login(reviewer)
    listed = client.get("/api/v1/supervision/approvals/?state=pending").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["id"] for r in rows] == [approval.pk] and rows[0]["action_key"] == "meeting_plan"
    url = f"/api/v1/supervision/approvals/{approval.pk}/"
    assert client.post(url + "return/", {}, content_type="application/json").status_code == 400
    assert client.post(url + "approve/", {}, content_type="application/json").status_code == 200
    client.force_login(other)
    answer = client.post(url + "return/", {"reason": "晚了"}, content_type="application/json")
    assert answer.status_code == 409 and "已被处理" in str(answer.json())
