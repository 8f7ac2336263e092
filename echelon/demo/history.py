"""The demo campaign's history up to a day (``simulate``): what every unit and its supervision group did
from the start of the campaign until ``today``, so that the demo opens on a campaign in progress.

For each participation, along its planned phase dates (the published plan):

- the unit starts near its planned start (most on the day, some a few days late, a few early);
- in each phase it does the phase's required actions (规定动作) for its category, spread over the phase:
  confirmations, meeting records (type, date, half-day, place, attendees, minutes; a democratic appraisal
  with its 好/一般/差 counts) and materials (one shared small PDF per action, see ``material_file``);
- near the planned end it submits; a phase without a gate closes at once (as ``gate_submit`` does), a gated
  phase waits for its group's decision: mostly pass, some returned with a deadline and fixed (a new version
  of a material), a few interviewed (约谈) and a few redone (返工: the actions cleared and done again);
  a pass closes the phase and opens the next the same day (as ``_close_phase`` does);
- a unit with no responsible group (the region's own units: supervised from outside the tree) records its
  phase dates itself (``phase_actual_record``), with no reviews;
- a phase that waits for the units below (``requires_children``) closes only after all of them closed it;
- the template's rules on actual progress hold as the gates enforce them (``campaigns.services``
  ``check_progress``): nothing is submitted or closed before the phase's minimum days, the last phase of a
  unit that is not flexible not before its minimum duration, and a ``leader_first`` phase is passed only
  on or after the day the unit's leadership body passed it (until then its submission waits). Phases are
  therefore told one at a time across all units: the leadership bodies first, or the units below first for
  a phase that waits for them. A leadership body does not fall behind on its own (it sets the example);
- the meeting marking a phase's start (the mobilization meeting) is held on the unit's first day;
- whatever would happen after ``today`` does not: the current phase is in progress, a submission whose
  decision lies after today is an open review, a return whose fix lies after today awaits resubmission.

In the batch running today about 8 % of the units are one phase behind their plan (their current planned
phase not started) and about 3 % two phases behind: stuck quietly, returned and past the deadline, or
submitted late (and the units waiting for a leadership body that is late). The demo personas get their work
on day one (``PERSONA_*``): the village secretary's village has missing actions in its current phase, the
groups of the county supervisor and of the township instructor have open reviews (a target whose phase in
progress is too young to be submitted waits instead for the decision on its previous phase, if it leads no
unit), the liaison leader's points have key meetings whose attendance is still to be recorded.

Summaries follow the campaigns service's rules (``_summarise_actuals``): current phase = phases closed in a
row from the first, actual start = the first phase's start, actual end when all are closed, start delay =
actual start − baseline start (else planned start). Notices: the waiting reviews to their groups' members,
the returns still to fix to the units' operators (only people who exist get any).

Everything is written in bulk (one ``executemany`` per table, one UPDATE statement for the summaries) in the
caller's transaction, with one audit event summarising it (``history.simulate``); it is deterministic for a
given campaign, day and seed.
"""

from __future__ import annotations

import random
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import lru_cache
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.utils import timezone

from echelon.accounts.models import Grant
from echelon.accounts.roles import Role
from echelon.campaigns import progress
from echelon.campaigns.models import Campaign, GateState, Participation, PhaseActual, PlanPhase
from echelon.campaigns.scheduler import TERRITORIAL_KINDS
from echelon.campaigns.specs import ActionSpec, PhaseSpec, Spec
from echelon.core import audit
from echelon.core.models import Notification, NotificationKind
from echelon.core.tree import ancestor_ids
from echelon.demo import verbs
from echelon.supervision.models import (
    ActionDone,
    ApprovalState,
    Decision,
    Evidence,
    GroupAssignment,
    LiaisonPoint,
    Material,
    MaterialApproval,
    Meeting,
    MeetingAttendance,
    MeetingType,
    PatrolVisit,
    Review,
    ReviewState,
    SupervisionGroup,
)
from echelon.supervision.services.notices import DECISION_KINDS

DEFAULT_SEED = 2014
# Units of the batch running today made to fall behind on purpose (a stall in an earlier phase). Units that
# were returned near a phase boundary are behind too: together about 8 % one phase and 3 % two behind.
ONE_BEHIND = 0.045
TWO_BEHIND = 0.025
PATROLLED = 0.3  # share of a group's started targets visited at least once
OPEN_REVIEWS_PER_PERSONA = 3  # at least this many reviews waiting for each persona's group
# The demo accounts (echelon/demo/seed.py DEMO_ACCOUNTS) whose day one this module prepares.
PERSONA_SECRETARY = "village_secretary"
PERSONA_REVIEWERS = ("county_supervisor", "township_instructor")
PERSONA_LEADER = "liaison_leader"

# What a meeting action records, by action key, where the template does not name one type (``meeting:``).
MEETING_TYPE_OF_ACTION: dict[str, str] = {
    "mobilize": MeetingType.MOBILIZATION,
    "study": MeetingType.STUDY,
    "committee": MeetingType.COMMITTEE,
    "appraisal": MeetingType.APPRAISAL,
    "satisfaction": MeetingType.SATISFACTION,
}
MINUTES: dict[str, str] = {
    MeetingType.MOBILIZATION: "传达上级关于开展教育实践活动的部署，通报本单位实施方案，对活动作出动员安排。",
    MeetingType.STUDY: "集中学习党章和有关重要讲话，围绕为民务实清廉交流学习体会，查找自身差距。",
    MeetingType.DEMOCRATIC_LIFE: "班子成员逐一对照检查，开展批评和自我批评，明确整改方向和措施。",
    MeetingType.ORG_LIFE: "党员逐一对照检查，开展批评和自我批评，提出整改措施。",
    MeetingType.COMMITTEE: "支部委员逐一查摆问题，开展批评和自我批评，研究整改清单。",
    MeetingType.APPRAISAL: "党员逐一述评，开展民主评议党员，评议结果当场公布。",
    MeetingType.SATISFACTION: "组织党员和群众代表对活动开展情况进行满意度测评。",
    MeetingType.OTHER: "按照活动安排召开专题会议。",
}
VILLAGE_ATTENDEES: dict[str, str] = {
    MeetingType.COMMITTEE: "党支部委员",
    MeetingType.SATISFACTION: "党员、村（居）民代表、指导员",
}
SUBMIT_NOTES = [
    "",
    "",
    "本环节规定动作已完成，请督导组审核。",
    "材料已上传，请审核。",
    "已按要求完成，请审核。",
]
RETURN_COMMENTS = [
    "查摆问题不具体，没有联系思想和工作实际，请重新修改。",
    "征求意见范围偏窄，服务对象和群众代表覆盖不够，请补充走访后重新提交。",
    "学习记录过于简单，请补充学习心得和讨论情况。",
    "问题清单与征求到的意见对应不上，请逐条梳理。",
    "整改措施笼统，没有责任人和完成时限，请细化。",
]
INTERVIEW_REQUIRED = [
    "对照检查避重就轻，要求主要负责同志正视问题、深入剖析，重新提交。",
    "征求意见走过场，要求主要负责同志亲自带队走访，重新形成问题清单。",
]
REDO_COMMENTS = [
    "民主评议走过场，评议结果全部为“好”，须重新召开党员大会进行评议。",
    "批评和自我批评不够，辣味不足，须重新准备、重新召开。",
    "材料照搬照抄，没有本单位实际，须重新撰写。",
]
PASS_COMMENTS = ["", "", "材料齐全，问题查摆较准，同意进入下一环节。", "同意通过。", "达到要求，同意通过。"]
FINDINGS = [
    "学习记录齐全，个别党员心得体会较简单。",
    "征求意见台账清楚，群众反映的问题已逐条登记。",
    "未发现明显问题，活动按计划推进。",
    "部分材料尚未归档，已要求补齐。",
    "群众知晓率不高，建议加强宣传。",
]
MATERIAL, MEETING = str(Evidence.MATERIAL.value), str(Evidence.MEETING.value)  # plain str: compared per row
CLOSED_NOTE = "督导组审核通过"  # as the gate service writes them
OPENED_NOTE = "上一环节通过后开启"
AUTO_PASS = "本环节不设关口，规定动作完成即结束。"  # noqa: S105  (a review comment)


