"""The ledger's opinions and problems read by cursor (``keyset_pages``): newest first along the primary key,
the same rows as the offset walk, the caller's only."""

from __future__ import annotations

import pytest

from echelon.ledger import services
from echelon.ledger.models import Opinion, Problem
from echelon.orgs.tests.test_api_keyset import _client, walk_cursor, walk_offset
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db

API = "/api/v1/ledger"


@pytest.fixture
def ledger(tree, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_campaign(tree.region)
    for n in range(7):
        unit = (tree.village, tree.community, tree.sibling_village)[n % 3]
        actor = personas["outsider"] if unit == tree.sibling_village else personas["county_office"]
        services.problem_create(
            actor=actor, unit=unit, title=f"问题{n}", category="formalism", source="public"
        )
        services.opinion_record(actor=actor, unit=unit, text=f"意见{n}：路灯不亮", channel="forum")
    return tree


@pytest.mark.parametrize(("kind", "model"), [("problems", Problem), ("opinions", Opinion)])
@pytest.mark.parametrize("persona", ["region_office", "county_office", "outsider"])
def test_a_ledger_list_walks_by_cursor_as_by_offset(ledger, personas, persona, kind, model):
    user = personas[persona]
    client = _client(user)
    by_cursor, pages = walk_cursor(client, f"{API}/{kind}/", "id", limit=1)
    assert by_cursor == walk_offset(client, f"{API}/{kind}/", "id", limit=1)
    want = list(model.objects.visible_to(user, "view").order_by("-id").values_list("id", flat=True))
    assert by_cursor == want and pages and all(p["count"] is None for p in pages)


def test_a_filtered_ledger_walk_keeps_its_filter(ledger, personas):
    client = _client(personas["region_office"])
    by_cursor, _pages = walk_cursor(client, f"{API}/problems/", "title", limit=1, under=ledger.county.code)
    assert by_cursor == [f"问题{n}" for n in (6, 4, 3, 1, 0)]
