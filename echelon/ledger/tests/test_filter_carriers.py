"""The ledger's lists filtered by the region's carriers (四大行动、六大工程: ``tag``) and by targeted guidance
by sector (分类指导: ``sector``, the template's categories of sector systems), ADR 18; the carriers shown as
badges in the problem list."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from echelon.ledger.tests.test_pages import problem, task
from echelon.orgs.models import Unit
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(tree, personas):
    make_campaign(tree.region)
    Unit.objects.filter(pk=tree.organ.pk).update(industry="公安")  # a law-enforcement department
    tree.organ.refresh_from_db()
    poverty = problem(personas, tree, title="扶贫资金公示不及时", tags=["poverty", "delivery"])
    plain = problem(personas, tree, title="会议太多")
    enforcement = problem(personas, tree, who="county_operator", unit=tree.organ, title="办证窗口吃拿卡要")
    task(personas, poverty)
    task(personas, plain)
    task(personas, enforcement, who="county_operator")
    return poverty, plain, enforcement


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(html: str, *titles: str) -> set[str]:
    return {t for t in titles if t in html}


TITLES = ("扶贫资金公示不及时", "会议太多", "办证窗口吃拿卡要")


def test_the_problem_list_filters_by_carrier_and_sector_and_shows_badges(rows, personas, tree):
    office = client_for(personas["county_office"])
    url = reverse("ledger:problems")
    every = office.get(url, {"under": tree.county.code}).content.decode()
    assert listed(every, *TITLES) == set(TITLES)
    assert 'data-testid="tag-badge">扶贫开发工程<' in every and "大落实" in every
    assert 'name="tag"' in every and 'name="sector"' in every and "执法监管部门" in every
    poverty = office.get(url, {"under": tree.county.code, "tag": "poverty"}).content.decode()
    assert listed(poverty, *TITLES) == {"扶贫资金公示不及时"}
    sector = office.get(url, {"under": tree.county.code, "sector": "enforcement"}).content.decode()
    assert listed(sector, *TITLES) == {"办证窗口吃拿卡要"}
    assert (
        listed(office.get(url, {"under": tree.county.code, "sector": "window"}).content.decode(), *TITLES)
        == set()
    )


def test_the_api_filters_problems_and_tasks_by_carrier_and_sector(rows, personas):
    poverty, _plain, enforcement = rows
    office = client_for(personas["county_office"])

    def ids(path: str, **params: str) -> set[int]:
        answer = office.get(path, params)
        assert answer.status_code == 200, answer.content
        data = answer.json()
        return {r["id"] for r in (data["results"] if isinstance(data, dict) else data)}

    assert ids("/api/v1/ledger/problems/", tag="poverty") == {poverty.pk}
    assert ids("/api/v1/ledger/problems/", tag="jobs") == set()
    assert ids("/api/v1/ledger/problems/", sector="enforcement") == {enforcement.pk}
    assert ids("/api/v1/ledger/problems/", sector="nonsense") == set()
    tasks = {t.pk: t.problem_id for t in enforcement.tasks.all()} | {
        t.pk: t.problem_id for t in poverty.tasks.all()
    }
    by_tag = ids("/api/v1/ledger/tasks/", tag="poverty")
    assert {tasks[t] for t in by_tag} == {poverty.pk}
    by_sector = ids("/api/v1/ledger/tasks/", sector="enforcement")
    assert {tasks[t] for t in by_sector} == {enforcement.pk}
