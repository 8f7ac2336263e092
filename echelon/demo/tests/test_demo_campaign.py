from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from echelon.campaigns.models import Campaign
from echelon.core.models import AuditEvent
from echelon.supervision import coverage, selectors
from echelon.supervision.models import SupervisionGroup


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
