"""The demo's evaluations (``echelon/demo/evaluation.py``): rows as the services would leave them, so the
board, the redo pages and the public result read them like any other."""

from __future__ import annotations

from datetime import date

from echelon.campaigns.models import Participation
from echelon.core.models import AuditEvent
from echelon.demo import evaluation as demo
from echelon.evaluation import selectors
from echelon.evaluation.models import EvaluatorGroup, Redo, RedoStatus, Session, Tally
from echelon.supervision.tests.helpers import make_campaign

TODAY = date(2014, 10, 20)


def test_seeded_sessions_results_and_redos(tree, monkeypatch):
    monkeypatch.setattr(demo, "SHARE_EVALUATED", 1.0)
    monkeypatch.setattr(demo, "SHARE_BELOW", 0.5)
    campaign = make_campaign(tree.region)
    reached = Participation.objects.filter(campaign=campaign, level=5).update(current_phase=4)
    result = demo.seed_evaluation(campaign, TODAY, seed=7)
    assert result.reached == reached and result.below == result.redo_open + result.redo_done > 0
    assert Session.objects.filter(current=True).count() == reached  # every unit that reached it, once
    for session in Session.objects.filter(current=True):
        votes = sum(t.votes for t in Tally.objects.filter(group__session=session, item=0))
        assert votes == session.total_votes == sum(session.results[0])
        assert votes <= sum(EvaluatorGroup.objects.filter(session=session).values_list("present", flat=True))
        assert session.passed == (session.satisfied_share >= session.redo_below)
    for redo in Redo.objects.all():
        assert redo.session.passed is False and redo.session.round == 1
        later = Session.objects.filter(redo=redo)
        assert (redo.status == RedoStatus.DONE) == later.filter(passed=True).exists()
    board = selectors.rollup(campaign, tree.region)
    assert board.total.evaluated == reached and board.total.not_evaluated == board.total.units - reached
    assert board.total.redo_open == result.redo_open and board.total.below == result.redo_open
    assert selectors.public_result(tree.village) is not None
    assert AuditEvent.objects.filter(verb="evaluation.simulate").count() == 1
    again = demo.seed_evaluation(campaign, TODAY, seed=7)  # a campaign with evaluations is left alone
    assert again.sessions == 0 and Session.objects.filter(current=True).count() == reached
