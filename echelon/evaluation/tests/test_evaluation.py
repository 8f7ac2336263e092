"""The satisfaction evaluation through its services and pages: a unit below the threshold gets its redo,
does it, is evaluated again and passes, and the group decides it done; and the bad inputs the issue names
(more votes than present; used, expired and unknown codes; a ballot flood; the wrong role)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from echelon.core.models import AuditEvent, Notification
from echelon.evaluation import selectors, services, todo
from echelon.evaluation.models import (
    Ballot,
    BallotCode,
    Redo,
    RedoStatus,
    Session,
    SessionStatus,
    Tally,
)
from echelon.evaluation.tests.helpers import HELD_ON, evaluation_world


@pytest.fixture
def world(tree, personas):
    return evaluation_world(tree, personas)


def _open(personas, tree, **kw):
    return services.session_open(
        actor=personas["village_secretary"], unit=tree.village, held_on=HELD_ON, **kw
    )


def _public(session, secretary, present=20, votes=None):
    services.group_set(actor=secretary, session=session, kind="public", present=present)
    if votes is not None:
        services.tally_record(actor=secretary, session=session, kind="public", votes=votes)


def test_below_threshold_redo_reevaluation_and_group_decision(world, tree, personas):
    secretary, supervisor = personas["village_secretary"], personas["county_supervisor"]
    session = _open(personas, tree)
    assert (session.round, session.phase, session.items[0]) == (1, "summary", "活动整体情况")
    # 20 present: 8 paper satisfied, 2 basic, 8 not; 2 online codes, both "not satisfied"
    _public(session, secretary, 20, [[4, 2, 8], [5, 5, 4]])
    services.tally_record(actor=secretary, session=session, kind="public", votes=[[6, 2, 8], [5, 5, 6]])
    codes = services.codes_generate(actor=secretary, session=session, kind="public", count=2)
    assert len(codes) == 2 and not BallotCode.objects.filter(code_hash__in=codes).exists()  # hashes only
    for code in codes:
        services.ballot_cast(code=code, choices=[2, 1])
    assert Ballot.objects.count() == 2
    closed = services.session_close(actor=secretary, session=session, note="群众对村务公开意见较大")
    # overall item: satisfied 6 + 2 = 8 of 6+2+8+2 = 18 → 44.4 %
    assert (closed.satisfied_votes, closed.total_votes, closed.passed) == (8, 18, False)
    redo = Redo.objects.get(session=closed)
    assert redo.status == RedoStatus.OPEN and redo.phase == "rectify"
    assert "44.4%" in redo.reasons and "60.0%" in redo.reasons and "村务公开" in redo.reasons
    assert redo.deadline >= HELD_ON + timedelta(days=30)
    assert Notification.objects.filter(user=secretary, kind="redo").exists() is False  # the actor is not told
    assert AuditEvent.objects.filter(verb="evaluation.close", object_id=str(closed.pk)).count() == 1

    # the unit's to-do list shows it
    assert [i.title for i in todo.items(secretary)] == ["补课待完成"]
    assert todo.items(supervisor) == []
    # a new evaluation needs the work recorded first
    with pytest.raises(ValidationError, match="补课情况"):
        _open(personas, tree)
    services.redo_record(actor=secretary, redo=redo, work="逐户走访，公开村务账目，整改了三件事。")
    second = _open(personas, tree)
    assert (second.round, second.redo_id) == (2, redo.pk)
    _public(second, secretary, 15, [[10, 3, 2], [9, 4, 2]])
    closed2 = services.session_close(actor=secretary, session=second)
    assert closed2.passed and closed2.satisfied_share == pytest.approx(13 / 15)
    redo.refresh_from_db()
    assert redo.status == RedoStatus.PASSED
    assert Notification.objects.filter(user=supervisor, kind="review_waiting").exists()

    assert [(i.title, i.count) for i in todo.items(supervisor)] == [("补课待认定", 1)]
    # the operator who did the work never decides it; the group's member does
    with pytest.raises(PermissionDenied):
        services.redo_decide(actor=secretary, redo=redo, done=True)
    with pytest.raises(ValidationError, match="督导组意见"):
        services.redo_decide(actor=supervisor, redo=redo, done=False)
    services.redo_decide(actor=supervisor, redo=redo, done=True, comment="补课扎实")
    redo.refresh_from_db()
    assert redo.status == RedoStatus.DONE and redo.decided_by == supervisor

    # the rollup at the county: the village counts with its latest result, its redo done
    board = selectors.rollup(world.campaign, tree.county)
    assert board.total.evaluated == 1 and board.total.below == 0 and board.total.redo_done == 1
    assert board.total.units > board.total.evaluated  # the others are shown as not evaluated
    assert board.total.not_evaluated == board.total.units - 1
    result = selectors.public_result(tree.village)
    assert result is not None and result["round"] == 2 and result["passed"] is True
    assert result["items"][0]["options"][0] == {"name": "满意", "votes": 10, "share": round(10 / 15, 4)}


def test_more_votes_than_present_refused_and_nothing_written(world, tree, personas):
    secretary = personas["village_secretary"]
    session = _open(personas, tree)
    _public(session, secretary, 10, [[5, 3, 2], [4, 4, 2]])
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="超过了基层群众的到会人数 10"):
        services.tally_record(actor=secretary, session=session, kind="public", votes=[[6, 3, 2], [1, 1, 1]])
    assert sorted(Tally.objects.values_list("votes", flat=True)) == [2, 2, 3, 4, 4, 5]
    assert AuditEvent.objects.count() == events
    # codes count as votes: 10 present, 5 paper on the fullest item → at most 0 more codes
    with pytest.raises(ValidationError, match="最多还能生成 0 个"):
        services.codes_generate(actor=secretary, session=session, kind="public", count=1)
    with pytest.raises(ValidationError, match="不能少于"):
        services.group_set(actor=secretary, session=session, kind="public", present=9)
    with pytest.raises(ValidationError, match="负数"):
        services.tally_record(actor=secretary, session=session, kind="public", votes=[[-1, 3, 2], [1, 1, 1]])
    assert AuditEvent.objects.count() == events


def test_codes_used_expired_unknown_and_closed(world, tree, personas):
    secretary = personas["village_secretary"]
    session = _open(personas, tree)
    _public(session, secretary, 10)
    a, b, c = services.codes_generate(actor=secretary, session=session, kind="public", count=3)
    services.ballot_cast(code=a.lower(), choices=[0, 0])  # typed in lower case
    with pytest.raises(ValidationError, match="已经使用过"):
        services.ballot_cast(code=a, choices=[0, 0])
    BallotCode.objects.filter(code_hash=services.hash_code(b)).update(expires_at=timezone.now())
    with pytest.raises(ValidationError, match="过有效期"):
        services.ballot_cast(code=b, choices=[0, 0])
    with pytest.raises(ValidationError, match="无效"):
        services.ballot_cast(code="ABCDEFGHJK", choices=[0, 0])
    with pytest.raises(ValidationError, match="作出选择"):
        services.ballot_cast(code=c, choices=[0, 7])
    assert Ballot.objects.count() == 1 and not BallotCode.objects.get(code_hash=services.hash_code(c)).used
    services.session_close(actor=secretary, session=session)
    with pytest.raises(ValidationError, match="已经结束"):
        services.ballot_cast(code=c, choices=[0, 0])
    assert Ballot.objects.count() == 1


def test_wrong_roles_refused(world, tree, personas):
    with pytest.raises(PermissionDenied):  # a supervisor looks on, never organizes the evaluation
        services.session_open(actor=personas["county_supervisor"], unit=tree.village, held_on=HELD_ON)
    with pytest.raises(PermissionDenied):
        services.session_open(actor=personas["outsider"], unit=tree.village, held_on=HELD_ON)
    session = _open(personas, tree)
    with pytest.raises(PermissionDenied):
        services.group_set(actor=personas["liaison_leader"], session=session, kind="public", present=5)
    _public(session, personas["village_secretary"], 5, [[1, 1, 3], [1, 1, 3]])
    with pytest.raises(PermissionDenied):  # a leader of the township: neither the unit nor its group
        services.session_close(actor=personas["township_leader"], session=session)
    # the responsible group may close it
    services.session_close(actor=personas["county_supervisor"], session=session)
    assert Session.objects.get(pk=session.pk).status == SessionStatus.CLOSED


def test_not_in_summary_phase_refused(world, tree, personas):
    from echelon.campaigns.models import Participation

    Participation.objects.filter(pk=world.village.pk).update(current_phase=3)
    with pytest.raises(ValidationError, match="总结评估"):
        _open(personas, tree)
    assert not Session.objects.exists()


def test_public_ballot_pages_and_flood(world, tree, personas, settings):
    settings.ECHELON_BALLOTS_PER_ADDRESS = (4, 600)
    secretary = personas["village_secretary"]
    session = _open(personas, tree)
    _public(session, secretary, 10)
    a, b = services.codes_generate(actor=secretary, session=session, kind="public", count=2)
    client = Client()
    page = client.get(reverse("ballot:enter"), {"code": a})
    assert (
        page.status_code == 200
        and "东土城村" in page.content.decode()
        and "活动整体情况" in page.content.decode()
    )
    done = client.post(reverse("ballot:cast"), {"code": a, "item_0": "0", "item_1": "1"})
    assert done.status_code == 302 and done["Location"] == reverse("ballot:thanks")
    again = client.post(reverse("ballot:cast"), {"code": a, "item_0": "0", "item_1": "1"})
    assert again.status_code == 400 and "已经使用过" in again.content.decode()
    unknown = client.post(reverse("ballot:enter"), {"code": "ZZZZZZZZZZ"})
    assert unknown.status_code == 400 and "测评码无效" in unknown.content.decode()
    flood = client.post(reverse("ballot:cast"), {"code": b, "item_0": "0", "item_1": "0"})
    assert flood.status_code == 429 and "过于频繁" in flood.content.decode()
    assert Ballot.objects.count() == 1 and not BallotCode.objects.get(code_hash=services.hash_code(b)).used
    api = client.post(
        reverse("api:public-ballots"), {"code": b, "choices": [0, 0]}, content_type="application/json"
    )
    assert api.status_code == 429


def test_slips_page_prints_codes_once(world, tree, personas):
    client = Client()
    client.force_login(personas["village_secretary"])
    session = _open(personas, tree)
    _public(session, personas["village_secretary"], 6)
    response = client.post(
        reverse("evaluation:session_codes", args=[session.pk]), {"kind": "public", "count": 3}
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.count('data-testid="slip"') == 3 and "<svg" in body
    assert BallotCode.objects.filter(group__session=session).count() == 3
    assert "/p/ballot/" in body
    printed = re.findall(r'data-testid="slip-code">([^<]+)<', body)
    hashes = {services.hash_code(code) for code in printed}
    assert len(hashes) == 3 and set(BallotCode.objects.values_list("code_hash", flat=True)) == hashes


def test_board_and_export(world, tree, personas):
    secretary = personas["village_secretary"]
    session = _open(personas, tree)
    _public(session, secretary, 10, [[2, 1, 7], [2, 1, 7]])
    services.session_close(actor=secretary, session=session)
    client = Client()
    client.force_login(personas["county_office"])
    page = client.get(reverse("evaluation:index"), {"unit": tree.county.code})
    assert page.status_code == 200 and "可可以力更镇" in page.content.decode()
    xlsx = client.get(reverse("evaluation:export"), {"unit": tree.county.code})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert AuditEvent.objects.filter(verb="evaluation.export").count() == 1
    response = client.get(reverse("api:evaluation-rollup", args=[tree.county.code]))
    data = response.json()
    assert data["total"]["evaluated"] == 1 and data["total"]["below"] == 1 and data["total"]["redo_open"] == 1


def test_a_code_is_spent_once_even_when_two_requests_read_it_unused(world, tree, personas, monkeypatch):
    """The second of two requests that both read the code unused loses at the conditional UPDATE."""
    from echelon.core.errors import Conflict
    from echelon.evaluation.services import sessions

    secretary = personas["village_secretary"]
    session = _open(personas, tree)
    _public(session, secretary, 10)
    (code,) = services.codes_generate(actor=secretary, session=session, kind="public", count=1)
    stale = services.check_code(code)  # the other request's read, before this one votes
    services.ballot_cast(code=code, choices=[0, 0])
    monkeypatch.setattr(sessions, "check_code", lambda _code: stale)
    with pytest.raises(Conflict, match="已经使用过"):
        services.ballot_cast(code=code, choices=[1, 1])
    assert Ballot.objects.count() == 1
