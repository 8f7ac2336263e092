"""Targeted guidance (分类指导, ADR 18): a unit of a sector system the template names sees its key problems
on its phase page; a unit of no such sector sees none."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from echelon.orgs.models import Unit
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db


def test_a_law_enforcement_department_sees_its_key_problems(tree, personas):
    campaign = make_campaign(tree.region)
    client = Client()
    client.force_login(personas["county_operator"])
    url = reverse("supervision:unit", args=[campaign.pk, tree.organ.code])
    assert 'data-testid="guidance"' not in client.get(url).content.decode()  # 组织 is no sector of the list
    Unit.objects.filter(pk=tree.organ.pk).update(industry="公安")
    page = client.get(url).content.decode()
    assert 'data-testid="guidance"' in page and "执法监管部门" in page and "执法不公、选择性执法" in page
