"""Bad input through the pages and the API users use (issue 8): a huge page number is 404 (never 500), a
what-if rule out of range is a Chinese 400 / form error, a phase actual outside the campaign's recording
window is refused with nothing written."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from echelon.campaigns import services, specs
from echelon.campaigns.models import Campaign, Participation, PhaseActual
from echelon.campaigns.tests.helpers import scheduled_campaign
from echelon.core import paging
from echelon.core.models import AuditEvent

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def region_campaign(tree) -> Campaign:
    return scheduled_campaign(tree.region, publish=True)


# ---------------------------------------------------------------------------------------------------------
# Page numbers
# ---------------------------------------------------------------------------------------------------------


def _paged_urls(campaign: Campaign, tree) -> list[str]:
    """Every page that takes a page number from the request (echelon.core.paging)."""
    pk, code = campaign.pk, tree.county.code
    return [
        reverse("campaigns:list"),
        reverse("campaigns:units", args=[pk]),
        reverse("campaigns:gantt", args=[pk]),
        reverse("campaigns:gantt", args=[pk]) + f"?unit={code}&",
        reverse("audit:list"),
        reverse("accounts:users"),
        reverse("orgs:unit", args=[code]),
        reverse("orgs:unit", args=[code]) + "?name=武&",
        reverse("orgs:unit_members", args=[code]),
        reverse("orgs:unit_members", args=[code]) + "?name=张&",
        reverse("orgs:unit_blind_spots", args=[code]),
        reverse("orgs:search") + "?q=武川&",
        reverse("supervision:campaign", args=[pk]),
        reverse("supervision:liaison_points"),
        reverse("notifications:list"),
    ]


def _with_page(url: str, page: str) -> str:
    if url.endswith("&"):
        return f"{url}page={page}"
    return f"{url}?page={page}"


def test_a_huge_or_bad_page_number_is_404_on_every_paged_page(tree, personas, region_campaign):
    client = client_for(personas["region_office"])
    for url in _paged_urls(region_campaign, tree):
        assert client.get(url).status_code == 200, url
        assert client.get(_with_page(url, "1")).status_code == 200, url
        for page in (HUGE, str(paging.MAX_PAGE + 1), "9999", "0", "-1", "abc", "1.5", "２"):
            response = client.get(_with_page(url, page))
            assert response.status_code == 404, (url, page, response.status_code)


def test_the_gantt_keeps_its_pages(tree, personas, region_campaign):
    """Normal page numbers behave as before: the village level of the township has one page of units."""
    client = client_for(personas["region_office"])
    gantt = reverse("campaigns:gantt", args=[region_campaign.pk])
    response = client.get(f"{gantt}?unit={tree.township.code}&page=1")
    assert response.status_code == 200 and response.context["chart"].page == 1
    assert client.get(f"{gantt}?unit={tree.township.code}&page=2").status_code == 404
    assert client.get(f"{gantt}?page={HUGE}").status_code == 404


def test_paged_tables_ignore_a_page_size_from_the_request(tree, personas, region_campaign):
    client = client_for(personas["region_office"])
    url = reverse("campaigns:units", args=[region_campaign.pk])
    response = client.get(f"{url}?per_page={HUGE}")
    assert response.status_code == 200
    assert response.context["table"].paginator.per_page == 50


def test_the_api_caps_limit_and_offset_past_the_end_is_empty(tree, personas, region_campaign):
    client = client_for(personas["region_office"])
    plan = f"/api/v1/campaigns/{region_campaign.pk}/plan/"
    for query in (f"limit={HUGE}", "limit=9223372036854775807", f"offset={HUGE}", f"limit={HUGE}&offset=1"):
        response = client.get(f"{plan}?{query}")
        assert response.status_code == 200, (query, response.content[:200])
    units = client.get(f"/api/v1/units/?limit={HUGE}")
    assert units.status_code == 200
    assert len(units.json()["results"]) <= paging.MAX_LIMIT
    assert client.get(f"{plan}?offset={HUGE}").json()["results"] == []


# ---------------------------------------------------------------------------------------------------------
# What-if
# ---------------------------------------------------------------------------------------------------------


def _what_if(client: Client, campaign: Campaign, changes: dict) -> Any:
    return client.post(
        f"/api/v1/campaigns/{campaign.pk}/what-if/",
        {"batch": "second", "changes": changes},
        content_type="application/json",
    )


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"lead_days": 10**12}, "lead_days"),
        ({"lead_days": -1}, "lead_days"),
        ({"level_stagger_days": 10**12}, "level_stagger_days"),
        ({"level_stagger_days": 366}, "level_stagger_days"),
        ({"min_duration_days": 10**12}, "min_duration_days"),
        ({"min_duration_days": 0}, "min_duration_days"),
        ({"flexible_levels": [10**12]}, "flexible_levels"),
        ({"ahead_kinds": ["x" * 33]}, "ahead_kinds"),
        ({"ahead_kinds": ["organ"] * 21}, "ahead_kinds"),
        ({"window_end": "9999-12-31"}, None),
        ({"window_start": "0001-01-01"}, None),
        ({"window_start": "1990-01-01"}, None),
    ],
)
def test_what_if_api_refuses_out_of_range_rules_in_chinese(tree, personas, region_campaign, changes, field):
    response = _what_if(client_for(personas["region_office"]), region_campaign, changes)
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    text = str(body)
    if field is not None:
        assert field in str(body.get("changes", body)), body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), body  # a Chinese message
    assert "Ensure" not in text


def test_what_if_api_keeps_sane_rules(tree, personas, region_campaign):
    client = client_for(personas["region_office"])
    ok = _what_if(client, region_campaign, {"lead_days": 365, "window_end": "2014-10-31"})
    assert ok.status_code == 200, ok.content[:300]


def test_the_service_checks_the_ranges_itself(tree, personas, region_campaign):
    from django.core.exceptions import ValidationError

    office = personas["region_office"]
    for changes in (
        {"lead_days": 10**12},
        {"min_duration_days": 10**30},
        {"window_end": date(9999, 12, 31)},
        {"window_start": date(1, 1, 1)},
        {"flexible_kinds": ["village"] * 100},
    ):
        with pytest.raises(ValidationError) as exc:
            services.campaign_what_if(
                actor=office, campaign=region_campaign, batch_key="second", changes=changes
            )
        assert any("须" in m for m in exc.value.messages), exc.value.messages
    # A re-plan with the same change is refused the same way, and nothing is stored.
    with pytest.raises(ValidationError, match="先行天数须在 0～365 天之间"):
        services.campaign_schedule(
            actor=office, campaign=region_campaign, rule_changes={"second": {"lead_days": 10**12}}
        )
    assert region_campaign.batches.get(key="second").rules["lead_days"] == 10


def test_what_if_page_shows_a_form_error(tree, personas, region_campaign):
    client = client_for(personas["region_office"])
    url = reverse("campaigns:what_if", args=[region_campaign.pk])
    response = client.post(url, {"batch": "second", "lead_days": str(10**12)})
    assert response.status_code == 200
    assert response.context["result"] is None
    assert "lead_days" in response.context["form"].errors
    assert "365" in str(response.context["form"].errors["lead_days"])
    far = client.post(url, {"batch": "second", "window_end": "9999-12-31"})
    assert far.status_code == 200 and far.context["result"] is None
    assert "批次结束日期须在" in far.content.decode()


def test_a_template_with_an_absurd_rule_is_refused():
    text = (specs.BUILTIN_DIR / "mass_line_2014_nmg.yaml").read_text(encoding="utf-8")
    bad = text.replace("lead_days: 10", "lead_days: 1000000000000", 1)
    assert bad != text
    with pytest.raises(specs.TemplateError) as exc:
        specs.load(bad)
    assert any("先行天数须在 0～365 天之间" in e for e in exc.value.errors)


# ---------------------------------------------------------------------------------------------------------
# Phase actuals
# ---------------------------------------------------------------------------------------------------------


WINDOW_MESSAGE = "须在 2013-11-21（活动开始前 60 天）至今天"


@pytest.mark.parametrize(
    "start, end, message",
    [
        ("1900-01-01", "", "实际开始日期" + WINDOW_MESSAGE),
        ("0001-01-01", "", "实际开始日期" + WINDOW_MESSAGE),
        ("2013-11-20", "", "实际开始日期" + WINDOW_MESSAGE),
        ("2013-11-21", "1900-01-01", "结束日期不能早于开始日期"),
        ("2999-01-01", "", "不能记录今天以后的日期"),
    ],
)
def test_a_phase_actual_of_1900_is_refused_on_the_page_and_the_api(
    tree, personas, region_campaign, start, end, message
):
    client = client_for(personas["village_secretary"])
    page = reverse("campaigns:unit_actual", args=[region_campaign.pk, tree.village.code])
    api = f"/api/v1/campaigns/{region_campaign.pk}/units/{tree.village.code}/actual/"
    events = AuditEvent.objects.count()
    response = client.post(page, {"phase": "prepare", "start": start, "end": end, "note": ""})
    assert response.status_code == 400 and message in response.content.decode()
    body = {"phase": "prepare", "start": start, **({"end": end} if end else {})}
    response = client.post(api, body, content_type="application/json")
    assert response.status_code == 400 and message in response.json()["detail"][0], response.json()
    assert not PhaseActual.objects.exists()
    assert AuditEvent.objects.count() == events
    assert Participation.objects.get(campaign=region_campaign, unit=tree.village).actual_start is None


def test_the_recording_window_opens_60_days_before_the_start(tree, personas, region_campaign):
    village = Participation.objects.get(campaign=region_campaign, unit=tree.village)
    assert services.record_window_start(village) == date(2013, 11, 21)
    row = services.phase_actual_record(
        actor=personas["village_secretary"],
        participation=village,
        phase_key="prepare",
        start=date(2013, 11, 21),
        today=date(2014, 6, 1),
    )
    assert row.start == date(2013, 11, 21)
    # A batch that starts before the campaign (batch one: 2013-06-18) opens its window earlier.
    region = Participation.objects.get(campaign=region_campaign, unit=tree.region)
    assert region.batch.window_start < region_campaign.start
    assert services.record_window_start(region) == region.batch.window_start - specs.timedelta(days=60)


# ---------------------------------------------------------------------------------------------------------
# A new campaign's dates
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start, end, field, message",
    [
        ("0001-01-01", "0001-12-31", "start", "开始日期须在 2000 年至 2100 年之间"),
        ("9999-01-01", "9999-12-31", "end", "结束日期须在 2000 年至 2100 年之间"),
        ("1900-01-01", "2100-12-31", "start", "开始日期须在 2000 年至 2100 年之间"),
        ("2014-01-20", "2024-01-19", "end", "活动时间最长 1827 天"),
        ("2014-09-30", "2014-01-20", "end", "结束日期早于开始日期"),
    ],
)
def test_a_campaign_with_absurd_dates_is_refused(tree, personas, start, end, field, message):
    client = client_for(personas["county_office"])
    response = client.post(
        "/api/v1/campaigns/",
        {"template": "staged-training-rollout", "root_code": "150125", "start": start, "end": end},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content[:300]
    assert any(message in m for m in response.json()[field]), response.json()
    page = client.post(
        reverse("campaigns:create"),
        {"template": "staged-training-rollout", "root": "150125", "start": start, "end": end, "name": ""},
    )
    assert page.status_code == 200 and any(message in m for m in page.context["form"].errors[field])
    assert not Campaign.objects.exists()
