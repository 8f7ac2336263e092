"""Required actions, submissions and the gate decisions, through the services."""

from __future__ import annotations

import io
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from echelon.campaigns.models import PhaseActual
from echelon.core.models import AuditEvent
from echelon.supervision import selectors, services
from echelon.supervision.models import ActionDone, Decision, GroupKind, Material, Review, ReviewState
from echelon.supervision.services import AlreadyDecided, CheckResult
from echelon.supervision.tests.helpers import PREPARED, ahead, group, make_campaign, part, user
from echelon.supervision.tests.kit_approval import approve_pending
from echelon.testing.pg import backend_pid, seen_waiting_on_a_lock

PDF = b"%PDF-1.4\n% test\n"
TODAY = timezone.localdate()


def upload(actor, p, phase, key, content=PDF, name="方案.pdf"):
    return services.material_upload(
        actor=actor, participation=p, phase=phase, action_key=key, fileobj=io.BytesIO(content), name=name
    )


def meeting(actor, p, phase, key, **extra):
    """A meeting record of the action ``key``: of the type the action fixes (its first, when it allows
    several), with the appraisal's counts when that type is the democratic appraisal."""
    spec = p.campaign.spec
    action = next((a for a in spec.actions(spec.phases[phase].key, p.kind) if a.key == key), None)
    kind = extra.pop("type", None) or (
        action.meeting_types[0] if action and action.meeting_types else "other"
    )
    data = {"type": kind, "date": TODAY, "place": "村委会", "attendees": "全体党员", **extra}
    if kind == "appraisal":
        data = {"present": 10, "rated_good": 8, "rated_fair": 2, "rated_poor": 0, **data}
    return services.meeting_record(actor=actor, participation=p, phase=phase, data=data, action_key=key)


def all_checks(passed: bool = True, comment: str = "") -> dict[str, CheckResult]:
    return {k: CheckResult(passed, comment) for k in ("thinking", "materials", "work")}


def two_reviewers_and_a_study_phase(tree, personas):
    """The village's participation, assigned to a township group of two reviewers (a, b), its first phase
    closed on ``PREPARED`` and its study phase's actions done: ready for its secretary to submit."""
    campaign = make_campaign(tree.region)
    a, b = user("reviewer_a"), user("reviewer_b")
    g = group(campaign, tree.township, "可可以力更镇指导组", members=(a, b))
    p = part(campaign, tree.village)
    services.assign(actor=None, group=g, participation=p)
    secretary = personas["village_secretary"]
    upload(secretary, p, 0, "plan")
    meeting(secretary, p, 0, "mobilize")
    services.gate_submit(actor=secretary, participation=p, day=PREPARED)
    meeting(secretary, p, 1, "study", type="study")
    upload(secretary, p, 1, "opinions")
    return p, a, b, secretary


@pytest.fixture
def gate(tree, personas, settings, tmp_path):
    """The campaign, a township instructor for the village, the village's phase one done (no gate) on
    ``PREPARED``, its study phase open since then."""
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    instructor = user("instructor")
    g = group(campaign, tree.township, "可可以力更镇指导员", members=(instructor,), kind=GroupKind.INSTRUCTOR)
    services.assign(actor=None, group=g, participation=part(campaign, tree.village))
    secretary = personas["village_secretary"]
    p = part(campaign, tree.village)
    upload(secretary, p, 0, "plan")
    meeting(secretary, p, 0, "mobilize")
    services.gate_submit(actor=secretary, participation=p, day=PREPARED)
    return campaign, g, instructor, secretary


