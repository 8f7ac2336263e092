"""The scheduler: timing rules + the unit tree -> a dated plan for every participating unit + violations.

A pure engine (ARCHITECTURE.md, "Pure engines"): no Django, plain frozen dataclasses and ``datetime.date``
in and out, deterministic. The campaign services turn templates and units into these inputs and store the
output; nothing here knows about the database.

Public API
----------
``plan(nodes, phases, rules) -> Plan``, ``verify(nodes, phases, rules, plan) -> list[Violation]``,
``compare(baseline, new, level_of=None) -> Comparison``, ``validate_phases(phases)``; inputs ``Node``,
``Phase``, ``Rules``; outputs ``Plan``, ``UnitPlan``, ``PhaseDates``, ``Violation``, ``Shift``;
errors ``RulesError`` (bad rules or phases) and ``TreeError`` (a malformed tree), both ``ValueError``.

The contract
------------
Tree.
    Levels run from 1 (region) to 5 (village). A *territorial* node (kind ``leadership`` at levels 1-4, the
    party committee of a territory; ``village`` or ``community`` at level 5) sits one level below its
    territorial parent. Every other kind (organ, direct unit, station, ...) is *non-territorial* and has the
    same level as its parent. A node whose parent is not among the input nodes is a root (so a subtree can
    be planned); a non-territorial node needs a territorial ancestor among the input nodes. A territorial
    node and the non-territorial nodes hanging (directly or not) under it form its *level group*; the
    territorial node is the group's *anchor*.

Who is planned.
    Exactly the nodes whose level is in ``rules.participating_levels``; the others are ignored, and a
    node's *parent-level unit* is its nearest participating territorial ancestor of a higher level.

Starts.
    * A territorial node with no parent-level unit starts on ``window_start`` (batch two: the leagues).
    * So does a territorial node at a level of ``kickoff_levels``, whatever the level above (the kick-off:
      in 2014 the leading bodies of the leagues and of the counties started with the region's meeting).
      Kick-off levels are meant to run down from the top participating level: one below a staggered level
      starts before its leader, whose ``leader_first`` phases then end later (reported).
    * Any other territorial node starts ``level_stagger_days`` after its parent-level unit's actual start.
    * In a level group the anchor starts first (it leads its group whatever its kind: the leadership body,
      or the village/community branch itself at level 5). Non-territorial nodes whose kind is in
      ``ahead_kinds`` (the leading organs) start with the anchor; the others start ``lead_days`` later.
      So ``ahead_kinds`` matters for non-territorial kinds only; territorial kinds in it are accepted.
    * A unit led by its sector (``Node.sector_led`` with an ``industry``) follows its *sector department*
      when ``sector_lead_days`` is set: the planned nodes of the same industry in the level group of its
      nearest territorial ancestor of a higher level that has any (the league's tax bureau for a county's).
      It starts no earlier than ``sector_lead_days`` after the latest of their starts (上级行业部门……比基层
      单位先行开展). Departments are settled level by level from the top, so a chain of sector units
      (region → league → county) follows down. A unit with no department starts as any other.
    * Example, window starting 20 January, defaults: league bodies 20 Jan, league direct units and
      counties 30 Jan, county direct units and townships 9 Feb, township direct units and villages 19 Feb.
      With ``kickoff_levels`` {2, 3} (the 2014 template): league and county bodies and organs 20 Jan, their
      direct units and the townships 30 Jan, township direct units and villages 9 Feb.

Concentrated period.
    ``duration_mode="fill"``: from the start to ``window_end``. ``"fixed"``: ``min_duration_days`` long,
    or up to ``window_end`` when the window leaves less. It is never shorter than one day per phase: a unit
    that starts too late for that overflows the window (and that is reported).

Phases.
    The period is cut into the phases in order, in proportion to their shares (rounded to whole days), each
    at least one day, contiguous: phase k+1 starts the day after phase k ends, the first starts with the
    unit, the last ends with it. A phase with ``min_days`` is given at least that many days (both ends
    counted) when the period leaves room for every phase's minimum; otherwise the cut by shares stands and
    the shortfall is reported.

Blackouts (inclusive date ranges, e.g. the Spring Festival holiday).
    Unless ``allow_blackout_boundaries``, no phase starts or ends on a blackout day:
    * a unit start inside a blackout moves to the first day after it (the group and the levels below
      follow from that actual start);
    * a boundary between phases (phase k's end and phase k+1's start) inside a blackout moves forward to
      the first day after it, lengthening the earlier phase; if the later phases would not fit any more it
      moves back before the blackout instead;
    * a unit end inside a blackout moves forward when that stays inside the window, else back.

Guarantees, recomputed from the plan alone by ``verify`` (one ``Violation`` per rule and level):
    ``coverage``      every participating node is planned, and nothing else;
    ``stagger``       a unit starts no earlier than its parent-level unit's start + ``level_stagger_days``;
    ``lead``          a group's non-ahead units start at least ``lead_days`` after the latest start among
                      its anchor and ahead-kind units (a unit that follows its sector department is not
                      counted among them: it leads nothing in its territory's group);
    ``sector``        a unit that follows a sector department starts at least ``sector_lead_days`` after
                      the latest start among its department's units;
    ``min_duration``  a non-flexible unit (level not in ``flexible_levels`` and kind not in
                      ``flexible_kinds``) lasts at least ``min_duration_days`` (both ends inclusive);
    ``window``        every unit and phase lies inside ``window_start..window_end``;
    ``blackout``      no phase starts or ends inside a blackout (unless allowed);
    ``contiguous``    the phases are the template's, in order, each at least one day, without gap or
                      overlap, spanning the unit's period exactly;
    ``phase_min``     every phase lasts at least its ``min_days`` (both ends inclusive): the gates refuse to
                      close a phase earlier, so a plan must not ask for it;
    ``leader_first``  a phase marked ``leader_first`` ends no earlier than the same phase of the unit's
                      *leader*: its nearest planned territorial ancestor (for a non-territorial node the
                      anchor of its group, for a territorial one its parent-level unit). The gates let a
                      unit pass such a phase only after its leadership body has.
    ``stagger`` does not apply at the levels of ``kickoff_levels``.
    ``plan()`` returns ``verify()``'s findings as ``Plan.violations``: when the rules cannot all be met the
    best plan above is still returned and every broken rule is reported with its units, the worst shortfall
    in days and a suggestion naming what would fix it (the largest stagger, the window end or the minimum
    duration that fits). An empty list means every guarantee holds. The suggestions re-plan with changed
    rules; the checks themselves share no code with the construction.

Determinism.
    The same nodes (in any order), phases and rules give the same plan: nodes are processed parents first,
    siblings by id; ``items`` is ordered by node id; violations by rule then level, unit ids sorted.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypedDict

TERRITORIAL_KINDS = frozenset({"leadership", "village", "community"})
NON_TERRITORIAL_KINDS = frozenset(
    {"organ", "direct", "station", "enterprise", "institution", "nonpublic", "social"}
)
KINDS = TERRITORIAL_KINDS | NON_TERRITORIAL_KINDS
VILLAGE_KINDS = frozenset({"village", "community"})
TOP_LEVEL, BOTTOM_LEVEL = 1, 5
LEVELS = frozenset(range(TOP_LEVEL, BOTTOM_LEVEL + 1))

DurationMode = Literal["fill", "fixed"]
DURATION_MODES: tuple[str, ...] = ("fill", "fixed")

# The rules verify() checks, in the order violations are reported.
RULE_NAMES: tuple[str, ...] = (
    "coverage",
    "stagger",
    "lead",
    "min_duration",
    "window",
    "blackout",
    "contiguous",
    "phase_min",
    "leader_first",
    "sector",
)
SHARE_TOLERANCE = 1e-6


# ---------------------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------------------


class RulesError(ValueError):
    """The rules or phases are not usable. ``errors`` lists every problem, in Chinese, for the user."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        super().__init__("；".join(self.errors))


