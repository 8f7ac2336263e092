"""Concurrency drills on PostgreSQL (issue 15): two people deciding the same thing at the same moment, 100
times over. Each time exactly one decision is stored, the other person gets the product's refusal
(``AlreadyDecided``: "已被其他人处理") and the audit trail has one event for the decision.

Two threads, each with its own connection, stay up for the whole drill and are released together by a
barrier for each run; the world is built once and brought back between runs through the same services users
use (the unit submits again after a return; a task verified is reopened and claimed again), so 100 runs
cost seconds. The runs are not ordered by events as the single-run tests are (``test_gates``): the point is
the natural race, both the loser that reads the row as already decided and the loser whose conditional
UPDATE waits on the winner's row lock. How often each happened is written to the drill table
(``make drills``); it is not asserted (it depends on timing).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection

from echelon.core.errors import Conflict
from echelon.core.models import AuditEvent
from echelon.ledger import services as ledger
from echelon.ledger.models import TaskStatus
from echelon.ledger.services.tasks import AlreadyDecided as TaskAlreadyDecided
from echelon.supervision import services
from echelon.supervision.models import Decision, Review, ReviewState
from echelon.supervision.services import AlreadyDecided as ReviewAlreadyDecided
from echelon.supervision.tests.helpers import make_campaign
from echelon.supervision.tests.test_gates import all_checks, two_reviewers_and_a_study_phase
from echelon.testing import drills

pytestmark = [pytest.mark.drill, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 100


def _race(runs: int, reset: Callable[[int], Any], deciders: dict[str, Callable[[Any], Any]]) -> list[dict]:
    """``runs`` times: ``reset(run)`` makes the thing to decide, then every decider (one thread each, its own
    connection kept for the drill) is released at once on it. Returns per run {name: "won" | the exception}.
    """
    names = list(deciders)
    began = time.perf_counter(), time.process_time()
    start, done = threading.Barrier(len(names) + 1), threading.Barrier(len(names) + 1)
    target: list[Any] = [None]
    outcomes: list[dict] = [{} for _ in range(runs)]

    def worker(name: str) -> None:
        try:
            for run in range(runs):
                start.wait(60)
                try:
                    deciders[name](target[0])
                    outcomes[run][name] = "won"
                except Exception as exc:
                    outcomes[run][name] = exc
                done.wait(60)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,), name=n) for n in names]
    for t in threads:
        t.start()
    try:
        for run in range(runs):
            target[0] = reset(run)
            start.wait(60)
            done.wait(60)
    except BaseException:
        start.abort()  # the workers stop waiting
        done.abort()
        raise
    finally:
        for t in threads:
            t.join(60)
    assert not any(t.is_alive() for t in threads)
    spent["wall"], spent["cpu"] = time.perf_counter() - began[0], time.process_time() - began[1]
    return outcomes


spent: dict[str, float] = {}  # the last race's wall and CPU seconds (this process), for the drill table


def _check_one_winner(outcomes: list[dict], refusal: type[Conflict]) -> tuple[list[str], Counter[str]]:
    """Every run: one decider won, the other got ``refusal``. Returns the winners and how the losers were
    told (their message: read as decided, or the conditional UPDATE that matched nothing)."""
    winners: list[str] = []
    how: Counter[str] = Counter()
    for run, outcome in enumerate(outcomes):
        won = [n for n, r in outcome.items() if r == "won"]
        lost = [r for r in outcome.values() if r != "won"]
        assert len(won) == 1, (run, outcome)
        assert len(lost) == 1 and isinstance(lost[0], refusal), (run, outcome)
        winners.append(won[0])
        how[lost[0].messages[0]] += 1
    return winners, how


def test_two_reviewers_decide_one_gate_at_once_100_times(tree, personas, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes writers")
    settings.MEDIA_ROOT = tmp_path
    p, a, b, secretary = two_reviewers_and_a_study_phase(tree, personas)
    today = date.today()
    reviews: list[Review] = []

    def submit(run: int) -> Review:
        """The unit submits its study phase (again: the last run's decision sent it back)."""
        review = services.gate_submit(actor=secretary, participation=p)
        reviews.append(review)
        return review

    def reviewer_a(review: Review) -> None:
        services.gate_decide(
            actor=a,
            review=review,
            decision=Decision.RETURN,
            checks=all_checks(False),
            comment="学习笔记不全，打回补充",
            deadline=today + timedelta(days=3),
        )

    def reviewer_b(review: Review) -> None:
        services.gate_decide(
            actor=b,
            review=review,
            decision=Decision.INTERVIEW,
            checks=all_checks(False),
            comment="约谈支部书记",
            interview_who="支部书记",
            interview_at=today,
            interview_required="一周内补课",
        )

    outcomes = _race(RUNS, submit, {"reviewer_a": reviewer_a, "reviewer_b": reviewer_b})
    winners, how = _check_one_winner(outcomes, ReviewAlreadyDecided)
    by = {"reviewer_a": (a, Decision.RETURN), "reviewer_b": (b, Decision.INTERVIEW)}
    for review, winner in zip(reviews, winners, strict=True):
        review.refresh_from_db()
        decider, decision = by[winner]
        assert review.state == ReviewState.DECIDED
        assert (review.decided_by, review.decision) == (decider, decision)
        events = AuditEvent.objects.filter(object_type="supervision.review", object_id=str(review.pk))
        assert sorted(events.values_list("verb", flat=True)) == sorted(
            ["review.submit", f"review.{decision}"]
        ), review.pk
    assert Review.objects.filter(participation=p, phase=1).count() == RUNS
    drills.record(
        job="gate decision, 2 reviewers at once",
        backend="postgresql",
        runs=RUNS,
        landed=_contended(how),
        result=f"ok: 1 decision + 1 audit event each time; wins {dict(Counter(winners))}; {_spent()}",
    )


def test_two_verifiers_decide_one_task_at_once_100_times(tree, personas):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes writers")
    make_campaign(tree.region)
    secretary, county, league = (personas[n] for n in ("village_secretary", "county_office", "league_office"))
    problem = ledger.problem_create(
        actor=secretary, unit=tree.village, title="办事要跑好几趟", category="bureaucratism", source="public"
    )
    task = ledger.task_add(
        actor=secretary, problem=problem, measure="整改", responsible="李", deadline=date(2014, 6, 1)
    )

    def claim(run: int) -> Any:
        """The village claims the task done (again: the last run's verdict reopened or returned it)."""
        task.refresh_from_db()
        if task.status == TaskStatus.VERIFIED:
            ledger.task_reopen(actor=county, task=task, reason="群众反映问题反弹")
        return ledger.task_claim(actor=secretary, task=task, note=f"已整改（第 {run + 1} 次）")

    def verifier(who: Any, decision: str) -> Callable[[Any], Any]:
        return lambda t: ledger.task_decide(
            actor=who, task=t, decision=decision, note="" if decision == "accept" else "证据不足"
        )

    before = Counter(
        AuditEvent.objects.filter(object_type="ledger.task", object_id=str(task.pk)).values_list(
            "verb", flat=True
        )
    )
    outcomes = _race(
        RUNS,
        claim,
        {"county_office": verifier(county, "accept"), "league_office": verifier(league, "return")},
    )
    winners, how = _check_one_winner(outcomes, TaskAlreadyDecided)
    verbs = (
        Counter(
            AuditEvent.objects.filter(object_type="ledger.task", object_id=str(task.pk)).values_list(
                "verb", flat=True
            )
        )
        - before
    )
    wins = Counter(winners)
    # one verdict event per run, of the winner's decision: accepted by the county office or returned by the
    # league office (both may verify: the level above the village's township and county)
    assert verbs["task.verify"] == wins["county_office"], verbs
    assert verbs["task.return"] == wins["league_office"], verbs
    assert verbs["task.claim"] == RUNS and verbs["task.reopen"] == wins["county_office"] - (
        1 if winners[-1] == "county_office" else 0
    ), verbs
    task.refresh_from_db()
    assert task.status == (TaskStatus.VERIFIED if winners[-1] == "county_office" else TaskStatus.OPEN)
    drills.record(
        job="task verification, 2 verifiers at once",
        backend="postgresql",
        runs=RUNS,
        landed=f"{sum(how.values())} refused by the conditional UPDATE",
        result=f"ok: 1 verdict + 1 audit event each time; wins {dict(wins)}; {_spent()}",
    )


def _contended(how: Counter[str]) -> str:
    """How the losers were refused: by the conditional UPDATE (its message says the decision was not
    saved: the loser read the submission as open), or on reading it already decided."""
    late = sum(n for message, n in how.items() if "未保存" in message)
    return f"{late} refused by the conditional UPDATE, {sum(how.values()) - late} on reading"


def _spent() -> str:
    return f"{RUNS} runs in {spent['wall']:.0f} s ({spent['cpu']:.0f} s CPU in the test process)"
