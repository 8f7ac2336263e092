"""The pickers' look-ups: units by name, pinyin, initials or code, tolerant of a party-body suffix
(武川县党委), each with its parent path, scoped to the caller; people by name or username, scoped the same
way; the JSON endpoints (pages and API) and the form fields that use them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from echelon.accounts import services as account_services
from echelon.accounts.fields import UserField
from echelon.accounts.selectors import lookup_users, resolve_username
from echelon.conftest import make_unit
from echelon.core.widgets import LookupField, LookupFormMixin
from echelon.orgs.fields import UnitField
from echelon.orgs.lookup import lookup_units, resolve_code, strip_suffixes
from echelon.orgs.models import Kind, Level

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(tree):
    """Two villages named 马家壕村, in two townships of 武川县, and a third in 包头市's 金山镇."""
    jinshan = tree.units["150222100"]
    return {
        "kekeyili": make_unit(
            tree.township, "150125100202", "马家壕村", Level.VILLAGE, Kind.VILLAGE, "village"
        ),
        "chengguan": make_unit(
            tree.community_township, "150125001202", "马家壕村", Level.VILLAGE, Kind.VILLAGE, "village"
        ),
        "baotou": make_unit(jinshan, "150222100202", "马家壕村", Level.VILLAGE, Kind.VILLAGE, "village"),
    }


def codes(hits):
    return [h["code"] for h in hits]


# --- the unit search ---------------------------------------------------------------------------------------


def test_by_name_pinyin_initials_and_code(tree, admin_user):
    assert codes(lookup_units(admin_user, "武川"))[:2] == ["150125", "150125-O01"]
    assert "150125" in codes(lookup_units(admin_user, "wuchuan"))
    assert codes(lookup_units(admin_user, "dtc")) == ["150125100201"]
    assert codes(lookup_units(admin_user, "150125100")) == ["150125100", "150125100201"]
    assert codes(lookup_units(admin_user, "土城")) == ["150125100201"]  # anywhere in the name, as a fallback
    assert lookup_units(admin_user, "   ") == []


def test_a_party_body_suffix_is_dropped_when_nothing_else_matches(tree, admin_user):
    assert strip_suffixes("武川县党委") == "武川县"
    assert strip_suffixes("东土城村党支部委员会") == "东土城村"
    assert strip_suffixes("委员会") == "委员会"  # nothing would be left
    hits = lookup_units(admin_user, "武川县党委")
    assert codes(hits)[0] == "150125"  # the exact name first, then 武川县委组织部
    assert codes(lookup_units(admin_user, "东土城村党支部")) == ["150125100201"]
    # 县委 is the county's own party body: the county first, then what really starts so
    assert codes(lookup_units(admin_user, "武川县委")) == ["150125", "150125-O01"]


def test_each_hit_carries_its_parent_path_within_the_callers_part(tree, personas, twins, admin_user):
    hits = {h["code"]: h for h in lookup_units(admin_user, "马家")}
    assert hits["150125100202"]["parents"] == "呼和浩特市 › 武川县 › 可可以力更镇"
    assert hits["150125001202"]["parents"] == "呼和浩特市 › 武川县 › 城关街道"
    assert hits["150222100202"]["parents"] == "包头市 › 固阳县 › 金山镇"
    assert hits["150125100202"]["url"] == reverse("orgs:unit", args=["150125100202"])
    # the county office sees its county and below: the path starts there
    county = {h["code"]: h["parents"] for h in lookup_units(personas["county_office"], "马家壕")}
    assert county == {"150125100202": "武川县 › 可可以力更镇", "150125001202": "武川县 › 城关街道"}


def test_an_outsider_finds_nothing_of_another_league(tree, personas, twins):
    outsider = personas["outsider"]
    assert codes(lookup_units(outsider, "马家壕村")) == ["150222100202"]
    for q in ("武川", "wuchuan", "dtc", "150125", "武川县党委"):
        assert lookup_units(outsider, q) == []
    # the village secretary sees only its village
    assert codes(lookup_units(personas["village_secretary"], "马家")) == []
    assert codes(lookup_units(personas["village_secretary"], "东土城")) == ["150125100201"]


def test_the_action_narrows_the_scope(tree, personas):
    supervisor = personas["county_supervisor"]
    assert codes(lookup_units(supervisor, "dtc")) == ["150125100201"]
    assert lookup_units(supervisor, "dtc", action="dispatch") == []
    assert lookup_units(personas["county_office"], "dtc", action="dispatch") != []