# ---------------------------------------------------------------------------------------------------------
# What the simulation reads
# ---------------------------------------------------------------------------------------------------------


@dataclass
class _Part:
    id: int
    unit_id: int
    code: str
    name: str
    path: str
    level: int
    kind: str
    batch_id: int
    parent_id: int | None
    members: int
    reference: date | None  # baseline start, else planned start
    plan: list[tuple[date, date]] = field(default_factory=list)
    group_id: int | None = None
    leader: int | None = None  # the unit of its leadership body in its batch (campaigns.services.leader_of)
    leads: bool = False  # the leadership body of units of its batch


@dataclass
class _Context:
    campaign: Campaign
    spec: Spec
    today: date
    seed: int
    live_batches: set[int]  # batches whose window holds today: their units may lag
    actions: dict[tuple[int, str], tuple[ActionSpec, ...]]  # (phase, kind) -> actions
    operators: dict[int, list[int]]  # unit -> operator users
    deciders: dict[int, int | None]  # group -> who decides (its leader, else a member)
    rules: dict[int, dict[str, Any]] = field(default_factory=dict)  # batch -> its timing rules

    def least_days(self, p: _Part) -> int:
        """The unit's minimum duration (0: flexible, a village)."""
        rules = self.rules.get(p.batch_id, {})
        flexible = p.level in rules.get("flexible_levels", []) or p.kind in rules.get("flexible_kinds", [])
        return 0 if flexible else int(rules.get("min_duration_days") or 0)

    def phase(self, k: int) -> PhaseSpec:
        return self.spec.phases[k]


# ---------------------------------------------------------------------------------------------------------
# One participation's story
# ---------------------------------------------------------------------------------------------------------


@dataclass
class _Review:
    phase: int
    submitted: datetime
    decided: datetime | None = None
    decision: str = ""
    comment: str = ""
    checks: list[dict[str, Any]] = field(default_factory=list)
    deadline: date | None = None
    interview_who: str = ""
    interview_at: date | None = None
    interview_required: str = ""
    note: str = ""
    gate: bool = True


@dataclass
class _Phase:
    """What happened in one phase up to today."""

    close: date | None = None  # None: still open today
    actions: list[tuple[str, str, date, date | None]] = field(
        default_factory=list
    )  # key, evidence, day, cleared
    materials: list[tuple[str, str, int, date]] = field(default_factory=list)  # key, name, version, day
    meetings: list[tuple[str, str, date]] = field(default_factory=list)  # key, type, day
    reviews: list[_Review] = field(default_factory=list)
    recorded_by_unit: bool = False  # no group: the unit records its dates


@dataclass
class _Story:
    phases: list[tuple[date, _Phase]] = field(default_factory=list)  # (actual start, what happened)

    @property
    def current(self) -> int:
        n = 0
        while n < len(self.phases) and self.phases[n][1].close is not None:
            n += 1
        return n

    def open_review(self) -> bool:
        return bool(self.phases) and any(r.decided is None for r in self.phases[-1][1].reviews)


def _gate(story: _Story, current: int) -> tuple[str, date | None]:
    """The participation's ``gate`` and ``gate_at`` (as the gate services keep them): the last review of
    the current phase when it is waiting, or decided otherwise than a pass, and its day."""
    if current >= len(story.phases) or not story.phases[current][1].reviews:
        return GateState.NONE, None
    last = story.phases[current][1].reviews[-1]
    if last.decided is None:
        return GateState.OPEN, last.submitted.date()
    if last.decision == Decision.PASS:
        return GateState.NONE, None
    return last.decision, last.decided.date()


def _at(day: date, rng: random.Random, first: int = 8, last: int = 18) -> datetime:
    """A moment of office hours on ``day`` (local time, to ten minutes)."""
    return _moment(day, first * 6 + int(rng.random() * (last - first) * 6))