class TreeError(ValueError):
    """The nodes do not form a tree that obeys the level rules. ``errors`` lists the problems (in Chinese)."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        super().__init__("；".join(self.errors))


@dataclass(frozen=True, slots=True)
class Node:
    """A unit of the tree: ``level`` 1 (region) .. 5 (village); ``kind`` as in the registry; ``industry``
    its sector system (行业系统, may be empty) and ``sector_led`` whether its sector leads its activity."""

    id: int
    parent_id: int | None
    level: int
    kind: str
    industry: str = ""
    sector_led: bool = False

    @property
    def territorial(self) -> bool:
        return self.kind in TERRITORIAL_KINDS


@dataclass(frozen=True, slots=True)
class Phase:
    """A phase of a unit's concentrated period; ``share`` of the period (the shares sum to 1); at least
    ``min_days`` long (both ends counted); ``leader_first``: it ends no earlier than the leader's."""

    key: str
    name: str
    share: float
    min_days: int = 0
    leader_first: bool = False


@dataclass(frozen=True)
class Rules:
    """The timing rules of one batch. Validated on construction (``RulesError``); sets become frozensets."""

    window_start: date
    window_end: date
    participating_levels: AbstractSet[int] = LEVELS
    level_stagger_days: int = 10
    lead_days: int = 10
    ahead_kinds: AbstractSet[str] = frozenset({"leadership", "organ"})
    kickoff_levels: AbstractSet[int] = frozenset()
    min_duration_days: int = 90
    flexible_levels: AbstractSet[int] = frozenset({5})
    flexible_kinds: AbstractSet[str] = VILLAGE_KINDS
    blackouts: Sequence[tuple[date, date]] = ()
    allow_blackout_boundaries: bool = False
    duration_mode: DurationMode = "fill"
    # None: sector-led units start as any other; a number: they follow their sector department (see above).
    sector_lead_days: int | None = None

    def __post_init__(self) -> None:
        sets = ("participating_levels", "ahead_kinds", "kickoff_levels", "flexible_levels", "flexible_kinds")
        for name in sets:
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        object.__setattr__(self, "blackouts", tuple(tuple(pair) for pair in self.blackouts))
        errors = _rules_errors(self)
        if errors:
            raise RulesError(errors)

    def is_flexible(self, node: Node) -> bool:
        return node.level in self.flexible_levels or node.kind in self.flexible_kinds

    def kicks_off(self, node: Node) -> bool:
        """A territorial node that starts with the window (the kick-off), whatever the level above."""
        return node.territorial and node.level in self.kickoff_levels


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)  # a datetime is a date too


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _rules_errors(rules: Rules) -> list[str]:
    errors: list[str] = []
    dates_ok = _is_date(rules.window_start) and _is_date(rules.window_end)
    if not dates_ok:
        errors.append("批次开始和结束必须是日期。")
    elif rules.window_end < rules.window_start:
        errors.append(
            f"批次结束日期（{cn_date(rules.window_end)}）早于开始日期（{cn_date(rules.window_start)}）。"
        )
    if not rules.participating_levels:
        errors.append("至少要有一个参与层级。")
    for label, levels in (
        ("参与层级", rules.participating_levels),
        ("弹性时长层级", rules.flexible_levels),
        ("随动员会议启动的层级", rules.kickoff_levels),
    ):
        unknown = sorted(str(x) for x in levels if not _is_int(x) or x not in LEVELS)
        if unknown:
            errors.append(f"{label}中有未知的层级：{'、'.join(unknown)}（层级为 1～5）。")
    for label, value, least in (
        ("层级间隔天数", rules.level_stagger_days, 0),
        ("先行天数", rules.lead_days, 0),
        ("最短集中时长", rules.min_duration_days, 1),
    ):
        if not _is_int(value):
            errors.append(f"{label}必须是整数（现为 {value!r}）。")
        elif value < least:
            errors.append(
                f"{label}不能为负数（现为 {value}）。"
                if least == 0
                else f"{label}至少为 {least} 天（现为 {value}）。"
            )
    for label, kinds in (("先行单位类型", rules.ahead_kinds), ("弹性时长单位类型", rules.flexible_kinds)):
        unknown = sorted(str(k) for k in kinds if k not in KINDS)
        if unknown:
            errors.append(f"{label}中有未知的单位类型：{'、'.join(unknown)}。")
    for pair in rules.blackouts:
        if len(pair) != 2 or not all(_is_date(d) for d in pair):
            errors.append(f"停歇期必须是（开始日期，结束日期）：{pair!r}。")
        elif pair[1] < pair[0]:
            errors.append(f"停歇期 {cn_date(pair[0])}～{cn_date(pair[1])} 的结束日期早于开始日期。")
    sector = rules.sector_lead_days
    if sector is not None and (not _is_int(sector) or sector < 0):
        errors.append(f"行业部门先行天数必须是不小于 0 的整数（现为 {sector!r}）。")
    if rules.duration_mode not in DURATION_MODES:
        errors.append(f"未知的时长模式：{rules.duration_mode!r}（可选 fill、fixed）。")
    if not isinstance(rules.allow_blackout_boundaries, bool):
        errors.append("“允许在停歇期内起止”必须是是/否。")
    return errors


