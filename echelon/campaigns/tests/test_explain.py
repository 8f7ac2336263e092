"""The scheduler speaks in codes; ``campaigns.explain`` words them in the active language when shown."""

from __future__ import annotations

from datetime import date

from django.utils import translation

from echelon.campaigns import explain
from echelon.campaigns.scheduler import Violation

SHORT = Violation(
    rule="min_duration",
    unit_ids=(7, 8, 9),
    days=10,
    level=3,
    facts={"min_days": 90},
    options=(("window_end", date(2014, 5, 9)), ("stagger", 15), ("min_duration", 52), ("flexible", 3)),
)


def names(level: int) -> str:
    return {3: "旗县市区"}.get(level, "")


def test_a_violation_is_stored_as_codes_and_worded_in_chinese():
    stored = explain.raw(SHORT, [101, 102], limit=50)  # two of the engine's units are in this batch
    assert stored["options"][0] == ["window_end", "2014-05-09"]
    assert "message" not in stored and "suggestion" not in stored
    with translation.override("zh-hans"):
        worded = explain.describe(stored, level_name=names)
    assert worded["message"] == "旗县市区有 2 个单位的集中时长不足 90 天，最多差 10 天。"
    assert worded["suggestion"] == (
        "可将批次结束日期推迟到 2014年5月9日，或将层级间隔缩短至 15 天，或将最短集中时长降至 52 天，"
        "或将旗县市区列为弹性时长层级。"
    )
    assert worded["rule_name"] == "最短集中时长" and worded["level_name"] == "旗县市区"
    assert explain.stored(worded) == stored  # the words are never stored


def test_the_same_violation_reads_in_english_after_a_switch():
    stored = explain.raw(SHORT, [101, 102], limit=50)
    with translation.override("en"):
        worded = explain.describe(stored)
    assert "90" in worded["message"] and "2" in worded["message"]
    assert "个单位" not in worded["message"], worded["message"]
    assert "2014" in worded["suggestion"] and "年" not in worded["suggestion"]


def test_missing_participations_and_old_stored_rows():
    gone = explain.raw(
        Violation(rule="coverage", unit_ids=(), days=0, facts={"missing": True}), [5], limit=50
    )
    with translation.override("zh-hans"):
        worded = explain.describe(gone)
    assert worded["message"].startswith("有 1 个参与单位不在组织树中")
    legacy = {"rule": "stagger", "message": "旧的说明", "suggestion": "旧的建议", "units": 3}
    assert explain.describe(legacy) == legacy


def test_the_rules_that_keep_a_plan_passable_are_worded():
    """A phase planned shorter than its minimum days, a unit's phase planned to end before its leader's."""
    short = explain.raw(
        Violation(
            rule="phase_min",
            unit_ids=(7,),
            days=5,
            level=4,
            facts={"phase": "学习教育、听取意见", "min_days": 15},
            options=(("phase_min", 10),),
        ),
        [7],
        limit=50,
    )
    early = explain.raw(
        Violation(
            rule="leader_first",
            unit_ids=(8,),
            days=2,
            level=5,
            facts={"phase": "查摆问题、开展批评"},
            options=(("postpone", 2),),
        ),
        [8],
        limit=50,
    )
    with translation.override("zh-hans"):
        short, early = explain.describe(short), explain.describe(early)
    assert short["rule_name"] == "环节最少天数"
    assert short["message"] == "第4级有 1 个单位的“学习教育、听取意见”不足 15 天，最多差 5 天。"
    assert (
        short["suggestion"] == "可延长批次时间、缩短层级间隔，或将“学习教育、听取意见”的最少天数降至 10 天。"
    )
    assert early["rule_name"] == "领导班子先行通过"
    assert (
        "早于其上级领导班子结束" in early["message"]
        and early["suggestion"] == "可将这些单位的开始日期推迟（最多 2 天）。"
    )
