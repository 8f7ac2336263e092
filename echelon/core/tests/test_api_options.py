"""``OPTIONS`` on every API route answers, never 500 (issue 15): ``echelon.core.api.metadata``.

schemathesis found five operations answering 500 to ``OPTIONS``: the supervision campaign's ``propose`` and a
unit's ``confirm``, ``material``, ``meeting`` and ``submit``. Their viewset reads each action's input with its
own serializer and declares no ``serializer_class``; DRF's metadata asked it for one anyway. This walks every
route under ``/api/v1/`` so a new viewset of that shape cannot bring it back."""

from __future__ import annotations

import re

import pytest
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PARAM = re.compile(r"\(\?P<\w+>[^)]*\)|<[^>]+>")


def _routes(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


def api_paths() -> list[str]:
    """Every route under /api/v1/ with its parameters filled in (ids and codes that need not exist)."""
    out = []
    for route in _routes(get_resolver().url_patterns):
        if not route.startswith("api/v1/") or "format" in route:
            continue
        path = PARAM.sub("1", route).replace("^", "").replace("$", "").replace("\\.", ".")
        out.append("/" + path)
    return sorted(set(out))


@pytest.fixture
def api(personas) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_login(personas["region_office"])
    return client


def test_options_on_every_api_route_answers_without_a_server_error(api):
    paths = api_paths()
    assert len(paths) > 50
    failing = [(p, r.status_code) for p in paths if (r := api.options(p)).status_code >= 500]
    assert failing == []


@pytest.mark.parametrize("action", ["propose", "units/150125100201/confirm", "units/150125100201/material"])
def test_the_actions_without_a_serializer_describe_themselves(api, action):
    response = api.options(f"/api/v1/supervision/campaigns/1/{action}/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] and "actions" not in body
    assert "application/json" in body["renders"]


def test_a_view_with_a_serializer_still_describes_its_fields(api):
    body = api.options("/api/v1/supervision/groups/").json()
    assert "name" in body["actions"]["POST"]


def test_options_answers_only_to_a_signed_in_caller(db):
    response = APIClient().options("/api/v1/supervision/campaigns/1/propose/")
    assert response.status_code == 401