def validate_phases(phases: Sequence[Phase]) -> None:
    """Raise ``RulesError`` unless there is a phase, the keys are unique and the shares > 0 sum to 1."""
    errors: list[str] = []
    if not phases:
        errors.append("至少要有一个环节。")
    seen: set[str] = set()
    for phase in phases:
        if not phase.key:
            errors.append(f"环节“{phase.name}”缺少标识。")
        elif phase.key in seen:
            errors.append(f"环节标识“{phase.key}”重复。")
        seen.add(phase.key)
        if not isinstance(phase.share, int | float) or not math.isfinite(phase.share) or phase.share <= 0:
            errors.append(f"环节“{phase.name}”的占比必须大于 0（现为 {phase.share!r}）。")
        if not _is_int(phase.min_days) or phase.min_days < 0:
            errors.append(f"环节“{phase.name}”的最少天数必须是不小于 0 的整数（现为 {phase.min_days!r}）。")
    if phases and not errors:
        total = math.fsum(p.share for p in phases)
        if abs(total - 1) > SHARE_TOLERANCE:
            errors.append(f"环节占比之和必须为 100%，现为 {_percent(total)}%。")
    if errors:
        raise RulesError(errors)


def _percent(fraction: float) -> str:
    return f"{round(fraction * 100, 2):g}"


# ---------------------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhaseDates:
    key: str
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class UnitPlan:
    """A unit's concentrated period (both ends inclusive) and its phases. Identical plans may be shared."""

    start: date
    end: date
    phases: tuple[PhaseDates, ...]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


Option = tuple[str, Any]
"""A way to fix a violation, as a code and its value (the engine speaks no language; ``campaigns.explain``
words it): ``("postpone", days)``, ``("stagger", days)``, ``("lead", days)``, ``("window_end", date)``,
``("min_duration", days)``, ``("flexible", level)``, ``("move_in", days)``, ``("extend_or_shorten", date)``,
``("blackout", None)``, ``("regenerate", None)``, ``("phase_min", days)`` (lower the phase's minimum to the
planned length)."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule at one level: the units, the worst shortfall in days, the rule's own figure in
    ``facts`` (e.g. ``{"stagger_days": 10}``) and what would fix it (``options``)."""

    rule: str
    unit_ids: tuple[int, ...]
    days: int
    level: int | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Plan:
    items: dict[int, UnitPlan]
    violations: list[Violation] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.violations


def cn_date(day: date) -> str:
    """A date the Chinese way: 2014年1月20日."""
    return f"{day.year}年{day.month}月{day.day}日"


def _level_order(level: int | None) -> tuple[bool, int]:
    return (level is None, level or 0)


# ---------------------------------------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tree:
    by_id: dict[int, Node]
    order: tuple[int, ...]  # parents before children, roots and siblings by id


def _index(nodes: Iterable[Node]) -> _Tree:
    """Check the tree (ids, levels, kinds, placement) and order it parents first. Raises ``TreeError``."""
    by_id: dict[int, Node] = {}
    errors: list[str] = []
    for node in nodes:
        if node.id in by_id:
            errors.append(f"单位 {node.id} 重复出现。")
        by_id[node.id] = node
    for node in by_id.values():
        if node.kind not in KINDS:
            errors.append(f"单位 {node.id} 的类型“{node.kind}”未知。")
            continue
        if not _is_int(node.level) or node.level not in LEVELS:
            errors.append(f"单位 {node.id} 的层级 {node.level!r} 未知（层级为 1～5）。")
            continue
        if node.kind in VILLAGE_KINDS and node.level != BOTTOM_LEVEL:
            errors.append(f"嘎查村、社区 {node.id} 必须位于第5级。")
        if node.kind == "leadership" and node.level == BOTTOM_LEVEL:
            errors.append(f"领导班子 {node.id} 不能位于第5级。")
        parent = by_id.get(node.parent_id) if node.parent_id is not None else None
        if parent is None:
            if not node.territorial:
                errors.append(f"非区划单位 {node.id} 没有上级区划单位。")
        elif node.territorial:
            if not parent.territorial or parent.level != node.level - 1:
                errors.append(f"区划单位 {node.id} 的上级 {parent.id} 必须是高一级的区划单位。")
        elif parent.level != node.level:
            errors.append(f"单位 {node.id} 的层级必须与上级 {parent.id} 相同。")
    if errors:
        raise TreeError(errors)

    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for node in by_id.values():
        if node.parent_id is not None and node.parent_id in by_id:
            children.setdefault(node.parent_id, []).append(node.id)
        else:
            roots.append(node.id)
    order: list[int] = []
    stack = sorted(roots, reverse=True)
    while stack:  # depth first, smallest id first
        current = stack.pop()
        order.append(current)
        kids = children.get(current)
        if kids:
            stack.extend(sorted(kids, reverse=True))
    if len(order) != len(by_id):
        cyclic = sorted(set(by_id) - set(order))[:10]
        raise TreeError([f"单位的上下级关系成环：{'、'.join(map(str, cyclic))}。"])
    return _Tree(by_id=by_id, order=tuple(order))


