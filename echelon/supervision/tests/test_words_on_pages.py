"""Small words on the pages (issue 10): the review log says which phase each entry belongs to; the printed
schedule ticks the actions the unit has done (☑) and leaves the others open (☐)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse

from echelon.supervision.tests import kit

pytestmark = pytest.mark.django_db


def client_for(u):
    c = Client()
    c.force_login(u)
    return c


@pytest.fixture
def world(tree, personas):
    """The access kit's campaign: the village did phase one (plan, mobilization) and submitted phase two."""
    return kit.world(SimpleNamespace(tree=tree, personas=personas))


def test_the_review_log_names_each_entrys_phase(tree, personas, world):
    page = client_for(personas["village_secretary"]).get(
        reverse("supervision:unit", args=[world.campaign.pk, tree.village.code])
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="history-phase">1. 准备、动员部署<' in html
    assert 'data-testid="history-phase">2. 学习教育、听取意见<' in html


def test_the_printed_schedule_ticks_the_actions_done(tree, personas, world):
    page = client_for(personas["village_secretary"]).get(
        reverse("campaigns:unit_print", args=[world.campaign.pk, tree.village.code])
    )
    html = page.content.decode()
    assert page.status_code == 200
    done = html.count('data-testid="action-done"')
    assert done >= 4, done  # plan, mobilization; study, opinions
    assert "☑" in html and "☐" in html and "已完成" in html


def test_a_returned_review_is_red_on_its_page_and_in_the_log(tree, personas, world):
    from datetime import timedelta

    from django.utils import timezone

    from echelon.accounts.models import User
    from echelon.supervision import services
    from echelon.supervision.models import Decision
    from echelon.supervision.services import CheckResult

    instructor = User.objects.get(username="kit_instructor")
    services.gate_decide(
        actor=instructor,
        review=world.review,
        decision=Decision.RETURN,
        comment="材料不全",
        checks={k: CheckResult(k != "materials", "") for k in ("thinking", "materials", "work")},
        deadline=timezone.localdate() + timedelta(days=5),
    )
    client = client_for(instructor)
    for url in (
        reverse("supervision:review", args=[world.review.pk]),
        reverse("supervision:unit", args=[world.campaign.pk, tree.village.code]),
    ):
        html = client.get(url).content.decode()
        assert 'class="badge text-bg-danger" data-testid="decision">打回修改<' in html, url
        assert 'text-bg-secondary" data-testid="decision"' not in html, url
