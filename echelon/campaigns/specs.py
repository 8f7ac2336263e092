"""Campaign templates as data: parse YAML or JSON, validate with errors in Chinese, normalise.

A template (a file in ``templates_data/`` or a text an office edited) describes the participating levels
and unit kinds of each batch, the phases (share of the unit's concentrated period, gate, gate checks,
milestone), the required actions (规定动作) of each phase per unit category with the evidence each needs,
and the timing rules of the scheduler. ``load(text)`` returns a ``Spec`` whose ``data`` is the normalised,
JSON-serialisable form stored with a template and snapshotted into every campaign made from it, so a later
edit of the template never changes a running campaign. ``TemplateError.errors`` lists every problem found.

No model imports here: services and commands use it, and so could a job or a test without a database.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from echelon.campaigns import scheduler

BUILTIN_DIR = Path(__file__).resolve().parent / "templates_data"
BUILTIN_SUFFIXES = (".yaml", ".yml", ".json")
FORMAT_VERSION = 1

EVIDENCE = {
    "material": gettext_lazy("上传材料"),
    "meeting": gettext_lazy("会议记录"),
    "confirm": gettext_lazy("确认完成"),
}
# The meeting types an action whose evidence is a meeting record may fix (``meeting:`` on the action: one
# type or a list). Supervision's ``MeetingType`` holds the same keys (a test keeps them equal).
MEETING_TYPES = (
    "mobilization",
    "study",
    "democratic_life",
    "org_life",
    "committee",
    "appraisal",
    "satisfaction",
    "other",
)
TOP_KEYS = {
    "key",
    "name",
    "language",
    "description",
    "level_names",
    "categories",
    "gate_checks",
    "phases",
    "timing",
    "batches",
    "evaluation",
    "appraisal",
    "ledger",
    "warnings",
    "publicity",
    "sectors",
}
TIMING_KEYS = (
    "level_stagger_days",
    "lead_days",
    "ahead_kinds",
    "kickoff_levels",
    "min_duration_days",
    "flexible_levels",
    "flexible_kinds",
    "duration_mode",
    "allow_blackout_boundaries",
    "blackouts",
    "sector_lead_days",
)
TIMING_DEFAULTS: dict[str, Any] = {
    "level_stagger_days": 10,
    "lead_days": 10,
    "ahead_kinds": ["leadership", "organ"],
    "kickoff_levels": [],
    "min_duration_days": 90,
    "flexible_levels": [5],
    "flexible_kinds": ["village", "community"],
    "duration_mode": "fill",
    "allow_blackout_boundaries": False,
    "blackouts": [],
    "sector_lead_days": None,  # none: sector-led units start as any other (ADR 18)
}
# Sane ranges of the numeric timing rules (a template's, a re-plan's, a what-if's): beyond them a rule is a
# typing mistake, and a huge one overflowed the engine's date arithmetic (lead_days=10**12 answered 500).
RULE_RANGES: dict[str, tuple[int, int]] = {
    "level_stagger_days": (0, 365),
    "lead_days": (0, 365),
    "min_duration_days": (1, 3660),
    "sector_lead_days": (0, 365),
}
RULE_NAMES = {
    "level_stagger_days": gettext_lazy("层级间隔天数"),
    "lead_days": gettext_lazy("先行天数"),
    "min_duration_days": gettext_lazy("最短集中时长"),
    "sector_lead_days": gettext_lazy("行业部门先行天数"),
}
# A changed batch window (what-if, re-plan) lies within the campaign's dates (its batches' windows
# included) widened by this many years on each side: far enough to explore (the holiday calendar says
# itself which years it knows), near enough that no date arithmetic overflows (year 1, year 9999).
WINDOW_CHANGE_MARGIN_YEARS = 20
# Lists of kinds or levels in a rule change: at most this many items (there are 5 levels, a few kinds).
MAX_RULE_ITEMS = 20
# A campaign's dates (the form and the API of campaign creation): within these years, at most this long.
CAMPAIGN_YEARS = (2000, 2100)
MAX_CAMPAIGN_DAYS = 1827  # five years
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MONTH_DAY_RE = re.compile(r"^(\d{2})-(\d{2})$")
PLACEHOLDER_WINDOW = (date(2000, 1, 1), date(2000, 12, 31))
# A phase's minimum days (``min_days``): at most a year.
MAX_PHASE_MIN_DAYS = 366


class TemplateError(ValueError):
    """The template cannot be used; ``errors`` lists every problem, in Chinese, for the editor."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(str(e) for e in errors)
        super().__init__("；".join(self.errors))


# ---------------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------------


# The safe YAML loader, in C when PyYAML was built with libyaml (ten times faster on the templates).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_text(text: str, fmt: str | None = None) -> Any:
    """The raw structure of a YAML or JSON text (YAML reads JSON too). Raises ``TemplateError``."""
    if not text or not text.strip():
        raise TemplateError([_("模板内容是空的。")])
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise TemplateError(
                [
                    _("JSON 格式错误（第 %(line)d 行第 %(col)d 列）：%(msg)s")
                    % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
                ]
            ) from exc
    try:
        return yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 (a safe loader: libyaml's when installed)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        if mark is not None:
            message = _("YAML 格式错误（第 %(line)d 行第 %(col)d 列）：%(msg)s") % {
                "line": mark.line + 1,
                "col": mark.column + 1,
                "msg": problem,
            }
        else:
            message = _("YAML 格式错误：%(msg)s") % {"msg": problem}
        raise TemplateError([message]) from exc


def load(text: str, fmt: str | None = None) -> Spec:
    """Parse and validate a template text. Raises ``TemplateError`` listing every problem."""
    return validate(parse_text(text, fmt))


def load_file(path: Path) -> Spec:
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(
            [_("无法读取模板文件 %(name)s：%(err)s") % {"name": path.name, "err": exc}]
        ) from exc
    return load(text, fmt)


@dataclass(frozen=True)
class Builtin:
    file: str
    text: str
    spec: Spec


def builtin_files() -> list[Path]:
    return sorted(p for p in BUILTIN_DIR.iterdir() if p.suffix.lower() in BUILTIN_SUFFIXES)


# Parsed and validated built-in files, by (path, size, modification time, language): a file is read again
# when it changes. Each caller gets its own copy of the data (a Spec's data is a plain mutable dict).
_BUILTIN_CACHE: dict[tuple[str, int, int, str], tuple[str, dict[str, Any]]] = {}


def builtins() -> list[Builtin]:
    """The templates shipped in ``templates_data/`` (each is validated: a broken file is a bug)."""
    found = []
    for path in builtin_files():
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns, translation.get_language() or "")
        if key not in _BUILTIN_CACHE:
            _BUILTIN_CACHE[key] = (path.read_text(encoding="utf-8"), load_file(path).data)
        text, data = _BUILTIN_CACHE[key]
        found.append(Builtin(file=path.name, text=text, spec=Spec(copy.deepcopy(data))))
    return found


def find_builtin(name: str) -> Builtin | None:
    """A built-in template by key, name or file name (with or without the suffix)."""
    for item in builtins():
        if name in (item.spec.key, item.spec.name, item.file, Path(item.file).stem):
            return item
    return None


# ---------------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _level(value: Any) -> int | None:
    """A level given as 3 or "3"; None when it is not a level number."""
    if _is_int(value):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


