"""The demo's publicity (``echelon/demo/publicity.py``): a share of the units with problems publish their
promises, problem list and results in bulk, like the service would (masked), running today."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone

from echelon.core.models import AuditEvent
from echelon.demo.publicity import seed_publicity
from echelon.ledger import services as ledger
from echelon.publicity import selectors
from echelon.publicity.models import Publication
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db


def test_seed_publicity_publishes_for_a_share_of_units(tree, personas):
    campaign = make_campaign(tree.region)
    secretary = personas["village_secretary"]
    opinion = ledger.opinion_submit_public(
        actor=AnonymousUser(), unit_code=tree.village.code, text="低保评定不公开。", contact="赵秀兰"
    )
    ledger.problem_create(
        actor=secretary,
        unit=tree.village,
        title="低保评定不公开",
        description="赵秀兰反映，电话13912345678",
        category="bureaucratism",
        source="public",
        opinions=[opinion],
    )
    Client().get(f"/p/{tree.village.code}/")  # cached before: the seed forgets it
    today = timezone.localdate()
    result = seed_publicity(campaign, today, share=1.0)
    assert result.counts == {"units": 1, "promises": 1, "problems": 1, "results": 0}
    items = {i.kind: i.snapshot for i in selectors.public_items(tree.village, today)}
    assert set(items) == {"promises", "problems"} and 3 <= len(items["promises"]["items"]) <= 5
    assert items["problems"]["items"][0]["description"] == "赵某某反映，电话139****5678"
    assert "低保评定不公开" in Client().get(f"/p/{tree.village.code}/").content.decode()
    assert AuditEvent.objects.filter(verb="publicity.simulate").count() == 1
    assert seed_publicity(campaign, today, share=0.0).counts["units"] == 0
    assert Publication.objects.count() == 2