def test_submit_lists_what_is_missing_and_an_ungated_phase_closes_at_once(tree, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    secretary = personas["village_secretary"]
    p = part(campaign, tree.village)
    with pytest.raises(ValidationError) as exc:
        services.gate_submit(actor=secretary, participation=p)
    assert (
        "还有 2 项规定动作未完成" in exc.value.messages[0] and "召开党员大会进行动员" in exc.value.messages[0]
    )
    with pytest.raises(ValidationError, match="不能只确认"):
        services.action_confirm(actor=secretary, participation=p, phase=0, action_key="plan")
    upload(secretary, p, 0, "plan")
    meeting(secretary, p, 0, "mobilize")
    review = services.gate_submit(actor=secretary, participation=p)
    assert review.decision == Decision.PASS and review.group is None
    p.refresh_from_db()
    assert p.current_phase == 1
    actuals = {a.phase: (a.start, a.end) for a in PhaseActual.objects.filter(participation=p)}
    assert actuals == {0: (TODAY, TODAY), 1: (TODAY, None)}


def test_gated_phase_needs_a_group(tree, personas, gate):
    campaign, _g, _instructor, _secretary = gate
    p = part(campaign, tree.community)
    upload(personas["county_office"], p, 0, "plan")
    meeting(personas["county_office"], p, 0, "mobilize")
    services.gate_submit(actor=personas["county_office"], participation=p, day=PREPARED)
    meeting(personas["county_office"], p, 1, "study", type="study")
    upload(personas["county_office"], p, 1, "opinions")
    with pytest.raises(ValidationError, match="还没有负责的督导组"):
        services.gate_submit(actor=personas["county_office"], participation=p)


def test_return_resubmit_pass_opens_the_next_phase(tree, gate):
    campaign, g, instructor, secretary = gate
    p = part(campaign, tree.village)
    meeting(secretary, p, 1, "study", type="study")
    upload(secretary, p, 1, "opinions", name="走访记录.pdf")
    first = services.gate_submit(actor=secretary, participation=p, note="请审核")
    assert first.state == ReviewState.OPEN and first.group == g
    with pytest.raises(ValidationError, match="等待督导组审核"):
        services.gate_submit(actor=secretary, participation=p)
    with pytest.raises(ValidationError, match="审核结束前不能修改"):
        upload(secretary, p, 1, "opinions")
    with pytest.raises(PermissionDenied):  # the secretary is not in the group
        services.gate_decide(actor=secretary, review=first, decision=Decision.PASS, checks=all_checks())
    with pytest.raises(ValidationError, match="不达目的不过关"):
        services.gate_decide(
            actor=instructor,
            review=first,
            decision=Decision.PASS,
            checks={**all_checks(), "materials": CheckResult(False, "意见汇总太简单")},
        )
    with pytest.raises(ValidationError, match="整改期限"):
        services.gate_decide(
            actor=instructor,
            review=first,
            decision=Decision.RETURN,
            checks=all_checks(False),
            comment="问题查摆不深",
        )
    returned = services.gate_decide(
        actor=instructor,
        review=first,
        decision=Decision.RETURN,
        comment="征求意见不充分，补充走访",
        checks={**all_checks(), "materials": CheckResult(False, "意见汇总太简单")},
        deadline=TODAY + timedelta(days=7),
    )
    assert returned.decision == Decision.RETURN and returned.deadline == TODAY + timedelta(days=7)
    assert [c["passed"] for c in returned.checks] == [True, False, True]
    p.refresh_from_db()
    assert p.current_phase == 1  # a phase closes only on pass
    bench = selectors.workbench(instructor)
    assert [r.pk for r in bench.returned] == [first.pk] and not bench.queue
    v2 = upload(secretary, p, 1, "opinions", name="走访记录（补充）.pdf")
    assert v2.version == 2
    second = services.gate_submit(actor=secretary, participation=p)
    bench = selectors.workbench(instructor)
    assert [r.pk for r in bench.queue] == [second.pk] and not bench.returned
    with pytest.raises(ValidationError, match="上级领导班子“可可以力更镇”尚未通过“学习教育、听取意见”"):
        services.gate_decide(actor=instructor, review=second, decision=Decision.PASS, checks=all_checks())
    ahead(p)  # the township office lets the village go first
    services.gate_decide(
        actor=instructor, review=second, decision=Decision.PASS, checks=all_checks(), comment="同意"
    )
    with pytest.raises(AlreadyDecided, match="已被其他人处理"):
        services.gate_decide(actor=instructor, review=second, decision=Decision.PASS, checks=all_checks())
    p.refresh_from_db()
    assert p.current_phase == 2
    actuals = {a.phase: (a.start, a.end) for a in PhaseActual.objects.filter(participation=p)}
    assert actuals[1] == (PREPARED, TODAY) and actuals[2] == (TODAY, None)
    assert [r.decision for r in selectors.history(p)] == ["pass", "return", "pass"]
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="review.").order_by("id").values_list("verb", flat=True)
    )
    assert verbs == ["review.submit", "review.submit", "review.return", "review.submit", "review.pass"]
    override = AuditEvent.objects.get(verb="phase_rules.override")
    assert AuditEvent.objects.get(verb="review.pass").after["override"] == p.overrides.get().pk
    assert override.after["problems"] == [
        "上级领导班子“可可以力更镇”尚未通过“学习教育、听取意见”，本单位暂不能通过。"
    ]