# ---------------------------------------------------------------------------------------------------------
# Construction (the planner). Dates are day ordinals (ints) in here.
# ---------------------------------------------------------------------------------------------------------


class _Calendar:
    """Blackout days, merged into disjoint ranges for quick lookups."""

    def __init__(self, blackouts: Iterable[tuple[date, date]]) -> None:
        merged: list[list[int]] = []
        for first, last in sorted((a.toordinal(), b.toordinal()) for a, b in blackouts):
            if merged and first <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        self._firsts = [first for first, _ in merged]
        self._lasts = [last for _, last in merged]

    def _range_of(self, day: int) -> int | None:
        """Index of the blackout range containing ``day``, or None."""
        i = bisect.bisect_right(self._firsts, day) - 1
        return i if i >= 0 and day <= self._lasts[i] else None

    @property
    def has_blackouts(self) -> bool:
        return bool(self._firsts)

    def blocked(self, day: int) -> bool:
        return self._range_of(day) is not None

    def first_free_from(self, day: int) -> int:
        i = self._range_of(day)
        return day if i is None else self._lasts[i] + 1  # merged ranges: the next day is free

    def last_free_until(self, day: int) -> int:
        i = self._range_of(day)
        return day if i is None else self._firsts[i] - 1

    def first_boundary_from(self, day: int) -> int:
        """The first day >= ``day`` that can end a phase followed by another: it and the next day are free."""
        while True:
            day = self.first_free_from(day)
            if not self.blocked(day + 1):
                return day
            day += 1

    def last_boundary_until(self, day: int, lowest: int) -> int | None:
        """The last day in ``lowest..day`` that can end a phase followed by another, or None."""
        while day >= lowest:
            if self.blocked(day):
                day = self.last_free_until(day)
            elif self.blocked(day + 1):
                day -= 1
            else:
                return day
        return None


def _plan_starts(tree: _Tree, rules: Rules, calendar: _Calendar) -> dict[int, int]:
    """The start (day ordinal) of every participating node, from the contract's start rules."""
    levels = rules.participating_levels
    stagger, lead = rules.level_stagger_days, rules.lead_days
    shift = (lambda day: day) if rules.allow_blackout_boundaries else calendar.first_free_from
    window_start = shift(rules.window_start.toordinal())
    by_id = tree.by_id
    # For every node: the nearest participating territorial node at or above it (its anchor when it is
    # non-territorial and participates, itself when it is territorial and participates).
    above: dict[int, int | None] = {}
    starts: dict[int, int] = {}
    for node_id in tree.order:
        node = by_id[node_id]
        parent_id = node.parent_id
        inherited = above.get(parent_id) if parent_id is not None else None
        if node.level not in levels:
            above[node_id] = inherited
            continue
        if node.kind in TERRITORIAL_KINDS:
            if inherited is None or node.level in rules.kickoff_levels:
                starts[node_id] = window_start
            else:
                starts[node_id] = shift(starts[inherited] + stagger)
            above[node_id] = node_id
        else:
            assert inherited is not None, "an index-checked non-territorial node has a territorial anchor"
            anchor_start = starts[inherited]
            starts[node_id] = anchor_start if node.kind in rules.ahead_kinds else shift(anchor_start + lead)
            above[node_id] = inherited
    if rules.sector_lead_days is not None:
        _follow_sectors(tree, rules.sector_lead_days, starts, shift)
    return starts


def _follow_sectors(tree: _Tree, days: int, starts: dict[int, int], shift: Any) -> None:
    """Move each sector-led node to ``days`` after its sector department's latest start (in place), from
    the top level down, so that a department's own move is settled before the units that follow it."""
    by_id = tree.by_id
    anchor: dict[int, int | None] = {}  # the nearest planned territorial node at or above each node
    members: dict[tuple[int, str], list[int]] = {}  # (group anchor, industry) -> its planned nodes
    followers: list[Node] = []
    for node_id in tree.order:
        node = by_id[node_id]
        inherited = anchor.get(node.parent_id) if node.parent_id is not None else None
        here = node_id if node.territorial and node_id in starts else inherited
        anchor[node_id] = here
        if node_id in starts and node.industry and here is not None:
            members.setdefault((here, node.industry), []).append(node_id)
            if node.sector_led:
                followers.append(node)
    for node in sorted(followers, key=lambda n: (n.level, n.id)):
        group = anchor[node.id]
        while group is not None:
            department = members.get((group, node.industry)) if by_id[group].level < node.level else None
            if department:
                latest = max(starts[d] for d in department)
                starts[node.id] = max(starts[node.id], shift(latest + days))
                break
            parent = by_id[group].parent_id
            group = anchor.get(parent) if parent is not None else None