def test_inactive_units_are_not_offered(tree, admin_user):
    tree.village.is_active = False
    tree.village.save()
    assert lookup_units(admin_user, "dtc") == []


# --- resolving what was typed (the fields, without JavaScript) ---------------------------------------


def test_resolve_a_code_a_name_or_a_name_with_its_suffix(tree, personas, twins):
    office = personas["county_office"]
    assert resolve_code(office, "150125100201") == "150125100201"
    assert resolve_code(office, "东土城村") == "150125100201"
    assert resolve_code(office, " 武川县党委 ") == "150125"
    with pytest.raises(ValidationError) as many:
        resolve_code(office, "马家壕村")
    text = many.value.messages[0]
    assert "有多个名为“马家壕村”的组织" in text and "150125100202（武川县 › 可可以力更镇 › 马家壕村）" in text
    assert "150222100202" not in text  # 包头市's namesake stays out of sight
    with pytest.raises(ValidationError, match="找不到组织“150222100201”，或它不在您的查看范围内"):
        resolve_code(office, "150222100201")
    assert resolve_code(personas["outsider"], "马家壕村") == "150222100202"


# --- people -------------------------------------------------------------------------------------------------


def test_people_by_username_or_name_in_scope(tree, personas):
    office = personas["county_office"]
    personas["liaison_leader"].display_name = "王建国"
    personas["liaison_leader"].save()
    assert [h["username"] for h in lookup_users(office, "王建")] == ["liaison_leader"]
    hit = lookup_users(office, "liaison")[0]
    assert hit == {"username": "liaison_leader", "name": "王建国", "grants": "武川县 · 联系点领导"}
    leaders = lookup_users(office, "t", role="leader")
    assert [h["username"] for h in leaders] == ["township_leader"]
    # users granted above the county or in another league are not the county's to pick
    assert lookup_users(office, "region") == [] and lookup_users(office, "outsider") == []
    assert lookup_users(personas["outsider"], "village") == []
    assert resolve_username(office, "王建国") == "liaison_leader"
    with pytest.raises(ValidationError, match="找不到用户“outsider”"):
        resolve_username(office, "outsider")


def test_a_user_without_grants_in_scope_is_not_offered(tree, personas):
    loner = account_services.user_create(actor=None, username="village_loner", password=None)
    assert loner.pk and lookup_users(personas["county_office"], "village_loner") == []