def test_workbench_shows_the_oldest_and_counts_them_all(tree, personas, settings, tmp_path):
    """The queue shows the submissions waiting longest (``limit`` of them); its heading counts all that
    wait and all that are overdue, also beyond the rows shown."""
    from django.test import Client
    from django.urls import reverse

    from echelon.conftest import make_unit
    from echelon.orgs.models import Kind, Level

    settings.MEDIA_ROOT = tmp_path
    villages = [tree.village] + [
        make_unit(tree.township, f"15012510030{i}", f"工作台村{i}", Level.VILLAGE, Kind.VILLAGE, "village")
        for i in range(2)
    ]
    campaign = make_campaign(tree.region)
    instructor = user("instructor")
    g = group(campaign, tree.township, "可可以力更镇指导员", members=(instructor,), kind=GroupKind.INSTRUCTOR)
    office = personas["county_office"]
    reviews = []
    for village in villages:
        p = part(campaign, village)
        services.assign(actor=None, group=g, participation=p)
        upload(office, p, 0, "plan")
        meeting(office, p, 0, "mobilize")
        services.gate_submit(actor=office, participation=p, day=PREPARED)
        meeting(office, p, 1, "study", type="study")
        upload(office, p, 1, "opinions")
        reviews.append(services.gate_submit(actor=office, participation=p))
    bench = selectors.workbench(instructor, limit=2)
    assert [r.pk for r in bench.queue] == [r.pk for r in reviews[:2]]
    assert (bench.queue_total, bench.overdue_total, bench.overdue) == (3, 0, [])
    settings.ECHELON_REVIEW_DUE_DAYS = -1  # every submission overdue
    bench = selectors.workbench(instructor, limit=2)
    assert (bench.queue_total, bench.overdue_total, len(bench.overdue)) == (3, 3, 2)
    whole = selectors.workbench(instructor)
    assert (len(whole.queue), whole.queue_total, whole.overdue_total) == (3, 3, 3)
    client = Client()
    client.force_login(instructor)
    page = client.get(reverse("supervision:workbench")).content.decode()
    assert "待审核（3，其中超期 3）" in page and 'data-testid="queue-shown"' not in page


def test_interview_and_redo(tree, gate):
    campaign, _g, instructor, secretary = gate
    p = part(campaign, tree.village)
    meeting(secretary, p, 1, "study", type="study")
    upload(secretary, p, 1, "opinions")
    review = services.gate_submit(actor=secretary, participation=p)
    with pytest.raises(ValidationError, match="约谈须写明"):
        services.gate_decide(
            actor=instructor,
            review=review,
            decision=Decision.INTERVIEW,
            checks=all_checks(False),
            comment="态度不端正",
        )
    services.gate_decide(
        actor=instructor,
        review=review,
        decision=Decision.INTERVIEW,
        checks=all_checks(False),
        comment="态度不端正",
        interview_who="村党支部书记",
        interview_at=TODAY,
        interview_required="三日内重新组织入户走访",
    )
    review = services.gate_submit(actor=secretary, participation=p)
    services.gate_decide(
        actor=instructor,
        review=review,
        decision=Decision.REDO,
        checks=all_checks(False),
        comment="走过场，返工",
    )
    assert not ActionDone.objects.filter(participation=p, phase=1, cleared_at=None).exists()
    with pytest.raises(ValidationError, match="还有 2 项"):
        services.gate_submit(actor=secretary, participation=p)
    upload(secretary, p, 1, "opinions")
    assert list(Material.objects.filter(participation=p, phase=1).values_list("version", flat=True)) == [2, 1]


