from __future__ import annotations

import pytest

from echelon.supervision import selectors, services
from echelon.supervision.tests.helpers import group, make_campaign, part


@pytest.mark.django_db
def test_cached_coverage_report_follows_assignments(personas, tree):
    campaign = make_campaign(tree.region)
    batch = campaign.batches.get(key="second")
    before = selectors.coverage_report(campaign, batch=batch)[0].report
    township = part(campaign, tree.township)
    assert township.unit_id in {g.unit_id for g in before.gaps}
    county_group = group(campaign, tree.county, "武川县第一督导组")
    services.assign(actor=None, group=county_group, participation=township)
    after = selectors.coverage_report(campaign, batch=batch)[0].report
    assert township.unit_id not in {g.unit_id for g in after.gaps}
    assert len(after.gaps) == len(before.gaps) - 1
