"""The demo's history keeps the order of ADR 18: the democratic life meeting of a leadership body is recorded
only after the supervision group approved its plan; sector-led units start after their sector department."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from echelon.campaigns.models import Participation
from echelon.demo.tests.test_history import live_demo  # noqa: F401  (the fixture)
from echelon.orgs.models import LeadBy
from echelon.supervision import selectors
from echelon.supervision.models import ActionDone, ApprovalState, MaterialApproval, Meeting


@pytest.mark.django_db
def test_the_meeting_follows_the_approved_plan(live_demo):  # noqa: F811
    campaign, _output = live_demo
    approvals = MaterialApproval.objects.filter(campaign=campaign).select_related("material")
    assert approvals.filter(state=ApprovalState.APPROVED).exists()
    by_phase: dict[tuple[int, int], list[MaterialApproval]] = {}
    for row in approvals:
        assert row.material.participation_id == row.participation_id and row.action_key == "meeting_plan"
        assert row.material.action_key == row.action_key and row.material.phase == row.phase
        if row.decided_at is not None:
            assert row.decided_at > row.requested_at
            assert row.decided_at >= row.material.uploaded_at
        by_phase.setdefault((row.participation_id, row.phase), []).append(row)
    for rows in by_phase.values():
        assert sum(1 for r in rows if r.state == ApprovalState.PENDING) <= 1
    meetings = Meeting.objects.filter(participation__campaign=campaign, action_key="meeting", phase=2)
    checked = 0
    for meeting in meetings.select_related("participation"):
        rows = by_phase.get((meeting.participation_id, 2), [])
        plan = campaign.spec.action("examine", meeting.participation.kind, "meeting_plan")
        if plan is None or not plan.requires_approval:  # the category's plan needs no approval
            assert not rows
            continue
        done = ActionDone.objects.filter(
            participation_id=meeting.participation_id, phase=2, action_key="meeting"
        ).order_by("done_at")
        first_done = done.first()
        assert first_done is not None
        approved = [
            r
            for r in rows
            if r.state == ApprovalState.APPROVED and r.decided_at and r.decided_at < first_done.done_at
        ]
        assert approved, meeting.participation.path
        assert timezone.localtime(approved[0].decided_at or first_done.done_at).date() < meeting.date
        checked += 1
    assert checked > 0
    # A leadership body in its examination whose meeting is not recorded shows why on its page.
    waiting = approvals.filter(state=ApprovalState.PENDING).select_related("participation__campaign").first()
    if waiting is not None and waiting.participation.current_phase == 2:
        state = selectors.phase_state(waiting.participation)
        meeting_action = next(a for a in state.actions if a.key == "meeting")
        if not meeting_action.done:
            assert "正在等待督导组审核" in meeting_action.locked


@pytest.mark.django_db
def test_sector_led_units_start_after_their_sector_department(live_demo):  # noqa: F811
    campaign, _output = live_demo
    second = campaign.batches.get(key="second")
    led = list(
        Participation.objects.filter(
            batch=second, unit__lead_by=LeadBy.SECTOR, level=3, unit__industry="税务"
        ).select_related("unit")
    )
    assert led
    for p in led:
        department = Participation.objects.filter(
            batch=second, unit__industry="税务", unit__parent_id=p.unit.lv2_id, level=2
        ).order_by("-planned_start")
        if department.exists():
            assert p.planned_start >= department.first().planned_start + timedelta(days=10), p.unit.name
