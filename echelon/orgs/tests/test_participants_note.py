"""Where 党员 and 在本范围参加活动 stand side by side, a footnote says why the second may be larger (mobile
members taking part here whose membership is held elsewhere)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_unit_page_explains_participants_beside_members(tree, personas):
    client = Client()
    client.force_login(personas["county_office"])
    html = client.get(reverse("orgs:unit", args=[tree.county.code])).content.decode()
    assert 'data-testid="participants-note"' in html
    assert "流入本范围的流动党员" in html and "在本范围参加活动<sup>※</sup>" in html