# --- the endpoints ------------------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["/orgs/autocomplete/", "/api/v1/units/lookup/"])
def test_the_unit_endpoints(tree, personas, twins, url):
    office = client_for(personas["county_office"])
    response = office.get(url, {"q": "马家"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    results = response.json()["results"]
    assert [(r["name"], r["parents"]) for r in results] == [  # in tree order
        ("马家壕村", "武川县 › 可可以力更镇"),
        ("马家壕村", "武川县 › 城关街道"),
    ]
    assert office.get(url, {"q": "武川县党委"}).json()["results"][0]["code"] == "150125"
    assert office.get(url, {"q": "dtc", "action": "dispatch"}).json()["results"][0]["code"] == "150125100201"
    supervisor = client_for(personas["county_supervisor"])
    assert supervisor.get(url, {"q": "dtc", "action": "dispatch"}).json()["results"] == []
    assert office.get(url, {"q": "x" * 51}).status_code == 400
    assert office.get(url, {"q": "dtc", "action": "DROP TABLE"}).status_code == 400
    outsider = client_for(personas["outsider"]).get(url, {"q": "武川"})
    assert outsider.json()["results"] == [] and "武川" not in outsider.content.decode()


@pytest.mark.parametrize("url", ["/accounts/users/lookup/", "/api/v1/users/lookup/"])
def test_the_people_endpoints(tree, personas, url):
    office = client_for(personas["county_office"])
    results = office.get(url, {"q": "t", "role": "leader"}).json()["results"]
    assert [r["username"] for r in results] == ["township_leader"]
    assert office.get(url, {"q": "x", "role": "boss"}).status_code == 400
    outsider = client_for(personas["outsider"]).get(url, {"q": "village"})
    assert outsider.json()["results"] == [] and "village_secretary" not in outsider.content.decode()


def test_anonymous_callers_are_refused(tree):
    assert Client().get("/orgs/autocomplete/", {"q": "dtc"}).status_code == 302  # a page: to the login
    assert Client().get("/api/v1/units/lookup/", {"q": "dtc"}).status_code == 401


def test_the_lookups_are_throttled(tree, personas, settings):
    from echelon.core.api.throttling import LookupThrottle

    office = client_for(personas["county_office"])
    original = LookupThrottle.rate
    LookupThrottle.rate = "3/min"
    try:
        statuses = [office.get("/api/v1/units/lookup/", {"q": "dtc"}).status_code for _ in range(4)]
    finally:
        LookupThrottle.rate = original
    assert statuses == [200, 200, 200, 429]


def test_the_endpoints_are_in_the_openapi_schema(tree, personas):
    schema = client_for(personas["county_office"]).get("/api/schema/", {"format": "json"}).json()
    assert "q" in str(schema["paths"]["/api/v1/units/lookup/"]["get"]["parameters"])
    assert "/api/v1/users/lookup/" in schema["paths"]


# --- the fields ---------------------------------------------------------------------------------------------


def make_form(data, user):
    from django import forms

    class Form(LookupFormMixin, forms.Form):
        unit = UnitField(label="单位", action="dispatch")
        person = UserField(label="人员", required=False)
        people = UserField(label="成员", multiple=True, required=False)

    return Form(data, user=user)


def test_the_field_takes_a_code_or_a_name_and_refuses_what_is_out_of_scope(tree, personas, twins):
    office = personas["county_office"]
    form = make_form(
        {"unit": "可可以力更镇", "person": "liaison_leader", "people": "township_leader，liaison_leader"},
        office,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "unit": "150125100",
        "person": "liaison_leader",
        "people": ["township_leader", "liaison_leader"],
    }
    form = make_form({"unit": "150222100202", "person": "outsider"}, office)
    assert not form.is_valid()
    assert form.errors["unit"] == ["找不到组织“150222100202”，或它不在您的管理范围内。"]
    assert form.errors["person"] == ["找不到用户“outsider”，或该用户不在您的范围内。"]
    # the supervisor may look at the county but not dispatch there
    form = make_form({"unit": "150125100"}, personas["county_supervisor"])
    assert not form.is_valid() and "不在您的管理范围内" in form.errors["unit"][0]


def test_a_form_without_its_user_fails_loudly():
    from django import forms
    from django.core.exceptions import ImproperlyConfigured

    class Form(forms.Form):
        unit = UnitField(label="单位")

    with pytest.raises(ImproperlyConfigured):
        Form({"unit": "150125"}).is_valid()


def test_the_widget_renders_a_text_input_for_the_type_ahead():
    html = str(UnitField(label="单位", action="dispatch").widget.render("unit", "150125"))
    assert 'type="text"' in html and 'value="150125"' in html
    assert 'data-lookup="/orgs/autocomplete/?action=dispatch"' in html
    assert 'data-lookup-detail="parents"' in html and "没有找到匹配的组织" in html
    assert isinstance(UserField(label="x"), LookupField)


# --- the search page and the header's search box ------------------------------------------------------------


def test_the_search_page_is_suffix_tolerant_and_shows_the_parent_path(tree, personas, twins):
    office = client_for(personas["county_office"])
    page = office.get(reverse("orgs:search"), {"q": "马家壕村"}).content.decode()
    assert page.count("马家壕村</a>") == 2
    assert "武川县 › 可可以力更镇" in page and "武川县 › 城关街道" in page and "上级组织" in page
    assert "金山镇" not in page
    page = office.get(reverse("orgs:search"), {"q": "武川县党委"}).content.decode()
    assert 'href="/orgs/u/150125/"' in page
    assert "没有符合条件的组织" not in page


def test_the_header_box_echoes_only_its_own_query_and_offers_the_type_ahead(tree, personas):
    office = client_for(personas["county_office"])
    search = office.get(reverse("orgs:search"), {"q": "东土城"}).content.decode()
    assert 'name="q" value="东土城"' in search
    assert 'data-search-lookup="/orgs/autocomplete/"' in search
    # another page's own filter named q (the unit's children) stays out of the header's box
    unit = office.get(reverse("orgs:unit", args=[tree.county.code]), {"q": "城关"}).content.decode()
    assert 'class="form-control form-control-sm ech-search" type="search" name="q" value=""' in unit