class _Periods:
    """A unit's period and phases follow from its start alone: built once per distinct start, then shared."""

    def __init__(self, phases: Sequence[Phase], rules: Rules, calendar: _Calendar) -> None:
        self.keys = tuple(p.key for p in phases)
        # Each phase's minimum (at least a day) and, per boundary k, what the phases after it need.
        self.mins = [max(1, p.min_days) for p in phases]
        self.after = [sum(self.mins[k:]) for k in range(len(phases) + 1)]
        total = math.fsum(p.share for p in phases)
        running = 0.0
        self.cumulative: list[float] = []
        for phase in phases[:-1]:
            running += phase.share
            self.cumulative.append(running / total)
        self.rules = rules
        self.calendar = calendar
        self.window_end = rules.window_end.toordinal()
        self._cache: dict[int, UnitPlan] = {}
        self._dates: dict[int, date] = {}

    def end(self, start: int) -> int:
        rules, calendar, window_end = self.rules, self.calendar, self.window_end
        shortest = start + len(self.keys) - 1  # one day per phase
        if rules.duration_mode == "fill":
            end = window_end
        else:
            end = min(start + rules.min_duration_days - 1, window_end)
        end = max(end, shortest)
        if not rules.allow_blackout_boundaries and calendar.blocked(end):
            later, earlier = calendar.first_free_from(end), calendar.last_free_until(end)
            end = later if later <= window_end or earlier < shortest else earlier
        return end

    def unit(self, start: int) -> UnitPlan:
        cached = self._cache.get(start)
        if cached is None:
            cached = self._cache[start] = self._build(start)
        return cached

    def _date(self, day: int) -> date:
        cached = self._dates.get(day)
        if cached is None:
            cached = self._dates[day] = date.fromordinal(day)
        return cached

    def _room(
        self, start: int, end: int, count: int, mins: Sequence[int] | None = None
    ) -> list[tuple[int, int]] | None:
        """Per boundary k (1..count-1), the earliest and latest day that can end phase k while every other
        boundary can still end on a day that, with the next one, lies outside the blackouts, each phase
        lasting at least ``mins`` days (one by default); None when the period leaves no such placement
        (the greedy placement below then reports what breaks)."""
        calendar = self.calendar
        mins = mins or [1] * count
        lows: list[int] = []
        day = start - 1
        for k in range(count - 1):
            day = calendar.first_boundary_from(day + mins[k])
            lows.append(day)
        highs: list[int] = []
        day = end
        for k in range(count - 1, 0, -1):
            found = calendar.last_boundary_until(day - mins[k], start)
            if found is None:
                return None
            highs.append(found)
            day = found
        highs.reverse()
        if any(low > high for low, high in zip(lows, highs, strict=True)):
            return None
        return list(zip(lows, highs, strict=True))

    def _boundary(self, target: int, lowest: int, highest: int, strict: bool) -> int:
        """The end of a phase: ``target`` within ``lowest..highest``, moved off the blackouts if ``strict``
        (forward, else back) when that stays in range."""
        boundary = min(max(target, lowest), highest)
        if strict:
            later = self.calendar.first_boundary_from(boundary)
            if later <= highest:
                boundary = later
            else:
                earlier = self.calendar.last_boundary_until(boundary, lowest)
                if earlier is not None:
                    boundary = earlier
        return boundary

    def _off_blackouts(self, boundary: int) -> bool:
        """A phase may end on ``boundary`` and the next start the day after."""
        return not (self.calendar.blocked(boundary) or self.calendar.blocked(boundary + 1))

    def _build(self, start: int) -> UnitPlan:
        end = self.end(start)
        count, length = len(self.keys), end - start + 1
        strict = not self.rules.allow_blackout_boundaries
        # With blackouts, a boundary must also leave room for the later ones (not only one day per phase):
        # otherwise moving it past a blackout could push a later boundary into one with no way out.
        room = self._room(start, end, count) if strict and self.calendar.has_blackouts else None
        room_min = self._room(start, end, count, self.mins) if room is not None else None
        ends: list[int] = []
        previous_end = start - 1
        for k, fraction in enumerate(self.cumulative, start=1):  # the end of phase k, for k < count
            lowest, highest = previous_end + 1, end - (count - k)  # >= 1 day for it and each later phase
            if room is not None:
                lowest, highest = max(lowest, room[k - 1][0]), min(highest, room[k - 1][1])
            target = start - 1 + math.floor(fraction * length + 0.5)
            # The phases' minimum days, when the period leaves room for them and a boundary outside the
            # blackouts (else the cut by shares stands and verify reports the shortfall).
            least, most = max(lowest, previous_end + self.mins[k - 1]), min(highest, end - self.after[k])
            if room_min is not None:
                least, most = max(least, room_min[k - 1][0]), min(most, room_min[k - 1][1])
            boundary = self._boundary(target, lowest, highest, strict)
            if least <= most:
                kept = self._boundary(target, least, most, strict)
                if not strict or self._off_blackouts(kept) or not self._off_blackouts(boundary):
                    boundary = kept
            ends.append(boundary)
            previous_end = boundary
        ends.append(end)
        phases: list[PhaseDates] = []
        phase_start = start
        for key, phase_end in zip(self.keys, ends, strict=True):
            phases.append(PhaseDates(key, self._date(phase_start), self._date(phase_end)))
            phase_start = phase_end + 1
        return UnitPlan(self._date(start), self._date(end), tuple(phases))


