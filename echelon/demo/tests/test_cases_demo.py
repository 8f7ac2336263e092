"""The demo's typical cases and own actions (``demo/cases.py``): published to the level above's library,
some waiting and returned, own actions in the current phase; one audit event; the library and the unit's
phase page show them."""

from __future__ import annotations

from django.urls import reverse

from echelon.campaigns.models import Participation
from echelon.cases import selectors
from echelon.cases.models import Case, CaseFile, CaseStatus
from echelon.core.models import AuditEvent
from echelon.demo.cases import seed_cases
from echelon.supervision import selectors as supervision_selectors
from echelon.supervision.models import OwnAction
from echelon.supervision.tests.helpers import make_campaign, part


def test_seed_cases(tree, personas, settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    Participation.objects.filter(campaign=campaign).exclude(unit=tree.village).update(current_phase=3)
    result = seed_cases(campaign)
    assert result.published > 0 and result.waiting > 0 and result.own_actions >= 1
    published = Case.objects.filter(status=CaseStatus.PUBLISHED)
    assert published.count() == result.published
    for case in published:
        assert case.library_path == case.path[:-5] and case.library_unit.path == case.library_path
        assert case.action_key in {
            a.key for a in campaign.spec.actions(case.phase_key, part(campaign, case.unit).kind)
        }
    assert CaseFile.objects.count() == Case.objects.count()
    assert AuditEvent.objects.filter(verb="case.seed").count() == 1
    secretary = personas["village_secretary"]
    seen = selectors.library(secretary, campaign, selectors.Filters())
    assert all(tree.village.path.startswith(c.library_path) for c in seen)
    # every own action sits in its unit's current phase and shows there
    own = OwnAction.objects.select_related("participation").first()
    assert own is not None and own.phase == own.participation.current_phase
    state = supervision_selectors.phase_state(own.participation)
    assert own.title in [a.name for a in state.actions]
    client.force_login(personas["region_office"])
    assert client.get(reverse("cases:library", args=[campaign.pk])).status_code == 200


def test_the_cases_drawn_do_not_depend_on_the_campaigns_key(tree, personas, settings, tmp_path):
    """The same campaign under another key (a rerun of demo_campaign after a killed one, on PostgreSQL,
    whose sequences move on) gets the same cases: found by the crash drills (test_crash_drills.py)."""
    settings.MEDIA_ROOT = tmp_path
    drawn = []
    for _ in range(2):
        campaign = make_campaign(tree.region)
        Participation.objects.filter(campaign=campaign).exclude(unit=tree.village).update(current_phase=3)
        seed_cases(campaign)
        cases = Case.objects.filter(campaign=campaign)
        drawn.append(sorted((c.unit.code, c.phase_key, c.action_key, c.title, c.status) for c in cases))
    assert drawn[0] and drawn[0] == drawn[1]
