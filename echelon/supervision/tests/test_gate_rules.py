"""The template's rules on what actually happens (issue 14): a phase is submitted and passed no earlier than
its minimum days after it started, the last one no earlier than the unit's minimum duration, and a
``leader_first`` phase only after the unit's leadership body has passed it — unless an office lets the unit
go ahead, with a reason that is kept, audited and shown."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from echelon.campaigns import services as campaign_services
from echelon.campaigns.models import PhaseActual
from echelon.core.models import AuditEvent
from echelon.supervision import selectors, services
from echelon.supervision.models import Decision, GroupKind
from echelon.supervision.services import CheckResult
from echelon.supervision.tests.helpers import ahead, group, make_campaign, part, user
from echelon.supervision.tests.kit_approval import approve_pending

pytestmark = pytest.mark.django_db
START = date(2014, 2, 10)  # the day the units below start their study phase (prepare closes that day)
CHECKS = {k: CheckResult(True) for k in ("thinking", "materials", "work")}


def do_phase(actor, p, day: date) -> None:
    """Every required action of the unit's current phase, with evidence dated ``day``."""
    state = selectors.phase_state(p)
    for action in state.missing:
        if action.evidence == "material":
            services.material_upload(
                actor=actor,
                participation=p,
                phase=state.index,
                action_key=action.key,
                fileobj=io.BytesIO(b"%PDF-1.4\n"),
                name="材料.pdf",
            )
            approve_pending(p)  # a plan the group approves first (ADR 18): approved here
        elif action.evidence == "meeting":
            data = {"type": action.meeting_types[0], "date": day, "place": "会议室", "attendees": "全体党员"}
            if data["type"] == "appraisal":
                data.update(present=10, rated_good=8, rated_fair=2, rated_poor=0)
            services.meeting_record(
                actor=actor, participation=p, phase=state.index, data=data, action_key=action.key
            )
        else:
            services.action_confirm(actor=actor, participation=p, phase=state.index, action_key=action.key)


@pytest.fixture
def units(tree, personas, settings, tmp_path):
    """The township (its county group) and its village (the instructor), both with the preparation closed
    on ``START``: their study phase (at least 15 days, after the leadership body) is open since then."""
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    county_reviewer, instructor = user("county_reviewer"), user("instructor")
    township, village = part(campaign, tree.township), part(campaign, tree.village)
    services.assign(
        actor=None,
        group=group(campaign, tree.county, "县督导组", members=(county_reviewer,)),
        participation=township,
    )
    services.assign(
        actor=None,
        group=group(campaign, tree.township, "指导员", members=(instructor,), kind=GroupKind.INSTRUCTOR),
        participation=village,
    )
    operator, secretary = personas["township_operator"], personas["village_secretary"]
    for actor, p in ((operator, township), (secretary, village)):
        do_phase(actor, p, START)
        services.gate_submit(actor=actor, participation=p, day=START)
        p.refresh_from_db()
        do_phase(actor, p, START)
    return campaign, township, village, operator, secretary, county_reviewer, instructor


def test_a_phase_is_submitted_and_passed_only_after_its_minimum_days(units):
    _campaign, township, _village, operator, _secretary, reviewer, _instructor = units
    with pytest.raises(ValidationError) as exc:
        services.gate_submit(actor=operator, participation=township, day=START + timedelta(days=4))
    assert exc.value.messages[0] == "本环节至少需要 15 天，2014-02-24 才能提交（已开始 5 天）。"
    assert "写明理由后准予先行" in exc.value.messages[-1]
    review = services.gate_submit(actor=operator, participation=township, day=date(2014, 2, 24))
    # A pass dated before the minimum is refused too.
    with pytest.raises(ValidationError, match="本环节至少需要 15 天，2014-02-24 才能通过"):
        services.gate_decide(
            actor=reviewer, review=review, decision=Decision.PASS, checks=CHECKS, day=date(2014, 2, 20)
        )


