from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection

from echelon.campaigns.models import Campaign, Participation
from echelon.core.models import AuditEvent
from echelon.supervision import coverage, selectors
from echelon.supervision.models import GroupAssignment, SupervisionGroup


@pytest.mark.django_db
def test_demo_campaign_is_published_fully_covered_and_idempotent(personas, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the history's shared demo materials
    call_command("demo_campaign", "--if-empty", stdout=io.StringIO())
    campaign = Campaign.objects.get()
    assert campaign.status == "published"
    for batch in campaign.batches.all():
        data = selectors.coverage_data(campaign, batch=batch)
        report = coverage.check(data.units, data.groups, data.assignments)
        assert not report.gaps and not report.overlaps
    supervisor_groups = SupervisionGroup.objects.filter(members=personas["county_supervisor"])
    assert [g.home_unit_id for g in supervisor_groups] == [tree.county.pk]
    assert AuditEvent.objects.filter(verb__startswith="campaign.").exists()
    call_command("demo_campaign", "--if-empty", stdout=io.StringIO())
    assert Campaign.objects.count() == 1


@pytest.mark.django_db
def test_a_demo_campaign_that_fails_half_way_leaves_nothing_and_the_rerun_builds_it(
    personas, tree, settings, tmp_path, monkeypatch
):
    """Killed or failing after the campaign was created, scheduled, published and its groups dispatched, the
    command used to leave that half-made campaign behind, and ``--if-empty`` (``make demo``) then skipped it
    for good (found by the crash drills: echelon/core/tests/test_crash_drills.py). It is one transaction."""
    from echelon.demo import cases

    settings.MEDIA_ROOT = tmp_path

    def fails(*args, **kwargs):
        raise RuntimeError("killed")

    monkeypatch.setattr(cases, "seed_cases", fails)  # the last step of the history
    events = AuditEvent.objects.count()
    with pytest.raises(RuntimeError):
        call_command("demo_campaign", "--if-empty", stdout=io.StringIO())
    assert not Campaign.objects.exists() and not SupervisionGroup.objects.exists()
    assert AuditEvent.objects.count() == events
    monkeypatch.undo()
    call_command("demo_campaign", "--if-empty", stdout=io.StringIO())
    assert Campaign.objects.get().status == "published"


@pytest.mark.django_db
def test_demo_campaign_leaves_postgresql_statistics_of_what_it_wrote(personas, tree, settings, tmp_path):
    """Filled in bulk, the campaign's tables get their planner statistics at the end (PostgreSQL: a
    never-analysed table is planned as nearly empty, e.g. the whole subtree sorted for a page of 50 rows)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    settings.MEDIA_ROOT = tmp_path
    call_command("demo_campaign", "--no-history", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN (%s, %s)",
            [Participation._meta.db_table, GroupAssignment._meta.db_table],
        )
        estimated = dict(cursor.fetchall())
    assert estimated == {
        Participation._meta.db_table: Participation.objects.count(),
        GroupAssignment._meta.db_table: GroupAssignment.objects.count(),
    }
