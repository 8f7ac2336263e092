"""The demo's appraisals (``echelon.demo.appraisal``): set-based, for the branches that passed the phase."""

from __future__ import annotations

from datetime import date

import pytest

from echelon.appraisal import selectors
from echelon.appraisal.models import Appraisal, FollowUp, GradeCount, Rating, State
from echelon.campaigns.models import Campaign, Participation, PhaseActual
from echelon.conftest import make_member
from echelon.core.models import AuditEvent
from echelon.demo.appraisal import ABSENT_EVERY, seed_appraisal
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db


def _passed(campaign: Campaign, unit, phases: int, end: date) -> None:
    part = Participation.objects.get(campaign=campaign, unit=unit)
    part.current_phase = phases
    part.save(update_fields=["current_phase"])
    for n in range(phases):
        PhaseActual.objects.create(participation=part, phase=n, start=date(2014, 2, 1), end=end)


def test_seed_rates_the_members_present_of_branches_past_the_phase(tree):
    campaign = Campaign.objects.filter(root=tree.region).first() or make_campaign(tree.region)
    members = [make_member(tree.village, f"D-V{n:02d}") for n in range(1, 41)]
    for n in range(1, 6):
        make_member(tree.community, f"D-C{n}")
    examine = campaign.spec.phase_index("examine")
    _passed(campaign, tree.village, examine + 1, date(2014, 6, 20))
    _passed(campaign, tree.community, examine, date(2014, 6, 20))  # still in the examine phase
    result = seed_appraisal(campaign, date(2014, 9, 1))
    appraisal = Appraisal.objects.get()
    present = sum(1 for m in members if m.pk % ABSENT_EVERY)
    assert appraisal.unit_id == tree.village.pk and appraisal.state == State.RECORDED
    assert (appraisal.present, appraisal.rated, appraisal.meeting_date) == (
        present,
        present,
        date(2014, 6, 20),
    )
    assert Rating.objects.count() == present == result["ratings"]
    lowest = sum(1 for m in members if m.pk % ABSENT_EVERY and m.pk % 20 == 0)
    assert appraisal.lowest == lowest
    assert sum(GradeCount.objects.values_list("count", flat=True)) == present
    assert FollowUp.objects.count() == lowest == result["followups"]
    total, _rows = selectors.summary(campaign, tree.county, ["好", "一般", "差"])
    assert (total.branches, total.recorded, total.rated, total.grades["差"]) == (2, 1, present, lowest)
    assert AuditEvent.objects.filter(verb="appraisal.seed").count() == 1
    # again: nothing new
    assert seed_appraisal(campaign, date(2014, 9, 1))["appraisals"] == 0
    assert Rating.objects.count() == present
