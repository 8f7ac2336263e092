"""A unit's write locks its own participation row and nothing else (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from echelon.supervision.services.unit_work import unit_participation
from echelon.supervision.tests.helpers import make_campaign, part


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_unit_write_locks_its_participation_not_the_campaign(tree, personas):
    """With a plain FOR UPDATE the joined campaign row was locked as well: every unit's write in the
    campaign queued behind the others, and every insert naming the campaign (an opinion from the public,
    a review) waited in its foreign key check (found by `make load`)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no row locks")
    p = part(make_campaign(tree.region), tree.village)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        locked = unit_participation(personas["village_secretary"], p)
    assert locked.pk == p.pk and locked.campaign_id == p.campaign_id
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locking
    assert all(sql.rstrip().endswith('FOR UPDATE OF "campaigns_participation"') for sql in locking), locking
