"""Publicity's staff pages: a village drafts and submits its promises on its unit page's 公示 tab; the
township reads the frozen copy among the notices waiting for it and approves; the public page shows it; the
village withdraws it with a reason. Refusals show as messages, nothing written."""

from __future__ import annotations

import pytest
from django.test import Client

from echelon.publicity.models import Publication, PublicationStatus
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_draft_submit_approve_and_withdraw_through_the_pages(tree, personas):
    make_campaign(tree.region)
    village = _client(personas["village_secretary"])
    code = tree.village.code
    page = village.get(f"/publicity/u/{code}/")
    assert page.status_code == 200 and 'data-testid="publication-form"' in page.content.decode()
    village.post(
        f"/publicity/u/{code}/new/", {"kind": "promises", "title": "", "promises": "每周一接待群众\n\n"}
    )
    p = Publication.objects.get()
    assert p.content == {"items": ["每周一接待群众"]} and p.status == PublicationStatus.DRAFT
    village.post(f"/publicity/{p.pk}/submit/")
    p.refresh_from_db()
    assert p.status == PublicationStatus.SUBMITTED
    assert "待审核" in village.get(f"/publicity/u/{code}/").content.decode()
    # the village cannot approve its own: no button, and a forged POST is refused
    assert village.post(f"/publicity/{p.pk}/approve/").status_code == 403
    township = _client(personas["township_operator"])
    waiting = township.get("/publicity/").content.decode()
    assert "每周一接待群众" in waiting and "审核通过并公示" in waiting
    township.post(f"/publicity/{p.pk}/approve/")
    p.refresh_from_db()
    assert p.status == PublicationStatus.PUBLISHED
    assert "每周一接待群众" in Client().get(f"/p/{code}/").content.decode()
    response = village.post(f"/publicity/{p.pk}/withdraw/", {"reason": ""}, follow=True)
    assert "撤回理由" in response.content.decode()
    p.refresh_from_db()
    assert p.status == PublicationStatus.PUBLISHED  # no reason: nothing written
    village.post(f"/publicity/{p.pk}/withdraw/", {"reason": "内容有误"})
    p.refresh_from_db()
    assert p.status == PublicationStatus.WITHDRAWN
    assert "每周一接待群众" not in Client().get(f"/p/{code}/").content.decode()


def test_bad_input_on_the_page_is_a_message(tree, personas):
    make_campaign(tree.region)
    village = _client(personas["village_secretary"])
    response = village.post(
        f"/publicity/u/{tree.village.code}/new/", {"kind": "promises", "promises": ""}, follow=True
    )
    assert "请至少填写一条承诺事项" in response.content.decode() and not Publication.objects.exists()


def test_the_approver_finds_the_waiting_notices_on_the_home_page(tree, personas):
    from echelon.publicity import services
    from echelon.publicity.todo import items

    make_campaign(tree.region)
    secretary = personas["village_secretary"]
    p = services.publication_create(
        actor=secretary, unit=tree.village, kind="promises", content={"items": ["每周一接待群众"]}
    )
    assert items(personas["township_operator"]) == []
    services.publication_submit(actor=secretary, publication=p)
    [item] = items(personas["township_operator"])
    assert item.count == 1 and item.url == "/publicity/"
    assert items(secretary) == [] and items(personas["county_supervisor"]) == []