def test_one_open_review_per_phase_in_the_database(tree, gate):
    campaign, g, _instructor, _secretary = gate
    p = part(campaign, tree.village)
    now = timezone.now()
    row = dict(
        campaign=campaign,
        participation=p,
        unit=p.unit,
        path=p.path,
        level=5,
        phase=1,
        group=g,
        submitted_at=now,
    )
    Review.objects.create(**row)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(**row)
    Review.objects.create(**{**row, "phase": 2})  # another phase is fine


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00 not a document", "方案.pdf", "不支持的文件类型"),
        (b"", "方案.pdf", "文件是空的"),
        (PDF, "方案.docx", "扩展名"),
        (PDF + b"x" * 100, "大.pdf", "文件过大"),
    ],
)
def test_uploads_refused_by_content_and_size(tree, gate, settings, content, name, message):
    settings.ECHELON_MAX_MATERIAL_BYTES = 64
    campaign, _g, _instructor, secretary = gate
    p = part(campaign, tree.village)
    with pytest.raises(ValidationError, match=message):
        upload(secretary, p, 1, "opinions", content=content, name=name)


def test_upload_accepts_word_and_images(tree, gate):
    import zipfile

    campaign, _g, _instructor, secretary = gate
    p = part(campaign, tree.village)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    assert upload(secretary, p, 1, "opinions", content=buf.getvalue(), name="意见.docx").file_type == "docx"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    assert upload(secretary, p, 1, "opinions", content=png, name="照片.PNG").file_type == "png"


