"""The editing pages: refusals on the fields, nothing written; only this site as ``next``; who sees the
buttons; a new unit's campaigns tab shows the campaign it joined."""

from __future__ import annotations

from django.urls import reverse

from echelon.conftest import make_member
from echelon.core.models import AuditEvent
from echelon.orgs import editing
from echelon.orgs.models import Unit
from echelon.orgs.tests.test_editing import running, unit_cells  # noqa: F401  (fixture)


def test_a_move_into_its_own_subtree_is_refused_on_the_parent_field(tree, personas, client):
    client.force_login(personas["county_office"])
    events = AuditEvent.objects.count()
    cells = {**editing.unit_cells(tree.township), "parent": tree.village.code}
    response = client.post(reverse("orgs:unit_edit", args=[tree.township.code]), cells)
    assert response.status_code == 200
    form = response.context["form"]
    assert "循环" in form.errors["parent"][0]
    assert Unit.objects.get(pk=tree.township.pk).parent_id == tree.county.pk
    assert AuditEvent.objects.count() == events


def test_next_is_a_page_of_this_site_only(tree, personas, client):
    client.force_login(personas["county_office"])
    url = reverse("orgs:unit_create", args=[tree.township.code]) + "?next=https://evil.example/"
    response = client.post(url, unit_cells())
    assert response.status_code == 302
    assert response["Location"] == Unit.objects.get(code=unit_cells()["code"]).get_absolute_url()


def test_the_buttons_are_for_those_who_may_change(tree, personas, client):
    make_member(tree.village, "B-1", mobile=True)
    pages = [
        reverse("orgs:unit_blind_spots", args=[tree.county.code]),
        reverse("orgs:unit", args=[tree.county.code]),
        reverse("orgs:unit_members", args=[tree.village.code]),
        reverse("orgs:member", args=["B-1"]),
    ]
    marks = ["register-inflow", "unit-edit", "member-new", "member-edit"]
    for name, shown in (("county_office", True), ("county_supervisor", False)):
        client.force_login(personas[name])
        for url, mark in zip(pages, marks, strict=True):
            assert (mark in client.get(url).content.decode()) is shown, (name, url)


def test_a_new_unit_shows_the_campaign_it_joined(tree, personas, client, running):  # noqa: F811
    client.force_login(personas["county_office"])
    response = client.post(reverse("orgs:unit_create", args=[tree.township.code]), unit_cells())
    assert response.status_code == 302
    page = client.get(reverse("campaigns:unit_campaigns", args=[unit_cells()["code"]]), follow=True)
    assert page.status_code == 200 and running.name in page.content.decode()
