"""The dates a gate act records are the ones the user gives (today by default), checked against the
campaign's recording window; never the click time."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from echelon.campaigns.models import Participation, PhaseActual
from echelon.supervision import services
from echelon.supervision.models import GroupKind
from echelon.supervision.services import CheckResult
from echelon.supervision.tests.helpers import ahead, group, make_campaign, part, user

D = date(2014, 3, 3)  # within the 2014 campaign's window, long before today


def actuals(p: Participation) -> dict[int, tuple[date, date | None]]:
    return {a.phase: (a.start, a.end) for a in PhaseActual.objects.filter(participation=p)}


@pytest.fixture
def village(tree, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    instructor = user("instructor")
    g = group(campaign, tree.township, "可可以力更镇指导员", members=(instructor,), kind=GroupKind.INSTRUCTOR)
    p = part(campaign, tree.village)
    services.assign(actor=None, group=g, participation=p)
    secretary = personas["village_secretary"]
    services.material_upload(
        actor=secretary,
        participation=p,
        phase=0,
        action_key="plan",
        fileobj=io.BytesIO(b"%PDF-1.4\n"),
        name="a.pdf",
    )
    data = {"type": "mobilization", "date": D, "place": "村委会", "attendees": "全体党员"}
    services.meeting_record(actor=secretary, participation=p, phase=0, data=data, action_key="mobilize")
    return p, secretary, instructor


def test_a_submission_and_a_pass_record_the_days_given(village):
    p, secretary, instructor = village
    services.gate_submit(actor=secretary, participation=p, day=D)
    assert actuals(p) == {0: (D, D), 1: (D, None)}  # the phase without a gate closed on the day given
    data = {"type": "study", "date": D + timedelta(days=20), "place": "村委会", "attendees": "全体党员"}
    services.meeting_record(actor=secretary, participation=p, phase=1, data=data, action_key="study")
    services.material_upload(
        actor=secretary,
        participation=p,
        phase=1,
        action_key="opinions",
        fileobj=io.BytesIO(b"%PDF-1.4\n"),
        name="b.pdf",
    )
    review = services.gate_submit(actor=secretary, participation=p, day=D + timedelta(days=30))
    ahead(p)  # its township has not passed the phase
    checks = {k: CheckResult(True) for k in ("thinking", "materials", "work")}
    with pytest.raises(ValidationError, match="结束日期不能早于开始日期"):
        services.gate_decide(
            actor=instructor, review=review, decision="pass", checks=checks, day=D - timedelta(days=1)
        )
    services.gate_decide(
        actor=instructor, review=review, decision="pass", checks=checks, day=D + timedelta(days=35)
    )
    assert actuals(p) == {0: (D, D), 1: (D, D + timedelta(days=35)), 2: (D + timedelta(days=35), None)}
    p.refresh_from_db()
    assert p.current_phase == 2 and p.actual_start == D
    assert p.start_delay == (D - (p.baseline_start or p.planned_start)).days  # against the plan, not 2026


def test_a_day_outside_the_recording_window_or_ahead_is_refused_and_nothing_written(village):
    p, secretary, _instructor = village
    for day in (date(2000, 1, 1), timezone.localdate() + timedelta(days=1)):
        with pytest.raises(ValidationError, match="提交日期须在"):
            services.gate_submit(actor=secretary, participation=p, day=day)
    assert actuals(p) == {}
    services.gate_submit(actor=secretary, participation=p)  # the default: today
    today = timezone.localdate()
    assert actuals(p) == {0: (today, today), 1: (today, None)}
