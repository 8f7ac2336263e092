"""Early warnings (预警): the template's rules (``Spec.warnings``, tunable per template) run over a batch,
set-based, once a day; each finding is an ``Alert`` on a unit, rolled up by path.

The rules (``RULES``; their parameters are ``campaigns.specs.WARNING_RULES``):

- ``phase_overdue``: the current phase's planned end passed ``days`` days ago or more, the phase still open;
- ``stalled``: in progress (started, not done, not waiting for its group) and nothing recorded — a required
  action done, a material, a meeting, a submission, the phase's own start — for ``days`` days;
- ``too_fast``: a phase closed in fewer days than its minimum (``min_days``: the template's, changed per
  phase by the parameter), both ends counted as the gates count them, without an office's override;
- ``ahead_of_leader``: a unit closed one of ``phases`` (the ``leader_first`` ones) before its leadership body
  (``campaigns.services.leader_of``: the nearest territorial unit above it in the batch) did, or while the
  body has not; an office's override for that phase exempts it unless ``count_overrides``;
- ``returned_twice``: returned (打回) ``times`` times or more on one phase;
- ``no_opinions``: the study phase (``phase``) closed, or its planned end passed, and the ledger holds no
  opinion for the unit's subtree (its ``LedgerCount`` of kind opinion);
- ``tasks_overdue``: the unit's own unfinished rectification tasks past their deadline by more than
  ``days`` days;
- ``satisfaction_low``: the unit's current satisfaction result (its last closed evaluation round) is below
  ``percent`` % (0: below the threshold the round was held with, the template's ``redo_below``);
- ``blind_spots``: the unit has ``min`` or more members taking part nowhere (``Unit.blind_here``).

Nothing here counts uploads or check-ins to rank units. ``warnings_refresh`` replaces the batch's alerts in
one transaction, keeping ``since`` for a unit the same rule had already flagged; ``warnings_notify`` tells
each office whose part of the tree got new warnings today, once a day. ``describe`` turns an alert's
``detail`` into the sentence the pages and the API show.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import Grant
from echelon.accounts.roles import roles_with
from echelon.campaigns.models import Batch, GateState, Participation, PhaseActual, PhaseOverride, PlanPhase
from echelon.campaigns.scheduler import TERRITORIAL_KINDS
from echelon.campaigns.specs import WARNING_RULES, Spec, WarningSpec
from echelon.core import audit, versions
from echelon.core.actors import Actor
from echelon.core.models import NotificationKind
from echelon.core.notifications import notify
from echelon.core.permissions import require
from echelon.core.tree import SEGMENT_WIDTH, UPPER_BOUND, collapse, segment_id
from echelon.dashboards import verbs
from echelon.dashboards.models import Alert, Step, alerts_version
from echelon.dashboards.services.daily import step_mark, step_result
from echelon.dashboards.services.snapshots import insert_rows
from echelon.evaluation.models import Session
from echelon.ledger.models import UNFINISHED, CountKind, LedgerCount, Task
from echelon.orgs.models import Unit
from echelon.supervision.models import ActionDone, Decision, Material, Meeting, Review

ID_CHUNK = 500
ALERT_COLUMNS = ("campaign", "batch", "unit", "path", "level", "rule", "since", "detail", "found_at")
# A warning found today or yesterday is "new" (the to-do list's count; the digest tells of today's).
NEW_DAYS = 1
# The notice's kind: core's "预警" kind when it has one, else the closest there is.


@dataclass(frozen=True)
class Part:
    """A participation as the rules read it."""

    id: int
    unit_id: int
    path: str
    level: int
    kind: str
    current_phase: int
    gate: str
    actual_start: date | None


Finding = dict[int, dict[str, Any]]  # participation id → the alert's detail


@dataclass
class World:
    """What the rules read of one batch, loaded once per run (each table read once, set-based)."""

    batch: Batch
    today: date
    spec: Spec = field(init=False)
    parts: dict[int, Part] = field(init=False)

    def __post_init__(self) -> None:
        self.spec = self.batch.campaign.spec
        rows = Participation.objects.filter(batch=self.batch).values_list(
            "id", "unit_id", "path", "level", "kind", "current_phase", "gate", "actual_start"
        )
        self.parts = {r[0]: Part(*r) for r in rows.iterator(10_000)}

    @property
    def phases(self) -> int:
        return len(self.spec.phases)

    def phase(self, k: int) -> dict[str, Any]:
        p = self.spec.phases[k]
        return {"phase": p.key, "phase_name": p.name}

    @cached_property
    def actuals(self) -> dict[int, dict[int, tuple[date, date | None]]]:
        """participation id → {phase: (start, end)}."""
        out: dict[int, dict[int, tuple[date, date | None]]] = defaultdict(dict)
        rows = PhaseActual.objects.filter(participation__batch=self.batch).values_list(
            "participation_id", "phase", "start", "end"
        )
        for pid, phase, start, end in rows.iterator(10_000):
            out[pid][phase] = (start, end)
        return out

    @cached_property
    def overrides(self) -> set[tuple[int, int]]:
        rows = PhaseOverride.objects.filter(participation__batch=self.batch).values_list(
            "participation_id", "phase"
        )
        return set(rows)

    @property
    def root(self) -> str:
        return self.batch.campaign.path

    def pending(self, part: Part) -> bool:
        """Started and not done."""
        return part.actual_start is not None and part.current_phase < self.phases


# ---------------------------------------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------------------------------------


def _phase_overdue(w: World, rule: WarningSpec) -> Finding:
    days = int(rule.params.get("days", 1))
    late = PlanPhase.objects.filter(
        participation__batch=w.batch,
        participation__current_phase__lt=w.phases,
        phase=F("participation__current_phase"),
        end__lte=w.today - timedelta(days=days),
    ).values_list("participation_id", "phase", "end")
    return {
        pid: {**w.phase(k), "end": end.isoformat(), "days": (w.today - end).days}
        for pid, k, end in late.iterator(10_000)
        if pid in w.parts
    }


def _latest(model: Any, field_name: str, ids: Sequence[int]) -> dict[int, datetime]:
    """The latest ``field_name`` per participation among ``ids`` (chunks over the participation index)."""
    out: dict[int, datetime] = {}
    for i in range(0, len(ids), ID_CHUNK):
        rows = (
            model.objects.filter(participation_id__in=ids[i : i + ID_CHUNK])
            .values("participation_id")
            .annotate(last=Max(field_name))
            .order_by()
            .values_list("participation_id", "last")
        )
        out.update(rows)
    return out


# What counts as a unit's recorded work (the stalled rule): never how many, only the latest.
ACTIVITY = (
    (ActionDone, "done_at"),
    (Material, "uploaded_at"),
    (Meeting, "recorded_at"),
    (Review, "submitted_at"),
)


def _stalled(w: World, rule: WarningSpec) -> Finding:
    """Two passes: the participations with any record since the cutoff (a scan of each table's recent rows,
    no join), then the latest record of the rest of those in progress (by the participation index)."""
    days = int(rule.params.get("days", 14))
    cutoff_day = w.today - timedelta(days=days)
    cutoff = timezone.make_aware(datetime.combine(cutoff_day + timedelta(days=1), time.min))
    active: set[int] = set()
    for model, name in ACTIVITY:
        active.update(
            model.objects.filter(**{f"{name}__gte": cutoff})
            .values_list("participation_id", flat=True)
            .distinct()
        )
    candidates = []
    for part in w.parts.values():
        if not w.pending(part) or part.gate == GateState.OPEN or part.id in active:
            continue
        opened = w.actuals.get(part.id, {}).get(part.current_phase)
        if opened is not None and opened[0] > cutoff_day:
            continue  # the phase opened within the period
        candidates.append(part.id)
    last: dict[int, date] = {}
    for model, name in ACTIVITY:
        for pid, when in _latest(model, name, candidates).items():
            day = timezone.localdate(when)
            last[pid] = max(day, last.get(pid, day))
    out: Finding = {}
    for pid in candidates:
        part = w.parts[pid]
        opened = w.actuals.get(pid, {}).get(part.current_phase)
        seen = max(
            (d for d in (last.get(pid), opened[0] if opened else None, part.actual_start) if d), default=None
        )
        if seen is not None and seen > cutoff_day:
            continue
        out[pid] = {
            **w.phase(part.current_phase),
            "last": seen.isoformat() if seen else None,
            "days": (w.today - seen).days if seen else None,
        }
    return out


def _too_fast(w: World, rule: WarningSpec) -> Finding:
    least = {w.spec.phase_index(k): int(n) for k, n in (rule.params.get("min_days") or {}).items() if n}
    out: Finding = {}
    for pid, actuals in w.actuals.items():
        if pid not in w.parts:
            continue
        for k in sorted(actuals, reverse=True):  # the latest phase that went too fast
            start, end = actuals[k]
            if end is None or k not in least or (pid, k) in w.overrides:
                continue
            elapsed = (end - start).days + 1
            if elapsed < least[k]:
                out[pid] = {
                    **w.phase(k),
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "days": elapsed,
                    "min_days": least[k],
                }
                break
    return out


def leaders(parts: Iterable[Part]) -> dict[int, Part]:
    """participation id → its leadership body's participation (``campaigns.services.leader_of``, for every
    participation at once): the nearest territorial unit above it taking part in the same batch."""
    parts = list(parts)
    bodies = {p.unit_id: p for p in parts if p.kind in TERRITORIAL_KINDS}
    out: dict[int, Part] = {}
    for p in parts:
        for end in range(len(p.path) - SEGMENT_WIDTH, 0, -SEGMENT_WIDTH):
            body = bodies.get(segment_id(p.path[end - SEGMENT_WIDTH : end]))
            if body is not None:
                out[p.id] = body
                break
    return out


def _ahead_of_leader(w: World, rule: WarningSpec) -> Finding:
    wanted = [w.spec.phase_index(k) for k in rule.params.get("phases") or []]
    count_overrides = bool(rule.params.get("count_overrides", False))
    if not wanted:
        return {}
    bodies = leaders(w.parts.values())
    found: Finding = {}
    for pid, body in bodies.items():
        mine, theirs = w.actuals.get(pid, {}), w.actuals.get(body.id, {})
        for k in sorted(wanted, reverse=True):
            end = mine.get(k, (None, None))[1]
            if end is None or ((pid, k) in w.overrides and not count_overrides):
                continue
            passed = theirs.get(k, (None, None))[1]
            if passed is None or passed > end:
                found[pid] = {
                    **w.phase(k),
                    "end": end.isoformat(),
                    "leader": body.unit_id,
                    "leader_end": passed.isoformat() if passed else None,
                }
                break
    names = dict(Unit.objects.filter(pk__in={d["leader"] for d in found.values()}).values_list("pk", "name"))
    for detail in found.values():
        detail["leader_name"] = names.get(detail["leader"], "")
    return found


def _returned_twice(w: World, rule: WarningSpec) -> Finding:
    times = int(rule.params.get("times", 2))
    rows = (
        Review.objects.filter(campaign_id=w.batch.campaign_id, decision=Decision.RETURN)
        .values("participation_id", "phase")
        .annotate(n=Count("id"))
        .filter(n__gte=times)
        .order_by()
        .values_list("participation_id", "phase", "n")
    )
    out: Finding = {}
    for pid, k, n in rows:
        if pid in w.parts and n > out.get(pid, {}).get("times", 0):
            out[pid] = {**w.phase(k), "times": n}
    return out


def _no_opinions(w: World, rule: WarningSpec) -> Finding:
    key = str(rule.params.get("phase") or w.spec.phases[0].key)
    k = w.spec.phase_index(key)
    heard = set(
        LedgerCount.objects.filter(
            path__gte=w.root, path__lt=w.root + UPPER_BOUND, kind=CountKind.OPINION, n__gt=0
        ).values_list("path", flat=True)
    )
    planned = dict(
        PlanPhase.objects.filter(participation__batch=w.batch, phase=k, end__lt=w.today).values_list(
            "participation_id", "end"
        )
    )
    out: Finding = {}
    for part in w.parts.values():
        if part.path in heard:
            continue
        closed = part.current_phase > k
        if closed:
            end = w.actuals.get(part.id, {}).get(k, (None, None))[1]
            out[part.id] = {**w.phase(k), "closed": True, "end": end.isoformat() if end else None}
        elif part.id in planned:
            out[part.id] = {**w.phase(k), "closed": False, "end": planned[part.id].isoformat()}
    return out


def _tasks_overdue(w: World, rule: WarningSpec) -> Finding:
    days = int(rule.params.get("days", 0))
    rows = (
        Task.objects.filter(
            path__gte=w.root,
            path__lt=w.root + UPPER_BOUND,
            status__in=UNFINISHED,
            deadline__lt=w.today - timedelta(days=days),
            problem__campaign_id=w.batch.campaign_id,
        )
        .values("path")
        .annotate(n=Count("id"), oldest=Min("deadline"))
        .order_by()
        .values_list("path", "n", "oldest")
    )
    by_path = {p.path: p.id for p in w.parts.values()}
    return {
        by_path[path]: {"count": n, "oldest": oldest.isoformat()}
        for path, n, oldest in rows
        if path in by_path
    }


def _satisfaction_low(w: World, rule: WarningSpec) -> Finding:
    percent = int(rule.params.get("percent") or 0)
    current = Session.objects.filter(
        campaign_id=w.batch.campaign_id, participation__batch=w.batch, current=True
    )
    low = current.filter(satisfied_share__lt=percent / 100) if percent else current.filter(passed=False)
    rows = low.values_list("participation_id", "satisfied_share", "redo_below", "round", "held_on")
    return {
        pid: {
            "share": round(share or 0.0, 4),
            "threshold": percent / 100 if percent else redo_below,
            "round": round_,
            "held_on": held_on.isoformat(),
        }
        for pid, share, redo_below, round_, held_on in rows
    }


def _blind_spots(w: World, rule: WarningSpec) -> Finding:
    least = int(rule.params.get("min", 1))
    rows = Participation.objects.filter(batch=w.batch, unit__blind_here__gte=least).values_list(
        "id", "unit__blind_here"
    )
    return {pid: {"count": n} for pid, n in rows}


RULES: dict[str, Callable[[World, WarningSpec], Finding]] = {
    "phase_overdue": _phase_overdue,
    "stalled": _stalled,
    "too_fast": _too_fast,
    "ahead_of_leader": _ahead_of_leader,
    "returned_twice": _returned_twice,
    "no_opinions": _no_opinions,
    "tasks_overdue": _tasks_overdue,
    "satisfaction_low": _satisfaction_low,
    "blind_spots": _blind_spots,
}


def find(batch: Batch, today: date | None = None) -> dict[str, Finding]:
    """What each rule the campaign runs finds in ``batch``, read only: {rule: {participation: detail}}."""
    world = World(batch, today or timezone.localdate())
    return {rule.key: RULES[rule.key](world, rule) for rule in world.spec.warnings if rule.key in RULES}


# ---------------------------------------------------------------------------------------------------------
# The services
# ---------------------------------------------------------------------------------------------------------


def warnings_refresh(
    *, actor: Actor = None, batch: Batch, today: date | None = None, once: bool = False
) -> dict[str, int]:
    """Run the campaign's rules over ``batch`` and replace its alerts with what they find, in one
    transaction; a unit the same rule had already flagged keeps its ``since``. Returns {rule: units found}
    for every rule the campaign runs (a rule turned off finds nothing and its old alerts go). The day's
    step is recorded (``DailyStep``); with ``once`` a batch already refreshed for ``today`` is left as it
    is (checked under the batch's lock) and what that refresh found is returned."""
    today = today or timezone.localdate()
    campaign = batch.campaign
    require(actor, "plan", campaign.path)
    world = World(batch, today)
    rules = [rule for rule in world.spec.warnings if rule.key in RULES]
    found = {rule.key: RULES[rule.key](world, rule) for rule in rules}
    now = timezone.now()
    with transaction.atomic():
        Batch.objects.select_for_update().filter(pk=batch.pk).first()  # one refresh of a batch at a time
        if once and (done := step_result(today, Step.WARNINGS, batch)) is not None:
            return {str(k): int(v) for k, v in done.get("counts", {}).items()}
        known = {
            (rule, unit): since
            for rule, unit, since in Alert.objects.filter(batch=batch).values_list("rule", "unit_id", "since")
        }
        rows = []
        new = 0
        for key, finding in found.items():
            for pid, detail in finding.items():
                part = world.parts[pid]
                since = known.get((key, part.unit_id))
                new += since is None
                rows.append(
                    (
                        campaign.pk,
                        batch.pk,
                        part.unit_id,
                        part.path,
                        part.level,
                        key,
                        since or today,
                        detail,
                        now,
                    )
                )
        Alert.objects.filter(batch=batch).delete()
        insert_rows(Alert, ALERT_COLUMNS, rows)
        versions.bump(alerts_version(batch.pk))
        counts = {rule.key: len(found[rule.key]) for rule in rules}
        audit.record(
            actor=actor,
            verb=verbs.ALERT_REFRESH,
            obj=batch,
            object_type="campaigns.batch",
            object_repr=f"{campaign.name} · {batch.name} · {today.isoformat()}",
            unit_id=campaign.root_id,
            unit_path=campaign.path,
            after={"campaign": campaign.pk, "batch": batch.pk, "day": today, "counts": counts, "new": new},
        )
        step_mark(today, Step.WARNINGS, batch, {"counts": counts, "new": new})
    return counts


@dataclass
class NotifyResult:
    users: int = 0  # offices told today
    alerts: int = 0  # new alerts (units × rules) they were told of


def office_grants() -> dict[int, list[tuple[int, str]]]:
    """user id → [(unit id, path)] of the grants that let the user plan (the offices, ADR 11)."""
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rows = Grant.objects.filter(role__in=roles_with("plan"), user__is_active=True).values_list(
        "user_id", "unit_id", "unit__path"
    )
    for user, unit, path in rows:
        out[user].append((unit, path))
    return out


def warnings_notify(
    *, actor: Actor = None, batches: Sequence[Batch], today: date | None = None, once: bool = False
) -> NotifyResult:
    """Tell each office (a user who may plan somewhere) whose part of the tree got new warnings today (an
    alert whose ``since`` is today) how many, per rule: one notice per user and day, which the daily digest
    e-mails. The notice is about the user's outermost unit with new warnings (its warnings page). The
    day's step is recorded (``DailyStep``); with ``once`` a day already notified is left alone and what
    was told then is returned."""
    today = today or timezone.localdate()
    result = NotifyResult()
    for batch in batches:
        require(actor, "plan", batch.campaign.path)
    if once and (done := step_result(today, Step.NOTICES)) is not None:
        return NotifyResult(users=int(done.get("users", 0)), alerts=int(done.get("alerts", 0)))
    new = sorted(
        Alert.objects.filter(batch__in=[b.pk for b in batches], since=today).values_list(
            "path", "rule", "batch_id"
        )
    )
    paths = [row[0] for row in new]
    names: dict[str, str] = {}
    for batch in batches:
        for w in batch.campaign.spec.warnings:
            names.setdefault(w.key, str(w.name))
    key = f"alerts:{today.isoformat()}"
    offices = office_grants() if new else {}  # no new warnings: nobody to tell, the step is still recorded
    with transaction.atomic():
        for user, grants in sorted(offices.items()):
            units = {path: unit for unit, path in grants}
            counts: Counter[str] = Counter()
            top: tuple[int, str] | None = None
            for path in sorted(collapse(units), key=lambda p: (len(p), p)):  # the outermost grants
                lo, hi = bisect.bisect_left(paths, path), bisect.bisect_left(paths, path + UPPER_BOUND)
                if hi > lo:
                    counts.update(row[1] for row in new[lo:hi])
                    top = top or (units[path], path)
            if not counts or top is None:
                continue
            n = sum(counts.values())
            listed = "、".join(
                f"{names.get(rule, rule)} {counts[rule]}" for rule in WARNING_RULES if rule in counts
            )
            text = _(
                "预警提醒：您负责的范围内今天新增 %(n)d 条预警（%(rules)s），请到调度看板的“预警”查看。"
            ) % {
                "n": n,
                "rules": listed,
            }
            unit = Unit(pk=top[0], path=top[1])
            if notify([user], kind=NotificationKind.ALERT, text=text, target=unit, key=key):
                result.users += 1
                result.alerts += n
        if result.users:
            audit.record(
                actor=actor,
                verb=verbs.ALERT_NOTIFY,
                object_type="core.notification",
                object_repr=today.isoformat(),
                after={"day": today, "users": result.users, "alerts": result.alerts},
            )
        step_mark(today, Step.NOTICES, None, {"users": result.users, "alerts": result.alerts})
    return result


# ---------------------------------------------------------------------------------------------------------
# The sentence of an alert
# ---------------------------------------------------------------------------------------------------------


def _day(value: str | None, today: date) -> str:
    if not value:
        return "—"
    d = date.fromisoformat(value)
    if d.year == today.year:
        return _("%(m)d月%(d)d日") % {"m": d.month, "d": d.day}
    return _("%(y)d年%(m)d月%(d)d日") % {"y": d.year, "m": d.month, "d": d.day}


def describe(rule: str, detail: dict[str, Any], today: date | None = None) -> str:
    """What an alert says, in words, from its ``detail`` (e.g. "“学习教育、听取意见”计划 4月10日结束，已逾期
    12 天")."""
    today = today or timezone.localdate()
    d = detail
    phase = d.get("phase_name", "")
    if rule == "phase_overdue":
        return _("“%(phase)s”计划 %(end)s结束，已逾期 %(days)d 天") % {
            "phase": phase,
            "end": _day(d.get("end"), today),
            "days": d.get("days", 0),
        }
    if rule == "stalled":
        return _(
            "“%(phase)s”进行中，自 %(last)s起已 %(days)d 天没有新的工作记录（规定动作、材料、会议或提交）"
        ) % {
            "phase": phase,
            "days": d.get("days") or 0,
            "last": _day(d.get("last"), today),
        }
    if rule == "too_fast":
        return _("“%(phase)s”%(start)s开始、%(end)s结束，只用了 %(days)d 天，少于至少 %(min)d 天的要求") % {
            "phase": phase,
            "start": _day(d.get("start"), today),
            "end": _day(d.get("end"), today),
            "days": d.get("days", 0),
            "min": d.get("min_days", 0),
        }
    if rule == "ahead_of_leader":
        said = {
            "phase": phase,
            "end": _day(d.get("end"), today),
            "leader": d.get("leader_name", ""),
            "leader_end": _day(d.get("leader_end"), today),
        }
        if d.get("leader_end"):
            return _("%(end)s通过“%(phase)s”，早于领导班子“%(leader)s”（%(leader_end)s通过）") % said
        return _("%(end)s通过“%(phase)s”，领导班子“%(leader)s”至今尚未通过") % said
    if rule == "returned_twice":
        return _("“%(phase)s”已被打回 %(times)d 次") % {"phase": phase, "times": d.get("times", 0)}
    if rule == "no_opinions":
        said = {"phase": phase, "end": _day(d.get("end"), today)}
        if d.get("closed"):
            return _("“%(phase)s”已结束（%(end)s），台账中没有群众意见") % said
        return _("“%(phase)s”计划 %(end)s结束，台账中还没有群众意见") % said
    if rule == "tasks_overdue":
        return _("%(n)d 项整改任务超过完成时限（最早的 %(oldest)s到期）") % {
            "n": d.get("count", 0),
            "oldest": _day(d.get("oldest"), today),
        }
    if rule == "satisfaction_low":
        return _("%(day)s第 %(round)d 轮满意度测评满意率 %(share)s，低于 %(threshold)s") % {
            "day": _day(d.get("held_on"), today),
            "round": d.get("round", 1),
            "share": _percent(d.get("share")),
            "threshold": _percent(d.get("threshold")),
        }
    if rule == "blind_spots":
        return _("有 %(n)d 名党员未纳入任何单位的活动（盲点）") % {"n": d.get("count", 0)}
    return ""


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def explain(rule: WarningSpec, spec: Spec) -> str:
    """What a rule finds, with the campaign's parameters, in words (the warnings page says it)."""
    p = rule.params
    names = {ph.key: ph.name for ph in spec.phases}
    if rule.key == "phase_overdue":
        return _("当前环节超过计划结束日期 %(days)d 天及以上仍未结束") % {"days": p.get("days", 1)}
    if rule.key == "stalled":
        return _("进行中，连续 %(days)d 天没有记录规定动作、材料、会议或提交（等待督导组审核的除外）") % {
            "days": p.get("days", 14)
        }
    if rule.key == "too_fast":
        least = "、".join(
            _("%(phase)s %(n)d 天") % {"phase": names.get(k, k), "n": n}
            for k, n in (p.get("min_days") or {}).items()
        )
        return _("环节实际用时少于最少天数（%(least)s），且没有上级准予先行") % {"least": least or "—"}
    if rule.key == "ahead_of_leader":
        phases = "、".join(names.get(k, k) for k in p.get("phases") or [])
        if p.get("count_overrides"):
            return _("早于本单位的领导班子通过“%(phases)s”（经上级准予先行的也列出）") % {
                "phases": phases or "—"
            }
        return _("早于本单位的领导班子通过“%(phases)s”（经上级准予先行的除外）") % {"phases": phases or "—"}
    if rule.key == "returned_twice":
        return _("同一环节被打回 %(times)d 次及以上") % {"times": p.get("times", 2)}
    if rule.key == "no_opinions":
        phase = names.get(str(p.get("phase")), str(p.get("phase") or ""))
        return _("“%(phase)s”已结束或已过计划结束日期，台账中仍没有群众意见") % {"phase": phase}
    if rule.key == "tasks_overdue":
        if p.get("days"):
            return _("本单位未销号的整改任务超过完成时限 %(days)d 天以上") % {"days": p["days"]}
        return _("本单位有未销号的整改任务超过完成时限")
    if rule.key == "satisfaction_low":
        if p.get("percent"):
            return _("本单位当前的满意度测评结果低于 %(n)d%%") % {"n": p["percent"]}
        return _("本单位当前的满意度测评结果低于补课线（%(share)s）") % {
            "share": _percent(spec.evaluation["redo_below"])
        }
    if rule.key == "blind_spots":
        return _("本单位有 %(n)d 名及以上党员未纳入任何单位的活动（盲点）") % {"n": p.get("min", 1)}
    return ""
