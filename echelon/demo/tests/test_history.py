"""The live demo campaign: anchored on a given today, with a believable history up to it (the small seed)."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from echelon.accounts.models import User
from echelon.campaigns import selectors as campaign_selectors
from echelon.campaigns import specs
from echelon.campaigns.models import Campaign, Participation, PhaseActual
from echelon.core.models import AuditEvent, Notification, NotificationKind
from echelon.demo import history
from echelon.demo.management.commands import demo_campaign
from echelon.supervision import selectors
from echelon.supervision.models import (
    GroupAssignment,
    LiaisonPoint,
    Material,
    MeetingAttendance,
    Review,
    ReviewState,
)

TODAY = date(2026, 11, 30)
BATCH_TWO_DAYS = (date(2014, 9, 30) - date(2014, 1, 20)).days


@pytest.fixture
def live_demo(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--scale", "small", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_campaign", "--today", TODAY.isoformat(), stdout=out)
    return Campaign.objects.get(), out.getvalue()


def test_the_anchor_puts_today_about_105_days_into_batch_two_whatever_the_weekday():
    for offset in range(14):
        today = TODAY + timedelta(days=offset)
        start = date(2014, 1, 20) + timedelta(days=demo_campaign.anchor(today))
        assert start.weekday() == 0  # a Monday, like 20 January 2014
        assert 102 <= (today - start).days <= 108
    assert demo_campaign.anchor(TODAY) == demo_campaign.anchor(TODAY)


@pytest.mark.django_db
def test_the_demo_campaign_is_live_today(live_demo):
    campaign, output = live_demo
    batches = {b.key: b for b in campaign.batches.all()}
    second, first = batches["second"], batches["first"]
    assert 102 <= (TODAY - second.window_start).days <= 108
    assert (second.window_end - second.window_start).days == BATCH_TWO_DAYS  # the template's 8 months
    assert first.window_end == second.window_start - timedelta(days=1)
    assert campaign.status == "published"
    assert f"今天 {TODAY}" in output

    # Gates passed, returned, interviewed and redone; reviews waiting today.
    decisions = Counter(Review.objects.filter(campaign=campaign).values_list("decision", flat=True))
    assert decisions["pass"] > decisions["return"] > 0
    assert decisions["interview"] > 0 and decisions["redo"] > 0
    assert Review.objects.filter(campaign=campaign, state=ReviewState.OPEN).exists()

    # The supervisor's and the instructor's queues are not empty, and they were told.
    for username in history.PERSONA_REVIEWERS:
        user = User.objects.get(username=username)
        bench = selectors.workbench(user, today=TODAY)
        assert len(bench.queue) >= history.OPEN_REVIEWS_PER_PERSONA, username
        assert Notification.objects.filter(
            user=user, kind=NotificationKind.REVIEW_WAITING, read_at=None
        ).exists()

    # The village secretary's village is in a phase with required actions still to do.
    secretary = User.objects.get(username=history.PERSONA_SECRETARY)
    village = Participation.objects.select_related("campaign", "unit").get(
        campaign=campaign, unit__grants__user=secretary
    )
    state = selectors.phase_state(village)
    assert not state.finished and state.open_review is None and state.missing
    assert 0 < village.current_phase < len(campaign.spec.phases)

    # The liaison leader has points and a key meeting whose attendance is still to be recorded.
    leader = User.objects.get(username=history.PERSONA_LEADER)
    points = list(selectors.leader_points(leader))
    assert points
    meetings = selectors.key_meetings(points)
    assert any(m.attendance is None and not m.planned for m in meetings)
    assert MeetingAttendance.objects.filter(leader=leader).exists()

    # Delays are honest: days, not years; the overview's median is small; some units are late.
    delays = [
        d for d in Participation.objects.filter(campaign=campaign).values_list("start_delay", flat=True)
    ]
    assert max(abs(d) for d in delays if d is not None) <= 30
    rows = campaign_selectors.level_progress(campaign, Participation.objects.filter(campaign=campaign), TODAY)
    assert all(r["median"] is None or r["median"] <= 10 for r in rows)
    assert sum(r["late"] for r in rows) > 0 and sum(r["finished"] for r in rows) > 0

    # Materials point at a file that exists.
    material = Material.objects.filter(participation__campaign=campaign).first()
    assert material is not None and default_storage.exists(material.file.name)
    assert material.file.open("rb").read(5) == b"%PDF-"

    # One audit event for the whole history.
    event = AuditEvent.objects.get(verb="history.simulate")
    assert event.after["today"] == TODAY.isoformat() and event.after["counts"]["reviews"] > 0


@pytest.mark.django_db
def test_the_history_keeps_the_services_invariants(live_demo):
    campaign, _output = live_demo
    spec = campaign.spec
    actuals: dict[int, dict[int, PhaseActual]] = defaultdict(dict)
    for a in PhaseActual.objects.filter(participation__campaign=campaign):
        actuals[a.participation_id][a.phase] = a
    reviews: dict[tuple[int, int], list[Review]] = defaultdict(list)
    for r in Review.objects.filter(campaign=campaign).order_by("submitted_at", "id"):
        reviews[(r.participation_id, r.phase)].append(r)
    responsible = dict(
        GroupAssignment.objects.filter(campaign=campaign).values_list("participation_id", "group_id")
    )
    behind: Counter[int] = Counter()
    for p in Participation.objects.filter(campaign=campaign).prefetch_related("plan"):
        mine = actuals[p.pk]
        current = 0
        while current in mine and mine[current].end is not None:
            current += 1
        # The summary fields follow the campaigns service's rule.
        assert p.current_phase == current
        assert p.actual_start == (mine[0].start if 0 in mine else None)
        reference = p.baseline_start or p.planned_start
        assert p.start_delay == ((p.actual_start - reference).days if p.actual_start else None)
        assert (p.actual_end is not None) == (current == len(spec.phases))
        # Phases follow each other: the next one starts the day the previous one closed; nothing after today.
        for k, a in mine.items():
            assert a.start <= TODAY and (a.end is None or a.start <= a.end <= TODAY)
            if k > 0:
                assert a.start == mine[k - 1].end
        for k in range(len(spec.phases)):
            rows = reviews.get((p.pk, k), [])
            assert sum(1 for r in rows if r.state == ReviewState.OPEN) <= 1
            if rows and rows[-1].state == ReviewState.OPEN:
                assert k == current and rows[-1].group_id == responsible.get(p.pk)
            if spec.phases[k].gate and k < current and p.pk in responsible:
                # A gated phase is closed by its group's pass, on the day of the pass.
                assert rows and rows[-1].decision == "pass" and rows[-1].group_id == responsible[p.pk]
                assert timezone.localtime(rows[-1].decided_at).date() == mine[k].end
        if p.batch.key == "second":
            planned = max(ph.phase for ph in p.plan.all() if ph.start <= TODAY)
            behind[max(0, planned - current)] += 1
    total = sum(behind.values())
    assert 0.03 <= behind[1] / total <= 0.2  # some units are behind their plan, most are not
    assert 0 < sum(v for n, v in behind.items() if n >= 2) / total <= 0.08


@pytest.mark.django_db
def test_the_history_obeys_the_rules_on_actual_progress(live_demo):
    """What the gates would refuse never happened (issue 14): no phase closed before its minimum days, no
    unit that is not flexible finished before its minimum duration, no ``leader_first`` phase passed before
    the leadership body passed it; the mobilization meeting opened each unit's activity."""
    from echelon.campaigns import services as campaign_services
    from echelon.supervision.models import Meeting

    campaign, _output = live_demo
    spec = campaign.spec
    parts = {p.pk: p for p in Participation.objects.filter(campaign=campaign).select_related("batch")}
    closed: defaultdict[int, dict[int, Any]] = defaultdict(dict)
    for a in PhaseActual.objects.filter(participation__campaign=campaign):
        closed[a.participation_id][a.phase] = a
    unit_part = {(p.batch_id, p.unit_id): p.pk for p in parts.values()}
    checked: Counter[str] = Counter()
    for pid, mine in closed.items():
        p = parts[pid]
        for k, a in mine.items():
            if a.end is None:
                continue
            assert (a.end - a.start).days + 1 >= spec.phases[k].min_days, (p.path, k)
            checked["min_days"] += spec.phases[k].min_days > 0
        rules = p.batch.rules
        flexible = p.level in rules["flexible_levels"] or p.kind in rules["flexible_kinds"]
        if p.actual_end is not None and not flexible:
            assert (p.actual_end - p.actual_start).days + 1 >= rules["min_duration_days"], p.path
            checked["duration"] += 1
        leader = campaign_services.leader_of(p) if any(spec.phases[k].leader_first for k in mine) else None
        if leader is None:
            continue
        above = closed.get(unit_part[(leader.batch_id, leader.unit_id)], {})
        for k, a in mine.items():
            if spec.phases[k].leader_first and a.end is not None:
                assert k in above and above[k].end is not None and above[k].end <= a.end, (p.path, k)
                checked["leader_first"] += 1
    assert checked["min_days"] > 100 and checked["leader_first"] > 100, checked
    mobilized = Meeting.objects.filter(participation__campaign=campaign, type="mobilization")
    assert mobilized.exists()
    for m in mobilized.select_related("participation"):
        assert m.date == closed[m.participation_id][0].start, m.participation.path


