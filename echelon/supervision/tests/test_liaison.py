"""Liaison points and key meetings: the clash rule, the calendar, attendance, the offices' overview."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from echelon.accounts import services as account_services
from echelon.core.models import AuditEvent
from echelon.supervision import selectors, services
from echelon.supervision.clashes import Slot, clashing_keys, find_clashes
from echelon.supervision.models import LiaisonKind, LiaisonPoint, MeetingAttendance
from echelon.supervision.tests.helpers import make_campaign, part, user

TODAY = timezone.localdate()
D = date(2014, 3, 10)


def client_for(u):
    c = Client()
    c.force_login(u)
    return c


# --- the rule, pure ------------------------------------------------------------------------------------


def test_same_half_day_in_different_places_clashes():
    slots = [
        Slot("a", D, "am", "县委会议室"),
        Slot("b", D, "am", "镇政府会议室"),
        Slot("c", D, "pm", "村委会"),
        Slot("d", D + timedelta(days=1), "am", "县委会议室"),
    ]
    clashes = find_clashes(slots)
    assert [(c.a, c.b, c.certain) for c in clashes] == [("a", "b", True)]


def test_same_place_does_not_clash_and_unknown_half_day_may():
    same_place = [Slot("a", D, "am", "县委 会议室"), Slot("b", D, "am", "县委会议室")]
    assert find_clashes(same_place) == []
    planned = [Slot("p", D, None, "武川县"), Slot("a", D, "pm", "镇政府会议室"), Slot("b", D, "am", "村委会")]
    keys = clashing_keys(planned)
    assert sorted(keys["p"]) == ["a", "b"] and "b" not in keys["a"]  # am and pm never clash
    assert all(not c.certain for c in find_clashes(planned))


# --- the service and pages -----------------------------------------------------------------------------


@pytest.fixture
def points(tree, personas, settings, tmp_path):
    """The liaison leader (role at 武川县) links the county and guides the township; each unit held its
    special democratic life meeting on the same morning in its own hall."""
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    leader = personas["liaison_leader"]
    office = personas["county_office"]
    county = services.liaison_add(actor=office, leader=leader, unit=tree.county, campaign=campaign)
    town = services.liaison_add(
        actor=office, leader=leader, unit=tree.township, kind=LiaisonKind.GUIDE, campaign=campaign
    )
    day = TODAY - timedelta(days=3)
    for unit, place in ((tree.county, "县委常委会议室"), (tree.township, "镇政府会议室")):
        services.meeting_record(
            actor=office,
            participation=part(campaign, unit),
            phase=2,
            data={
                "type": "democratic_life",
                "date": day,
                "half_day": "am",
                "place": place,
                "attendees": "班子成员",
            },
        )
    return campaign, county, town


@pytest.mark.django_db
def test_add_is_scoped_audited_and_needs_a_leader(tree, personas, points):
    campaign, county, _town = points
    assert AuditEvent.objects.filter(verb="liaison_point.add", object_id=str(county.pk)).exists()
    with pytest.raises(PermissionDenied):  # the sibling league's office cannot touch 武川县
        services.liaison_add(
            actor=personas["outsider"],
            leader=personas["liaison_leader"],
            unit=tree.village,
            campaign=campaign,
        )
    with pytest.raises(ValidationError, match="联系点领导授权"):
        services.liaison_add(
            actor=personas["county_office"], leader=personas["village_secretary"], unit=tree.village
        )
    with pytest.raises(ValidationError, match="已经是"):
        services.liaison_add(
            actor=personas["county_office"],
            leader=personas["liaison_leader"],
            unit=tree.county,
            campaign=campaign,
        )
    services.liaison_remove(actor=personas["county_office"], point=county)
    assert not LiaisonPoint.objects.filter(pk=county.pk).exists()
    assert AuditEvent.objects.filter(verb="liaison_point.remove", object_id=str(county.pk)).exists()


@pytest.mark.django_db
def test_calendar_flags_the_clash(tree, personas, points):
    meetings = selectors.key_meetings(list(selectors.leader_points(personas["liaison_leader"])))
    life = [m for m in meetings if m.meeting_type == "democratic_life"]
    assert len(life) == 2 and all(m.clash_certain for m in life)
    assert {life[0].clashes[0].participation.unit_id, life[1].clashes[0].participation.unit_id} == {
        tree.county.pk,
        tree.township.pk,
    }
    planned = [m for m in meetings if m.planned]
    assert planned and all(m.meeting_type == "mobilization" for m in planned)
    page = (
        client_for(personas["liaison_leader"]).get(reverse("supervision:liaison_calendar")).content.decode()
    )
    assert 'data-testid="clash-alert"' in page and "镇政府会议室" in page and "专题民主生活会" in page
    # nobody else's calendar shows these points
    other = client_for(personas["outsider"]).get(reverse("supervision:liaison_calendar")).content.decode()
    assert "武川县" not in other and "您还没有联系点" in other


@pytest.mark.django_db
def test_attendance_is_the_leaders_own_at_their_points(tree, personas, points):
    campaign, _county, _town = points
    leader = personas["liaison_leader"]
    p = part(campaign, tree.county)
    row = services.attendance_record(
        actor=leader, participation=p, meeting_type="democratic_life", attended=True, note="全程参加"
    )
    assert row.meeting is not None and row.attended and row.date == TODAY - timedelta(days=3)
    assert AuditEvent.objects.filter(verb="attendance.record", actor=leader).count() == 1
    # recorded again: the same row, audited again with the before state
    services.attendance_record(actor=leader, participation=p, meeting_type="democratic_life", attended=False)
    assert MeetingAttendance.objects.count() == 1
    assert (
        AuditEvent.objects.filter(verb="attendance.record").order_by("id").last().before["attended"] is True
    )
    with pytest.raises(PermissionDenied):  # no attend right there
        services.attendance_record(
            actor=personas["county_office"], participation=p, meeting_type="democratic_life", attended=True
        )
    other = user("other_leader")
    account_services.grant_add(actor=None, user=other, unit=tree.county, role="leader")
    with pytest.raises(ValidationError, match="不是"):  # not their point
        services.attendance_record(
            actor=other, participation=p, meeting_type="democratic_life", attended=True
        )
    with pytest.raises(ValidationError, match="还没有召开"):
        services.attendance_record(
            actor=leader, participation=p, meeting_type="mobilization", attended=True, today=date(2013, 1, 1)
        )
    with pytest.raises(ValidationError, match="还没有日期"):  # the village-style meeting was never held here
        services.attendance_record(actor=leader, participation=p, meeting_type="org_life", attended=True)


@pytest.mark.django_db
def test_pages_record_attendance_and_the_office_sees_it(tree, personas, points):
    campaign, _county, _town = points
    leader = client_for(personas["liaison_leader"])
    r = leader.post(
        reverse("supervision:liaison_attend"),
        {
            "participation": part(campaign, tree.township).pk,
            "meeting_type": "democratic_life",
            "attended": "1",
        },
        follow=True,
    )
    assert "出席情况已记录" in r.content.decode()
    outsider = client_for(personas["outsider"])
    r = outsider.post(
        reverse("supervision:liaison_attend"),
        {
            "participation": part(campaign, tree.township).pk,
            "meeting_type": "democratic_life",
            "attended": "1",
        },
    )
    assert r.status_code == 404
    page = client_for(personas["county_office"]).get(reverse("supervision:liaison_points")).content.decode()
    assert "可可以力更镇" in page and "已出席" in page and "未记录" in page
    assert "可可以力更镇" not in outsider.get(reverse("supervision:liaison_points")).content.decode()


@pytest.mark.django_db
def test_default_proposal_is_deterministic(tree, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    a, b = user("leader_a"), user("leader_b")
    for u in (b, a):
        account_services.grant_add(actor=None, user=u, unit=tree.region, role="leader")
    created = services.liaison_defaults(actor=personas["region_office"], campaign=campaign)
    got = [(p.leader.username, p.kind, p.unit.code) for p in created]
    assert got == [
        ("leader_a", "guide", "150100"),
        ("leader_a", "link", "150222"),
        ("leader_b", "guide", "150200"),
        ("leader_b", "link", "150125"),
    ]
    assert services.liaison_defaults(actor=None, campaign=campaign) == []  # idempotent
    assert AuditEvent.objects.filter(verb="liaison_point.add").count() == 4
    # a league office only fills what is in its subtree
    LiaisonPoint.objects.all().delete()
    created = services.liaison_defaults(actor=personas["league_office"], campaign=campaign)
    assert {p.unit.code for p in created} == {"150100", "150125"}


@pytest.mark.django_db
def test_the_plan_dates_the_key_meetings_so_leaders_can_plan_to_attend(tree, personas, settings, tmp_path):
    """Nothing recorded yet: the mobilization meeting on the unit's first day, the special democratic life
    meeting at the end of its examination (an organizational life meeting at a village), as planned."""
    from echelon.campaigns.models import Participation, PlanPhase

    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    leader, office = personas["liaison_leader"], personas["county_office"]
    services.liaison_add(actor=office, leader=leader, unit=tree.township, campaign=campaign)
    services.liaison_add(actor=office, leader=leader, unit=tree.village, campaign=campaign)
    township, village = part(campaign, tree.township), part(campaign, tree.village)
    examine_end = PlanPhase.objects.get(participation=township, phase=2).end
    meetings = selectors.key_meetings(list(selectors.leader_points(leader)))
    got = {(m.participation.unit.code, m.meeting_type, m.day) for m in meetings}
    assert got == {
        (tree.township.code, "mobilization", date(2014, 1, 30)),
        (tree.township.code, "democratic_life", examine_end),
        (tree.village.code, "mobilization", date(2014, 2, 9)),
        (tree.village.code, "org_life", PlanPhase.objects.get(participation=village, phase=2).end),
    }
    assert all(m.planned and m.half_day is None for m in meetings)
    assert selectors.key_meeting_of(township, "democratic_life")[0] == examine_end
    # The leader says ahead that they will not come (a past planned day may be recorded as attended).
    row = services.attendance_record(
        actor=leader, participation=township, meeting_type="democratic_life", attended=False, note="外出"
    )
    assert row.date == examine_end and row.meeting is None
    # A unit past its examination without recording the meeting has nothing planned any more.
    Participation.objects.filter(pk=township.pk).update(current_phase=3)
    meetings = selectors.key_meetings(list(selectors.leader_points(leader)))
    assert (tree.township.code, "democratic_life") not in {
        (m.participation.unit.code, m.meeting_type) for m in meetings
    }


@pytest.mark.django_db
def test_default_points_follow_the_batches(tree, personas, settings, tmp_path):
    """A template that put the leagues in batch one (the old reading): the leagues had finished long before
    batch two, whose leaders only link counties."""
    from echelon.campaigns import services as campaign_services
    from echelon.campaigns import specs
    from echelon.campaigns.tests.helpers import builtin_spec

    settings.MEDIA_ROOT = tmp_path
    data = builtin_spec().data
    raw = {k: v for k, v in data.items() if k != "format"}
    first = {**data["batches"][0], "levels": [1, 2], "kinds": {"2": ["leadership", "organ"]}}
    old = specs.validate({**raw, "batches": [first, data["batches"][1]]})
    campaign = campaign_services.campaign_create(
        actor=None, spec=old, root=tree.region, start=date(2014, 1, 20), end=date(2014, 9, 30)
    )
    assert part(campaign, tree.league).batch.key == "first"
    a = user("leader_a")
    account_services.grant_add(actor=None, user=a, unit=tree.region, role="leader")
    created = services.liaison_defaults(actor=personas["region_office"], campaign=campaign)
    assert [(p.kind, p.unit.code) for p in created] == [("link", "150125")]