def test_appraisal_meeting_needs_the_ratings(tree, gate):
    campaign, _g, _instructor, secretary = gate
    p = part(campaign, tree.village)
    with pytest.raises(ValidationError, match="好"):
        services.meeting_record(
            actor=secretary,
            participation=p,
            phase=1,
            data={"type": "appraisal", "date": TODAY, "place": "村委会", "attendees": "全体党员"},
        )
    m = services.meeting_record(
        actor=secretary,
        participation=p,
        phase=1,
        data={
            "type": "appraisal",
            "date": TODAY,
            "place": "村委会",
            "attendees": "全体党员",
            "present": 23,
            "rated_good": 20,
            "rated_fair": 3,
            "rated_poor": 0,
        },
    )
    assert m.rated_good == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_once_exactly_one_decision(tree, personas, settings, tmp_path, monkeypatch):
    """Reviewer A decides and keeps its transaction open; reviewer B, on another connection, reads the
    submission as still open and its conditional UPDATE waits for A's row lock. After A commits, B's
    UPDATE matches nothing: B is told the submission was decided by someone else.

    No timing: events order the two threads (A has updated → B reads the submission as open → B's
    backend is seen waiting on a lock in pg_stat_activity → A commits)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes writers")
    settings.MEDIA_ROOT = tmp_path
    p, a, b, secretary = two_reviewers_and_a_study_phase(tree, personas)
    review = services.gate_submit(actor=secretary, participation=p)
    ahead(p)

    a_updated, b_read_open = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}
    phase_state = selectors.phase_state

    def spy_phase_state(*args, **kwargs):
        # gate_decide asks for the phase state after it has read the review as open, before its UPDATE
        if threading.current_thread().name == "reviewer_b":
            b_read_open.set()
        return phase_state(*args, **kwargs)

    monkeypatch.setattr(selectors, "phase_state", spy_phase_state)

    def reviewer_a() -> None:
        try:
            with transaction.atomic():
                services.gate_decide(actor=a, review=review, decision=Decision.PASS, checks=all_checks())
                a_updated.set()
                outcome["b_read_open"] = b_read_open.wait(20)
                # hold the row lock until B's UPDATE is seen waiting for it (bounded, never a sleep-and-hope)
                outcome["b_blocked"] = seen_waiting_on_a_lock(outcome.get("b_pid"))
            outcome["a"] = "decided"
        except Exception as exc:
            outcome["a"] = exc
            a_updated.set()
        finally:
            connection.close()

    def reviewer_b() -> None:
        try:
            outcome["b_pid"] = backend_pid()
            a_updated.wait(20)
            services.gate_decide(
                actor=b,
                review=review,
                decision=Decision.RETURN,
                checks=all_checks(False),
                comment="打回",
                deadline=date.today() + timedelta(days=3),
            )
            outcome["b"] = "decided"
        except Exception as exc:
            outcome["b"] = exc
            b_read_open.set()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=reviewer_a, name="reviewer_a"),
        threading.Thread(target=reviewer_b, name="reviewer_b"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), outcome
    # exactly one decision won: A's; B read the submission as open, waited on A's row lock, and lost
    assert outcome["a"] == "decided", outcome
    assert isinstance(outcome["b"], AlreadyDecided), outcome
    assert outcome["b_read_open"] is True and outcome["b_blocked"] is True, outcome
    assert "您的决定未保存" in outcome["b"].messages[0]  # the conditional UPDATE's message, not the read's
    review.refresh_from_db()
    assert review.decision == Decision.PASS and review.decided_by == a
    assert AuditEvent.objects.filter(verb__startswith="review.").exclude(verb="review.submit").count() == 1
    p.refresh_from_db()
    assert p.current_phase == 2


def _do_missing_actions(actor, p):
    state = selectors.phase_state(p)
    for action in state.missing:
        if action.evidence == "material":
            upload(actor, p, state.index, action.key)
            approve_pending(p)  # a plan the group approves first (ADR 18): approved here
        elif action.evidence == "meeting":
            meeting(actor, p, state.index, action.key)
        else:
            services.action_confirm(actor=actor, participation=p, phase=state.index, action_key=action.key)


def _advance_to(p, actor, reviewer, phase: int, start: date, *, go_ahead: bool = False):
    """Through the services, from ``start``: do each phase's actions, submit it on the day its minimum is
    over and have the group pass it that day (``go_ahead``: an office lets the unit pass before its
    leadership body)."""
    p.refresh_from_db()
    day = start
    while p.current_phase < phase:
        _do_missing_actions(actor, p)
        spec_phase = p.campaign.spec.phases[p.current_phase]
        day += timedelta(days=max(spec_phase.min_days - 1, 0))
        review = services.gate_submit(actor=actor, participation=p, day=day)
        if review.state == ReviewState.OPEN:
            if go_ahead and spec_phase.leader_first:
                ahead(p)
            services.gate_decide(
                actor=reviewer, review=review, decision=Decision.PASS, checks=all_checks(), day=day
            )
        p.refresh_from_db()


def test_summary_waits_for_the_units_below(tree, personas, settings, tmp_path):
    """The template's summary phase has `requires_children`: a township sums up only after its villages."""
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    township, village = part(campaign, tree.township), part(campaign, tree.village)
    summary = len(campaign.spec.phases) - 1
    assert campaign.spec.phases[summary].requires_children is True
    county_reviewer, instructor = user("county_reviewer"), user("instructor")
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
    _advance_to(township, operator, county_reviewer, summary, date(2014, 1, 30), go_ahead=True)
    _advance_to(village, secretary, instructor, summary, date(2014, 2, 9))  # after its township
    _do_missing_actions(operator, township)
    with pytest.raises(ValidationError, match="下级单位还有 1 个没有通过“总结评估”（东土城村等）"):
        services.gate_submit(actor=operator, participation=township)
    _do_missing_actions(secretary, village)
    services.gate_submit(actor=secretary, participation=village)
    services.gate_submit(actor=operator, participation=township)
    township.refresh_from_db()
    assert township.current_phase == summary + 1
