"""The audit log reads as sentences in Chinese, with the unit, and before/after as labelled values (issue 10,
words for people): no `state: decided`, no `leader_id: None`, no dumped lists of checks."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from echelon.conftest import make_member
from echelon.core import audit

pytestmark = pytest.mark.django_db


def page(user, **query) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("audit:list"), query)
    assert response.status_code == 200
    return response.content.decode()


def row_of(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[html.rindex("<tr>", 0, start) : html.index("</tr>", start)]


def record(tree, **kwargs):
    with transaction.atomic():
        return audit.record(actor=None, unit_id=tree.village.pk, unit_path=tree.village.path, **kwargs)


def test_a_decision_reads_as_a_sentence_with_its_unit_and_labelled_values(tree, personas):
    record(
        tree,
        verb="review.pass",
        object_type="supervision.review",
        object_id="1",
        object_repr="东土城村 · 学习教育",
        before={"state": "open"},
        after={
            "state": "decided",
            "decision": "pass",
            "checks": [
                {"key": "thinking", "name": "思想关", "passed": True, "comment": ""},
                {"key": "material", "name": "材料关", "passed": False, "comment": "缺会议记录"},
            ],
            "deadline": None,
            "interview_who": "",
        },
    )
    html = page(personas["county_office"])
    row = row_of(html, "审核通过审核“东土城村 · 学习教育”")
    assert "<td>东土城村</td>" in row  # the unit column
    assert '<span class="text-muted">状态：</span>待审核' in row
    assert '<span class="text-muted">状态：</span>已决定' in row
    assert '<span class="text-muted">决定：</span>通过' in row
    assert '<span class="text-muted">检查项：</span>思想关：通过；材料关：未通过' in row
    assert '<span class="text-muted">整改期限：</span>—' in row
    assert '<span class="text-muted">约谈对象：</span>—' in row
    for raw in ("decided", "None", "thinking", "{", "review.pass</"):
        assert raw not in row, raw
    assert "<td>系统</td>" in row  # actor=None: written by the system


def test_a_foreign_key_field_is_named_by_its_label(tree, personas):
    record(
        tree,
        verb="group.add_member",
        object_type="supervision.supervisiongroup",
        object_id="7",
        object_repr="武川县第1督导组",
        before={"leader_id": None},
        after={"member": 7, "username": "township_instructor", "leader_id": 7},
    )
    row = row_of(page(personas["county_office"]), "武川县第1督导组")
    assert "为督导组“武川县第1督导组”添加成员" in row
    assert '<span class="text-muted">组长：</span>—' in row
    assert '<span class="text-muted">用户名：</span>township_instructor' in row
    assert "leader_id" not in row and "None" not in row


def test_a_service_event_names_its_unit_and_object(tree, personas):
    make_member(tree.village, "M-W1", name="王审计")
    row = row_of(page(personas["county_office"], q="王审计"), "新建党员“王审计”")
    assert "<td>东土城村</td>" in row
    assert '<span class="text-muted">性别：</span>男' in row


def test_unknown_verbs_types_and_deep_values_show_as_stored_without_failing(tree, personas):
    record(
        tree,
        verb="odd.thing",
        object_type="nowhere.nothing",
        object_id="1",
        object_repr="奇怪的对象",
        after={"flag": True, "deep": [1, {"a": {"b": [1, 2]}}], "long": "长" * 500, "__class__": "x"},
    )
    row = row_of(page(personas["county_office"]), "奇怪的对象")
    assert "odd.thing 奇怪的对象" in row
    assert '<span class="text-muted">flag：</span>是' in row
    assert "长" * 199 + "…" in row and "长" * 200 not in row
    assert "a：1 项" in row


def test_the_units_pages_tell_their_history_the_same_way(tree, personas):
    client = Client()
    client.force_login(personas["county_office"])
    html = client.get(reverse("orgs:unit_history", args=[tree.village.code])).content.decode()
    assert "新建组织“东土城村”" in html