@pytest.mark.django_db
def test_the_same_today_and_seed_give_the_same_history(live_demo):
    campaign, _output = live_demo

    def digest(c: Campaign) -> list[tuple]:
        return list(
            Participation.objects.filter(campaign=c)
            .order_by("unit__code")
            .values_list("unit__code", "current_phase", "actual_start", "start_delay")
        )

    before = digest(campaign)
    Campaign.objects.all().delete()
    call_command("demo_campaign", "--today", TODAY.isoformat(), stdout=io.StringIO())
    assert digest(Campaign.objects.get()) == before


@pytest.mark.django_db
def test_a_window_beyond_the_holiday_calendar_is_planned_without_those_holidays(
    personas, tree, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    out = io.StringIO()
    call_command("demo_campaign", "--today", "2040-03-01", stdout=out)
    campaign = Campaign.objects.get()
    assert campaign.status == "published"  # planned and published all the same
    second = campaign.batches.get(key="second")
    unknown = second.rules[specs.HOLIDAYS_UNKNOWN]
    assert unknown[0]["name"] == "春节假期" and 2040 in unknown[0]["years"]
    assert second.rules["blackouts"] == []
    assert "节假日日历还没有" in out.getvalue() and "2040" in out.getvalue()
    assert PhaseActual.objects.filter(participation__campaign=campaign).exists()  # and it has a history
    assert LiaisonPoint.objects.filter(campaign=campaign).exists()
