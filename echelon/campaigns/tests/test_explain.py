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