@lru_cache(maxsize=100_000)
def _moment(day: date, slot: int) -> datetime:
    """The ``slot``-th ten minutes of ``day`` in the local time zone (a history has a few thousand)."""
    return datetime.combine(day, clock(slot // 6, slot % 6 * 10), tzinfo=timezone.get_default_timezone())


STREAMS = ("", "open", "missing", "write", "approval")


def _rng(seed: int, code: str, stream: str) -> random.Random:
    """The random numbers of one unit's story (or of its write-out): fixed by the seed, the unit's code and
    the stream, whatever the order units are told in. (An integer seed: a string one hashes with SHA-512.)"""
    return random.Random((seed * 4 + STREAMS.index(stream)) * 2**32 + zlib.crc32(code.encode()))


def _lag_of(ctx: _Context, p: _Part, rng: random.Random) -> int:
    if p.batch_id not in ctx.live_batches:
        return 0
    r = rng.random()
    return 2 if r < TWO_BEHIND else 1 if r < TWO_BEHIND + ONE_BEHIND else 0


def _planned_phase(plan: Sequence[tuple[date, date]], today: date) -> int:
    """The phase the plan has the unit in today (len(plan) when it should be done, -1 before its start)."""
    if today > plan[-1][1]:
        return len(plan)
    k = -1
    for n, (start, _end) in enumerate(plan):
        if start <= today:
            k = n
    return k


def _start_delay(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.58:
        return 0
    if r < 0.86:
        return rng.randint(1, 3)
    if r < 0.95:
        return rng.randint(4, 9)
    return -rng.randint(1, 2)


def _checks(phase: PhaseSpec, rng: random.Random, failed: int, comment: str) -> list[dict[str, Any]]:
    """A decision's per-check results: ``failed`` checks (chosen at random) not passed, with ``comment``."""
    keys = [c.key for c in phase.checks]
    bad = tuple(sorted(rng.sample(keys, min(failed, len(keys))))) if failed else ()
    return _check_results(phase, bad, comment)


@lru_cache(maxsize=1_000)
def _check_results(phase: PhaseSpec, bad: tuple[str, ...], comment: str) -> list[dict[str, Any]]:
    """Shared by every decision alike (read only): written once per distinct list."""
    return [
        {"key": c.key, "name": c.name, "passed": c.key not in bad, "comment": comment if c.key in bad else ""}
        for c in phase.checks
    ]


def _phase_story(
    ctx: _Context,
    p: _Part,
    k: int,
    start: date,
    rng: random.Random,
    mode: str,
    children_closed: date | bool | None,
    unit_start: date | None = None,
    leader_closed: date | bool | None = True,
) -> _Phase | None:
    """Phase ``k`` of ``p`` from ``start``, cut at today. ``mode``: "" (natural), "stall" (the unit falls
    behind here), "open" (a submission waits for its decision today), "missing" (actions still missing
    today, nothing submitted). None when the mode cannot be had in this phase. ``children_closed``: for a
    phase that waits for the units below, the day the last of them closed it (False: not all have).

    The template's rules on actual progress hold (``campaigns.services.check_progress``): nothing is
    submitted before the phase's minimum days (the last phase: the unit's minimum duration from
    ``unit_start``), and a ``leader_first`` phase is passed no earlier than its leadership body passed it
    (``leader_closed``: that day; None: not yet, the submission waits; True: no leadership body). The
    meeting that marks the start of the phase (the mobilization meeting) is held on its first day."""
    today = ctx.today
    phase = ctx.phase(k)
    actions = ctx.actions.get((k, p.kind), ())
    plan_start, plan_end = p.plan[k]
    gated = phase.gate and p.group_id is not None
    elapsed = (today - start).days
    length = max(1, (plan_end - plan_start).days)
    floor = start + timedelta(days=max(phase.min_days - 1, 0))
    least = ctx.least_days(p)
    if k == len(ctx.spec.phases) - 1 and least and unit_start is not None:
        floor = max(floor, unit_start + timedelta(days=least - 1))
    sub = max(
        start + timedelta(days=max(2, int(length * 0.4))), plan_end + timedelta(days=rng.randint(-8, -1))
    )
    variant = ""
    if mode == "stall":
        r = rng.random()
        variant = "returned" if r < 0.25 else "late" if r < 0.4 else "quiet"
        if variant == "returned" and gated and elapsed >= 14:
            sub = today - timedelta(days=rng.randint(10, min(25, elapsed - 3)))
        elif variant == "late" and gated and elapsed >= 8:
            sub = today - timedelta(days=rng.randint(1, 3))
        if variant != "quiet" and (not gated or sub > today or sub < floor):
            variant = "quiet"
        if variant == "quiet":
            sub = today + timedelta(days=rng.randint(5, 30))
    elif mode == "open":
        if not gated or elapsed < 8 or not actions:
            return None
        sub = today - timedelta(days=rng.randint(1, min(4, elapsed - 6)))
        if sub < floor:
            return None
    elif mode == "missing":
        if not actions:
            return None
        sub = max(sub, today + timedelta(days=rng.randint(3, 10)))
    sub = max(sub, start, floor)

    out = _Phase(recorded_by_unit=phase.gate and p.group_id is None)
    span = max(0, (sub - start).days - 1)
    days = sorted(start + timedelta(days=int(span * rng.uniform(0.05, 1.0))) for _ in actions)
    if (mode == "missing" or variant == "quiet") and days and days[-1] <= today:
        days[-1] = today + timedelta(days=rng.randint(1, 5))
    marked = _marked_action(phase, actions, p)
    if marked is not None:  # the meeting that opens the phase first, on its first day; the others after
        actions = (actions[marked], *actions[:marked], *actions[marked + 1 :])
        days[0] = start
    _approved_first(actions, days)

    def do(action: ActionSpec, day: date, version: int = 1) -> None:
        if day > today:
            return
        out.actions.append((action.key, action.evidence, day, None))
        if action.evidence == MATERIAL:
            out.materials.append((action.key, action.name, version, day))
        elif action.evidence == MEETING:
            out.meetings.append((action.key, _meeting_type(action, p), day))

    for action, day in zip(actions, days, strict=True):
        do(action, day)
    if sub > today or any(day > today for day in days):
        return out
    if phase.requires_children:
        if children_closed is False or children_closed is None:
            return out  # waits for the units below
        if isinstance(children_closed, date):
            sub = max(sub, children_closed)
            if sub > today:
                return out
    if phase.leader_first and leader_closed is not True:
        if leader_closed is None or leader_closed is False:
            if out.recorded_by_unit or not phase.gate:
                return out  # cannot close before the leadership body
        elif out.recorded_by_unit or not phase.gate:
            sub = max(sub, leader_closed)
            if sub > today:
                return out
    if out.recorded_by_unit:
        out.close = sub
        return out
    if not phase.gate:
        submitted = _at(sub, rng)
        out.reviews.append(
            _Review(
                k, submitted, submitted, Decision.PASS, AUTO_PASS, note=rng.choice(SUBMIT_NOTES), gate=False
            )
        )
        out.close = sub
        return out

    day, attempt = sub, 0
    version = {a.key: 1 for a in actions}
    while day <= today:
        submitted = _at(day, rng)
        review = _Review(k, submitted, note=rng.choice(SUBMIT_NOTES))
        out.reviews.append(review)
        decided = day + timedelta(days=rng.randint(1, 3) if variant != "returned" else 2)
        if (mode == "open" or variant == "late") and attempt == 0:
            decided = today + timedelta(days=1)
        if decided > today:
            return out  # waiting for the group
        r = rng.random()
        if variant == "returned" and attempt == 0:
            outcome = Decision.RETURN
        elif attempt == 0:
            outcome = (
                Decision.PASS
                if r < 0.85
                else Decision.RETURN
                if r < 0.94
                else Decision.INTERVIEW
                if r < 0.97
                else Decision.REDO
            )
        else:
            outcome = Decision.PASS if r < 0.92 or attempt >= 2 else Decision.RETURN
        review.decided, review.decision = _at(decided, rng, 9, 19), outcome
        if review.decided <= review.submitted:
            review.decided = review.submitted + timedelta(hours=2)
        if outcome == Decision.PASS:
            if phase.leader_first and leader_closed is not True:
                # The group may pass only after the leadership body: until then the submission waits.
                if not isinstance(leader_closed, date) or leader_closed > today:
                    review.decided, review.decision = None, ""
                    return out
                if leader_closed > decided:
                    decided = leader_closed
                    review.decided = max(_at(decided, rng, 9, 19), review.submitted + timedelta(hours=2))
            review.comment = rng.choice(PASS_COMMENTS)
            review.checks = _checks(phase, rng, 0, "")
            out.close = decided
            return out
        if outcome == Decision.RETURN:
            review.comment = rng.choice(RETURN_COMMENTS)
            review.checks = _checks(phase, rng, rng.randint(1, 2), review.comment)
            review.deadline = decided + timedelta(days=rng.randint(5, 10))
            if variant == "returned":
                return out  # the deadline passes without a resubmission
            day = decided + timedelta(days=rng.randint(2, (review.deadline - decided).days))
            fixed = [a for a in actions if a.evidence == MATERIAL]
            if fixed:  # a new version of one material
                action = rng.choice(fixed)
                version[action.key] += 1
                fix_day = max(decided, day - timedelta(days=1))
                if fix_day <= today:
                    out.materials.append((action.key, action.name, version[action.key], fix_day))
        elif outcome == Decision.INTERVIEW:
            review.comment = "督导组约谈主要负责同志。"
            first_check = tuple(c.key for c in phase.checks[:1])  # 思想关: the attitude
            review.checks = _check_results(phase, first_check, "思想认识不到位，对照检查避重就轻。")
            review.interview_who = (
                "党组织主要负责同志" if p.kind not in ("village", "community") else "党支部书记"
            )
            review.interview_at = decided + timedelta(days=rng.randint(1, 3))
            review.interview_required = rng.choice(INTERVIEW_REQUIRED)
            day = review.interview_at + timedelta(days=rng.randint(2, 6))
        else:  # redo: the phase's actions are cleared and done again
            review.comment = rng.choice(REDO_COMMENTS)
            review.checks = _checks(phase, rng, rng.randint(1, 2), review.comment)
            review.deadline = decided + timedelta(days=rng.randint(8, 14))
            out.actions = [(key, ev, d, c if c is not None else decided) for key, ev, d, c in out.actions]
            day = decided + timedelta(days=rng.randint(6, (review.deadline - decided).days))
            redo_days = sorted(
                decided + timedelta(days=rng.randint(1, max(1, (day - decided).days - 1))) for _ in actions
            )
            _approved_first(actions, redo_days)
            for action, redo_day in zip(actions, redo_days, strict=True):
                if action.evidence == MATERIAL:
                    version[action.key] += 1
                do(action, redo_day, version[action.key])
            if any(d > today for d in redo_days):
                return out
        attempt += 1
    return out


def _approved_first(actions: Sequence[ActionSpec], days: list[date]) -> None:
    """An action that comes ``after`` one whose material the group approves first (the democratic life
    meeting after its plan, ADR 18) happens at least a day after it: the approval falls in between."""
    index = {a.key: n for n, a in enumerate(actions)}
    for n, action in enumerate(actions):
        before = index.get(action.after) if action.after else None
        if before is not None and actions[before].requires_approval:
            days[n] = max(days[n], days[before] + timedelta(days=1))


def _approvals(
    actions: Sequence[ActionSpec], phase: _Phase, today: date, rng: random.Random
) -> list[tuple[str, int, date | None]]:
    """The group's decision on each version of a material it approves first: (action, version, the day it
    was approved; None: still waiting today). A version is approved before the action after it is recorded
    (between the upload and the day before), else within a few days of its upload when that is past."""
    out: list[tuple[str, int, date | None]] = []
    for action in actions:
        if not action.requires_approval:
            continue
        after = {a.key for a in actions if a.after == action.key}
        versions = sorted((v, day) for key, _name, v, day in phase.materials if key == action.key)
        recorded = sorted(day for key, _ev, day, _cleared in phase.actions if key in after)
        for i, (version, day) in enumerate(versions):
            following = versions[i + 1][1] if i + 1 < len(versions) else None
            then = next((d for d in recorded if d > day and (following is None or d <= following)), None)
            if then is not None:
                decided: date | None = day + timedelta(days=rng.randint(0, (then - day).days - 1))
            else:
                decided = day + timedelta(days=rng.randint(0, 3))
                if following is not None:
                    decided = min(decided, following)
                if decided > today:
                    decided = None
            out.append((action.key, version, decided))
    return out


def _marked_action(phase: PhaseSpec, actions: Sequence[ActionSpec], p: _Part) -> int | None:
    """The index of the action whose meeting is the phase's milestone at its start (the mobilization
    meeting), or None."""
    milestone = phase.milestone
    if milestone is None or milestone.at != "start":
        return None
    for n, action in enumerate(actions):
        if action.evidence == MEETING and _meeting_type(action, p) == milestone.key:
            return n
    return None


def _meeting_type(action: ActionSpec, p: _Part) -> str:
    named = action.meeting_types  # the template's ``meeting:`` (ADR 9)
    if len(named) == 1:
        return str(named[0])
    if action.key in MEETING_TYPE_OF_ACTION:
        return MEETING_TYPE_OF_ACTION[action.key]
    if action.key == "meeting":
        return MeetingType.ORG_LIFE if p.kind in ("nonpublic", "social") else MeetingType.DEMOCRATIC_LIFE
    return MeetingType.OTHER


class _Teller:
    """One participation's story, told a phase at a time (``step``): every unit's phase k is told before
    any unit's phase k + 1, the leadership bodies first where a phase waits for them, the units below first
    where a phase waits for those. The random numbers are the unit's own, whatever the order: a persona's
    re-told story (``force``) keeps every phase the unit closed before the one in progress today."""

    def __init__(self, ctx: _Context, p: _Part, force: str, open_at: int | None = None) -> None:
        self.ctx, self.p, self.force, self.open_at = ctx, p, force, open_at
        self.rng = _rng(ctx.seed, p.code, "")
        self.story = _Story()
        self.done = True
        self.start: date | None = None
        self.stall: int | None = None
        if not p.plan:
            return
        today = ctx.today
        lag = _lag_of(ctx, p, self.rng)
        if force or p.leads:  # a leadership body sets the example: it does not fall behind on its own
            lag = 0
        planned = _planned_phase(p.plan, today)
        if planned < 0:
            return
        self.stall = planned - lag if lag else None
        start = p.plan[0][0] + timedelta(days=_start_delay(self.rng))
        if (self.stall is not None and self.stall < 0) or start > today:
            return  # not started (逾期未开始 when its planned start has passed)
        self.start, self.done = start, False

    def step(self, k: int, children_closed: date | bool | None, leader_closed: date | bool | None) -> None:
        if self.done or self.start is None:
            return
        ctx, p = self.ctx, self.p
        unit_start = self.story.phases[0][0] if self.story.phases else self.start
        mode = "stall" if k == self.stall else ""
        if k == self.open_at:  # a persona's: this phase's submission still waits for its group today
            waiting = _phase_story(ctx, p, k, self.start, self.rng, "open", children_closed, unit_start, True)
            if waiting is not None:
                self.story.phases.append((self.start, waiting))
                self.done = True
                return
        phase = _phase_story(
            ctx, p, k, self.start, self.rng, mode, children_closed, unit_start, leader_closed
        )
        assert phase is not None
        if self.force and phase.close is None:
            forced = _phase_story(
                ctx, p, k, self.start, self.rng, self.force, children_closed, unit_start, leader_closed
            )
            if forced is not None:
                phase = forced
        self.story.phases.append((self.start, phase))
        if phase.close is None or k == len(p.plan) - 1:
            self.done = True
        else:
            self.start = phase.close


def _story(
    ctx: _Context,
    p: _Part,
    force: str,
    children: Callable[[int], date | bool | None],
    leader: Callable[[int], date | bool | None],
    open_at: int | None = None,
) -> _Story:
    """The participation's phases up to today, told alone (the others' are known). ``force``: the state
    the phase in progress today must be in ("open", "missing"), for the personas; ``open_at``: the phase
    whose submission waits today instead (the story ends there)."""
    teller = _Teller(ctx, p, force, open_at)
    for k in range(len(p.plan)):
        phase = ctx.phase(k)
        teller.step(
            k,
            children(k) if phase.requires_children else None,
            leader(k) if phase.leader_first else True,
        )
    return teller.story


def _ahead(closed_at: dict[tuple[int, int], date | None], p: _Part) -> Callable[[int], date | bool | None]:
    """For a phase that waits for the leadership body: the day it closed phase k (None: it has not; True:
    the unit has none in its batch)."""

    def closed(k: int) -> date | bool | None:
        return True if p.leader is None else closed_at.get((p.leader, k))

    return closed


def _below(
    closed_at: dict[tuple[int, int], date | None], children: dict[int, list[int]], unit_id: int
) -> Callable[[int], date | bool | None]:
    """For a phase that waits for the units below: the day the last of them closed phase k (True: none
    below; False: not all of them have)."""

    def closed(k: int) -> date | bool | None:
        days = [closed_at.get((c, k)) for c in children.get(unit_id, [])]
        if any(d is None for d in days):
            return False
        return max((d for d in days if d is not None), default=None) or True

    return closed


# ---------------------------------------------------------------------------------------------------------
# Reading the campaign
# ---------------------------------------------------------------------------------------------------------


def _participations(campaign: Campaign) -> list[_Part]:
    rows = (
        Participation.objects.filter(campaign=campaign)
        .order_by("-level", "-path")  # the units below first (a parent's path prefixes its children's)
        .values_list(
            "id",
            "unit_id",
            "unit__code",
            "unit__name",
            "path",
            "level",
            "kind",
            "batch_id",
            "unit__parent_id",
            "unit__members_here",
            "baseline_start",
            "planned_start",
        )
    )
    parts = [
        _Part(pid, uid, code, name, path, level, kind, batch, parent, members or 0, baseline or planned)
        for (
            pid,
            uid,
            code,
            name,
            path,
            level,
            kind,
            batch,
            parent,
            members,
            baseline,
            planned,
        ) in rows.iterator(chunk_size=10_000)
    ]
    by_id = {p.id: p for p in parts}
    plans = (
        PlanPhase.objects.filter(participation__campaign=campaign)
        .order_by("participation_id", "phase")
        .values_list("participation_id", "start", "end")
    )
    for pid, start, end in plans.iterator(chunk_size=20_000):
        by_id[pid].plan.append((start, end))
    assignments = (
        GroupAssignment.objects.filter(campaign=campaign)
        .order_by("participation_id", "override_reason", "group_id")
        .values_list("participation_id", "group_id")
    )
    for pid, gid in assignments.iterator(chunk_size=20_000):
        if by_id[pid].group_id is None:
            by_id[pid].group_id = gid
    # Each unit's leadership body in its batch: its nearest territorial unit above (as leader_of says).
    territorial = {(p.batch_id, p.unit_id) for p in parts if p.kind in TERRITORIAL_KINDS}
    leading: set[int] = set()
    for p in parts:
        p.leader = next(
            (a for a in reversed(ancestor_ids(p.path)[:-1]) if (p.batch_id, a) in territorial), None
        )
        if p.leader is not None:
            leading.add(p.leader)
    for p in parts:
        p.leads = p.unit_id in leading
    return parts


def _deciders(campaign: Campaign) -> dict[int, int | None]:
    members: dict[int, list[int]] = defaultdict(list)
    through = SupervisionGroup.members.through
    for gid, uid in through.objects.filter(supervisiongroup__campaign=campaign).values_list(
        "supervisiongroup_id", "user_id"
    ):
        members[gid].append(uid)
    out: dict[int, int | None] = {}
    for gid, leader in SupervisionGroup.objects.filter(campaign=campaign).values_list("pk", "leader_id"):
        out[gid] = leader or (min(members[gid]) if members[gid] else None)
    return out


def _group_people(campaign: Campaign) -> dict[int, set[int]]:
    people: dict[int, set[int]] = defaultdict(set)
    through = SupervisionGroup.members.through
    for gid, uid in through.objects.filter(supervisiongroup__campaign=campaign).values_list(
        "supervisiongroup_id", "user_id"
    ):
        people[gid].add(uid)
    for gid, leader in SupervisionGroup.objects.filter(campaign=campaign, leader__isnull=False).values_list(
        "pk", "leader_id"
    ):
        people[gid].add(leader)
    return people


# ---------------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------------


class _Table:
    """Rows for one model, inserted with one ``executemany`` (values already adapted for the database)."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        self.model, self.fields = model, list(fields)
        self.rows: list[tuple[Any, ...]] = []

    def sql(self) -> str:
        q = connection.ops.quote_name
        names = {f.name: f.column for f in self.model._meta.concrete_fields}
        columns = ", ".join(q(names[f]) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        return f"INSERT INTO {q(self.model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608

    def write(self, chunk: int = 20_000) -> int:
        sql = self.sql()
        with connection.cursor() as cursor:
            for i in range(0, len(self.rows), chunk):
                cursor.executemany(sql, self.rows[i : i + chunk])
        return len(self.rows)


class _Adapt:
    """Dates and moments as database parameters, cached (a history has a few hundred distinct days)."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.ops = connection.ops  # not through the connection proxy on every row
        self._days: dict[date, Any] = {}
        self._moments: dict[datetime, Any] = {}

    def day(self, value: date | None) -> Any:
        if value is None:
            return None
        out = self._days.get(value)
        if out is None:
            out = self._days[value] = self.ops.adapt_datefield_value(value)
        return out

    def moment(self, value: datetime | None) -> Any:
        if value is None:
            return None
        out = self._moments.get(value)
        if out is None:
            out = self._moments[value] = self.ops.adapt_datetimefield_value(not_after(value, self.now))
        return out


def _latest(today: date) -> datetime:
    """The latest moment the history may hold: now when ``today`` is today, else the end of ``today``."""
    if today == timezone.localdate():
        return timezone.now()
    return datetime.combine(today, clock(23, 59), tzinfo=timezone.get_default_timezone())


def not_after(value: datetime, now: datetime) -> datetime:
    """An office-hours moment of today that lies ahead of ``now`` moved to a little before it."""
    return value if value <= now else now - timedelta(minutes=5 + value.minute % 50)


@contextmanager
def _big_cache() -> Iterator[None]:
    """SQLite: 256 MB of page cache while the rows go in (as the seed does), so that the indexes of a
    million new rows are not written out page by page; the connection's setting is restored after."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA cache_size=-262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size={before}")


def _json(model: type[models.Model], name: str) -> Callable[[Any], Any]:
    f = model._meta.get_field(name)
    return lambda value: f.get_db_prep_save(value, connection)  # type: ignore[union-attr]


MATERIAL_DIR = "supervision/demo"


def material_file(phase_key: str, action_key: str) -> tuple[str, int]:
    """The shared demo PDF of one required action (written once through the storage): (name, size). The
    demo's material rows point at these instead of writing a file per row (hundreds of thousands at full
    scale); a real upload gets its own file as always."""
    name = f"{MATERIAL_DIR}/{phase_key}-{action_key}.pdf"
    text = f"Echelon demo material: {phase_key} / {action_key}"
    content = _pdf(text)
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(content))
        if saved != name:  # the storage chose another name: point at that one
            name = saved
    return name, len(content)


def _pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` (ASCII), with a correct cross-reference table."""
    stream = f"BT /F1 14 Tf 72 760 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# ---------------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------------


@dataclass
class HistoryResult:
    counts: dict[str, int]
    seconds: float
    notes: list[str] = field(default_factory=list)


def _persona_users() -> dict[str, Any]:
    from echelon.accounts.models import User

    names = (PERSONA_SECRETARY, *PERSONA_REVIEWERS, PERSONA_LEADER)
    return {u.username: u for u in User.objects.filter(username__in=names)}


def simulate(
    campaign: Campaign,
    *,
    today: date | None = None,
    seed: int = DEFAULT_SEED,
    log: Callable[[str], Any] | None = None,
) -> HistoryResult:
    """Write the campaign's history up to ``today`` (see the module's docstring). The campaign must be
    published, with its groups assigned, and have no history yet."""
    began = time.perf_counter()
    say = log or (lambda _msg: None)
    today = today or timezone.localdate()
    campaign = Campaign.objects.select_related("root").get(pk=campaign.pk)
    if (
        Review.objects.filter(campaign=campaign).exists()
        or PhaseActual.objects.filter(participation__campaign=campaign).exists()
    ):
        raise ValueError("the campaign already has a history")
    spec = campaign.spec
    with transaction.atomic():
        parts = _participations(campaign)
        kinds = {p.kind for p in parts}
        actions = {
            (k, kind): spec.actions(phase.key, kind) for k, phase in enumerate(spec.phases) for kind in kinds
        }
        live = set(
            campaign.batches.filter(window_start__lte=today, window_end__gte=today).values_list(
                "pk", flat=True
            )
        )
        operators: dict[int, list[int]] = defaultdict(list)
        for unit_id, user_id in Grant.objects.filter(role=Role.OPERATOR).values_list("unit_id", "user_id"):
            operators[unit_id].append(user_id)
        rules = dict(campaign.batches.values_list("pk", "rules"))
        ctx = _Context(campaign, spec, today, seed, live, actions, operators, _deciders(campaign), rules)
        forced = _forced(campaign, parts)
        say(f"  读取 read: {len(parts):,} 个参与单位，{time.perf_counter() - began:.1f} s")

        # Deepest units first: a phase that waits for the units below knows when the last of them closed it.
        # Phase by phase: the units below first where a phase waits for them (the summary), the leadership
        # bodies first where it waits for those (study, examination, rectification).
        closed_at: dict[tuple[int, int], date | None] = {}
        children: dict[int, list[int]] = defaultdict(list)
        batch_of = {p.unit_id: p.batch_id for p in parts}
        for p in parts:
            if p.parent_id is not None and batch_of.get(p.parent_id) == p.batch_id:
                children[p.parent_id].append(p.unit_id)
        tellers = {p.id: _Teller(ctx, p, forced.get(p.id, "")) for p in parts}
        leaders_first = parts[::-1]
        for k, phase in enumerate(spec.phases):
            for p in parts if phase.requires_children else leaders_first:
                teller = tellers[p.id]
                if teller.done:
                    continue
                teller.step(
                    k,
                    _below(closed_at, children, p.unit_id)(k) if phase.requires_children else None,
                    _ahead(closed_at, p)(k) if phase.leader_first else True,
                )
                closed_at[(p.unit_id, k)] = teller.story.phases[-1][1].close
        stories: list[tuple[_Part, _Story]] = [(p, tellers[p.id].story) for p in parts]
        stories = _ensure_persona_work(ctx, stories, forced, closed_at, children)
        say(f"  模拟 simulate: {time.perf_counter() - began:.1f} s")

        with _big_cache():
            counts = _write(ctx, stories)
        say(f"  写入 write: {time.perf_counter() - began:.1f} s")
        counts.update(_liaison_attendance(campaign, today))
        notes = []
        behind = Counter(
            max(0, _planned_phase(p.plan, today) - s.current)
            for p, s in stories
            if p.plan and p.batch_id in live and _planned_phase(p.plan, today) < len(p.plan)
        )
        total = sum(behind.values()) or 1
        two = sum(v for n, v in behind.items() if n >= 2)
        notes.append(
            f"今天 {today}：进行中的批次里按计划推进 {behind[0] / total:.0%}，落后一个环节 "
            f"{behind[1] / total:.0%}，落后两个及以上 {two / total:.0%}。"
        )
        audit.record(
            actor=None,
            verb=verbs.HISTORY_SIMULATE,
            obj=campaign,
            unit_id=campaign.root_id,
            unit_path=campaign.path,
            after={"today": today, "seed": seed, "counts": counts},
        )
    return HistoryResult(counts, time.perf_counter() - began, notes)


def _forced(campaign: Campaign, parts: Sequence[_Part]) -> dict[int, str]:
    """The personas' units: the village secretary's village with actions missing."""
    users = _persona_users()
    forced: dict[int, str] = {}
    secretary = users.get(PERSONA_SECRETARY)
    if secretary is not None:
        units = set(
            Grant.objects.filter(user=secretary, role=Role.OPERATOR).values_list("unit_id", flat=True)
        )
        for p in parts:
            if p.unit_id in units:
                forced[p.id] = "missing"
    return forced


def _ensure_persona_work(
    ctx: _Context,
    stories: list[tuple[_Part, _Story]],
    forced: dict[int, str],
    closed_at: dict[tuple[int, int], date | None],
    children: dict[int, list[int]],
) -> list[tuple[_Part, _Story]]:
    """Each persona reviewer's group gets at least ``OPEN_REVIEWS_PER_PERSONA`` reviews waiting today: its
    targets (by code) whose phase in progress can take a submission are re-told with one waiting."""
    users = _persona_users()
    groups = set(
        SupervisionGroup.objects.filter(
            campaign=ctx.campaign, members__in=[users[n] for n in PERSONA_REVIEWERS if n in users]
        ).values_list("pk", flat=True)
    )
    index = {p.id: n for n, (p, _s) in enumerate(stories)}
    for gid in sorted(groups):
        mine = sorted(((p, s) for p, s in stories if p.group_id == gid), key=lambda ps: ps[0].code)
        waiting = sum(1 for _p, s in mine if s.open_review())
        for p, s in mine:
            if waiting >= OPEN_REVIEWS_PER_PERSONA:
                break
            if s.open_review() or p.id in forced or not s.phases or s.current >= len(p.plan):
                continue

            below, ahead = _below(closed_at, children, p.unit_id), _ahead(closed_at, p)
            story = _story(ctx, p, "open", below, ahead)
            if not story.open_review() and not p.leads:
                # The phase in progress is too young for a submission (its minimum days): the unit's last
                # gated phase is the one whose submission waits (the unit leads nobody, and the phase
                # that waits for the units below lies further on).
                story = _story(ctx, p, "", below, ahead, open_at=_last_passed(ctx, s))
            if story.open_review():
                stories[index[p.id]] = (p, story)
                for k in range(len(p.plan)):
                    closed_at[(p.unit_id, k)] = story.phases[k][1].close if k < len(story.phases) else None
                waiting += 1
    return stories


def _last_passed(ctx: _Context, story: _Story) -> int | None:
    """The last gated phase the story closed before a phase that waits for the units below, or None."""
    found = None
    for k, (_start, phase) in enumerate(story.phases):
        if ctx.phase(k).requires_children:
            break
        if phase.close is not None and ctx.phase(k).gate:
            found = k
    return found


def _write(ctx: _Context, stories: Sequence[tuple[_Part, _Story]]) -> dict[str, int]:
    campaign, spec, today = ctx.campaign, ctx.spec, ctx.today
    a = _Adapt(_latest(today))
    to_json = _json(Review, "checks")
    json_cache: dict[int, Any] = {}

    def checks_json(value: list[dict[str, Any]]) -> Any:
        key = id(value) if value else 0  # the lists are shared (``_check_results``); an empty one is not
        out = json_cache.get(key)
        if out is None:
            out = json_cache[key] = to_json(value)
        return out

    files = {
        (k, action.key): material_file(phase.key, action.key)
        for k, phase in enumerate(spec.phases)
        for kind_actions in phase.actions.values()
        for action in kind_actions
        if action.evidence == MATERIAL
    }
    actuals = _Table(
        PhaseActual, ["participation", "phase", "start", "end", "note", "recorded_by", "recorded_at"]
    )
    done = _Table(
        ActionDone,
        ["participation", "phase", "action_key", "evidence", "note", "done_at", "done_by", "cleared_at"],
    )
    materials = _Table(
        Material,
        [
            "participation",
            "path",
            "phase",
            "action_key",
            "version",
            "file",
            "original_name",
            "file_type",
            "size",
            "uploaded_at",
            "uploaded_by",
        ],
    )
    meetings = _Table(
        Meeting,
        [
            "participation",
            "path",
            "phase",
            "action_key",
            "type",
            "date",
            "half_day",
            "place",
            "attendees",
            "minutes",
            "rated_good",
            "rated_fair",
            "rated_poor",
            "recorded_at",
            "recorded_by",
        ],
    )
    reviews = _Table(
        Review,
        [
            "campaign",
            "participation",
            "unit",
            "path",
            "level",
            "phase",
            "group",
            "state",
            "submitted_at",
            "submitted_by",
            "note",
            "decision",
            "decided_at",
            "decided_by",
            "comment",
            "checks",
            "deadline",
            "interview_who",
            "interview_at",
            "interview_required",
            "explanations",
        ],
    )
    no_explanations = checks_json([])
    patrols = _Table(
        PatrolVisit, ["group", "campaign", "unit", "path", "date", "findings", "created_at", "created_by"]
    )
    # The group's approvals of materials it approves first (ADR 18), written once the materials have ids:
    # (participation, unit, path, group, phase, action, version, requested, requester, decided, decider)
    approvals: list[tuple[Any, ...]] = []
    summaries: list[tuple[Any, ...]] = []
    waiting: list[tuple[_Part, int]] = []  # (participation, phase) with a review waiting today
    to_fix: list[tuple[_Part, int, _Review]] = []  # a non-pass decision not resubmitted yet
    for p, story in sorted(stories, key=lambda ps: ps[0].id):  # in id order: the indexes grow at their end
        rng = _rng(ctx.seed, p.code, "write")
        unit_operators = ctx.operators.get(p.unit_id)
        operator = unit_operators[0] if unit_operators else None
        decider = ctx.deciders.get(p.group_id) if p.group_id is not None else None
        for k, (start, phase) in enumerate(story.phases):
            end = phase.close
            opened = p.group_id is None or (k == 0 and end is None)  # by the unit itself
            note = "" if opened else CLOSED_NOTE if end else OPENED_NOTE
            by = operator if phase.recorded_by_unit or not spec.phases[k].gate else decider
            actuals.rows.append(
                (
                    p.id,
                    k,
                    a.day(start),
                    a.day(end),
                    note,
                    by if end else operator,
                    a.moment(_at(end or start, rng)),
                )
            )
            for key, evidence, day, cleared in phase.actions:
                done.rows.append(
                    (
                        p.id,
                        k,
                        key,
                        evidence,
                        "",
                        a.moment(_at(day, rng)),
                        operator,
                        a.moment(_at(cleared, rng, 19, 20)) if cleared else None,
                    )
                )
            uploaded: dict[tuple[str, int], datetime] = {}
            for key, name, version, day in phase.materials:
                file_name, size = files[(k, key)]
                label = f"{name[:60]}" + (f"（第{version}版）" if version > 1 else "")
                uploaded[(key, version)] = moment = _at(day, rng)
                materials.rows.append(
                    (
                        p.id,
                        p.path,
                        k,
                        key,
                        version,
                        file_name,
                        f"{label}.pdf",
                        "pdf",
                        size,
                        a.moment(moment),
                        operator,
                    )
                )
            phase_actions = ctx.actions.get((k, p.kind), ())
            if any(action.requires_approval for action in phase_actions):
                approval_rng = _rng(ctx.seed, f"{p.code}:{k}", "approval")
                for key, version, decided in _approvals(phase_actions, phase, today, approval_rng):
                    requested = uploaded[(key, version)]
                    at = None
                    if decided is not None:
                        at = max(_at(decided, approval_rng, 9, 19), requested + timedelta(minutes=30))
                    approvals.append(
                        (
                            p.id,
                            p.unit_id,
                            p.path,
                            p.group_id,
                            k,
                            key,
                            version,
                            requested,
                            operator,
                            at,
                            decider,
                        )
                    )
            for key, kind, day in phase.meetings:
                meetings.rows.append((p.id, p.path, k, key, *_meeting_fields(p, kind, day, rng, a), operator))
            for review in phase.reviews:
                reviews.rows.append(
                    (
                        campaign.pk,
                        p.id,
                        p.unit_id,
                        p.path,
                        p.level,
                        k,
                        p.group_id if review.gate else None,
                        ReviewState.DECIDED if review.decided else ReviewState.OPEN,
                        a.moment(review.submitted),
                        operator,
                        review.note,
                        review.decision,
                        a.moment(review.decided),
                        (decider if review.gate else None) if review.decided else None,
                        review.comment,
                        checks_json(review.checks),
                        a.day(review.deadline),
                        review.interview_who,
                        a.day(review.interview_at),
                        review.interview_required,
                        no_explanations,
                    )
                )
            if phase.reviews and end is None:
                last = phase.reviews[-1]
                if last.decided is None:
                    waiting.append((p, k))
                elif last.decision != Decision.PASS:
                    to_fix.append((p, k, last))
        current = story.current
        first = story.phases[0][0] if story.phases else None
        finished = bool(story.phases) and current == len(spec.phases)
        last_end = story.phases[-1][1].close if finished else None
        delay = (first - p.reference).days if first and p.reference else None
        gate, gate_at = _gate(story, current)
        due = p.plan[current][1] if current < len(p.plan) else None
        dates = (a.day(first), a.day(last_end), current, delay, gate, a.day(gate_at), a.day(due))
        summaries.append((*dates, p.id))
        if p.group_id is not None and first is not None and rng.random() < PATROLLED:
            day = first + timedelta(days=rng.randint(0, max(0, (today - first).days)))
            patrols.rows.append(
                (
                    p.group_id,
                    campaign.pk,
                    p.unit_id,
                    p.path,
                    a.day(day),
                    rng.choice(FINDINGS),
                    a.moment(_at(day, rng)),
                    decider,
                )
            )

    counts = {}
    for name, table in (
        ("phase_actuals", actuals),
        ("actions_done", done),
        ("materials", materials),
        ("meetings", meetings),
        ("reviews", reviews),
        ("patrol_visits", patrols),
    ):
        counts[name] = table.write()
    counts["approvals"] = _write_approvals(campaign, approvals, a)
    q = connection.ops.quote_name
    columns = ("actual_start", "actual_end", "current_phase", "start_delay", "gate", "gate_at", "current_due")
    sets = ", ".join(f"{q(c)} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {q(Participation._meta.db_table)} SET {sets} WHERE {q('id')} = %s",  # noqa: S608
            summaries,
        )
    progress.rebuild_campaign(campaign.pk, progress.HISTORY_PARTS)
    counts["participations"] = len(summaries)
    counts["open_reviews"] = len(waiting)
    counts["returned_not_resubmitted"] = len(to_fix)
    counts["notifications"] = _notify(ctx, waiting, to_fix)
    return counts


def _write_approvals(campaign: Campaign, rows: Sequence[tuple[Any, ...]], a: _Adapt) -> int:
    """The approvals of the materials written above (their ids read back): approved, or waiting today; a
    version followed by a newer one while it waited is superseded."""
    if not rows:
        return 0
    keys = sorted({row[5] for row in rows})
    ids = {
        (pid, phase, key, version): mid
        for pid, phase, key, version, mid in Material.objects.filter(
            participation__campaign=campaign, action_key__in=keys
        ).values_list("participation_id", "phase", "action_key", "version", "id")
    }
    latest: dict[tuple[int, int, str], int] = {}
    for pid, _unit, _path, _group, phase, key, version, *_rest in rows:
        latest[(pid, phase, key)] = max(latest.get((pid, phase, key), 0), version)
    table = _Table(
        MaterialApproval,
        [
            "participation",
            "campaign",
            "unit",
            "path",
            "phase",
            "action_key",
            "material",
            "group",
            "state",
            "requested_at",
            "requested_by",
            "decided_at",
            "decided_by",
            "reason",
        ],
    )
    for pid, unit, path, group, phase, key, version, requested, requester, decided, decider in rows:
        if decided is not None:
            state = ApprovalState.APPROVED
        elif version == latest[(pid, phase, key)]:
            state = ApprovalState.PENDING
        else:
            state = ApprovalState.SUPERSEDED
        table.rows.append(
            (
                pid,
                campaign.pk,
                unit,
                path,
                phase,
                key,
                ids[(pid, phase, key, version)],
                group,
                str(state),
                a.moment(requested),
                requester,
                a.moment(decided),
                decider if decided is not None else None,
                "",
            )
        )
    return table.write()


def _meeting_fields(p: _Part, kind: str, day: date, rng: random.Random, a: _Adapt) -> tuple[Any, ...]:
    """type, date, half-day, place, attendees, minutes, the three ratings and the recording moment."""
    village = p.kind in ("village", "community")
    members = max(p.members, 3)
    present = max(1, members - rng.randint(0, max(1, members // 10)))
    if p.kind in ("leadership", "organ"):
        place = f"{p.name}机关会议室"
        who = (
            "领导班子成员、党员干部代表"
            if kind != MeetingType.SATISFACTION
            else "党代表、群众代表、督导组成员"
        )
        expected = max(members, 9)
        present = expected - rng.randint(0, 2)
    elif village:
        place = f"{p.name}党员活动室"
        who = VILLAGE_ATTENDEES.get(kind, "全体党员（含流入党员）")
        expected = 5 if kind == MeetingType.COMMITTEE else members
        if kind == MeetingType.COMMITTEE:
            present = 5 - rng.randint(0, 1)
    else:
        place = f"{p.name}会议室"
        who = "全体党员"
        expected = members
    attendees = f"{who}。应到 {expected} 人，实到 {present} 人。"
    good = fair = poor = None
    if kind == MeetingType.APPRAISAL:
        poor = rng.choice((0, 0, 0, 1)) if present > 10 else 0
        fair = round(present * rng.uniform(0.05, 0.15))
        good = max(0, present - fair - poor)
    return (
        kind,
        a.day(day),
        rng.choice(("am", "pm")),
        place,
        attendees,
        MINUTES.get(kind, MINUTES[MeetingType.OTHER]),
        good,
        fair,
        poor,
        a.moment(_at(day, rng, 17, 20)),
    )


def _notify(
    ctx: _Context, waiting: Iterable[tuple[_Part, int]], to_fix: Iterable[tuple[_Part, int, _Review]]
) -> int:
    """The notices the services would have made and nobody has handled: a review waiting → its group's
    members; a return, interview or redo not resubmitted → the unit's operators. Only to people who exist
    (the demo accounts)."""
    now = _latest(ctx.today)
    people = _group_people(ctx.campaign)
    names = [p.name for p in ctx.spec.phases]
    waiting = [(p, k) for p, k in waiting if people.get(p.group_id or 0)]
    to_fix = [(p, k, r) for p, k, r in to_fix if ctx.operators.get(p.unit_id)]
    if not waiting and not to_fix:
        return 0
    ids = {
        (pid, phase): (rid, submitted)
        for rid, pid, phase, submitted in Review.objects.filter(
            campaign=ctx.campaign, participation_id__in=[p.id for p, _k in waiting], state=ReviewState.OPEN
        ).values_list("pk", "participation_id", "phase", "submitted_at")
    }
    rows = []
    for p, k in waiting:
        rid, submitted = ids[(p.id, k)]
        for user in sorted(people[p.group_id or 0]):
            rows.append(
                Notification(
                    user_id=user,
                    kind=NotificationKind.REVIEW_WAITING,
                    text=f"“{p.name}”提交了“{names[k]}”，等待您所在的督导组审核。",
                    target_type=Review._meta.label_lower,
                    target_id=str(rid),
                    created=submitted,
                )
            )
    what = {
        Decision.RETURN: "被打回修改，期限 {deadline}",
        Decision.REDO: "需要返工，期限 {deadline}",
        Decision.INTERVIEW: "督导组提出约谈",
    }
    for p, k, r in to_fix:
        text = what[Decision(r.decision)].format(deadline=r.deadline.isoformat() if r.deadline else "-")
        for user in sorted(ctx.operators[p.unit_id]):
            rows.append(
                Notification(
                    user_id=user,
                    kind=DECISION_KINDS[Decision(r.decision)],
                    text=f"“{p.name}”的“{names[k]}”{text}。意见：{r.comment}"[:500],
                    target_type=Participation._meta.label_lower,
                    target_id=str(p.id),
                    created=not_after(r.decided or r.submitted, now),
                )
            )
    Notification.objects.bulk_create(rows)
    return len(rows)


def _liaison_attendance(campaign: Campaign, today: date) -> dict[str, int]:
    """At their liaison points, the leaders attended the key meetings held so far and recorded it, except
    for the latest one of each leader: that attendance is still to be recorded (their work on day one)."""
    from echelon.supervision.selectors import KEY_MEETING_TYPES

    held: dict[int, list[tuple[Meeting, Participation]]] = defaultdict(list)
    for point in LiaisonPoint.objects.filter(campaign=campaign).order_by("pk"):
        participation = Participation.objects.filter(campaign=campaign, unit_id=point.unit_id).first()
        if participation is None:
            continue
        latest: dict[str, Meeting] = {}
        for m in Meeting.objects.filter(
            participation=participation, type__in=KEY_MEETING_TYPES, date__lte=today
        ).order_by("date", "id"):
            latest[m.type] = m  # the calendar shows a unit's latest meeting of each type
        held[point.leader_id].extend((m, participation) for m in latest.values())
    rows = []
    for leader, meetings in held.items():
        meetings.sort(key=lambda mp: (mp[0].date, mp[0].pk))
        for m, participation in meetings[:-1]:
            rows.append(
                MeetingAttendance(
                    leader_id=leader,
                    participation=participation,
                    path=participation.path,
                    meeting_type=m.type,
                    meeting=m,
                    date=m.date,
                    attended=True,
                    recorded_by_id=leader,
                )
            )
    MeetingAttendance.objects.bulk_create(rows, ignore_conflicts=True)
    return {"attendance": len(rows)}
