"""The satisfaction evaluation on the unit's public page: its result published as a frozen notice (after
the level above approves), and the ballot-code entry while the unit's evaluation is open."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from echelon.evaluation import services as evaluation
from echelon.evaluation.tests.helpers import HELD_ON, evaluation_world
from echelon.publicity import services
from echelon.publicity.models import PublicationStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, personas):
    return evaluation_world(tree, personas)


def _session(personas, tree, votes):
    secretary = personas["village_secretary"]
    session = evaluation.session_open(actor=secretary, unit=tree.village, held_on=HELD_ON)
    evaluation.group_set(actor=secretary, session=session, kind="public", present=20)
    evaluation.tally_record(actor=secretary, session=session, kind="public", votes=votes)
    return session


def test_the_result_is_published_frozen_after_approval(world, tree, personas):
    secretary = personas["village_secretary"]
    with pytest.raises(ValidationError, match="还没有结束的满意度测评"):
        draft = services.publication_create(actor=secretary, unit=tree.village, kind="evaluation")
        services.publication_submit(actor=secretary, publication=draft)
    session = _session(personas, tree, [[12, 4, 2], [10, 6, 2]])
    evaluation.session_close(actor=secretary, session=session)
    notice = services.publication_create(actor=secretary, unit=tree.village, kind="evaluation")
    notice = services.publication_submit(actor=secretary, publication=notice)
    assert notice.snapshot["present"] == 20 and notice.snapshot["passed"] is True
    assert notice.snapshot["satisfied_share"] == pytest.approx(16 / 18, abs=1e-4)
    page = Client().get(f"/p/{tree.village.code}/").content.decode()
    assert "满意率" not in page  # not before the township approves
    notice = services.publication_approve(actor=personas["township_operator"], publication=notice)
    assert notice.status == PublicationStatus.PUBLISHED
    page = Client().get(f"/p/{tree.village.code}/").content.decode()
    assert "满意率 89%" in page and "活动整体情况" in page and "12 票" in page


def test_the_ballot_entry_shows_while_the_evaluation_is_open(world, tree, personas):
    page = Client().get(f"/p/{tree.village.code}/").content.decode()
    assert 'data-testid="ballot-entry"' not in page
    session = _session(personas, tree, [[1, 0, 0], [1, 0, 0]])
    page = Client().get(f"/p/{tree.village.code}/").content.decode()
    assert 'data-testid="ballot-entry"' in page and 'action="/p/ballot/"' in page
    evaluation.session_close(actor=personas["village_secretary"], session=session)
    page = Client().get(f"/p/{tree.village.code}/").content.decode()
    assert 'data-testid="ballot-entry"' not in page
