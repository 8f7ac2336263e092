"""我的待办: every persona lands on their work (issue 10): the secretary on the village's phase and its
opinions, the instructor on the review waiting, the township on the escalation to accept, the county on
the claim to verify; the outsider on nothing of theirs."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from echelon.ledger import services as ledger
from echelon.supervision import services
from echelon.supervision.models import GroupKind
from echelon.supervision.tests.helpers import group, make_campaign, part, user

pytestmark = pytest.mark.django_db


def page(person) -> str:
    client = Client()
    client.force_login(person)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_each_persona_lands_on_their_work(tree, personas, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    village = part(campaign, tree.village)
    instructor = user("instructor")
    g = group(campaign, tree.township, "指导员", members=(instructor,), kind=GroupKind.INSTRUCTOR)
    services.assign(actor=None, group=g, participation=village)
    secretary = personas["village_secretary"]
    ledger.opinion_submit_public(
        actor=AnonymousUser(), unit_code=tree.village.code, text="村里路灯坏了没人修"
    )
    problem = ledger.problem_create(
        actor=secretary, unit=tree.village, title="办事难", category="bureaucratism", source="public"
    )
    task = ledger.task_add(
        actor=secretary, problem=problem, measure="公开流程", responsible="李", deadline=date(2014, 3, 1)
    )
    ledger.task_claim(actor=secretary, task=task, note="已公开")
    other = ledger.problem_create(
        actor=secretary, unit=tree.village, title="水渠失修", category="formalism", source="self"
    )
    ledger.problem_escalate(actor=secretary, problem=other, to_unit=tree.township, reason="需镇里统筹")

    mine = page(secretary)
    assert reverse("supervision:unit", args=[campaign.pk, tree.village.code]) in mine
    assert "还有 2 项规定动作未完成" in mine  # the preparation phase: the plan and the mobilization meeting
    assert "待处理的群众意见" in mine and reverse("ledger:opinions") + "?status=new" in mine
    assert "待接收的问题" in page(personas["township_operator"])
    county = page(personas["county_office"])
    assert "待您验收（销号）的整改任务" in county and "超过完成时限的整改任务" not in county  # claimed
    outsider = page(personas["outsider"])
    assert "东土城" not in outsider and "暂时没有等待您处理的事项" in outsider
