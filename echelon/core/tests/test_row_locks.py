"""A service's row lock locks its row, not the campaign and the unit too (issue 15, found by ``make load``).

On PostgreSQL ``select_for_update().select_related("campaign", "unit")`` puts FOR UPDATE on every joined
table: a problem's edit locked its campaign and its unit, so every write in a campaign queued behind every
other. Services read their row with ``core.locks.locked`` (FOR UPDATE OF the row's own table). Two checks:
in the code, no ``select_for_update`` chained with ``select_related`` without ``of=`` (the pattern does not
come back); on PostgreSQL, while a service's transaction is open on a problem, a task or a participation,
another connection can lock the campaign, the unit (and the batch) at once (NOWAIT), and cannot lock the
row the service locked.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connection, models, transaction

from echelon.campaigns import services as campaign_services
from echelon.campaigns.models import Batch, Campaign, Participation
from echelon.ledger import services as ledger
from echelon.ledger.models import Problem, Task
from echelon.orgs.models import Unit
from echelon.supervision.tests.helpers import make_campaign, part
from echelon.testing.pg import backend_pid, seen_waiting_on_a_lock

ECHELON = Path(__file__).resolve().parents[2]


# --- the code ---------------------------------------------------------------------------------------------


def _chained_locks(source: str) -> list[int]:
    """Lines where ``select_for_update(...)`` without ``of=`` is chained with ``select_related(...)``."""
    found: list[int] = []
    outer: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        chain: list[ast.Call] = []
        current: ast.AST = node
        while isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute):
            chain.append(current)
            current = current.func.value
        if not chain or id(chain[-1]) in outer:  # an inner part of a chain already seen
            continue
        outer.add(id(chain[-1]))
        calls = {call.func.attr: call for call in chain if isinstance(call.func, ast.Attribute)}
        lock = calls.get("select_for_update")
        if lock is not None and "select_related" in calls and not any(k.arg == "of" for k in lock.keywords):
            found.append(lock.lineno)
    return found


def test_the_check_finds_a_chained_lock():
    """The check below can fail: it sees the pattern on one line and over several."""
    assert _chained_locks('P.objects.select_for_update().select_related("unit").get(pk=1)') == [1]
    assert _chained_locks(
        'x = (\n    P.objects.select_for_update()\n    .select_related("u")\n    .get(pk=1)\n)'
    ) == [2]
    assert _chained_locks('P.objects.select_related("u").select_for_update().get(pk=1)') == [1]
    assert not _chained_locks('P.objects.select_for_update(of=("self",)).select_related("u").get(pk=1)')
    assert not _chained_locks("P.objects.select_for_update().get(pk=1)")


def test_no_service_locks_the_rows_it_joins():
    """Outside the tests, a row lock read with related rows names its own table (``core.locks.locked``)."""
    offenders = [
        f"{path.relative_to(ECHELON.parent)}:{line}"
        for path in sorted(ECHELON.rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
        for line in _chained_locks(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"use echelon.core.locks.locked (FOR UPDATE OF self): {offenders}"


# --- the database -----------------------------------------------------------------------------------------


def _lockable_elsewhere(rows: dict[str, tuple[type[models.Model], int]]) -> dict[str, bool]:
    """From another connection (a thread of its own, as the concurrency drills do): may each row be locked
    at once (``FOR UPDATE NOWAIT``)? One short transaction per row."""
    answers: dict[str, bool] = {}

    def probe() -> None:
        try:
            for name, (model, pk) in rows.items():
                try:
                    with transaction.atomic():
                        model._default_manager.select_for_update(nowait=True).get(pk=pk)
                    answers[name] = True
                except DatabaseError:  # could not obtain lock on row
                    answers[name] = False
        finally:
            connection.close()

    thread = threading.Thread(target=probe, name="probe")
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and set(answers) == set(rows), answers
    return answers


def _while_held(write: Callable[[], Any], rows: dict[str, tuple[type[models.Model], int]]) -> dict[str, bool]:
    """Run the service ``write`` in a transaction kept open (its locks held), probe ``rows`` from another
    connection meanwhile, then roll the write back."""

    class Done(Exception):
        pass

    answers: dict[str, bool] = {}
    with pytest.raises(Done), transaction.atomic():
        write()
        answers = _lockable_elsewhere(rows)
        raise Done
    return answers


@pytest.fixture
def world(tree, personas):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks (a writer holds the whole database)")
    campaign = make_campaign(tree.region)
    secretary = personas["village_secretary"]
    problem = ledger.problem_create(
        actor=secretary, unit=tree.village, title="办事要跑好几趟", category="bureaucratism", source="public"
    )
    task = ledger.task_add(
        actor=secretary, problem=problem, measure="整改", responsible="李", deadline=date(2014, 6, 1)
    )
    return campaign, secretary, problem, task


def _parents(campaign: Campaign, unit: Unit) -> dict[str, tuple[type[models.Model], int]]:
    return {"campaign": (Campaign, campaign.pk), "unit": (Unit, unit.pk)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("service", ["problem_update", "task_add", "task_claim"])
def test_a_ledger_write_leaves_the_campaign_and_the_unit_free(world, tree, service):
    campaign, secretary, problem, task = world
    writes: dict[str, tuple[Callable[[], Any], tuple[type[models.Model], int]]] = {
        "problem_update": (
            lambda: ledger.problem_update(actor=secretary, problem=problem, title="办事要跑三趟"),
            (Problem, problem.pk),
        ),
        "task_add": (
            lambda: ledger.task_add(
                actor=secretary,
                problem=problem,
                measure="再整改",
                responsible="王",
                deadline=date(2014, 7, 1),
            ),
            (Problem, problem.pk),
        ),
        "task_claim": (
            lambda: ledger.task_claim(actor=secretary, task=task, note="已整改"),
            (Task, task.pk),
        ),
    }
    write, own = writes[service]
    answers = _while_held(write, {**_parents(campaign, tree.village), "own row": own})
    assert answers == {"campaign": True, "unit": True, "own row": False}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_recording_a_phase_leaves_the_campaign_the_unit_and_the_batch_free(world, tree):
    """The gate acts record a unit's phases through this service: it locked the campaign, the unit and the
    batch with the participation."""
    campaign, secretary, _problem, _task = world
    participation = part(campaign, tree.village)

    def write() -> None:
        campaign_services.phase_actual_record(
            actor=secretary,
            participation=participation,
            phase_key="prepare",
            start=date(2014, 2, 12),
            today=date(2014, 6, 1),
        )

    answers = _while_held(
        write,
        {
            **_parents(campaign, tree.village),
            "batch": (Batch, participation.batch_id),
            "own row": (Participation, participation.pk),
        },
    )
    assert answers == {"campaign": True, "unit": True, "batch": True, "own row": False}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_verdict_takes_the_problem_before_the_task(world, personas):
    """``problem_update`` locks a problem, then its tasks; a verdict on a task changes its problem too. Were
    the verdict to take the task first, the two would wait on each other (a deadlock, one of them aborted):
    while the problem is held here, the verdict waits for it and has not touched the task yet."""
    _campaign, secretary, problem, task = world
    ledger.task_claim(actor=secretary, task=task, note="已整改")
    errors: list[BaseException] = []
    pids: list[int] = []
    connected = threading.Event()

    def decide() -> None:
        try:
            pids.append(backend_pid())
            connected.set()
            ledger.task_decide(actor=personas["county_office"], task=task, decision="accept", note="属实")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        Problem.objects.select_for_update().get(pk=problem.pk)  # as problem_update holds it
        verdict = threading.Thread(target=decide, name="verdict")
        verdict.start()
        assert connected.wait(30), errors
        assert seen_waiting_on_a_lock(pids[0]), f"the verdict did not wait for the problem: {errors}"
        Task.objects.select_for_update(nowait=True).get(pk=task.pk)  # free: raises if the verdict took it
    verdict.join(60)
    assert not verdict.is_alive() and not errors, errors
    task.refresh_from_db()
    assert task.status == "verified"