class _Checker:
    """Collects errors as it normalises the template."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, message: str) -> None:
        if message not in self.errors:
            self.errors.append(message)

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.error(_("%(where)s必须是键值对（映射）。") % {"where": where})
            return {}
        return {str(k): v for k, v in value.items()}

    def listing(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(_("%(where)s必须是列表。") % {"where": where})
            return []
        return value

    def levels(self, value: Any, where: str) -> list[int]:
        levels: list[int] = []
        for item in self.listing(value, where):
            level = _level(item)
            if level is None or level not in scheduler.LEVELS:
                self.error(
                    _("%(where)s中有未知的层级“%(value)s”（层级为 1～5）。") % {"where": where, "value": item}
                )
            elif level not in levels:
                levels.append(level)
        return sorted(levels)

    def kinds(self, value: Any, where: str) -> list[str]:
        kinds: list[str] = []
        for item in self.listing(value, where):
            if not isinstance(item, str) or item not in scheduler.KINDS:
                self.error(
                    _("%(where)s中有未知的单位类型“%(value)s”（可选：%(known)s）。")
                    % {"where": where, "value": item, "known": "、".join(sorted(scheduler.KINDS))}
                )
            elif item not in kinds:
                kinds.append(item)
        return kinds

    def key(self, value: Any, where: str) -> str:
        key = value if isinstance(value, str) else str(value) if _is_int(value) else ""
        if not key:
            self.error(_("%(where)s缺少标识（key）。") % {"where": where})
        elif not KEY_RE.match(key):
            self.error(
                _("%(where)s的标识“%(key)s”只能由字母、数字、“-”“_”“.”组成。") % {"where": where, "key": key}
            )
        return key

    def unknown_keys(self, raw: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
        extra = sorted(set(raw) - set(allowed))
        if extra:
            self.error(_("%(where)s中有未知的字段：%(keys)s。") % {"where": where, "keys": "、".join(extra)})


def validate(raw: Any) -> Spec:
    """Check a parsed template and return its normalised ``Spec``. Raises ``TemplateError``."""
    c = _Checker()
    if not isinstance(raw, Mapping):
        raise TemplateError([_("模板必须是一个键值对（映射），以 key、name、phases 等字段开头。")])
    top = {str(k): v for k, v in raw.items()}
    c.unknown_keys(top, TOP_KEYS, _("模板"))
    key = c.key(top.get("key"), _("模板"))
    name = _text(top.get("name"))
    if not name:
        c.error(_("模板缺少名称（name）。"))

    level_names: dict[str, str] = {}
    for level_key, label in c.mapping(top.get("level_names"), _("层级名称（level_names）")).items():
        level = _level(level_key)
        if level is None or level not in scheduler.LEVELS:
            c.error(_("层级名称中有未知的层级“%(value)s”（层级为 1～5）。") % {"value": level_key})
        elif not _text(label):
            c.error(_("第%(level)d级的名称是空的。") % {"level": level})
        else:
            level_names[str(level)] = _text(label)

    categories = _categories(c, top.get("categories"))
    category_keys = {cat["key"] for cat in categories}
    gate_checks = _gate_checks(c, top.get("gate_checks"))
    phases = _phases(c, top.get("phases"), category_keys, [g["key"] for g in gate_checks])
    timing = _timing(c, top.get("timing"), _("时间规则（timing）"), defaults=TIMING_DEFAULTS)
    batches = _batches(c, top.get("batches"))
    evaluation = _evaluation(c, top.get("evaluation"), [str(p.get("key")) for p in phases])
    appraisal = _appraisal(c, top.get("appraisal"), phases)
    ledger = _ledger(c, top.get("ledger"), [str(p.get("key")) for p in phases])
    _action_tags(c, phases, {t["key"] for t in ledger.get("tags", [])})
    sectors = _sectors(c, top.get("sectors"))
    warnings = _warnings(c, top.get("warnings"), phases)
    publicity = _publicity(c, top.get("publicity"))

    if c.errors:
        raise TemplateError(c.errors)
    data = {
        "format": FORMAT_VERSION,
        "key": key,
        "name": name,
        "language": _text(top.get("language")) or "zh-hans",
        "description": _text(top.get("description")),
        "level_names": level_names,
        "categories": categories,
        "gate_checks": gate_checks,
        "phases": phases,
        "timing": timing,
        "batches": batches,
        "evaluation": evaluation,
        "appraisal": appraisal,
        "ledger": ledger,
        "warnings": warnings,
        "publicity": publicity,
        "sectors": sectors,
    }
    return Spec(data)


def _categories(c: _Checker, value: Any) -> list[dict[str, Any]]:
    categories: list[dict[str, Any]] = []
    owner: dict[str, str] = {}
    for n, item in enumerate(c.listing(value, _("单位类别（categories）")), start=1):
        where = _("第 %(n)d 个单位类别") % {"n": n}
        raw = c.mapping(item, where)
        if not raw:
            continue
        c.unknown_keys(raw, {"key", "name", "kinds"}, where)
        key = c.key(raw.get("key"), where)
        if any(cat["key"] == key for cat in categories):
            c.error(_("单位类别标识“%(key)s”重复。") % {"key": key})
        kinds = c.kinds(raw.get("kinds"), _("单位类别“%(key)s”的单位类型") % {"key": key})
        for kind in kinds:
            if kind in owner and owner[kind] != key:
                c.error(
                    _("单位类型“%(kind)s”同时属于类别“%(a)s”和“%(b)s”。")
                    % {"kind": kind, "a": owner[kind], "b": key}
                )
            owner[kind] = key
        categories.append({"key": key, "name": _text(raw.get("name")) or key, "kinds": kinds})
    return categories


def _gate_checks(c: _Checker, value: Any) -> list[dict[str, str]]:
    checks: list[dict[str, str]] = []
    for n, item in enumerate(c.listing(value, _("关口检查项（gate_checks）")), start=1):
        where = _("第 %(n)d 个关口检查项") % {"n": n}
        raw = c.mapping(item, where)
        if not raw:
            continue
        c.unknown_keys(raw, {"key", "name"}, where)
        key = c.key(raw.get("key"), where)
        if any(g["key"] == key for g in checks):
            c.error(_("关口检查项标识“%(key)s”重复。") % {"key": key})
        checks.append({"key": key, "name": _text(raw.get("name")) or key})
    return checks


def _phases(c: _Checker, value: Any, categories: set[str], gate_checks: list[str]) -> list[dict[str, Any]]:
    items = c.listing(value, _("环节（phases）"))
    if not items:
        c.error(_("模板至少要有一个环节（phases）。"))
    phases: list[dict[str, Any]] = []
    shares_ok = True
    for n, item in enumerate(items, start=1):
        raw = c.mapping(item, _("第 %(n)d 个环节") % {"n": n})
        if not raw:
            shares_ok = False
            continue
        label = _text(raw.get("name")) or str(raw.get("key") or n)
        where = _("环节“%(name)s”") % {"name": label}
        c.unknown_keys(
            raw,
            {
                "key",
                "name",
                "share",
                "gate",
                "checks",
                "milestone",
                "actions",
                "requires_children",
                "min_days",
                "leader_first",
            },
            where,
        )
        key = c.key(raw.get("key"), where)
        if any(p["key"] == key for p in phases):
            c.error(_("环节标识“%(key)s”重复。") % {"key": key})
        if not _text(raw.get("name")):
            c.error(_("%(where)s缺少名称（name）。") % {"where": where})
        share = raw.get("share")
        if (
            not isinstance(share, int | float)
            or isinstance(share, bool)
            or not math.isfinite(share)
            or share <= 0
        ):
            c.error(
                _("%(where)s的占比必须是大于 0 的数（百分比），现为 %(value)s。")
                % {"where": where, "value": share}
            )
            shares_ok = False
            share = 0
        requires_children = raw.get("requires_children", False)
        if not isinstance(requires_children, bool):
            c.error(_("%(where)s的 requires_children 必须是 true 或 false。") % {"where": where})
            requires_children = False
        min_days = raw.get("min_days", 0)
        if not _is_int(min_days) or not 0 <= min_days <= MAX_PHASE_MIN_DAYS:
            c.error(
                _("%(where)s的最少天数 min_days 须是 0～%(most)d 之间的整数，现为 %(value)s。")
                % {"where": where, "most": MAX_PHASE_MIN_DAYS, "value": min_days}
            )
            min_days = 0
        leader_first = raw.get("leader_first", False)
        if not isinstance(leader_first, bool):
            c.error(_("%(where)s的 leader_first 必须是 true 或 false。") % {"where": where})
            leader_first = False
        if leader_first and requires_children:
            c.error(
                _("%(where)s不能同时要求领导班子先通过（leader_first）和下级先通过（requires_children）。")
                % {"where": where}
            )
        gate = raw.get("gate", False)
        if not isinstance(gate, bool):
            c.error(_("%(where)s的 gate 必须是 true 或 false。") % {"where": where})
            gate = False
        checks: list[str] = []
        if gate:
            given = raw.get("checks")
            checks = list(gate_checks) if given is None else []
            if given is not None:
                for check in c.listing(given, _("%(where)s的检查项") % {"where": where}):
                    if check not in gate_checks:
                        c.error(
                            _("%(where)s的检查项“%(key)s”未在 gate_checks 中定义。")
                            % {"where": where, "key": check}
                        )
                    elif check not in checks:
                        checks.append(check)
            if not checks:
                c.error(_("%(where)s以关口结束，但没有检查项（请定义 gate_checks）。") % {"where": where})
            checks = [k for k in gate_checks if k in checks]  # in the template's order
        elif raw.get("checks"):
            c.error(_("%(where)s没有关口（gate: false），不能有检查项。") % {"where": where})
        milestone = None
        if raw.get("milestone") is not None:
            m = c.mapping(raw.get("milestone"), _("%(where)s的节点（milestone）") % {"where": where})
            if m:
                c.unknown_keys(m, {"key", "name", "at"}, _("%(where)s的节点") % {"where": where})
                at = m.get("at", "end")
                if at not in ("start", "end"):
                    c.error(_("%(where)s的节点时间 at 只能是 start 或 end。") % {"where": where})
                milestone = {
                    "key": c.key(m.get("key"), _("%(where)s的节点") % {"where": where}),
                    "name": _text(m.get("name")) or str(m.get("key")),
                    "at": at,
                }
        actions: dict[str, list[dict[str, Any]]] = {}
        for category, listed in c.mapping(
            raw.get("actions"), _("%(where)s的规定动作") % {"where": where}
        ).items():
            if category not in categories:
                c.error(
                    _("%(where)s的规定动作用了未定义的单位类别“%(cat)s”。")
                    % {"where": where, "cat": category}
                )
                continue
            rows: list[dict[str, Any]] = []
            for m_n, action in enumerate(
                c.listing(listed, _("%(where)s的规定动作") % {"where": where}), start=1
            ):
                a_where = _("%(where)s“%(cat)s”的第 %(n)d 个规定动作") % {
                    "where": where,
                    "cat": category,
                    "n": m_n,
                }
                a = c.mapping(action, a_where)
                if not a:
                    continue
                c.unknown_keys(a, {"key", "name", "evidence", "note", "meeting", *ACTION_ORDER_KEYS}, a_where)
                a_key = c.key(a.get("key", f"a{m_n}"), a_where)
                if any(r["key"] == a_key for r in rows):
                    c.error(_("%(where)s的规定动作标识“%(key)s”重复。") % {"where": where, "key": a_key})
                if not _text(a.get("name")):
                    c.error(_("%(where)s缺少名称。") % {"where": a_where})
                evidence = a.get("evidence", "confirm")
                if evidence not in EVIDENCE:
                    c.error(
                        _("%(where)s的佐证类型“%(value)s”未知（可选：material、meeting、confirm）。")
                        % {"where": a_where, "value": evidence}
                    )
                row = {
                    "key": a_key,
                    "name": _text(a.get("name")),
                    "evidence": str(evidence),
                    "note": _text(a.get("note")),
                    **_action_order(c, a, a_where, str(evidence)),
                }
                meeting = _meeting_types(c, a.get("meeting"), evidence, a_where)
                if meeting:
                    row["meeting"] = meeting
                rows.append(row)
            _action_order_check(c, rows, _("%(where)s“%(cat)s”") % {"where": where, "cat": category})
            actions[category] = rows
        phases.append(
            {
                "key": key,
                "name": _text(raw.get("name")),
                "share": float(share),
                "gate": gate,
                "requires_children": requires_children,
                "min_days": int(min_days),
                "leader_first": leader_first,
                "checks": checks,
                "milestone": milestone,
                "actions": actions,
            }
        )
    if phases and shares_ok:
        total = math.fsum(p["share"] for p in phases)
        if abs(total - 100) > 1e-6:
            c.error(_("环节占比之和必须为 100%%，现为 %(total)s%%。") % {"total": f"{round(total, 2):g}"})
    return phases


# What an action may say beyond its evidence (ADR 18): ``requires_approval`` (its material is approved by
# the supervision group before the actions ``after`` it), ``after`` (an action of the same phase and unit
# category it follows) and ``tags`` (the region's carriers: keys of ``ledger.tags``).
ACTION_ORDER_KEYS = ("requires_approval", "after", "tags")


def _action_order(c: _Checker, a: Mapping[str, Any], where: str, evidence: str) -> dict[str, Any]:
    """The optional ordering fields of one action, checked on their own (their references: below)."""
    out: dict[str, Any] = {}
    approval = a.get("requires_approval", False)
    if not isinstance(approval, bool):
        c.error(_("%(where)s的 requires_approval 必须是 true 或 false。") % {"where": where})
    elif approval:
        if evidence != "material":
            c.error(
                _("%(where)s要求督导组审核（requires_approval），只有上传材料的规定动作才能报审。")
                % {"where": where}
            )
        out["requires_approval"] = True
    if a.get("after") is not None:
        out["after"] = c.key(a.get("after"), _("%(where)s的前置动作（after）") % {"where": where})
    if a.get("tags") is not None:
        tags = [t for t in c.listing(a.get("tags"), _("%(where)s的载体标签（tags）") % {"where": where})]
        out["tags"] = [c.key(t, _("%(where)s的载体标签") % {"where": where}) for t in tags]
    return out


def _action_order_check(c: _Checker, rows: Sequence[Mapping[str, Any]], where: str) -> None:
    """Each ``after`` names another action of the same list, and the ``after`` links form no cycle."""
    keys = {r["key"] for r in rows}
    follows = {r["key"]: r["after"] for r in rows if r.get("after")}
    for key, before in follows.items():
        if before == key:
            c.error(_("%(where)s的规定动作“%(key)s”不能排在自己之后。") % {"where": where, "key": key})
        elif before not in keys:
            c.error(
                _("%(where)s的规定动作“%(key)s”的前置动作“%(after)s”不在本环节本类别的规定动作中。")
                % {"where": where, "key": key, "after": before}
            )
    reported: set[str] = set()
    for start in follows:
        seen = [start]
        key = follows.get(start)
        while key is not None and key in follows and key not in seen:
            seen.append(key)
            key = follows.get(key)
        if key is not None and key == start and len(seen) > 1 and not reported & set(seen):
            reported |= set(seen)
            c.error(
                _("%(where)s的规定动作前后顺序成环：%(chain)s。")
                % {"where": where, "chain": " → ".join([*seen, start])}
            )


def _action_tags(c: _Checker, phases: Sequence[Mapping[str, Any]], known: set[str]) -> None:
    """An action's carrier tags are keys of the ledger's tags (四大行动、六大工程)."""
    for phase in phases:
        for category, rows in phase.get("actions", {}).items():
            for row in rows:
                for tag in row.get("tags", []):
                    if tag and tag not in known:
                        c.error(
                            _(
                                "环节“%(phase)s”“%(cat)s”的规定动作“%(key)s”"
                                "用了未在 ledger.tags 中定义的载体标签“%(tag)s”。"
                            )
                            % {"phase": phase.get("name"), "cat": category, "key": row["key"], "tag": tag}
                        )


MAX_SECTOR_PROBLEMS = 50


def _sectors(c: _Checker, value: Any) -> list[dict[str, Any]]:
    """Targeted guidance (分类指导) by sector: categories of units by their sector system (``industry``),
    e.g. law-enforcement and regulatory departments, service windows, service industries, each with its
    key-problem checklist (重点问题). An industry belongs to one sector at most."""
    sectors: list[dict[str, Any]] = []
    owner: dict[str, str] = {}
    for n, item in enumerate(c.listing(value, _("分类指导（sectors）")), start=1):
        where = _("第 %(n)d 个分类指导类别") % {"n": n}
        raw = c.mapping(item, where)
        if not raw:
            continue
        c.unknown_keys(raw, {"key", "name", "industries", "problems"}, where)
        key = c.key(raw.get("key"), where)
        if any(s["key"] == key for s in sectors):
            c.error(_("分类指导类别标识“%(key)s”重复。") % {"key": key})
        name = _text(raw.get("name"))
        if not name:
            c.error(_("%(where)s缺少名称（name）。") % {"where": where})
        industries: list[str] = []
        for industry in c.listing(raw.get("industries"), _("分类指导“%(key)s”的行业系统") % {"key": key}):
            text = _text(industry) if isinstance(industry, str) else ""
            if not text or len(text) > 50:
                c.error(
                    _("分类指导“%(key)s”的行业系统须是 1～50 个字的名称（现为“%(value)s”）。")
                    % {"key": key, "value": industry}
                )
                continue
            if text in owner and owner[text] != key:
                c.error(
                    _("行业系统“%(industry)s”同时属于分类指导“%(a)s”和“%(b)s”。")
                    % {"industry": text, "a": owner[text], "b": key}
                )
            owner[text] = key
            if text not in industries:
                industries.append(text)
        if not industries:
            c.error(_("分类指导“%(key)s”至少要列出一个行业系统（industries）。") % {"key": key})
        problems: list[dict[str, str]] = []
        listed = c.listing(raw.get("problems"), _("分类指导“%(key)s”的重点问题") % {"key": key})
        if len(listed) > MAX_SECTOR_PROBLEMS:
            c.error(_("分类指导“%(key)s”的重点问题最多 %(n)d 项。") % {"key": key, "n": MAX_SECTOR_PROBLEMS})
        for m, entry in enumerate(listed[:MAX_SECTOR_PROBLEMS], start=1):
            p_where = _("分类指导“%(key)s”的第 %(n)d 个重点问题") % {"key": key, "n": m}
            p = c.mapping(entry, p_where)
            if not p:
                continue
            c.unknown_keys(p, {"key", "name"}, p_where)
            p_key = c.key(p.get("key"), p_where)
            if any(x["key"] == p_key for x in problems):
                c.error(_("%(where)s的标识“%(key)s”重复。") % {"where": p_where, "key": p_key})
            if not _text(p.get("name")):
                c.error(_("%(where)s缺少名称（name）。") % {"where": p_where})
            problems.append({"key": p_key, "name": _text(p.get("name"))})
        sectors.append({"key": key, "name": name, "industries": industries, "problems": problems})
    return sectors


def _meeting_types(c: _Checker, value: Any, evidence: Any, where: str) -> list[str]:
    """The meeting types an action's meeting record must have (``meeting: study`` or a list); none given:
    any type."""
    if value is None or value == [] or value == "":
        return []
    if evidence != "meeting":
        c.error(_("%(where)s的佐证不是会议记录，不能指定会议类型。") % {"where": where})
        return []
    listed = [value] if isinstance(value, str) else value
    if not isinstance(listed, list):
        c.error(_("%(where)s的会议类型须是一个类型或类型列表。") % {"where": where})
        return []
    types: list[str] = []
    for item in listed:
        if item not in MEETING_TYPES:
            c.error(
                _("%(where)s的会议类型“%(value)s”未知（可选：%(known)s）。")
                % {"where": where, "value": item, "known": "、".join(MEETING_TYPES)}
            )
        elif item not in types:
            types.append(str(item))
    return types


def _blackouts(c: _Checker, value: Any, where: str) -> list[dict[str, str]]:
    """Blackout entries: {holiday: spring_festival} (from chinese-calendar), {start, end} as YYYY-MM-DD
    (once) or MM-DD (every year); each with an optional name."""
    entries: list[dict[str, str]] = []
    for n, item in enumerate(c.listing(value, where), start=1):
        e_where = _("%(where)s第 %(n)d 项") % {"where": where, "n": n}
        raw = c.mapping(item, e_where)
        if not raw:
            continue
        c.unknown_keys(raw, {"holiday", "name", "start", "end"}, e_where)
        name = _text(raw.get("name"))
        if "holiday" in raw:
            holiday = raw.get("holiday")
            if holiday not in holiday_names():
                c.error(
                    _("%(where)s的节日“%(value)s”未知（可选：%(known)s）。")
                    % {"where": e_where, "value": holiday, "known": "、".join(holiday_names())}
                )
                continue
            entries.append({"holiday": str(holiday), "name": name or str(holiday)})
            continue
        start, end = raw.get("start"), raw.get("end")
        start_md = MONTH_DAY_RE.match(start) if isinstance(start, str) else None
        end_md = MONTH_DAY_RE.match(end) if isinstance(end, str) else None
        if start_md and end_md:
            ok = True
            for m in (start_md, end_md):
                try:
                    date(2000, int(m.group(1)), int(m.group(2)))  # a leap year accepts 02-29
                except ValueError:
                    ok = False
            if not ok:
                c.error(_("%(where)s的月日无效（格式 MM-DD）。") % {"where": e_where})
                continue
            entries.append({"start": str(start), "end": str(end), "name": name, "yearly": "1"})
            continue
        first, last = _as_date(start), _as_date(end)
        if first is None or last is None:
            c.error(
                _("%(where)s需要 holiday，或 start 和 end（YYYY-MM-DD，或每年重复的 MM-DD）。")
                % {"where": e_where}
            )
            continue
        if last < first:
            c.error(_("%(where)s的结束日期早于开始日期。") % {"where": e_where})
            continue
        entries.append({"start": first.isoformat(), "end": last.isoformat(), "name": name})
    return entries


def _timing(c: _Checker, value: Any, where: str, *, defaults: Mapping[str, Any] | None) -> dict[str, Any]:
    """Timing rules, checked by building ``scheduler.Rules`` (its messages are the user's)."""
    raw = c.mapping(value, where)
    c.unknown_keys(raw, TIMING_KEYS, where)
    timing: dict[str, Any] = dict(defaults) if defaults is not None else {}
    for key in TIMING_KEYS:
        if key in raw:
            timing[key] = raw[key]
    for key in ("flexible_levels", "kickoff_levels"):
        if key in timing:
            timing[key] = c.levels(timing[key], f"{where}·{key}")
    for key in ("ahead_kinds", "flexible_kinds"):
        if key in timing:
            timing[key] = c.kinds(timing[key], f"{where}·{key}")
    if "blackouts" in timing:
        timing["blackouts"] = _blackouts(c, timing["blackouts"], _("%(where)s的停歇期") % {"where": where})
    for message in rule_range_errors(timing):
        c.error(f"{where}：{message}")
    if defaults is not None:
        check_rules(c, timing)
    return timing


def rule_range_errors(values: Mapping[str, Any]) -> list[str]:
    """The numeric rules in ``values`` above ``RULE_RANGES``, in Chinese. (A value below the range or not
    an integer is left to the engine, whose message says so: "先行天数不能为负数".)"""
    errors = []
    for key, (least, most) in RULE_RANGES.items():
        value = values.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > most:
            shown = str(value) if value < 10**20 else _("过大")
            errors.append(
                _("%(rule)s须在 %(least)d～%(most)d 天之间（现为 %(value)s）。")
                % {"rule": RULE_NAMES[key], "least": least, "most": most, "value": shown}
            )
    return errors


def rule_change_errors(changes: Mapping[str, Any], *, earliest: date, latest: date) -> list[str]:
    """What is wrong with the rule ``changes`` of one batch (a what-if or a re-plan), in Chinese: numeric
    rules outside ``RULE_RANGES``; a window date outside the campaign's dates (``earliest``..``latest``)
    widened by ``WINDOW_CHANGE_MARGIN_YEARS``; a list of kinds or levels that is not a short list of short
    items. (Anything else — an unknown kind, a window ending before it starts — is the engine's to say.)"""
    errors = rule_range_errors(changes)
    margin = timedelta(days=round(365.25 * WINDOW_CHANGE_MARGIN_YEARS))
    first, last = earliest - margin, latest + margin
    labels = {"window_start": _("批次开始日期"), "window_end": _("批次结束日期")}
    for key, label in labels.items():
        day = changes.get(key)
        if isinstance(day, date) and not first <= day <= last:
            errors.append(
                _("%(what)s须在 %(first)s 至 %(last)s 之间（活动时间前后各 %(years)d 年），现为 %(day)s。")
                % {
                    "what": label,
                    "first": first.isoformat(),
                    "last": last.isoformat(),
                    "years": WINDOW_CHANGE_MARGIN_YEARS,
                    "day": day.isoformat(),
                }
            )
    for key in ("ahead_kinds", "flexible_kinds", "flexible_levels", "kickoff_levels"):
        items = changes.get(key)
        if items is None:
            continue
        if (
            not isinstance(items, list | tuple | set | frozenset)
            or len(items) > MAX_RULE_ITEMS
            or not all(_short_item(x) for x in items)
            or len({type(x) for x in items}) > 1
        ):
            errors.append(
                _("规则“%(key)s”须是不超过 %(n)d 项的列表（层级或单位类型）。")
                % {"key": key, "n": MAX_RULE_ITEMS}
            )
    return errors


def campaign_window_errors(start: date, end: date) -> dict[str, list[str]]:
    """What is wrong with a new campaign's dates, in Chinese, by field ("start", "end"): a year outside
    ``CAMPAIGN_YEARS`` (year 1 or 9999 overflowed the date arithmetic: 500), an end before the start, a
    campaign longer than ``MAX_CAMPAIGN_DAYS``."""
    first, last = CAMPAIGN_YEARS
    errors: dict[str, list[str]] = {}
    for name, what, day in (("start", _("开始日期"), start), ("end", _("结束日期"), end)):
        if not first <= day.year <= last:
            errors.setdefault(name, []).append(
                _("%(what)s须在 %(first)d 年至 %(last)d 年之间，现为 %(day)s。")
                % {"what": what, "first": first, "last": last, "day": day.isoformat()}
            )
    if end < start:
        errors.setdefault("end", []).append(_("结束日期早于开始日期。"))
    elif (end - start).days + 1 > MAX_CAMPAIGN_DAYS:
        errors.setdefault("end", []).append(
            _("活动时间最长 %(n)d 天（五年），现为 %(days)d 天。")
            % {"n": MAX_CAMPAIGN_DAYS, "days": (end - start).days + 1}
        )
    return errors


def _short_item(x: Any) -> bool:
    """A level (a small integer) or a kind (a short text) in a rule change."""
    if isinstance(x, bool):
        return False
    return (isinstance(x, int) and abs(x) < 1000) or (isinstance(x, str) and len(x) <= 32)


def check_rules(c: _Checker, timing: Mapping[str, Any]) -> None:
    values = {k: timing[k] for k in TIMING_KEYS if k in timing and k != "blackouts"}
    try:
        scheduler.Rules(window_start=PLACEHOLDER_WINDOW[0], window_end=PLACEHOLDER_WINDOW[1], **values)
    except scheduler.RulesError as exc:
        for message in exc.errors:
            c.error(message)
    except TypeError as exc:  # a value of the wrong shape (e.g. a number where a list belongs)
        c.error(_("时间规则的格式有误：%(err)s") % {"err": exc})


def _batches(c: _Checker, value: Any) -> list[dict[str, Any]]:
    batches: list[dict[str, Any]] = []
    items = c.listing(value, _("批次（batches）"))
    if not items:
        c.error(_("模板至少要有一个批次（batches）。"))
    for n, item in enumerate(items, start=1):
        where = _("第 %(n)d 个批次") % {"n": n}
        raw = c.mapping(item, where)
        if not raw:
            continue
        c.unknown_keys(raw, {"key", "name", "levels", "kinds", "rest", "window", "timing"}, where)
        key = c.key(raw.get("key"), where)
        where = _("批次“%(key)s”") % {"key": key}
        if any(b["key"] == key for b in batches):
            c.error(_("批次标识“%(key)s”重复。") % {"key": key})
        levels = c.levels(raw.get("levels"), _("%(where)s的参与层级") % {"where": where})
        if not levels:
            c.error(_("%(where)s至少要有一个参与层级（levels）。") % {"where": where})
        kinds: dict[str, list[str]] = {}
        for level_key, listed in c.mapping(
            raw.get("kinds"), _("%(where)s的单位类型") % {"where": where}
        ).items():
            level = _level(level_key)
            if level is None or level not in scheduler.LEVELS:
                c.error(
                    _("%(where)s的单位类型中有未知的层级“%(value)s”（层级为 1～5）。")
                    % {"where": where, "value": level_key}
                )
                continue
            if level not in levels:
                c.error(
                    _("%(where)s为第%(level)d级限定了单位类型，但第%(level)d级不是参与层级。")
                    % {"where": where, "level": level}
                )
            kinds[str(level)] = c.kinds(
                listed, _("%(where)s第%(level)d级的单位类型") % {"where": where, "level": level}
            )
        rest = raw.get("rest", False)
        if not isinstance(rest, bool):
            c.error(_("%(where)s的 rest 必须是 true 或 false。") % {"where": where})
            rest = False
        window = None
        if raw.get("window") is not None:
            w = c.mapping(raw.get("window"), _("%(where)s的时间窗口") % {"where": where})
            first, last = _as_date(w.get("start")), _as_date(w.get("end"))
            if first is None or last is None:
                c.error(_("%(where)s的时间窗口需要 start 和 end（YYYY-MM-DD）。") % {"where": where})
            elif last < first:
                c.error(_("%(where)s的时间窗口结束日期早于开始日期。") % {"where": where})
            else:
                window = {"start": first.isoformat(), "end": last.isoformat()}
        timing = _timing(c, raw.get("timing"), _("%(where)s的时间规则") % {"where": where}, defaults=None)
        batches.append(
            {
                "key": key,
                "name": _text(raw.get("name")) or key,
                "levels": levels,
                "kinds": kinds,
                "rest": rest,
                "window": window,
                "timing": timing,
            }
        )
    for n, later in enumerate(batches):
        if later["rest"]:
            continue  # takes what the earlier batches left
        for earlier in batches[:n]:
            shared = _overlap(earlier, later)
            if shared:
                c.error(
                    _(
                        "批次“%(b)s”与前面的批次“%(a)s”有重叠的单位（%(what)s）："
                        "请缩小范围，或设 rest: true 表示“其余单位”。"
                    )
                    % {"a": earlier["key"], "b": later["key"], "what": "；".join(shared)}
                )
    return batches


def _overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """Levels (and kinds) that two batches both select."""
    shared = []
    for level in sorted(set(a["levels"]) & set(b["levels"])):
        kinds_a = set(a["kinds"].get(str(level)) or scheduler.KINDS)
        kinds_b = set(b["kinds"].get(str(level)) or scheduler.KINDS)
        common = kinds_a & kinds_b
        if common:
            shared.append(_("第%(level)d级 %(kinds)s") % {"level": level, "kinds": "、".join(sorted(common))})
    return shared


# The satisfaction evaluation (群众满意度测评) when a template says nothing: the last phase, the items of the
# 2014 evaluations (the first, the overall one, decides the result), a three-option scale of which all but
# the last count as satisfied, a redo (补课) below 60 % on the rectification phase.
EVALUATION_ITEMS = ["活动整体情况", "解决“四风”突出问题情况"]
EVALUATION_SCALE = ["满意", "基本满意", "不满意"]
EVALUATION_DEFAULTS: dict[str, Any] = {
    "redo_below": 0.6,
    "redo_phase": "rectify",
    "redo_days": 30,
    "ballot_days": 14,
}
EVALUATION_KEYS = {
    "phase",
    "items",
    "scale",
    "satisfied",
    "redo_below",
    "redo_phase",
    "redo_days",
    "ballot_days",
}


def evaluation_settings(raw: Mapping[str, Any] | None, phase_keys: Sequence[str]) -> dict[str, Any]:
    """The evaluation section with every default filled in (a campaign copied before the section had its
    keys reads the same way): the phase it is held in, its items, scale, the satisfied options, the
    threshold, the redo's phase and days, and how long a ballot code stays valid."""
    raw = dict(raw or {})
    scale = [str(s) for s in raw.get("scale") or EVALUATION_SCALE]
    phase = str(raw.get("phase") or (phase_keys[-1] if phase_keys else ""))
    redo_phase = str(raw.get("redo_phase") or "")
    if not redo_phase:
        redo_phase = EVALUATION_DEFAULTS["redo_phase"]
        if redo_phase not in phase_keys:
            at = list(phase_keys).index(phase) if phase in phase_keys else len(phase_keys)
            redo_phase = phase_keys[max(0, at - 1)] if phase_keys else ""
    return {
        "phase": phase,
        "items": [str(i) for i in raw.get("items") or EVALUATION_ITEMS],
        "scale": scale,
        "satisfied": [str(s) for s in raw.get("satisfied") or scale[:-1] or scale],
        "redo_below": float(raw.get("redo_below", EVALUATION_DEFAULTS["redo_below"])),
        "redo_phase": redo_phase,
        "redo_days": int(raw.get("redo_days", EVALUATION_DEFAULTS["redo_days"])),
        "ballot_days": int(raw.get("ballot_days", EVALUATION_DEFAULTS["ballot_days"])),
    }


def _evaluation(c: _Checker, value: Any, phase_keys: list[str]) -> dict[str, Any]:
    """The satisfaction evaluation (满意度测评): ``phase`` (default the last), ``items`` (the first is the
    overall item that decides the result), ``scale``, ``satisfied`` (the options counted as satisfied,
    default all but the last), ``redo_below`` (0–1), ``redo_phase`` (where a redo, 补课, opens), ``redo_days``
    (its deadline) and ``ballot_days`` (how long a one-time ballot code is valid). Returned with defaults."""
    raw = c.mapping(value, _("满意度测评（evaluation）"))
    c.unknown_keys(raw, EVALUATION_KEYS, _("满意度测评"))
    for name, label in (("items", _("满意度测评的项目")), ("scale", _("满意度测评的等次"))):
        if name in raw:
            entries = [_text(s) for s in c.listing(raw[name], label)]
            if not entries or not all(entries):
                c.error(_("%(what)s不能为空。") % {"what": label})
            elif len(set(entries)) != len(entries):
                c.error(_("%(what)s有重复。") % {"what": label})
            raw[name] = entries
    scale = raw.get("scale") or EVALUATION_SCALE
    if "scale" in raw and len(scale) < 2:
        c.error(_("满意度测评的等次至少要有两个。"))
    if "satisfied" in raw:
        satisfied = [_text(s) for s in c.listing(raw["satisfied"], _("满意度测评的满意等次"))]
        unknown = [s for s in satisfied if s not in scale]
        if unknown:
            c.error(_("满意度测评的满意等次“%(names)s”不在等次中。") % {"names": "、".join(unknown)})
        elif not satisfied or len(satisfied) >= len(scale):
            c.error(_("满意度测评的满意等次至少一个，且不能包括全部等次。"))
        raw["satisfied"] = satisfied
    if "redo_below" in raw:
        threshold = raw["redo_below"]
        if not isinstance(threshold, int | float) or isinstance(threshold, bool) or not 0 <= threshold <= 1:
            c.error(_("满意度测评的补课线 redo_below 必须在 0 和 1 之间。"))
            raw.pop("redo_below")
    for name in ("phase", "redo_phase"):
        if name in raw:
            raw[name] = _text(raw[name])
            if raw[name] not in phase_keys:
                c.error(
                    _("满意度测评的 %(name)s“%(key)s”不是模板中的环节。") % {"name": name, "key": raw[name]}
                )
    for name, most in (("redo_days", 365), ("ballot_days", 90)):
        if name in raw and (not _is_int(raw[name]) or not 1 <= int(raw[name]) <= most):
            c.error(
                _("满意度测评的 %(name)s 必须是 1 到 %(most)d 之间的天数。") % {"name": name, "most": most}
            )
            raw.pop(name)
    return evaluation_settings(raw, phase_keys)


# A template without a publicity section: a notice stays up for seven days (公示期).
PUBLICITY_DEFAULT: dict[str, Any] = {"days": 7}
PUBLICITY_DAYS_MAX = 366


def _publicity(c: _Checker, value: Any) -> dict[str, Any]:
    """Publicity (公示): how many days an approved notice stays on the unit's public page."""
    if value is None:
        return dict(PUBLICITY_DEFAULT)
    raw = c.mapping(value, _("公示（publicity）"))
    c.unknown_keys(raw, {"days"}, _("公示"))
    days = raw.get("days", PUBLICITY_DEFAULT["days"])
    if not _is_int(days) or not 1 <= int(days) <= PUBLICITY_DAYS_MAX:
        c.error(_("公示期 days 必须是 1 至 %(max)d 之间的整数（天）。") % {"max": PUBLICITY_DAYS_MAX})
        return dict(PUBLICITY_DEFAULT)
    return {"days": int(days)}


# 民主评议党员 without an ``appraisal`` section: the four grades of the usual appraisal.
APPRAISAL_SCALE_DEFAULT = ["优秀", "合格", "基本合格", "不合格"]


def appraisal_phase_default(phases: Sequence[Mapping[str, Any]]) -> str:
    """The phase whose actions include one keyed ``appraisal`` (any category), else the last phase."""
    for phase in phases:
        actions = phase.get("actions") or {}
        if isinstance(actions, Mapping) and any(
            isinstance(a, Mapping) and a.get("key") == "appraisal"
            for listed in actions.values()
            if isinstance(listed, list)
            for a in listed
        ):
            return str(phase.get("key"))
    return str(phases[-1].get("key")) if phases else ""


def appraisal_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """A campaign's appraisal settings (``scale``, ``lowest``, ``phase``), with the defaults for a template
    copied before it had the section."""
    found = data.get("appraisal")
    if isinstance(found, Mapping) and found.get("scale"):
        return dict(found)
    scale = list(APPRAISAL_SCALE_DEFAULT)
    return {"scale": scale, "lowest": scale[-1:], "phase": appraisal_phase_default(data.get("phases") or [])}


def _appraisal(c: _Checker, value: Any, phases: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """民主评议党员: the grades (``scale``, best first), the grades whose members get a follow-up talk
    (``lowest``, default the last grade) and the phase the appraisal meeting belongs to (``phase``, default
    the phase with an ``appraisal`` action)."""
    raw = c.mapping(value, _("民主评议党员（appraisal）"))
    c.unknown_keys(raw, {"scale", "lowest", "phase"}, _("民主评议党员"))
    scale = list(APPRAISAL_SCALE_DEFAULT)
    if "scale" in raw:
        scale = [_text(s) for s in c.listing(raw["scale"], _("民主评议的等次（scale）"))]
        if len(scale) < 2 or not all(scale):
            c.error(_("民主评议的等次至少两项，且不能为空。"))
        elif len(set(scale)) != len(scale):
            c.error(_("民主评议的等次有重复。"))
        elif any(len(s) > 20 for s in scale):
            c.error(_("民主评议的等次每项不超过 20 个字。"))
    lowest = scale[-1:]
    if "lowest" in raw:
        lowest = [_text(s) for s in c.listing(raw["lowest"], _("需要帮助谈话的等次（lowest）"))]
        unknown = [s for s in lowest if s not in scale]
        if not lowest or unknown:
            c.error(
                _("民主评议的 lowest 必须是 scale 中的等次：%(grades)s。")
                % {"grades": "、".join(unknown) or "—"}
            )
    keys = [str(p.get("key")) for p in phases]
    phase = _text(raw.get("phase")) or appraisal_phase_default(phases)
    if keys and phase not in keys:
        c.error(_("民主评议的 phase“%(key)s”不是模板中的环节。") % {"key": phase})
    return {"scale": scale, "lowest": lowest, "phase": phase}


LEDGER_LISTS = {
    "sources": gettext_lazy("问题来源（sources）"),
    "categories": gettext_lazy("问题类别（categories）"),
    "items": gettext_lazy("专项整治事项（items）"),
    "tags": gettext_lazy("载体标签（tags）"),
}
# A template without a ledger section still has a ledger: one source, one category, no items or tags.
LEDGER_DEFAULT: dict[str, Any] = {
    "sources": [{"key": "public", "name": "群众提"}, {"key": "self", "name": "自己找"}],
    "categories": [{"key": "general", "name": "一般问题"}],
    "items": [],
    "tags": [],
    "gate_phase": "",
}


def _ledger(c: _Checker, value: Any, phase_keys: list[str]) -> dict[str, Any]:
    """The ledger's taxonomy (问题台账): where problems come from, their categories (the four winds), the
    special rectification items and the carrier tags; ``gate_phase`` names the phase whose gate sees the
    ledger (submitting it with unverified tasks needs an explanation per task)."""
    if value is None:
        return dict(LEDGER_DEFAULT)
    raw = c.mapping(value, _("问题台账（ledger）"))
    c.unknown_keys(raw, set(LEDGER_LISTS) | {"gate_phase"}, _("问题台账"))
    result: dict[str, Any] = {}
    for list_key, where in LEDGER_LISTS.items():
        entries: list[dict[str, str]] = []
        for n, item in enumerate(c.listing(raw.get(list_key, []), str(where)), start=1):
            entry = c.mapping(item, _("%(where)s第 %(n)d 项") % {"where": where, "n": n})
            c.unknown_keys(entry, {"key", "name"}, str(where))
            key = c.key(entry.get("key"), str(where))
            if any(e["key"] == key for e in entries):
                c.error(_("%(where)s的标识“%(key)s”重复。") % {"where": where, "key": key})
            entries.append({"key": key, "name": _text(entry.get("name")) or key})
        result[list_key] = entries
    for required in ("sources", "categories"):
        if not result[required]:
            c.error(_("%(where)s至少要有一项。") % {"where": LEDGER_LISTS[required]})
    gate_phase = _text(raw.get("gate_phase"))
    if gate_phase and gate_phase not in phase_keys:
        c.error(_("问题台账的 gate_phase“%(key)s”不是模板中的环节。") % {"key": gate_phase})
    result["gate_phase"] = gate_phase
    return result


# ---------------------------------------------------------------------------------------------------------
# Early warnings (预警): the rules a campaign runs every day and their parameters
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WarningParam:
    """A parameter of a warning rule. ``kind``: ``int`` (``least``..``most``), ``bool``, ``phase`` (a phase
    key; default: the first phase), ``phases`` (phase keys; default: the ``leader_first`` phases) or
    ``phase_days`` ({phase key: days}; default: each phase's ``min_days``)."""

    kind: str
    default: Any = None
    least: int = 0
    most: int = 0


@dataclass(frozen=True)
class WarningRule:
    name: Any  # the rule's label (a template may give its own, ``name``)
    params: Mapping[str, WarningParam] = field(hash=False)


# The rules the dashboards' daily run knows (``dashboards.services.warnings``), in the order they are shown.
# A template's ``warnings:`` section tunes them (``stalled: {days: 21}``) or turns one off
# (``blind_spots: false``); a rule it does not name runs with its defaults.
WARNING_RULES: dict[str, WarningRule] = {
    "phase_overdue": WarningRule(gettext_lazy("环节逾期"), {"days": WarningParam("int", 1, 1, 366)}),
    "stalled": WarningRule(gettext_lazy("长期无进展"), {"days": WarningParam("int", 14, 1, 366)}),
    "too_fast": WarningRule(
        gettext_lazy("环节用时过短"), {"min_days": WarningParam("phase_days", None, 0, MAX_PHASE_MIN_DAYS)}
    ),
    "ahead_of_leader": WarningRule(
        gettext_lazy("先于领导班子通过"),
        {"phases": WarningParam("phases"), "count_overrides": WarningParam("bool", False)},
    ),
    "returned_twice": WarningRule(gettext_lazy("多次被打回"), {"times": WarningParam("int", 2, 2, 20)}),
    "no_opinions": WarningRule(gettext_lazy("未听取到群众意见"), {"phase": WarningParam("phase")}),
    "tasks_overdue": WarningRule(gettext_lazy("整改任务逾期"), {"days": WarningParam("int", 0, 0, 366)}),
    # the current evaluation result below ``percent`` % (0: below the evaluation's own redo_below)
    "satisfaction_low": WarningRule(
        gettext_lazy("满意度低于标准"), {"percent": WarningParam("int", 0, 0, 100)}
    ),
    "blind_spots": WarningRule(gettext_lazy("存在盲点党员"), {"min": WarningParam("int", 1, 1, 100_000)}),
}
MAX_WARNING_NAME = 50


def _param_default(param: WarningParam, phases: Sequence[Mapping[str, Any]]) -> Any:
    if param.kind == "phase":
        return str(phases[0]["key"]) if phases else ""
    if param.kind == "phases":
        return [str(p["key"]) for p in phases if p.get("leader_first")]
    if param.kind == "phase_days":
        return {str(p["key"]): int(p["min_days"]) for p in phases if p.get("min_days")}
    return param.default


def warning_defaults(phases: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every rule with its default parameters (a template without a ``warnings:`` section)."""
    return [
        {"key": key, "name": "", "params": {n: _param_default(p, phases) for n, p in rule.params.items()}}
        for key, rule in WARNING_RULES.items()
    ]


def _warning_param(
    c: _Checker, where: str, name: str, param: WarningParam, value: Any, phases: Sequence[Mapping[str, Any]]
) -> Any:
    keys = [str(p["key"]) for p in phases]
    said = {"where": where, "param": name, "value": value}
    if param.kind == "int":
        if not _is_int(value) or not param.least <= value <= param.most:
            c.error(
                _("%(where)s的 %(param)s 须是 %(least)d～%(most)d 之间的整数，现为 %(value)s。")
                % {**said, "least": param.least, "most": param.most}
            )
            return param.default
        return int(value)
    if param.kind == "bool":
        if not isinstance(value, bool):
            c.error(_("%(where)s的 %(param)s 必须是 true 或 false。") % said)
            return param.default
        return value
    if param.kind == "phase":
        if not isinstance(value, str) or value not in keys:
            c.error(_("%(where)s的 %(param)s“%(value)s”不是模板中的环节。") % said)
            return _param_default(param, phases)
        return value
    if param.kind == "phases":
        given = c.listing(value, _("%(where)s的 %(param)s") % said)
        unknown = [str(k) for k in given if not isinstance(k, str) or k not in keys]
        if unknown:
            c.error(
                _("%(where)s的 %(param)s 中有不是模板环节的“%(keys)s”。")
                % {**said, "keys": "、".join(unknown)}
            )
        return [k for k in keys if k in given]
    # phase_days: the template's minimum days, changed per phase (0: not checked for that phase)
    days = _param_default(param, phases)
    for key, n in c.mapping(value, _("%(where)s的 %(param)s") % said).items():
        if key not in keys:
            c.error(_("%(where)s的 %(param)s 中的“%(value)s”不是模板中的环节。") % {**said, "value": key})
        elif not _is_int(n) or not 0 <= n <= param.most:
            c.error(
                _("%(where)s的 %(param)s 中“%(key)s”的天数须是 0～%(most)d 之间的整数，现为 %(value)s。")
                % {**said, "key": key, "most": param.most, "value": n}
            )
        else:
            days[key] = int(n)
    return {k: n for k, n in days.items() if n}


def _warnings(c: _Checker, value: Any, phases: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The early-warning rules (预警) a campaign runs: each rule of ``WARNING_RULES`` is on with its default
    parameters unless the section turns it off (``false``) or gives parameters (a mapping, with an
    optional ``name``)."""
    if value is None:
        return warning_defaults(phases)
    normalised = isinstance(value, list) and all(isinstance(r, Mapping) and "key" in r for r in value)
    if normalised:  # the normalised form (a campaign's copy validated again): back to a mapping
        listed = {r["key"]: r for r in value}
        value = {
            key: {
                **listed[key].get("params", {}),
                **({"name": listed[key]["name"]} if listed[key].get("name") else {}),
            }
            if key in listed
            else False
            for key in WARNING_RULES
        }
    raw = c.mapping(value, _("预警规则（warnings）"))
    unknown = sorted(set(raw) - set(WARNING_RULES))
    if unknown:
        c.error(
            _("预警规则中有未知的规则：%(keys)s（可选：%(known)s）。")
            % {"keys": "、".join(unknown), "known": "、".join(WARNING_RULES)}
        )
    rules: list[dict[str, Any]] = []
    for key, rule in WARNING_RULES.items():
        given = raw.get(key, True)
        if given is False:
            continue
        where = _("预警规则“%(key)s”") % {"key": key}
        if given is True or given is None:
            given = {}
        if not isinstance(given, Mapping):
            c.error(
                _("%(where)s须是 true、false 或参数的键值对，现为 %(value)s。")
                % {"where": where, "value": given}
            )
            continue
        options = {str(k): v for k, v in given.items()}
        c.unknown_keys(options, {"name", *rule.params}, where)
        name = options.get("name", "")
        if not isinstance(name, str) or len(name.strip()) > MAX_WARNING_NAME:
            c.error(
                _("%(where)s的名称须是不超过 %(n)d 个字的文字。") % {"where": where, "n": MAX_WARNING_NAME}
            )
            name = ""
        params = {
            n: (
                _warning_param(c, where, n, p, options[n], phases)
                if n in options
                else _param_default(p, phases)
            )
            for n, p in rule.params.items()
        }
        rules.append({"key": key, "name": name.strip(), "params": params})
    return rules


# ---------------------------------------------------------------------------------------------------------
# Holidays (chinese-calendar)
# ---------------------------------------------------------------------------------------------------------


def holiday_names() -> list[str]:
    from chinese_calendar.constants import Holiday

    return [h.name for h in Holiday]


def holiday_years_missing(first: date, last: date) -> list[int]:
    """The years of ``first..last`` that chinese-calendar has no holiday arrangements for (the package is
    updated once a year, when the State Council publishes the next year's)."""
    import chinese_calendar

    missing = []
    for year in range(first.year, last.year + 1):
        try:
            chinese_calendar.get_holiday_detail(date(year, 6, 30))
        except NotImplementedError:
            missing.append(year)
    return missing


def holiday_ranges(holiday: str, first: date, last: date) -> list[tuple[date, date]]:
    """The official holiday periods of ``holiday`` that touch ``first..last``, from chinese-calendar.
    A year beyond the package's data gives none (``holiday_years_missing`` names those years)."""
    from chinese_calendar.constants import Holiday, holidays

    wanted = Holiday[holiday].value  # the package stores the English name ("Spring Festival")
    days = sorted(
        d for d, h in holidays.items() if str(h) == wanted and first - timedelta(days=15) <= d <= last
    )
    ranges: list[tuple[date, date]] = []
    for day in days:
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return [(a, b) for a, b in ranges if b >= first and a <= last]


def resolve_blackouts(entries: Iterable[Mapping[str, str]], first: date, last: date) -> list[dict[str, str]]:
    """Concrete dated blackouts for the window ``first..last``: holidays looked up, yearly dates repeated."""
    resolved: list[dict[str, str]] = []
    for entry in entries:
        name = entry.get("name", "")
        if "holiday" in entry:
            for a, b in holiday_ranges(entry["holiday"], first, last):
                resolved.append({"name": name, "start": a.isoformat(), "end": b.isoformat()})
        elif entry.get("yearly"):
            sm, sd = (int(x) for x in entry["start"].split("-"))
            em, ed = (int(x) for x in entry["end"].split("-"))
            for year in range(first.year - 1, last.year + 1):
                a = _month_day(year, sm, sd)
                b = _month_day(year if (em, ed) >= (sm, sd) else year + 1, em, ed)
                if b >= first and a <= last:
                    resolved.append({"name": name, "start": a.isoformat(), "end": b.isoformat()})
        else:
            a, b = date.fromisoformat(entry["start"]), date.fromisoformat(entry["end"])
            if b >= first and a <= last:
                resolved.append({"name": name, "start": a.isoformat(), "end": b.isoformat()})
    resolved.sort(key=lambda e: (e["start"], e["end"]))
    return resolved


# Stored with a batch's resolved timing when a holiday blackout could not be resolved for some years of its
# window: [{"name", "holiday", "years"}]. The plan goes on without those holidays and says so.
HOLIDAYS_UNKNOWN = "holidays_unknown"


def unknown_holidays(entries: Iterable[Mapping[str, str]], first: date, last: date) -> list[dict[str, Any]]:
    """The holiday blackouts among ``entries`` that the calendar cannot date in some years of
    ``first..last``, with those years (empty when it knows every year)."""
    holidays = [e for e in entries if "holiday" in e]
    years = holiday_years_missing(first, last) if holidays else []
    if not years:
        return []
    return [
        {"name": e.get("name") or e["holiday"], "holiday": e["holiday"], "years": years} for e in holidays
    ]


def unknown_holidays_message(entry: Mapping[str, Any]) -> str:
    """What the plan says about an entry of ``HOLIDAYS_UNKNOWN``, in Chinese."""
    return _(
        "节假日日历还没有 %(years)s 年的安排：“%(name)s”在这些年份未计入停歇期，计划照常排出；"
        "需要时请在模板中直接配置停歇期日期（start、end）。"
    ) % {"years": "、".join(str(y) for y in entry.get("years", [])), "name": entry.get("name", "")}


def _month_day(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:  # 02-29 in a common year
        return date(year, month, day - 1)


# ---------------------------------------------------------------------------------------------------------
# The normalised template
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckSpec:
    """A gate check (思想关, 材料关…): what a supervision group checks before a unit passes a gate."""

    key: str
    name: str


@dataclass(frozen=True)
class TermSpec:
    """An entry of one of the ledger's lists (a problem source, category, special item or carrier tag)."""

    key: str
    name: str


@dataclass(frozen=True)
class LedgerSpec:
    """The ledger's taxonomy, template data: another campaign uses its own."""

    sources: tuple[TermSpec, ...]
    categories: tuple[TermSpec, ...]
    items: tuple[TermSpec, ...]
    tags: tuple[TermSpec, ...]
    gate_phase: str

    @classmethod
    def from_data(cls, raw: Mapping[str, Any] | None) -> LedgerSpec:
        raw = raw or LEDGER_DEFAULT

        def terms(name: str) -> tuple[TermSpec, ...]:
            return tuple(TermSpec(str(t["key"]), str(t["name"])) for t in raw.get(name, []))

        return cls(
            terms("sources"),
            terms("categories"),
            terms("items"),
            terms("tags"),
            str(raw.get("gate_phase", "")),
        )

    @staticmethod
    def names(terms: tuple[TermSpec, ...]) -> dict[str, str]:
        return {t.key: t.name for t in terms}


@dataclass(frozen=True)
class WarningSpec:
    """An early-warning rule a campaign runs (``WARNING_RULES``), with its parameters (defaults filled in)."""

    key: str
    name: Any  # the template's name for it, else the rule's label
    params: Mapping[str, Any] = field(hash=False)

    @classmethod
    def from_data(cls, raw: Mapping[str, Any]) -> WarningSpec:
        key = str(raw["key"])
        rule = WARNING_RULES.get(key)
        name = raw.get("name") or (rule.name if rule is not None else key)
        return cls(key, name, MappingProxyType(dict(raw.get("params") or {})))


@dataclass(frozen=True)
class SectorSpec:
    """Targeted guidance for a sector (分类指导): the sector systems (``Unit.industry``) it holds and its
    key-problem checklist."""

    key: str
    name: str
    industries: tuple[str, ...]
    problems: tuple[TermSpec, ...]


@dataclass(frozen=True)
class CategorySpec:
    """A category of units (e.g. villages and communities) that share their required actions."""

    key: str
    name: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class ActionSpec:
    """A required action (规定动作) of a phase for one category of units, and the evidence it needs:
    ``material`` (an upload), ``meeting`` (a meeting record) or ``confirm`` (a click)."""

    key: str
    name: str
    evidence: str
    note: str = ""
    # ADR 18: the material is approved by the supervision group before the actions that come ``after`` it;
    # ``after``: the action of the same phase this one follows; ``tags``: carrier tags (ledger.tags keys).
    requires_approval: bool = False
    after: str = ""
    tags: tuple[str, ...] = ()
    # the meeting types its meeting record must have (evidence ``meeting``); empty: any type
    meeting_types: tuple[str, ...] = ()

    @property
    def evidence_label(self) -> str:
        return str(EVIDENCE.get(self.evidence, self.evidence))


@dataclass(frozen=True)
class MilestoneSpec:
    """A dated mark of a phase (e.g. the mobilization meeting), at its ``start`` or its ``end``."""

    key: str
    name: str
    at: str


@dataclass(frozen=True)
class PhaseSpec:
    """A phase: its share (percent) of a unit's concentrated period, whether it ends with a gate and the
    gate's checks, its milestone, and its required actions by unit category."""

    key: str
    name: str
    share: float
    gate: bool
    requires_children: bool
    checks: tuple[CheckSpec, ...]
    milestone: MilestoneSpec | None
    actions: Mapping[str, tuple[ActionSpec, ...]] = field(hash=False)
    # Rules on what actually happens (gates): submitted and passed no earlier than ``min_days`` after the
    # phase started (both ends counted); ``leader_first``: passed only after the unit's leadership body.
    min_days: int = 0
    leader_first: bool = False

    @property
    def check_names(self) -> list[str]:
        return [check.name for check in self.checks]

    def actions_for(self, category: str) -> tuple[ActionSpec, ...]:
        return self.actions.get(category, ())


@dataclass(frozen=True)
class BatchSpec:
    """A batch: the levels (and, per level, the kinds; none listed: every kind) it takes, or ``rest``
    (what the earlier batches left), its own window if any, and its overrides of the timing rules."""

    key: str
    name: str
    levels: tuple[int, ...]
    kinds: Mapping[int, tuple[str, ...]] = field(hash=False)
    rest: bool = False
    window: tuple[date, date] | None = None
    timing: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)


def _phase_spec(raw: Mapping[str, Any], checks: Mapping[str, CheckSpec]) -> PhaseSpec:
    milestone = raw.get("milestone")
    return PhaseSpec(
        key=str(raw["key"]),
        name=str(raw["name"]),
        share=float(raw["share"]),
        gate=bool(raw.get("gate", False)),
        requires_children=bool(raw.get("requires_children", False)),
        min_days=int(raw.get("min_days", 0)),
        leader_first=bool(raw.get("leader_first", False)),
        checks=tuple(checks.get(k, CheckSpec(str(k), str(k))) for k in raw.get("checks", [])),
        milestone=(
            MilestoneSpec(str(milestone["key"]), str(milestone["name"]), str(milestone.get("at", "end")))
            if milestone
            else None
        ),
        actions=MappingProxyType(
            {
                str(category): tuple(
                    ActionSpec(
                        str(a["key"]),
                        str(a["name"]),
                        str(a["evidence"]),
                        str(a.get("note", "")),
                        requires_approval=bool(a.get("requires_approval", False)),
                        after=str(a.get("after") or ""),
                        tags=tuple(str(t) for t in a.get("tags") or ()),
                        meeting_types=tuple(str(t) for t in a.get("meeting") or ()),
                    )
                    for a in listed
                )
                for category, listed in (raw.get("actions") or {}).items()
            }
        ),
    )


def _batch_spec(raw: Mapping[str, Any]) -> BatchSpec:
    window = raw.get("window")
    return BatchSpec(
        key=str(raw["key"]),
        name=str(raw["name"]),
        levels=tuple(int(level) for level in raw["levels"]),
        kinds=MappingProxyType(
            {int(level): tuple(str(k) for k in kinds) for level, kinds in (raw.get("kinds") or {}).items()}
        ),
        rest=bool(raw.get("rest", False)),
        window=(date.fromisoformat(window["start"]), date.fromisoformat(window["end"])) if window else None,
        timing=MappingProxyType(dict(raw.get("timing") or {})),
    )


@dataclass(frozen=True)
class Spec:
    """A validated template. ``data`` is the plain JSON stored with a template and copied into each campaign;
    its phases, batches, unit categories and gate checks are read from it once, into frozen dataclasses."""

    data: dict[str, Any]
    phases: tuple[PhaseSpec, ...] = field(init=False, repr=False, compare=False)
    batches: tuple[BatchSpec, ...] = field(init=False, repr=False, compare=False)
    categories: tuple[CategorySpec, ...] = field(init=False, repr=False, compare=False)
    gate_checks: tuple[CheckSpec, ...] = field(init=False, repr=False, compare=False)
    ledger: LedgerSpec = field(init=False, repr=False, compare=False)
    # The early-warning rules (a campaign copied before templates had them: every rule, with its defaults).
    warnings: tuple[WarningSpec, ...] = field(init=False, repr=False, compare=False)
    sectors: tuple[SectorSpec, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        gate_checks = tuple(
            CheckSpec(str(g["key"]), str(g["name"])) for g in self.data.get("gate_checks", [])
        )
        by_key = {check.key: check for check in gate_checks}
        categories = tuple(
            CategorySpec(str(c["key"]), str(c["name"]), tuple(str(k) for k in c["kinds"]))
            for c in self.data.get("categories", [])
        )
        # A frozen dataclass: the derived fields are set once, here.
        object.__setattr__(self, "gate_checks", gate_checks)
        object.__setattr__(self, "categories", categories)
        object.__setattr__(self, "phases", tuple(_phase_spec(p, by_key) for p in self.data["phases"]))
        object.__setattr__(self, "batches", tuple(_batch_spec(b) for b in self.data["batches"]))
        object.__setattr__(self, "ledger", LedgerSpec.from_data(self.data.get("ledger")))
        rules = self.data.get("warnings")
        if rules is None:
            rules = warning_defaults(self.data["phases"])
        object.__setattr__(self, "warnings", tuple(WarningSpec.from_data(r) for r in rules))
        sectors = tuple(
            SectorSpec(
                str(s["key"]),
                str(s["name"]),
                tuple(str(i) for i in s.get("industries", [])),
                tuple(TermSpec(str(p["key"]), str(p["name"])) for p in s.get("problems", [])),
            )
            for s in self.data.get("sectors") or []
        )
        object.__setattr__(self, "sectors", sectors)

    @property
    def key(self) -> str:
        return str(self.data["key"])

    @property
    def name(self) -> str:
        return str(self.data["name"])

    @property
    def publicity_days(self) -> int:
        """How long an approved publicity notice stays up (a campaign copied before templates had it: 7)."""
        section = self.data.get("publicity") or PUBLICITY_DEFAULT
        return int(section.get("days") or PUBLICITY_DEFAULT["days"])

    def warning(self, key: str) -> WarningSpec | None:
        """The warning rule ``key`` when the campaign runs it, else None (turned off)."""
        return next((w for w in self.warnings if w.key == key), None)

    def batch(self, key: str) -> BatchSpec:
        for batch in self.batches:
            if batch.key == key:
                return batch
        raise KeyError(key)

    def scheduler_phases(self) -> tuple[scheduler.Phase, ...]:
        return tuple(
            scheduler.Phase(p.key, p.name, p.share / 100, min_days=p.min_days, leader_first=p.leader_first)
            for p in self.phases
        )

    @property
    def evaluation(self) -> dict[str, Any]:
        """The satisfaction evaluation's settings, defaults filled in (``evaluation_settings``)."""
        return evaluation_settings(self.data.get("evaluation"), [p.key for p in self.phases])

    def phase_index(self, key: str) -> int:
        for n, phase in enumerate(self.phases):
            if phase.key == key:
                return n
        raise KeyError(key)

    def sector_of(self, industry: str) -> SectorSpec | None:
        """The targeted-guidance sector of a unit's sector system, if the template names it."""
        if not industry:
            return None
        return next((s for s in self.sectors if industry in s.industries), None)

    def sector(self, key: str) -> SectorSpec | None:
        return next((s for s in self.sectors if s.key == key), None)

    def action(self, phase_key: str, kind: str, key: str) -> ActionSpec | None:
        return next((a for a in self.actions(phase_key, kind) if a.key == key), None)

    def category_of(self, kind: str) -> CategorySpec | None:
        for category in self.categories:
            if kind in category.kinds:
                return category
        return None

    def actions(self, phase_key: str, kind: str) -> tuple[ActionSpec, ...]:
        """The required actions of a phase for a unit of ``kind`` (none when no category holds the kind)."""
        category = self.category_of(kind)
        if category is None:
            return ()
        return self.phases[self.phase_index(phase_key)].actions_for(category.key)

    def level_name(self, level: int) -> str:
        return str(self.data["level_names"].get(str(level), ""))

    def milestone(self) -> tuple[int, MilestoneSpec] | None:
        """The first milestone (e.g. the mobilization meeting): (phase index, milestone)."""
        for n, phase in enumerate(self.phases):
            if phase.milestone is not None:
                return n, phase.milestone
        return None

    def milestones(self) -> list[tuple[int, MilestoneSpec]]:
        """Every milestone (the mobilization meeting, the democratic life meeting): (phase, milestone)."""
        return [(n, phase.milestone) for n, phase in enumerate(self.phases) if phase.milestone is not None]

    def batch_selects(self, batch: BatchSpec, level: int, kind: str) -> bool:
        """Whether a unit of ``level`` and ``kind`` belongs to ``batch`` (before the ``rest`` rule)."""
        if level not in batch.levels:
            return False
        kinds = batch.kinds.get(level)
        return not kinds or kind in kinds

    def batch_timing(self, batch: BatchSpec, first: date, last: date) -> dict[str, Any]:
        """The batch's timing rules with its window: the template's, the batch's overrides, blackouts
        resolved to dates. Holidays the calendar cannot date in some year of the window are left out and
        listed under ``HOLIDAYS_UNKNOWN`` (only then present)."""
        timing = dict(self.data["timing"])
        timing.update(batch.timing)
        entries = timing.get("blackouts", [])
        timing["blackouts"] = resolve_blackouts(entries, first, last)
        if unknown := unknown_holidays(entries, first, last):
            timing[HOLIDAYS_UNKNOWN] = unknown
        timing["participating_levels"] = list(batch.levels)
        return timing


def rules_from(timing: Mapping[str, Any], first: date, last: date) -> scheduler.Rules:
    """``scheduler.Rules`` from stored (resolved) timing and a window. Raises ``scheduler.RulesError``."""
    values = {k: timing[k] for k in TIMING_KEYS if k in timing and k != "blackouts"}
    blackouts = [
        (date.fromisoformat(b["start"]), date.fromisoformat(b["end"])) for b in timing.get("blackouts", [])
    ]
    return scheduler.Rules(
        window_start=first,
        window_end=last,
        participating_levels=frozenset(timing["participating_levels"]),
        blackouts=blackouts,
        **values,
    )
