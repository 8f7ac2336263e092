"""The demo campaign's ledger (``echelon/demo/ledger.py``) on the small seed: every state, rows consistent as
the services would have left them, amounts in proportion to the tree, and work for the demo logins."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Count

from echelon.accounts.models import User
from echelon.campaigns.models import Campaign, Participation, PhaseActual
from echelon.core.models import AuditEvent, Notification, NotificationKind
from echelon.core.permissions import allowed
from echelon.demo import ledger
from echelon.ledger import rollup, selectors
from echelon.ledger.models import (
    Escalation,
    EscalationState,
    Evidence,
    Handover,
    HandoverState,
    Institution,
    LedgerCount,
    Opinion,
    OpinionStatus,
    Problem,
    ProblemStatus,
    Task,
    TaskStatus,
)
from echelon.ledger.services import verifier_error
from echelon.orgs.models import Unit

TODAY = date(2026, 11, 30)
VILLAGE, TOWNSHIP, COUNTY = "150125100201", "150125100", "150125"


@pytest.fixture
def live_ledger(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the history's and the ledger's shared demo files
    call_command("seed_demo", "--scale", "small", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_campaign", "--today", TODAY.isoformat(), stdout=out)
    return Campaign.objects.get(), out.getvalue()


@pytest.mark.django_db
def test_the_ledger_is_full_consistent_and_in_proportion(live_ledger):
    campaign, output = live_ledger
    assert "问题台账：意见" in output
    units = Participation.objects.filter(campaign=campaign).count()

    # Amounts in proportion to the tree (about 7 opinions, 3 problems and 4 tasks a unit).
    opinions, problems, tasks = Opinion.objects.count(), Problem.objects.count(), Task.objects.count()
    assert 0.6 * ledger.OPINIONS_PER_UNIT * units < opinions < 1.4 * ledger.OPINIONS_PER_UNIT * units
    assert 0.6 * ledger.PROBLEMS_PER_UNIT * units < problems < 1.4 * ledger.PROBLEMS_PER_UNIT * units
    assert 1.1 * problems < tasks < 2.0 * problems

    # Every state.
    def states(model, name):
        return set(model.objects.values_list(name, flat=True).distinct())

    assert states(Opinion, "status") == set(OpinionStatus.values)
    assert states(Problem, "status") == set(ProblemStatus.values)
    assert states(Task, "status") == set(TaskStatus.values)
    assert states(Escalation, "state") == set(EscalationState.values)
    assert states(Handover, "state") == set(HandoverState.values)
    assert Task.objects.filter(reopened__gt=0, status=TaskStatus.OPEN).exists()
    assert (
        Task.objects.filter(status=TaskStatus.OPEN, reopened=0).exclude(verdict_note="").exists()
    )  # returned
    assert Task.objects.overdue(TODAY).exists()
    assert Evidence.objects.exists() and Institution.objects.filter(problems__isnull=False).exists()

    # Rows where the services would put them: paths and levels of their units.
    for model in (Opinion, Problem, Task):
        for path, level, unit_path, unit_level in model.objects.values_list(
            "path", "level", "unit__path", "unit__level"
        ):
            assert (path, level) == (unit_path, unit_level), model
    for origin_path, unit_origin in Problem.objects.values_list("origin_path", "origin_unit__path"):
        assert origin_path == unit_origin

    # A problem's status agrees with its tasks and escalations (as ``_sync_problem`` leaves it).
    task_states: dict[int, list[str]] = defaultdict(list)
    for problem_id, status in Task.objects.values_list("problem_id", "status"):
        task_states[problem_id].append(status)
    task_units = dict(Task.objects.values_list("problem_id", "unit_id"))
    pending = {
        e.problem_id: e
        for e in Escalation.objects.filter(state=EscalationState.PENDING).select_related("to_unit")
    }
    for p in Problem.objects.all():
        mine = task_states.get(p.pk, [])
        if p.status == ProblemStatus.ESCALATED:
            e = pending[p.pk]
            assert p.pending_path == e.to_path == e.to_unit.path and not mine
        else:
            assert p.pk not in pending and p.pending_path == ""
            done = bool(mine) and all(s == TaskStatus.VERIFIED for s in mine)
            assert (p.status == ProblemStatus.DONE) == done, p.pk
            assert (p.done_on is not None) == done
        if p.pk in task_units:
            assert task_units[p.pk] == p.unit_id  # the owner does the measures

    # Escalations only up the chain of ancestors; an accepted one moved the problem to its receiver.
    for e in Escalation.objects.select_related("problem"):
        assert e.from_path.startswith(e.to_path) and e.from_path != e.to_path
        assert e.problem.origin_path.startswith(e.to_path)
        if e.state != EscalationState.PENDING:
            assert e.decided_at is not None and e.decided_at >= e.sent_at
    for p in Problem.objects.filter(escalations__state=EscalationState.ACCEPTED).distinct():
        last = p.escalations.filter(state=EscalationState.ACCEPTED).order_by("sent_at").last()
        assert p.path == last.to_path and p.origin_path.startswith(p.path) and p.path != p.origin_path
    assert Escalation.objects.filter(state=EscalationState.RETURNED).exclude(answer="").exists()

    # Opinions: what became of each is recorded as the services record it; codes unique, no duplicate text.
    for o in Opinion.objects.select_related("merged_into"):
        if o.status == OpinionStatus.PROBLEM:
            assert o.problem_id is not None
        elif o.status == OpinionStatus.MERGED:
            assert o.merged_into.unit_id == o.unit_id and o.merged_into.status != OpinionStatus.MERGED
            assert o.problem_id == o.merged_into.problem_id
        else:
            assert o.problem_id is None and o.merged_into_id is None
        assert (o.status == OpinionStatus.CLOSED) == bool(o.close_reason)
        assert bool(o.public_reply) == (o.replied_at is not None)
        if o.status == OpinionStatus.REPLIED:
            assert o.public_reply
        assert len(o.tracking_code) == 10
    assert not Opinion.objects.values("unit", "fingerprint").annotate(n=Count("id")).filter(n__gt=1).exists()

    # Tasks: what a claim and a verdict leave.
    for t in Task.objects.all():
        if t.status in (TaskStatus.CLAIMED, TaskStatus.VERIFIED, TaskStatus.DEFERRED):
            assert t.claimed_at is not None and t.claim_note
        if t.status == TaskStatus.VERIFIED:
            assert t.verified_at is not None and t.verified_at >= t.claimed_at
        if t.status == TaskStatus.DEFERRED:
            assert t.verdict_note

    # Problems only where a unit reached the phase they were found in, on a day of that phase.
    actual = {
        (unit_id, phase): (start, end)
        for unit_id, phase, start, end in PhaseActual.objects.filter(
            participation__campaign=campaign
        ).values_list("participation__unit_id", "phase", "start", "end")
    }
    for origin, phase, found in Problem.objects.filter(phase__isnull=False).values_list(
        "origin_unit_id", "phase", "found_on"
    ):
        start, end = actual[(origin, phase)]
        assert start <= found <= (end or TODAY)
    started = {unit for unit, _phase in actual}
    assert not Opinion.objects.exclude(unit_id__in=started).exists()
    assert Problem.objects.filter(phase__isnull=False).values("phase").distinct().count() == 2

    # Hand-overs: batch-one tasks to later-batch units, a receiver who may change that unit.
    batch = dict(Participation.objects.filter(campaign=campaign).values_list("unit_id", "batch__ordinal"))
    for h in Handover.objects.select_related("receiver", "to_unit", "task", "follow_task__problem"):
        assert batch[h.from_unit_id] < batch[h.to_unit_id]
        assert allowed(h.receiver, "change", h.to_path)
        assert h.task.status != TaskStatus.VERIFIED
        if h.state == HandoverState.ACCEPTED:
            assert h.follow_task.problem.origin_unit_id == h.from_unit_id
            assert h.follow_task.unit_id == h.to_unit_id

    # The rollup counters are what the services would have kept (a rebuild from the rows changes nothing).
    fields = ("path", "depth", "kind", "category", "status", "n")
    counters = set(LedgerCount.objects.values_list(*fields))
    rollup.rebuild()
    assert set(LedgerCount.objects.values_list(*fields)) == counters

    # One summary audit event, whose counts are the rows.
    event = AuditEvent.objects.get(verb="ledger.simulate")
    assert event.after["counts"]["opinions"] == opinions and event.after["counts"]["tasks"] == tasks


@pytest.mark.django_db
def test_the_demo_logins_find_their_work(live_ledger):
    users = {u.username: u for u in User.objects.all()}
    village, township, county = (Unit.objects.get(code=c) for c in (VILLAGE, TOWNSHIP, COUNTY))

    # The village secretary has opinions to triage, and their village has a problem list with tasks.
    secretary = users["village_secretary"]
    assert (
        Opinion.objects.visible_to(secretary, "change").filter(status=OpinionStatus.NEW, unit=village).count()
        >= 3
    )
    assert Problem.objects.filter(origin_unit=village).exists()

    # The township's operator has an escalation from one of its villages to accept or return.
    waiting = Escalation.objects.filter(state=EscalationState.PENDING, to_unit=township)
    assert waiting.exists()
    assert all(allowed(users["township_operator"], "change", e.to_path) for e in waiting)
    assert Problem.objects.visible_to(users["township_operator"]).filter(pending_path=township.path).exists()
    assert Notification.objects.filter(user=users["township_operator"], kind=NotificationKind.LEDGER).exists()

    # Whoever verifies has claimed tasks below them that they may tick off.
    for name in (
        "township_instructor",
        "county_supervisor",
        "county_office",
        "league_office",
        "region_office",
    ):
        user = users[name]
        claimed = Task.objects.visible_to(user, "verify").filter(status=TaskStatus.CLAIMED)
        mine = [t for t in claimed.select_related("unit", "problem")[:200] if verifier_error(user, t) is None]
        assert len(mine) >= 1, name
    claims = Task.objects.filter(status=TaskStatus.CLAIMED, path__startswith=county.path).exclude(
        path=county.path
    )
    assert claims.count() >= ledger.CLAIMS_PER_VERIFIER

    # The county's and the league's summary show what is below them.
    summary = selectors.summary(users["county_office"], county, today=TODAY)
    assert summary.problem_total > 0 and summary.task_total > 0 and summary.opinion_total > 0
    region = selectors.summary(users["region_office"], Unit.objects.get(parent__isnull=True), today=TODAY)
    assert region.problem_total == Problem.objects.count() and region.overdue > 0

    # A hand-over waits for each named receiver.
    receivers = Counter(
        Handover.objects.filter(state=HandoverState.OFFERED).values_list("receiver__username", flat=True)
    )
    assert receivers and all(n >= 1 for n in receivers.values())


@pytest.mark.django_db
def test_the_ledger_is_written_once(live_ledger):
    campaign, _output = live_ledger
    with pytest.raises(ValueError, match="already has a ledger"):
        ledger.fill_ledger(campaign, TODAY)
