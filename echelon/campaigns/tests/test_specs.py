"""Templates as data: the built-ins load, and a broken template is refused with every error in Chinese."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from echelon.campaigns import specs
from echelon.campaigns.tests.helpers import BUILTIN, GENERIC, builtin_spec


def minimal(**changes: object) -> dict:
    data: dict = {
        "key": "t",
        "name": "测试模板",
        "categories": [{"key": "all", "name": "全部", "kinds": ["leadership", "organ", "village"]}],
        "gate_checks": [{"key": "thinking", "name": "思想关"}],
        "phases": [
            {
                "key": "a",
                "name": "甲",
                "share": 40,
                "actions": {"all": [{"key": "x", "name": "动作", "evidence": "material"}]},
            },
            {"key": "b", "name": "乙", "share": 60, "gate": True},
        ],
        "timing": {"level_stagger_days": 10, "lead_days": 10},
        "batches": [{"key": "one", "name": "一批", "levels": [2, 3, 4, 5]}],
    }
    data.update(changes)
    return data


def errors_of(data: dict) -> list[str]:
    with pytest.raises(specs.TemplateError) as exc:
        specs.load(yaml.safe_dump(data, allow_unicode=True))
    return list(exc.value.errors)


def test_the_builtins_load_and_list_their_phases():
    found = {b.spec.key: b for b in specs.builtins()}
    assert set(found) >= {BUILTIN, GENERIC}
    mass_line = found[BUILTIN].spec
    assert mass_line.name == "第二批党的群众路线教育实践活动（内蒙古）"
    assert [p.name for p in mass_line.phases] == [
        "准备、动员部署",
        "学习教育、听取意见",
        "查摆问题、开展批评",
        "整改落实、建章立制",
        "总结评估",
    ]
    assert sum(p.share for p in mass_line.phases) == 100
    assert [p.gate for p in mass_line.phases] == [False, True, True, True, False]
    assert mass_line.phases[1].check_names == ["思想关", "材料关", "工作关"]
    # The mobilization meeting marks a unit's start; the democratic life meeting ends the examination.
    assert mass_line.milestone() == (0, specs.MilestoneSpec(key="mobilization", name="动员大会", at="start"))
    assert mass_line.milestones()[1] == (
        2,
        specs.MilestoneSpec(key="democratic_life", name="专题民主（组织）生活会", at="end"),
    )
    # Rules on what actually happens: minimum days, and the leadership body one step ahead (先学、先查、先改).
    assert [(p.min_days, p.leader_first) for p in mass_line.phases] == [
        (0, False),
        (15, True),
        (15, True),
        (20, True),
        (0, False),
    ]
    # The simplified procedure for villages and communities, and the leadership bodies' meeting.
    village = [a.name for a in mass_line.actions("examine", "village")]
    assert any("民主评议党员" in n for n in village) and any("支部委员会" in n for n in village)
    assert any("专题民主生活会" in a.name for a in mass_line.actions("examine", "leadership"))
    assert {a.evidence for p in mass_line.phases for acts in p.actions.values() for a in acts} == {
        "material",
        "meeting",
        "confirm",
    }
    timing = mass_line.data["timing"]
    assert (timing["level_stagger_days"], timing["lead_days"], timing["min_duration_days"]) == (10, 10, 90)
    assert timing["flexible_kinds"] == ["village", "community"]
    assert timing["kickoff_levels"] == [2, 3]  # the leagues' and counties' bodies start at the kick-off
    # Batch one: the region's own bodies, organs and direct units; batch two: everything else, 8 months.
    first, second = mass_line.batches
    assert first.levels == (1,) and first.kinds == {1: ("leadership", "organ", "direct")}
    assert second.levels == (1, 2, 3, 4, 5) and second.rest
    assert second.window == (date(2014, 1, 20), date(2014, 9, 30))
    assert found[GENERIC].spec.data["language"] == "en"


def test_spring_festival_comes_from_chinese_calendar():
    spec = builtin_spec()
    timing = spec.batch_timing(spec.batches[1], date(2014, 1, 20), date(2014, 9, 30))
    assert timing["blackouts"] == [{"name": "春节假期", "start": "2014-01-31", "end": "2014-02-06"}]
    rules = specs.rules_from(timing, date(2014, 1, 20), date(2014, 9, 30))
    assert rules.blackouts == ((date(2014, 1, 31), date(2014, 2, 6)),)
    assert rules.participating_levels == frozenset({1, 2, 3, 4, 5})
    assert rules.kickoff_levels == frozenset({2, 3})


def test_a_year_beyond_the_calendar_package_is_noted_and_planned_without_its_holidays():
    spec = builtin_spec()
    timing = spec.batch_timing(spec.batches[1], date(2031, 1, 20), date(2031, 9, 30))
    assert timing["blackouts"] == []
    assert timing[specs.HOLIDAYS_UNKNOWN] == [
        {"name": "春节假期", "holiday": "spring_festival", "years": [2031]}
    ]
    assert "2031" in specs.unknown_holidays_message(timing[specs.HOLIDAYS_UNKNOWN][0])
    specs.rules_from(timing, date(2031, 1, 20), date(2031, 9, 30))  # the engine gets rules all the same
    # A window the calendar knows carries no note; one reaching past its data keeps the known holidays.
    assert specs.HOLIDAYS_UNKNOWN not in spec.batch_timing(
        spec.batches[1], date(2014, 1, 20), date(2014, 9, 30)
    )
    mixed = spec.batch_timing(spec.batches[1], date(2014, 1, 20), date(2031, 9, 30))
    assert {"name": "春节假期", "start": "2014-01-31", "end": "2014-02-06"} in mixed["blackouts"]
    assert (
        2031 in mixed[specs.HOLIDAYS_UNKNOWN][0]["years"]
        and 2014 not in mixed[specs.HOLIDAYS_UNKNOWN][0]["years"]
    )


def test_yearly_configured_blackouts_repeat_and_wrap_the_year():
    spec = builtin_spec(GENERIC)
    timing = spec.batch_timing(spec.batches[0], date(2014, 3, 1), date(2015, 8, 31))
    assert timing["blackouts"] == [{"name": "Year-end freeze", "start": "2014-12-20", "end": "2015-01-04"}]


def test_json_is_accepted_too():
    import json

    spec = specs.load(json.dumps(minimal()), "json")
    assert spec.key == "t" and [c.key for c in spec.phases[1].checks] == ["thinking"]


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"batches": [{"key": "one", "levels": [2, 7]}]}, "未知的层级“7”"),
        ({"batches": [{"key": "one", "levels": []}]}, "至少要有一个参与层级"),
        (
            {"phases": [{"key": "a", "name": "甲", "share": 40}, {"key": "b", "name": "乙", "share": 50}]},
            "环节占比之和必须为 100%，现为 90%",
        ),
        (
            {"phases": [{"key": "a", "name": "甲", "share": -10}, {"key": "b", "name": "乙", "share": 110}]},
            "占比必须是大于 0 的数",
        ),
        ({"timing": {"lead_days": -5}}, "先行天数不能为负数（现为 -5）"),
        ({"timing": {"level_stagger_days": -1}}, "层级间隔天数不能为负数"),
        ({"timing": {"ahead_kinds": ["boss"]}}, "未知的单位类型“boss”"),
        ({"categories": [{"key": "all", "kinds": ["castle"]}]}, "未知的单位类型“castle”"),
        ({"batches": [{"key": "one", "levels": [2], "kinds": {2: ["tower"]}}]}, "未知的单位类型“tower”"),
        ({"timing": {"blackouts": [{"holiday": "christmas"}]}}, "节日“christmas”未知"),
        ({"timing": {"blackouts": [{"start": "2014-02-10", "end": "2014-02-01"}]}}, "结束日期早于开始日期"),
        ({"timing": {"speed": 3}}, "未知的字段：speed"),
        ({"batches": [{"key": "one", "levels": [2, 3]}, {"key": "two", "levels": [3, 4]}]}, "有重叠的单位"),
        ({"gate_checks": []}, "没有检查项"),
        ({"timing": {"kickoff_levels": [2, 9]}}, "未知的层级“9”"),
        (
            {"phases": [{"key": "a", "name": "甲", "share": 100, "min_days": -3}]},
            "最少天数 min_days 须是 0～366 之间的整数，现为 -3",
        ),
        (
            {"phases": [{"key": "a", "name": "甲", "share": 100, "leader_first": "yes"}]},
            "leader_first 必须是",
        ),
        (
            {
                "phases": [
                    {"key": "a", "name": "甲", "share": 100, "leader_first": True, "requires_children": True}
                ]
            },
            "不能同时要求领导班子先通过",
        ),
    ],
)
def test_template_errors_are_explained_in_chinese(change, expected):
    errors = errors_of(minimal(**change))
    assert any(expected in e for e in errors), errors


def test_every_error_is_reported_at_once():
    data = minimal(timing={"lead_days": -2, "flexible_levels": [9]}, batches=[{"key": "one", "levels": [0]}])
    data["phases"][0]["actions"] = {"nobody": []}
    errors = errors_of(data)
    assert len(errors) >= 4
    assert any("未定义的单位类别“nobody”" in e for e in errors)


def test_a_yaml_syntax_error_names_the_line():
    with pytest.raises(specs.TemplateError, match="第 2 行第 8 列"):
        specs.load("key: x\nname: y: z\n")


def test_unknown_evidence_is_refused():
    data = minimal()
    data["phases"][0]["actions"]["all"][0]["evidence"] = "photo"
    assert any("佐证类型“photo”未知" in e for e in errors_of(data))


def test_a_normalised_template_validates_to_itself():
    """A campaign's frozen copy validated again (e.g. a template derived from it) gives the same data, the
    warning rules included (a rule turned off stays off, a tuned one keeps its parameters and name)."""
    from echelon.campaigns import specs
    from echelon.campaigns.tests.helpers import builtin_spec

    data = builtin_spec().data
    raw = {k: v for k, v in data.items() if k != "format"}
    raw["warnings"] = {"stalled": {"days": 21, "name": "三周无进展"}, "blind_spots": False}
    once = specs.validate(raw).data
    again = specs.validate({k: v for k, v in once.items() if k != "format"}).data
    assert again == once
    assert {w["key"] for w in once["warnings"]} == set(specs.WARNING_RULES) - {"blind_spots"}
    stalled = next(w for w in again["warnings"] if w["key"] == "stalled")
    assert (stalled["name"], stalled["params"]["days"]) == ("三周无进展", 21)