def plan(nodes: Iterable[Node], phases: Sequence[Phase], rules: Rules) -> Plan:
    """Plan every participating node (see the module docstring); ``violations`` come from ``verify``.

    Raises ``RulesError`` for unusable phases and ``TreeError`` for a malformed tree.
    """
    validate_phases(phases)
    tree = _index(nodes)
    calendar = _Calendar(rules.blackouts)
    starts = _plan_starts(tree, rules, calendar)
    periods = _Periods(phases, rules, calendar)
    items = {node_id: periods.unit(starts[node_id]) for node_id in sorted(starts)}
    draft = Plan(items=items)
    return Plan(items=items, violations=_verify(tree, phases, rules, draft))


# ---------------------------------------------------------------------------------------------------------
# Checking (independent of the construction above: it reads the plan, the tree and the rules only)
# ---------------------------------------------------------------------------------------------------------


@dataclass
class _Finding:
    unit_ids: list[int] = field(default_factory=list)
    days: int = 0
    # rule-specific extremes used by the message and the suggestion
    low: int | None = None  # e.g. the smallest start gap seen
    high: date | None = None  # e.g. the latest date needed
    phase: str = ""  # phase_min, leader_first: the phase of the worst shortfall
    phase_days: int = -1

    def add(self, unit_id: int, days: int, phase: str = "") -> None:
        self.unit_ids.append(unit_id)
        self.days = max(self.days, days)
        if phase and days > self.phase_days:
            self.phase, self.phase_days = phase, days

    def lowest(self, value: int) -> None:
        self.low = value if self.low is None else min(self.low, value)

    def highest(self, value: date) -> None:
        self.high = value if self.high is None else max(self.high, value)


class _Findings:
    def __init__(self) -> None:
        self.by_key: dict[tuple[str, int | None], _Finding] = {}

    def __call__(self, rule: str, level: int | None) -> _Finding:
        key = (rule, level)
        found = self.by_key.get(key)
        if found is None:
            found = self.by_key[key] = _Finding()
        return found


def verify(nodes: Iterable[Node], phases: Sequence[Phase], rules: Rules, plan: Plan) -> list[Violation]:
    """Every guarantee of the contract, recomputed from ``plan`` alone; [] when they all hold."""
    validate_phases(phases)
    return _verify(_index(nodes), phases, rules, plan)


def _unit_problems(
    unit: UnitPlan, keys: tuple[str, ...], rules: Rules, minimum: Mapping[str, int]
) -> list[tuple[str, int, str]]:
    """(rule, days, phase key) for what is wrong inside one unit plan: contiguous, window, blackout,
    phase_min (``minimum``: the phases' minimum days by key)."""
    problems: list[tuple[str, int, str]] = []
    phases = unit.phases
    contiguous = 0
    broken = False
    if tuple(p.key for p in phases) != keys:
        broken = True
    if unit.end < unit.start:
        broken, contiguous = True, max(contiguous, (unit.start - unit.end).days + 1)
    if phases:
        if phases[0].start != unit.start:
            broken, contiguous = True, max(contiguous, abs((phases[0].start - unit.start).days))
        if phases[-1].end != unit.end:
            broken, contiguous = True, max(contiguous, abs((phases[-1].end - unit.end).days))
    for phase in phases:
        if phase.end < phase.start:
            broken, contiguous = True, max(contiguous, (phase.start - phase.end).days + 1)
    for before, after in itertools.pairwise(phases):
        gap = (after.start - before.end).days - 1  # > 0: a gap; < 0: an overlap
        if gap:
            broken, contiguous = True, max(contiguous, abs(gap))
    if broken:
        problems.append(("contiguous", contiguous, ""))

    days = [unit.start, unit.end, *(d for p in phases for d in (p.start, p.end))]
    first, last = min(days), max(days)
    outside = max((rules.window_start - first).days, (last - rules.window_end).days)
    if outside > 0:
        problems.append(("window", outside, ""))

    if not rules.allow_blackout_boundaries and rules.blackouts:
        worst = 0
        for day in {d for p in phases for d in (p.start, p.end)} | {unit.start, unit.end}:
            for first_day, last_day in rules.blackouts:
                if first_day <= day <= last_day:
                    worst = max(worst, (last_day - day).days + 1)
        if worst:
            problems.append(("blackout", worst, ""))

    short, short_key = 0, ""
    for phase in phases:
        lacking = minimum.get(phase.key, 0) - ((phase.end - phase.start).days + 1)
        if lacking > short:
            short, short_key = lacking, phase.key
    if short:
        problems.append(("phase_min", short, short_key))
    return problems


