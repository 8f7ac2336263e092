"""Template data of ADR 18: actions approved first and ordered (``requires_approval``, ``after``), carrier
tags on actions, targeted guidance by sector (``sectors``) and the sector offset (``sector_lead_days``)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.utils import translation

from echelon.campaigns import explain, specs
from echelon.campaigns.scheduler import Violation
from echelon.campaigns.tests.helpers import builtin_spec
from echelon.campaigns.tests.test_specs import errors_of, minimal


def with_actions(*actions: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = minimal(**changes)
    data["phases"][0]["actions"] = {"all": list(actions)}
    return data


PLAN = {"key": "plan", "name": "会议方案", "evidence": "material", "requires_approval": True}
MEETING = {"key": "meeting", "name": "召开会议", "evidence": "meeting", "after": "plan"}


def test_the_builtin_template_orders_the_democratic_life_meeting_after_the_approved_plan():
    spec = builtin_spec()
    plan = spec.action("examine", "leadership", "meeting_plan")
    meeting = spec.action("examine", "leadership", "meeting")
    assert plan is not None and plan.requires_approval and plan.evidence == "material"
    assert meeting is not None and meeting.after == "meeting_plan"
    # Carriers on the actions: 大学习 on the study sessions.
    study = spec.action("study", "leadership", "study")
    assert study is not None and study.tags == ("study",)
    assert spec.data["timing"]["sector_lead_days"] == 10


def test_the_builtin_template_names_the_three_sectors_of_the_speech():
    spec = builtin_spec()
    assert [s.name for s in spec.sectors] == ["执法监管部门", "窗口单位", "服务行业"]
    enforcement = spec.sector_of("公安")
    assert enforcement is not None and enforcement.key == "enforcement"
    assert enforcement.problems and all(p.name for p in enforcement.problems)
    assert spec.sector_of("金融") is not None and spec.sector_of("金融").key == "service"
    assert spec.sector_of("") is None and spec.sector_of("宣传") is None


def test_an_ordered_template_loads():
    spec = specs.load(yaml.safe_dump(with_actions(PLAN, MEETING), allow_unicode=True))
    assert spec.action("a", "organ", "meeting").after == "plan"
    assert spec.action("a", "organ", "plan").requires_approval


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        ((PLAN, {**MEETING, "after": "nothing"}), "的前置动作“nothing”不在本环节本类别的规定动作中"),
        (({**PLAN, "after": "plan"},), "的规定动作“plan”不能排在自己之后"),
        (
            ({**PLAN, "after": "meeting"}, MEETING),
            "的规定动作前后顺序成环：",
        ),
        (({**MEETING, "requires_approval": True, "after": None},), "只有上传材料的规定动作才能报审"),
        (({**PLAN, "requires_approval": "yes"},), "requires_approval 必须是 true 或 false"),
        (({**PLAN, "approve_first": True},), "未知的字段：approve_first"),
        (({**PLAN, "tags": ["study"]},), "未在 ledger.tags 中定义的载体标签“study”"),
    ],
)
def test_bad_ordering_is_refused_in_chinese(actions: tuple[dict[str, Any], ...], expected: str):
    found = errors_of(with_actions(*actions))
    assert any(expected in e for e in found), found


def test_a_cycle_of_three_is_reported_once():
    a = {"key": "a1", "name": "一", "evidence": "confirm", "after": "a3"}
    b = {"key": "a2", "name": "二", "evidence": "confirm", "after": "a1"}
    c = {"key": "a3", "name": "三", "evidence": "confirm", "after": "a2"}
    found = [e for e in errors_of(with_actions(a, b, c)) if "成环" in e]
    assert len(found) == 1 and "a1 → a3 → a2 → a1" in found[0], found


@pytest.mark.parametrize(
    ("sectors", "expected"),
    [
        (
            [
                {"key": "x", "name": "甲", "industries": ["公安"]},
                {"key": "y", "name": "乙", "industries": ["公安"]},
            ],
            "行业系统“公安”同时属于分类指导“x”和“y”",
        ),
        ([{"key": "x", "name": "甲", "industries": []}], "至少要列出一个行业系统"),
        ([{"key": "x", "name": "甲", "industries": ["公安"], "checklist": []}], "未知的字段：checklist"),
        ([{"key": "x", "industries": ["公安"]}], "缺少名称（name）"),
        (
            [
                {
                    "key": "x",
                    "name": "甲",
                    "industries": ["公安"],
                    "problems": [{"key": "p", "name": "一"}, {"key": "p", "name": "二"}],
                }
            ],
            "的标识“p”重复",
        ),
    ],
)
def test_bad_sectors_are_refused_in_chinese(sectors: list[dict[str, Any]], expected: str):
    found = errors_of(minimal(sectors=sectors))
    assert any(expected in e for e in found), found


def test_a_bad_sector_offset_is_refused():
    found = errors_of(minimal(timing={"sector_lead_days": -3}))
    assert any("行业部门先行天数" in e for e in found), found
    found = errors_of(minimal(timing={"sector_lead_days": 400}))
    assert any("行业部门先行天数须在 0～365 天之间" in e for e in found), found


def test_the_sector_violation_is_worded():
    v = Violation(
        rule="sector",
        unit_ids=(3,),
        days=4,
        level=3,
        facts={"sector_days": 10},
        options=(("postpone", 4), ("sector", 6)),
    )
    with translation.override("zh-hans"):
        worded = explain.describe(explain.raw(v, [9], limit=50), level_name=lambda level: "旗县市区")
    assert worded["rule_name"] == "行业部门先行"
    assert worded["message"] == "旗县市区有 1 个行业牵头的单位没有比其上级行业部门晚 10 天开始，最多差 4 天。"
    assert worded["suggestion"] == (
        "可将这些单位的开始日期推迟（最多 4 天），或将行业部门先行天数缩短至 6 天。"
    )
