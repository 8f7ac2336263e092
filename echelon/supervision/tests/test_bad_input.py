"""Bad input in meeting records, through the service, the page and the API (issue 8): a meeting in year 1,
absurd counts and a 1 MB attendee list are refused in Chinese with nothing written; and phase actuals
written by a user's gate act are audited as that user, not "system"."""

from __future__ import annotations

import json
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from echelon.campaigns.models import PhaseActual
from echelon.core.models import AuditEvent
from echelon.supervision import services
from echelon.supervision.models import Meeting
from echelon.supervision.services import MEETING_MAX_PEOPLE, MEETING_TEXT_LIMITS, CheckResult
from echelon.supervision.tests import kit
from echelon.supervision.tests.helpers import make_campaign, part

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
API = "/api/v1/supervision"
GOOD = {"type": "study", "date": TODAY, "place": "村委会", "attendees": "全体党员", "minutes": ""}


@pytest.fixture
def village(tree, personas):
    campaign = make_campaign(tree.region)
    return part(campaign, tree.village)


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


BAD: list[tuple[dict[str, Any], str]] = [
    ({"date": date(1, 1, 1)}, "会议日期须在 2013-11-21（活动开始前 60 天）至今天"),
    ({"date": date(1900, 1, 1)}, "会议日期须在"),
    ({"date": date(2013, 11, 20)}, "会议日期须在"),
    ({"date": TODAY + timedelta(days=1)}, "不能晚于今天"),
    ({"type": "appraisal", "rated_good": 10**12, "rated_fair": 0, "rated_poor": 0}, "0～100000 之间的整数"),
    ({"type": "appraisal", "rated_good": 0, "rated_fair": -1, "rated_poor": 0}, "0～100000 之间的整数"),
    (
        {"type": "appraisal", "rated_good": 60_000, "rated_fair": 40_000, "rated_poor": 1},
        "评议人数合计（100001）超过 100000 人",
    ),
    ({"attendees": "张三、" * 400_000}, "参加人员最多 5000 个字"),
    ({"minutes": "会" * 20_001}, "会议纪要最多 20000 个字"),
    ({"place": "村" * 201}, "地点最多 200 个字"),
]


@pytest.mark.parametrize("change, message", BAD)
def test_the_service_refuses_an_absurd_meeting(village, personas, change, message):
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(
            actor=personas["village_secretary"], participation=village, phase=0, data={**GOOD, **change}
        )
    assert message in "".join(exc.value.messages)
    assert not Meeting.objects.exists() and AuditEvent.objects.count() == events


def test_the_edges_are_accepted(village, personas):
    data = {
        **GOOD,
        "date": date(2013, 11, 21),
        "type": "appraisal",
        "present": MEETING_MAX_PEOPLE,
        "rated_good": MEETING_MAX_PEOPLE,
        "rated_fair": 0,
        "rated_poor": 0,
        "attendees": "人" * MEETING_TEXT_LIMITS["attendees"],
        "minutes": "纪" * MEETING_TEXT_LIMITS["minutes"],
        "place": "地" * MEETING_TEXT_LIMITS["place"],
    }
    meeting = services.meeting_record(
        actor=personas["village_secretary"], participation=village, phase=0, data=data
    )
    assert meeting.date == date(2013, 11, 21) and meeting.rated_good == MEETING_MAX_PEOPLE
    today = services.meeting_record(
        actor=personas["village_secretary"], participation=village, phase=0, data=GOOD
    )
    assert today.date == TODAY  # a 2014 campaign still running: today's meeting is real


@pytest.mark.parametrize(
    "change, field",
    [
        ({"date": "0001-01-01"}, None),
        ({"type": "appraisal", "rated_good": 10**12, "rated_fair": 0, "rated_poor": 0}, "rated_good"),
        ({"attendees": "张三、" * 110_000}, "attendees"),  # about 1 MB (3 bytes a character)
        ({"minutes": "会" * 20_001}, "minutes"),
    ],
)
def test_the_api_refuses_an_absurd_meeting_in_chinese(village, personas, tree, settings, change, field):
    url = f"{API}/campaigns/{village.campaign_id}/units/{tree.village.code}/meeting/"
    body = json.dumps({**GOOD, **change}, default=str, ensure_ascii=False).encode()
    if field == "attendees":  # about 1 MB, under the request body limit: the meeting's rules answer
        assert 900_000 < len(body) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    client = client_for(personas["village_secretary"])
    events = AuditEvent.objects.count()
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    text = json.dumps(response.json(), ensure_ascii=False)
    assert field is None or field in response.json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text) and "Ensure" not in text, text[:300]
    assert not Meeting.objects.exists() and AuditEvent.objects.count() == events