def test_a_unit_passes_only_after_its_leadership_body(units):
    _campaign, township, village, operator, secretary, reviewer, instructor = units
    village_review = services.gate_submit(actor=secretary, participation=village, day=date(2014, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.gate_decide(actor=instructor, review=village_review, decision=Decision.PASS, checks=CHECKS)
    assert (
        exc.value.messages[0] == "上级领导班子“可可以力更镇”尚未通过“学习教育、听取意见”，本单位暂不能通过。"
    )
    # The township goes ahead of its county (an office said so), and passes on 5 March.
    ahead(township, "旗县委另行安排，乡镇班子先行")
    review = services.gate_submit(actor=operator, participation=township, day=date(2014, 3, 1))
    services.gate_decide(
        actor=reviewer, review=review, decision=Decision.PASS, checks=CHECKS, day=date(2014, 3, 5)
    )
    with pytest.raises(
        ValidationError, match="于 2014-03-05 通过“学习教育、听取意见”，本单位不能早于这一天通过"
    ):
        services.gate_decide(
            actor=instructor,
            review=village_review,
            decision=Decision.PASS,
            checks=CHECKS,
            day=date(2014, 3, 4),
        )
    services.gate_decide(
        actor=instructor, review=village_review, decision=Decision.PASS, checks=CHECKS, day=date(2014, 3, 5)
    )
    village.refresh_from_db()
    assert village.current_phase == 2
    assert AuditEvent.objects.filter(verb="review.pass").count() == 2


def test_an_office_lets_a_unit_go_ahead_with_a_reason_shown_as_a_warning(units, personas):
    _campaign, _township, village, _operator, secretary, _reviewer, instructor = units
    review = services.gate_submit(actor=secretary, participation=village, day=date(2014, 3, 1))
    state = selectors.phase_state(village)
    assert state.override is None and any("尚未通过" in w for w in state.waiting)
    for who in ("village_secretary", "township_operator", "county_supervisor"):
        with pytest.raises(PermissionDenied):
            campaign_services.phase_rules_override(
                actor=personas[who], participation=village, reason="自己批准自己"
            )
    with pytest.raises(ValidationError, match="请写明"):
        campaign_services.phase_rules_override(
            actor=personas["county_office"], participation=village, reason=" "
        )
    row = campaign_services.phase_rules_override(
        actor=personas["county_office"], participation=village, reason="镇党委班子调整，村先行"
    )
    with pytest.raises(ValidationError, match="已准予先行"):
        campaign_services.phase_rules_override(
            actor=personas["county_office"], participation=village, reason="再来一次"
        )
    state = selectors.phase_state(village)
    assert state.override == row and row.reason == "镇党委班子调整，村先行" and row.problems
    event = AuditEvent.objects.get(verb="phase_rules.override")
    assert event.actor == personas["county_office"] and event.unit_path == village.path
    assert event.after["reason"] == "镇党委班子调整，村先行" and event.after["phase"] == "study"
    services.gate_decide(actor=instructor, review=review, decision=Decision.PASS, checks=CHECKS)
    assert AuditEvent.objects.get(verb="review.pass").after["override"] == row.pk


def test_the_last_phase_waits_for_the_minimum_duration_unless_the_unit_is_flexible(units):
    _campaign, township, village, operator, secretary, reviewer, instructor = units
    # Both units close study, examination and rectification quickly (an office let them go ahead).
    for p, actor, group_member in ((township, operator, reviewer), (village, secretary, instructor)):
        day = START
        for _ in range(3):
            p.refresh_from_db()
            do_phase(actor, p, day)
            day += timedelta(days=p.campaign.spec.phases[p.current_phase].min_days)
            ahead(p)
            review = services.gate_submit(actor=actor, participation=p, day=day)
            services.gate_decide(
                actor=group_member, review=review, decision=Decision.PASS, checks=CHECKS, day=day
            )
        p.refresh_from_db()
        do_phase(actor, p, day)
    # The village (flexible) sums up on 3 April; the township (not flexible) not before 90 days.
    services.gate_submit(actor=secretary, participation=village, day=date(2014, 4, 3))
    with pytest.raises(
        ValidationError, match="不少于 90 天：本单位 2014-02-10 开始，2014-05-10 才能提交最后一个环节"
    ):
        services.gate_submit(actor=operator, participation=township, day=date(2014, 4, 3))
    services.gate_submit(actor=operator, participation=township, day=date(2014, 5, 10))
    township.refresh_from_db()
    assert township.actual_end == date(2014, 5, 10)


def test_a_phase_end_recorded_directly_obeys_the_same_rules(tree, personas, units):
    _campaign, _township, village, _operator, secretary, _reviewer, _instructor = units
    with pytest.raises(ValidationError, match="本环节至少需要 15 天，2014-02-24 才能结束（已开始 3 天）"):
        campaign_services.phase_actual_record(
            actor=secretary,
            participation=village,
            phase_key="study",
            start=START,
            end=START + timedelta(days=2),
            today=date(2014, 6, 1),
        )
    assert PhaseActual.objects.get(participation=village, phase=1).end is None