def _verify(tree: _Tree, phases: Sequence[Phase], rules: Rules, plan: Plan) -> list[Violation]:
    by_id, items = tree.by_id, plan.items
    levels = rules.participating_levels
    keys = tuple(p.key for p in phases)
    minimum = {p.key: p.min_days for p in phases if p.min_days}
    leader_first = tuple(p.key for p in phases if p.leader_first)
    stagger, lead = timedelta(days=rules.level_stagger_days), timedelta(days=rules.lead_days)
    findings = _Findings()

    # coverage
    for node_id in tree.order:
        node = by_id[node_id]
        if node.level in levels and node_id not in items:
            findings("coverage", node.level).add(node_id, 0)
    for node_id in items:
        node_or_none = by_id.get(node_id)
        if node_or_none is None or node_or_none.level not in levels:
            findings("coverage", node_or_none.level if node_or_none else None).add(node_id, 0)

    def planned(node_id: int | None) -> bool:
        return node_id is not None and node_id in items and by_id[node_id].level in levels

    # The nearest planned territorial node at or above each node, walking parent links.
    nearest: dict[int, int | None] = {}
    for node_id in tree.order:
        node = by_id[node_id]
        if node.territorial and planned(node_id):
            nearest[node_id] = node_id
        else:
            parent = node.parent_id
            nearest[node_id] = nearest.get(parent) if parent is not None else None

    def parent_level_unit(node: Node) -> int | None:
        candidate = nearest.get(node.parent_id) if node.parent_id is not None else None
        while candidate is not None and by_id[candidate].level >= node.level:
            above = by_id[candidate].parent_id
            candidate = nearest.get(above) if above is not None else None
        return candidate

    # sector: the units of each industry by the territorial node whose group holds them, then for each
    # sector-led unit the nearest such group above its level (its department)
    department: dict[int, list[int]] = {}
    if rules.sector_lead_days is not None:
        by_sector: dict[tuple[int, str], list[int]] = defaultdict(list)
        for node_id in tree.order:
            node, group_id = by_id[node_id], nearest.get(node_id)
            if node.industry and planned(node_id) and group_id is not None:
                by_sector[(group_id, node.industry)].append(node_id)
        for node_id in tree.order:
            node = by_id[node_id]
            if not (node.sector_led and node.industry and planned(node_id)):
                continue
            upper_id = nearest.get(node_id)
            while upper_id is not None:
                upper_node = by_id[upper_id]
                found = by_sector.get((upper_id, node.industry)) if upper_node.level < node.level else None
                if found:
                    department[node_id] = found
                    break
                upper_id = nearest.get(upper_node.parent_id) if upper_node.parent_id is not None else None

    # lead: the latest start among each group's anchor and ahead-kind units (not those following a sector)
    ahead_start: dict[int, date] = {}
    for node_id in items:
        node_or_none = by_id.get(node_id)
        if node_or_none is None or not planned(node_id) or node_id in department:
            continue
        anchor = nearest.get(node_id)
        if anchor is None or by_id[anchor].level != node_or_none.level:
            continue
        if node_id == anchor or node_or_none.kind in rules.ahead_kinds:
            start = items[node_id].start
            ahead_start[anchor] = max(ahead_start.get(anchor, start), start)

    shortest: dict[int | None, int] = {}  # per level, the shortest non-flexible unit (for the advice)
    # By id(UnitPlan): identical plans are checked once.
    problems_of: dict[int, list[tuple[str, int, str]]] = {}
    for node_id in sorted(items):
        unit = items[node_id]
        node_or_none = by_id.get(node_id)
        if node_or_none is None or node_or_none.level not in levels:
            continue
        node, level = node_or_none, node_or_none.level
        problems = problems_of.get(id(unit))
        if problems is None:
            problems = problems_of[id(unit)] = _unit_problems(unit, keys, rules, minimum)
        for rule, days, phase_key in problems:
            finding = findings(rule, level)
            finding.add(node_id, days, phase_key)
            if rule == "window":
                finding.highest(unit.end)

        upper = parent_level_unit(node)
        if leader_first:  # the leader: a territorial node's parent-level unit, else its group's anchor
            leader = upper if node.territorial else nearest.get(node_id)
            if leader is not None and leader in items:
                ends = {p.key: p.end for p in items[leader].phases}
                late, late_key = 0, ""
                for phase in unit.phases:
                    gap = (ends[phase.key] - phase.end).days if phase.key in ends else 0
                    if phase.key in leader_first and gap > late:
                        late, late_key = gap, phase.key
                if late:
                    findings("leader_first", level).add(node_id, late, late_key)
        if upper is not None and level not in rules.kickoff_levels:
            gap = (unit.start - items[upper].start).days
            if unit.start < items[upper].start + stagger:
                finding = findings("stagger", level)
                finding.add(node_id, rules.level_stagger_days - gap)
                finding.lowest(gap)

        if not node.territorial and node.kind not in rules.ahead_kinds:
            anchor = nearest.get(node_id)
            if anchor is not None and by_id[anchor].level == level and anchor in ahead_start:
                gap = (unit.start - ahead_start[anchor]).days
                if unit.start < ahead_start[anchor] + lead:
                    finding = findings("lead", level)
                    finding.add(node_id, rules.lead_days - gap)
                    finding.lowest(gap)

        if node_id in department and rules.sector_lead_days is not None:
            follows = max(items[d].start for d in department[node_id])
            gap = (unit.start - follows).days
            if gap < rules.sector_lead_days:
                finding = findings("sector", level)
                finding.add(node_id, rules.sector_lead_days - gap)
                finding.lowest(gap)

        if not rules.is_flexible(node):
            length = unit.days
            shortest[level] = min(shortest.get(level, length), length)
            if length < rules.min_duration_days:
                finding = findings("min_duration", level)
                finding.add(node_id, rules.min_duration_days - length)
                finding.highest(unit.start + timedelta(days=rules.min_duration_days - 1))

    advisor = _Advisor(tree, phases, rules, plan)
    violations: list[Violation] = []
    for rule in RULE_NAMES:
        at_levels = sorted({lv for r, lv in findings.by_key if r == rule}, key=_level_order)
        for at_level in at_levels:
            finding = findings.by_key[(rule, at_level)]
            facts, options = _advise(rule, at_level, finding, rules, shortest, advisor, phases)
            violations.append(
                Violation(
                    rule=rule,
                    unit_ids=tuple(sorted(finding.unit_ids)),
                    days=finding.days,
                    level=at_level,
                    facts=facts,
                    options=options,
                )
            )
    return violations


