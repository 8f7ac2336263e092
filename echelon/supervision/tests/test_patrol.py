"""Patrol visits (巡查): only group members, only in the patrol scope (the targets and the level below),
never in the future, audited; the workbench counts targets no visit has reached yet."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from echelon.core.models import AuditEvent
from echelon.supervision import selectors, services
from echelon.supervision.models import PatrolVisit
from echelon.supervision.tests.helpers import group, make_campaign, part

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_group(tree, personas):
    campaign = make_campaign(tree.region)
    g = group(campaign, tree.county, "武川县第一督导组", members=(personas["county_supervisor"],))
    services.assign(actor=None, group=g, participation=part(campaign, tree.township))
    return g


def test_patrol_record_in_scope_is_audited(tree, personas, county_group):
    supervisor = personas["county_supervisor"]
    target = services.patrol_record(
        actor=supervisor, group=county_group, unit=tree.township, date=date.today(), findings="学习记录不全"
    )
    below = services.patrol_record(
        actor=supervisor,
        group=county_group,
        unit=tree.village,
        date=date.today() - timedelta(days=3),
        findings="  征求意见台账缺页  ",
    )
    assert below.findings == "征求意见台账缺页" and below.path == tree.village.path
    assert below.campaign_id == county_group.campaign_id and below.created_by == supervisor
    events = AuditEvent.objects.filter(verb="patrol.record").order_by("id")
    assert [e.object_id for e in events] == [str(target.pk), str(below.pk)]
    assert events[1].unit_path == tree.village.path and events[1].actor_id == supervisor.pk


@pytest.mark.parametrize("where", ["community_township", "community", "county", "sibling_village"])
def test_patrol_outside_scope_is_refused(tree, personas, county_group, where):
    with pytest.raises(ValidationError, match="巡查范围"):
        services.patrol_record(
            actor=personas["county_supervisor"],
            group=county_group,
            unit=getattr(tree, where),
            date=date.today(),
            findings="x",
        )
    assert not PatrolVisit.objects.exists()
    assert not AuditEvent.objects.filter(verb="patrol.record").exists()


def test_patrol_future_date_and_empty_findings_refused(tree, personas, county_group):
    supervisor = personas["county_supervisor"]
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.patrol_record(
            actor=supervisor,
            group=county_group,
            unit=tree.village,
            date=date.today() + timedelta(days=1),
            findings="x",
        )
    with pytest.raises(ValidationError, match="请填写"):
        services.patrol_record(
            actor=supervisor, group=county_group, unit=tree.village, date=date.today(), findings="  "
        )
    assert not PatrolVisit.objects.exists()


def test_only_group_members_record(tree, personas, county_group):
    for who in ("county_office", "township_operator", "outsider"):
        with pytest.raises(PermissionDenied):
            services.patrol_record(
                actor=personas[who], group=county_group, unit=tree.village, date=date.today(), findings="x"
            )
    assert not PatrolVisit.objects.exists()


def test_workbench_counts_targets_not_visited(tree, personas, county_group):
    supervisor = personas["county_supervisor"]
    campaign = county_group.campaign
    services.assign(actor=None, group=county_group, participation=part(campaign, tree.community_township))
    assert selectors.workbench(supervisor).not_visited == 2
    # a visit to the level below a target counts for that target
    services.patrol_record(
        actor=supervisor, group=county_group, unit=tree.village, date=date.today(), findings="x"
    )
    assert selectors.workbench(supervisor).not_visited == 1
    services.patrol_record(
        actor=supervisor, group=county_group, unit=tree.community_township, date=date.today(), findings="y"
    )
    assert selectors.workbench(supervisor).not_visited == 0


def test_group_page_form_and_list(tree, personas, county_group):
    client = Client()
    client.force_login(personas["county_supervisor"])
    url = reverse("supervision:group", args=[county_group.pk])
    assert 'name="findings"' in client.get(url).content.decode()
    response = client.post(
        reverse("supervision:group_patrol", args=[county_group.pk]),
        {"code": tree.village.code, "date": date.today().isoformat(), "findings": "村务公开栏未更新"},
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "村务公开栏未更新" in page and tree.village.name in page
    bench = client.get(reverse("supervision:workbench")).content.decode()
    assert "0 个督导对象尚未巡查" in bench
    # the dispatching office sees the list, not the form, and cannot record
    office = Client()
    office.force_login(personas["county_office"])
    assert 'name="findings"' not in office.get(url).content.decode()
    office.post(
        reverse("supervision:group_patrol", args=[county_group.pk]),
        {"code": tree.village.code, "date": date.today().isoformat(), "findings": "office"},
    )
    assert PatrolVisit.objects.count() == 1