def test_the_api_schema_shows_the_limits(client, admin_user):
    client.force_login(admin_user)
    schema = client.get("/api/schema/?format=json").json()
    meeting = schema["components"]["schemas"]["MeetingInput"]["properties"]
    assert meeting["attendees"]["maxLength"] == MEETING_TEXT_LIMITS["attendees"]
    assert meeting["minutes"]["maxLength"] == MEETING_TEXT_LIMITS["minutes"]
    assert meeting["rated_good"]["maximum"] == MEETING_MAX_PEOPLE


@pytest.mark.parametrize(
    "change, message",
    [
        ({"date": "0001-01-01"}, "会议日期须在"),
        ({"type": "appraisal", "rated_good": str(10**12), "rated_fair": "0", "rated_poor": "0"}, "100000"),
        ({"attendees": "张三、" * 110_000}, "5000"),
    ],
)
def test_the_page_refuses_an_absurd_meeting(village, personas, tree, change, message):
    url = reverse("supervision:unit_meeting", args=[village.campaign_id, tree.village.code])
    data = {**GOOD, "half_day": "am", **change}
    response = client_for(personas["village_secretary"]).post(url, data, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any(message in m for m in shown), shown
    assert not Meeting.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# Phase actuals written by a gate act carry the user
# ---------------------------------------------------------------------------------------------------------


def test_phase_actuals_of_a_submit_and_a_pass_are_audited_as_the_user(tree, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = kit.world(SimpleNamespace(tree=tree, personas=personas))
    secretary = personas["village_secretary"]
    # The kit's world: the secretary submitted phase one (no gate: it closed at once, phase two opened)
    # and then phase two (an open review).
    events = AuditEvent.objects.filter(verb="phase_actual.record", object_id=str(world.village.pk)).order_by(
        "id"
    )
    assert [e.actor_name for e in events] == ["village_secretary"] * 3
    assert all(e.actor_id == secretary.pk for e in events)
    assert PhaseActual.objects.filter(participation=world.village).count() == 2

    instructor = world.instructor.members.get()
    before = events.count()
    services.gate_decide(
        actor=instructor,
        review=world.review,
        decision="pass",
        checks={k: CheckResult(True) for k in ("thinking", "materials", "work")},
    )
    passed = list(events.all()[before:])
    assert len(passed) == 2  # phase two closed, phase three opened
    assert {e.actor_name for e in passed} == {instructor.get_username()}
    assert not AuditEvent.objects.filter(verb="phase_actual.record", actor_name="system").exists()


def test_free_texts_of_decisions_patrols_and_submissions_have_limits(tree, personas, settings, tmp_path):
    """Every free text a supervision service stores is bounded: refused in Chinese, nothing written."""
    from echelon.supervision.models import PatrolVisit, Review

    settings.MEDIA_ROOT = tmp_path
    world = kit.world(SimpleNamespace(tree=tree, personas=personas))
    instructor = world.instructor.members.get()
    events = AuditEvent.objects.count()
    checks = {k: CheckResult(True) for k in ("thinking", "materials", "work")}
    huge = "很" * 5_001
    with pytest.raises(ValidationError, match="审核意见最多"):
        services.gate_decide(
            actor=instructor, review=world.review, decision="pass", checks=checks, comment=huge
        )
    with pytest.raises(ValidationError, match="检查意见最多"):
        services.gate_decide(
            actor=instructor,
            review=world.review,
            decision="pass",
            checks={**checks, "work": CheckResult(True, "很" * 2_001)},
        )
    with pytest.raises(ValidationError, match="整改期限"):
        services.gate_decide(
            actor=instructor,
            review=world.review,
            decision="return",
            comment="补充",
            deadline=date(2999, 1, 1),
            checks=checks,
        )
    with pytest.raises(ValidationError, match="巡查发现最多"):
        services.patrol_record(
            actor=personas["county_supervisor"],
            group=world.group,
            unit=tree.township,
            date=date.today(),
            findings=huge,
        )
    assert Review.objects.get(pk=world.review.pk).state == "open"
    assert not PatrolVisit.objects.exists()
    assert AuditEvent.objects.count() == events