class _Advisor:
    """What-ifs behind the suggestions: re-plans the starts with changed rules (cached per stagger)."""

    def __init__(self, tree: _Tree, phases: Sequence[Phase], rules: Rules, plan: Plan) -> None:
        self.tree, self.phases, self.rules, self.plan = tree, phases, rules, plan
        self.calendar = _Calendar(rules.blackouts)
        self._starts: dict[int, dict[int, int]] = {}

    def largest_stagger_fitting(self, unit_ids: Sequence[int]) -> int | None:
        """The largest stagger <= the current one with which these units get the minimum duration."""
        current = self.rules.level_stagger_days

        def fits(stagger: int) -> bool:
            rules = replace(self.rules, level_stagger_days=stagger)
            starts = self._starts.get(stagger)
            if starts is None:
                starts = self._starts[stagger] = _plan_starts(self.tree, rules, self.calendar)
            periods = _Periods(self.phases, rules, self.calendar)
            shortest = rules.min_duration_days
            return all(periods.end(starts[u]) - starts[u] + 1 >= shortest for u in unit_ids if u in starts)

        if current == 0 or not fits(0):
            return None
        low, high = 0, current - 1  # fits(low) holds; the current stagger does not fit
        while low < high:
            middle = (low + high + 1) // 2
            if fits(middle):
                low = middle
            else:
                high = middle - 1
        return low

    def free_day_from(self, day: date) -> date:
        if self.rules.allow_blackout_boundaries:
            return day
        return date.fromordinal(self.calendar.first_free_from(day.toordinal()))


def _advise(
    rule: str,
    level: int | None,
    finding: _Finding,
    rules: Rules,
    shortest: Mapping[int | None, int],
    advisor: _Advisor,
    phases: Sequence[Phase],
) -> tuple[dict[str, Any], tuple[Option, ...]]:
    """The rule's own figure and the ways to fix one violation, as codes (worded by ``campaigns.explain``)."""
    days = finding.days
    if rule in ("phase_min", "leader_first"):
        phase = next((p for p in phases if p.key == finding.phase), None)
        facts: dict[str, Any] = {"phase": phase.name if phase else finding.phase}
        if rule == "leader_first":
            return facts, (("postpone", days),)
        least = phase.min_days if phase else days
        facts["min_days"] = least
        return facts, (("phase_min", max(least - finding.phase_days, 0)),)
    if rule == "sector":
        ways: list[Option] = [("postpone", days)]
        if finding.low is not None and finding.low >= 0:
            ways.append(("sector", finding.low))
        return {"sector_days": rules.sector_lead_days or 0}, tuple(ways)
    if rule in ("stagger", "lead"):
        option = "stagger" if rule == "stagger" else "lead"
        figure = rules.level_stagger_days if rule == "stagger" else rules.lead_days
        options: list[Option] = [("postpone", days)]
        if finding.low is not None and finding.low >= 0:
            options.append((option, finding.low))
        return {f"{option}_days": figure}, tuple(options)
    if rule == "min_duration":
        options = []
        if finding.high is not None:
            options.append(("window_end", advisor.free_day_from(finding.high)))
        stagger = advisor.largest_stagger_fitting(finding.unit_ids)
        if stagger is not None:
            options.append(("stagger", stagger))
        if level in shortest:
            options.append(("min_duration", max(shortest[level], 1)))
        if level is not None and level not in rules.flexible_levels:
            options.append(("flexible", level))
        return {"min_days": rules.min_duration_days}, tuple(options)
    if rule == "window":
        if finding.high is not None and finding.high > rules.window_end:
            return {}, (("extend_or_shorten", advisor.free_day_from(finding.high)),)
        return {}, (("move_in", days),)
    if rule == "blackout":
        return {}, (("blackout", None),)
    return {}, (("regenerate", None),)  # coverage, contiguous


# ---------------------------------------------------------------------------------------------------------
# What-if: compare two plans
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shift:
    """How far a unit moved from the baseline, in days (positive: later)."""

    start_days: int
    end_days: int

    @property
    def moved(self) -> bool:
        return bool(self.start_days or self.end_days)


class LevelSummary(TypedDict):
    units: int  # planned in both
    moved: int  # start or end changed
    started_later: int
    started_earlier: int
    max_start_days: int  # largest shift of a start, in absolute days
    max_end_days: int
    added: int
    removed: int


class Comparison(TypedDict):
    shifts: dict[int, Shift]  # every unit planned in both, by id
    added: tuple[int, ...]  # planned only in the new plan
    removed: tuple[int, ...]  # planned only in the baseline
    by_level: dict[int, LevelSummary]  # empty unless ``level_of`` is given


def compare(baseline: Plan, new: Plan, level_of: Mapping[int, int] | None = None) -> Comparison:
    """Per unit, how many days its start and end moved from ``baseline`` to ``new``; per level if asked."""
    shifts = {
        node_id: Shift(
            (new.items[node_id].start - unit.start).days,
            (new.items[node_id].end - unit.end).days,
        )
        for node_id, unit in sorted(baseline.items.items())
        if node_id in new.items
    }
    added = tuple(sorted(set(new.items) - set(baseline.items)))
    removed = tuple(sorted(set(baseline.items) - set(new.items)))
    by_level: dict[int, LevelSummary] = {}

    def summary(level: int) -> LevelSummary:
        if level not in by_level:
            by_level[level] = LevelSummary(
                units=0, moved=0, started_later=0, started_earlier=0,
                max_start_days=0, max_end_days=0, added=0, removed=0,
            )  # fmt: skip
        return by_level[level]

    if level_of is not None:
        for node_id, shift in shifts.items():
            row = summary(level_of[node_id])
            row["units"] += 1
            row["moved"] += shift.moved
            row["started_later"] += shift.start_days > 0
            row["started_earlier"] += shift.start_days < 0
            row["max_start_days"] = max(row["max_start_days"], abs(shift.start_days))
            row["max_end_days"] = max(row["max_end_days"], abs(shift.end_days))
        for node_id in added:
            summary(level_of[node_id])["added"] += 1
        for node_id in removed:
            summary(level_of[node_id])["removed"] += 1
        by_level = dict(sorted(by_level.items()))
    return Comparison(shifts=shifts, added=added, removed=removed, by_level=by_level)
