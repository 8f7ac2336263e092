"""The pickers on the supervision and campaign pages, without JavaScript (a plain text input): a unit typed by
its name or code and a person by name or username are resolved within the user's scope; a choice outside it is
refused in Chinese on the form, and nothing is written."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from echelon.campaigns.models import Campaign
from echelon.conftest import make_unit
from echelon.core.models import AuditEvent
from echelon.orgs.models import Kind, Level
from echelon.supervision import services
from echelon.supervision.models import LiaisonPoint, PatrolVisit
from echelon.supervision.tests.helpers import group, make_campaign, part

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


@pytest.fixture
def county_group(tree, personas):
    campaign = make_campaign(tree.region)
    g = group(campaign, tree.county, "武川县第一督导组", members=(personas["county_supervisor"],))
    services.assign(actor=None, group=g, participation=part(campaign, tree.township))
    return g


def test_patrol_by_the_villages_name(tree, personas, county_group):
    """Typing 马家壕村 finds it (it said 找不到该组织 when only a code was accepted)."""
    village = make_unit(tree.township, "150125100202", "马家壕村", Level.VILLAGE, Kind.VILLAGE, "village")
    client = client_for(personas["county_supervisor"])
    url = reverse("supervision:group_patrol", args=[county_group.pk])
    page = client.get(reverse("supervision:group", args=[county_group.pk])).content.decode()
    assert 'data-lookup="/orgs/autocomplete/"' in page  # the patrol form's unit is a picker
    response = client.post(
        url, {"code": "马家壕村", "date": date.today().isoformat(), "findings": "台账不全"}
    )
    assert response.status_code == 302
    assert list(PatrolVisit.objects.values_list("unit_id", flat=True)) == [village.pk]


def test_patrol_outside_the_users_scope_is_refused_on_the_form(tree, personas, county_group):
    client = client_for(personas["county_supervisor"])
    url = reverse("supervision:group_patrol", args=[county_group.pk])
    response = client.post(
        url, {"code": tree.sibling_village.code, "date": date.today().isoformat(), "findings": "x"}
    )
    assert response.status_code == 302
    assert any("找不到组织“150222100201”，或它不在您的查看范围内" in m for m in messages_of(response))
    assert not PatrolVisit.objects.exists() and not AuditEvent.objects.filter(verb="patrol.record").exists()


def test_liaison_point_by_names(tree, personas):
    office = client_for(personas["county_office"])
    personas["liaison_leader"].display_name = "王建国"
    personas["liaison_leader"].save()
    page = office.get(reverse("supervision:liaison_points")).content.decode()
    assert 'data-lookup="/accounts/users/lookup/?action=dispatch&amp;role=leader"' in page
    assert 'data-lookup="/orgs/autocomplete/?action=dispatch"' in page
    response = office.post(
        reverse("supervision:liaison_add"), {"leader": "王建国", "code": "可可以力更镇", "kind": "link"}
    )
    assert response.status_code == 302
    point = LiaisonPoint.objects.get()
    assert (point.leader.username, point.unit.code) == ("liaison_leader", tree.township.code)


@pytest.mark.parametrize(
    ("leader", "code", "error"),
    [
        ("outsider", "150125100", "找不到用户“outsider”，或该用户不在您的范围内"),
        ("liaison_leader", "150222100201", "找不到组织“150222100201”，或它不在您的管理范围内"),
        ("liaison_leader", "150000", "找不到组织“150000”，或它不在您的管理范围内"),
    ],
)
def test_liaison_point_outside_the_offices_scope_is_refused(tree, personas, leader, code, error):
    response = client_for(personas["county_office"]).post(
        reverse("supervision:liaison_add"), {"leader": leader, "code": code, "kind": "link"}
    )
    assert response.status_code == 302 and any(error in m for m in messages_of(response))
    assert not LiaisonPoint.objects.exists()


def test_group_member_and_target_outside_the_scope_are_refused(tree, personas, county_group):
    office = client_for(personas["county_office"])
    members = county_group.members.count()
    response = office.post(
        reverse("supervision:group_member", args=[county_group.pk]), {"username": "outsider"}
    )
    assert any("找不到用户“outsider”" in m for m in messages_of(response))
    response = office.post(
        reverse("supervision:group_assign", args=[county_group.pk]), {"code": tree.sibling_village.code}
    )
    assert any("找不到组织“150222100201”" in m for m in messages_of(response))
    assert county_group.members.count() == members
    assert county_group.assignments.count() == 1


def test_campaign_scope_by_name_and_refused_outside(tree, personas):
    office = client_for(personas["county_office"])
    url = reverse("campaigns:create")
    data = {"template": "mass-line-2014-nmg", "start": "2014-01-20", "end": "2014-09-30", "name": ""}
    refused = office.post(url, {**data, "root": "包头市"})
    assert (
        refused.status_code == 200
        and "找不到组织“包头市”，或它不在您的管理范围内" in refused.content.decode()
    )
    assert not Campaign.objects.exists()
    created = office.post(url, {**data, "root": "武川县党委"})
    assert created.status_code == 302
    assert Campaign.objects.get().root_id == tree.county.pk


def test_group_dispatched_by_names(tree, personas):
    from echelon.supervision.models import SupervisionGroup
    from echelon.supervision.tests.helpers import supervisor, user

    campaign = make_campaign(tree.region)
    second = user("second_supervisor")
    second.display_name = "赵督导"
    second.save()
    supervisor(second, tree.county)
    office = client_for(personas["county_office"])
    url = reverse("supervision:group_create", args=[campaign.pk])
    data = {"batch": "second", "home": "武川县", "name": "武川县第二督导组", "kind": "group"}
    refused = office.post(url, {**data, "leader": "county_supervisor", "members": "赵督导，outsider"})
    assert refused.status_code == 200 and "找不到用户“outsider”" in refused.content.decode()
    created = office.post(
        url, {**data, "leader": "county_supervisor", "members": "赵督导，county_supervisor"}
    )
    assert created.status_code == 302
    g = SupervisionGroup.objects.get()
    assert g.home_unit_id == tree.county.pk and g.leader.username == "county_supervisor"
    assert sorted(g.members.values_list("username", flat=True)) == ["county_supervisor", "second_supervisor"]
