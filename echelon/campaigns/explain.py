"""Words for the scheduler's findings. The engine (``scheduler.py``) returns codes and figures; this module
says them in the user's language at the moment they are shown, so a violation stored in one language reads in
the other after a switch, and the count of units is always the count of this batch.

A violation as stored (``raw``): ``rule``, ``level``, ``units`` (how many), ``unit_ids`` (the first ones),
``days`` (the worst shortfall), ``facts`` (the rule's own figure) and ``options`` (``[code, value]`` pairs).
``describe`` adds ``rule_name``, ``level_name``, ``message`` and ``suggestion``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from echelon.campaigns import scheduler

RULE_LABELS = {
    "coverage": gettext_lazy("覆盖范围"),
    "stagger": gettext_lazy("层级间隔"),
    "lead": gettext_lazy("班子和机关先行"),
    "min_duration": gettext_lazy("最短集中时长"),
    "window": gettext_lazy("批次时间"),
    "blackout": gettext_lazy("停歇期"),
    "contiguous": gettext_lazy("环节衔接"),
    "phase_min": gettext_lazy("环节最少天数"),
    "leader_first": gettext_lazy("领导班子先行通过"),
    "sector": gettext_lazy("行业部门先行"),
}
DISPLAY_KEYS = ("rule_name", "level_name", "message", "suggestion")


def raw(violation: scheduler.Violation, unit_ids: list[int], *, limit: int) -> dict[str, Any]:
    """What is stored of an engine violation (``unit_ids``: the batch's participations among its units)."""
    return {
        "rule": violation.rule,
        "level": violation.level,
        "units": len(unit_ids),
        "unit_ids": unit_ids[:limit],
        "days": violation.days,
        "facts": dict(violation.facts),
        "options": [
            [code, value.isoformat() if isinstance(value, date) else value]
            for code, value in violation.options
        ],
    }


def stored(violation: Mapping[str, Any]) -> dict[str, Any]:
    """The stored form of a described violation: its words are made again when shown."""
    return {k: v for k, v in violation.items() if k not in DISPLAY_KEYS}


def describe(violation: Mapping[str, Any], level_name: Any = None) -> dict[str, Any]:
    """The violation with its words in the active language. ``level_name(level) -> str`` names a level
    (the template's names); without it levels are numbered."""
    v = dict(violation)
    if "options" not in v:  # stored before the engine spoke in codes: keep its words
        return v
    level = v.get("level")
    named = level_name(level) if level_name is not None and level else ""
    where = named or (_("第%(n)d级") % {"n": level} if level else _("不在树中的"))
    v["rule_name"] = str(RULE_LABELS.get(v["rule"], v["rule"]))
    v["level_name"] = named
    v["message"] = _message(v, where)
    v["suggestion"] = _suggestion(v, where)
    return v


def _day(value: Any) -> str:
    return date_format(date.fromisoformat(value) if isinstance(value, str) else value, "DATE_FORMAT")


def _message(v: Mapping[str, Any], where: str) -> str:
    n, days, facts = v["units"], v["days"], v.get("facts", {})
    numbers = {"where": where, "n": n, "days": days}
    rule = v["rule"]
    if rule == "coverage" and facts.get("missing"):
        return (
            ngettext(
                "有 %(n)d 个参与单位不在组织树中（已撤销或移出范围），没有计划。",
                "有 %(n)d 个参与单位不在组织树中（已撤销或移出范围），没有计划。",
                n,
            )
            % numbers
        )
    if rule == "coverage":
        return (
            _("%(where)s有 %(n)d 个单位的计划与参与范围不符（参与单位缺少计划，或不参与的单位有计划）。")
            % numbers
        )
    if rule == "stagger":
        return _(
            "%(where)s有 %(n)d 个单位的开始日期早于上一层级单位开始后 %(gap)d 天，最多早 %(days)d 天。"
        ) % {
            **numbers,
            "gap": facts.get("stagger_days", 0),
        }
    if rule == "lead":
        return _(
            "%(where)s有 %(n)d 个单位没有比本级领导班子和先行机关晚 %(gap)d 天开始，最多差 %(days)d 天。"
        ) % {
            **numbers,
            "gap": facts.get("lead_days", 0),
        }
    if rule == "sector":
        return _(
            "%(where)s有 %(n)d 个行业牵头的单位没有比其上级行业部门晚 %(gap)d 天开始，最多差 %(days)d 天。"
        ) % {
            **numbers,
            "gap": facts.get("sector_days", 0),
        }
    if rule == "min_duration":
        return _("%(where)s有 %(n)d 个单位的集中时长不足 %(least)d 天，最多差 %(days)d 天。") % {
            **numbers,
            "least": facts.get("min_days", 0),
        }
    if rule == "window":
        return _("%(where)s有 %(n)d 个单位的日期超出批次时间范围，最多超出 %(days)d 天。") % numbers
    if rule == "blackout":
        return _("%(where)s有 %(n)d 个单位的环节在停歇期内开始或结束，最多需后移 %(days)d 天。") % numbers
    if rule == "phase_min":
        return _("%(where)s有 %(n)d 个单位的“%(phase)s”不足 %(least)d 天，最多差 %(days)d 天。") % {
            **numbers,
            "phase": facts.get("phase", ""),
            "least": facts.get("min_days", 0),
        }
    if rule == "leader_first":
        return _(
            "%(where)s有 %(n)d 个单位的“%(phase)s”计划早于其上级领导班子结束，最多早 %(days)d 天"
            "（须在领导班子通过后才能通过）。"
        ) % {**numbers, "phase": facts.get("phase", "")}
    return (
        _("%(where)s有 %(n)d 个单位的环节不连续（有间隔、重叠、缺漏或不足 1 天），最多相差 %(days)d 天。")
        % numbers
    )


def _option(code: str, value: Any, where: str) -> str:
    if code == "postpone":
        return _("将这些单位的开始日期推迟（最多 %(n)d 天）") % {"n": value}
    if code == "stagger":
        return _("将层级间隔缩短至 %(n)d 天") % {"n": value}
    if code == "lead":
        return _("将先行天数缩短至 %(n)d 天") % {"n": value}
    if code == "sector":
        return _("将行业部门先行天数缩短至 %(n)d 天") % {"n": value}
    if code == "window_end":
        return _("将批次结束日期推迟到 %(day)s") % {"day": _day(value)}
    if code == "min_duration":
        return _("将最短集中时长降至 %(n)d 天") % {"n": value}
    if code == "flexible":
        return _("将%(where)s列为弹性时长层级") % {"where": where}
    return code


def _suggestion(v: Mapping[str, Any], where: str) -> str:
    options = [(code, value) for code, value in v.get("options", [])]
    codes = [code for code, _value in options]
    if v.get("facts", {}).get("missing"):
        return _("请核对这些单位，或重新创建活动。")
    if "extend_or_shorten" in codes:
        day = _day(options[codes.index("extend_or_shorten")][1])
        return _("可将批次结束日期推迟到 %(day)s，或缩短层级间隔、先行天数。") % {"day": day}
    if "move_in" in codes:
        return _("可将这些单位的日期移入批次时间范围（最多移动 %(n)d 天）。") % {"n": v["days"]}
    if "blackout" in codes:
        return _("可延长批次时间，调整停歇期，或允许环节在停歇期内起止。")
    if "regenerate" in codes:
        if v["rule"] == "contiguous":
            return _("请按当前规则重新生成这些单位的计划：环节须首尾相接、每个环节至少 1 天。")
        return _("请按当前规则重新生成计划。")
    if "phase_min" in codes:
        return _("可延长批次时间、缩短层级间隔，或将“%(phase)s”的最少天数降至 %(n)d 天。") % {
            "phase": v.get("facts", {}).get("phase", ""),
            "n": options[codes.index("phase_min")][1],
        }
    if not options:
        return ""
    return _("可%(options)s。") % {
        "options": _("，或").join(_option(c, value, where) for c, value in options)
    }
