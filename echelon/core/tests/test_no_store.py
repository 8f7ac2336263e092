"""Pages, API answers and downloads with personal data are never kept by a browser or proxy cache."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from echelon.conftest import make_member


def assert_no_store(response) -> None:
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "no-cache", "private"} <= cache_control, response.get("Cache-Control")
    assert response.get("Pragma") == "no-cache"


@pytest.fixture
def office(personas) -> Client:
    client = Client()
    client.force_login(personas["county_office"])
    return client


@pytest.mark.django_db
class TestNoStore:
    def test_member_list_page(self, office, tree):
        make_member(tree.village, "M1", "甲")
        response = office.get(reverse("orgs:unit_members", args=[tree.county.code]))
        assert response.status_code == 200 and "M1" in response.content.decode()
        assert_no_store(response)

    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_member_export(self, office, tree, fmt):
        make_member(tree.village, "M1", "甲")
        response = office.get(reverse("orgs:io_export", args=[tree.county.code, "members", fmt]))
        assert response.status_code == 200
        assert_no_store(response)

    def test_audit_export(self, office, tree):
        response = office.get(reverse("audit:export"))
        assert response.status_code == 200
        assert_no_store(response)

    def test_api_with_session_and_with_token(self, office, personas, tree):
        assert_no_store(office.get("/api/v1/units/"))
        out = io.StringIO()
        call_command("issue_token", "county_office", stdout=out, stderr=io.StringIO())
        key = out.getvalue().strip().splitlines()[-1]
        response = Client().get("/api/v1/units/", HTTP_AUTHORIZATION=f"Token {key}")
        assert response.status_code == 200 and response.json()["results"]
        assert_no_store(response)

    def test_static_files_stay_cacheable(self, office):
        static = office.get("/static/echelon/echelon.css")
        assert static.status_code == 200
        assert "no-store" not in static.get("Cache-Control", "")
