"""Which campaign a unit's evaluation board shows (``selectors.campaign_for``): the latest one taking place
in the unit's subtree or above it."""

from __future__ import annotations

from datetime import date

from echelon.campaigns.models import Campaign, Participation
from echelon.evaluation import selectors
from echelon.supervision.tests.helpers import make_campaign


def test_the_latest_campaign_with_participations_in_the_subtree_or_above(tree):
    assert selectors.campaign_for(tree.region) is None
    older = make_campaign(tree.region)
    newer = make_campaign(tree.county)
    Campaign.objects.filter(pk=older.pk).update(start=date(2013, 6, 1))
    # the county's campaign takes place in the region's subtree, and above the village
    assert selectors.campaign_for(tree.region) == newer
    assert selectors.campaign_for(tree.village) == newer
    # a unit outside the county: only the region's campaign covers it
    assert selectors.campaign_for(tree.sibling_village) == older
    # a campaign whose scope holds the unit but in which the unit takes no part is not the unit's
    Participation.objects.filter(campaign=newer, unit=tree.village).delete()
    assert selectors.campaign_for(tree.village) == older
    assert selectors.campaign_for(tree.township) == newer
