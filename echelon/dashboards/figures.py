"""The dashboard's figures for one unit's subtree in one batch, per child unit (ADR 16).

Everything is read live from what the apps below keep current with every write, so a village's submission
shows at the region in the next request:

- the participations' rollup (``campaigns.progress``: per unit, its subtree's participations by current
  phase, started or not and gate, and by the dates compared with today), kept in the transaction of every
  write of a participation's summary: the units by state and by phase, plan against actual, the current
  phase overdue, submissions waiting longer than the due days, units that reached the evaluation;
- the supervision assignments (coverage, cached on the coverage version);
- the evaluation's current results and remedial rounds (cached on the results version the evaluation
  services bump with every closing and decision);
- the ledger's rollup counters and its unfinished tasks past their deadline (a covering index);
- the registry's member rollups; the early warnings found by the daily job.

A region reads a few hundred counter rows per table; the other figures are one indexed range scan grouped
by the child's path prefix (``substr(path, 1, len + 5)``: every path segment has the same width). The
denominators are the units taking part in the batch (the registry's), never the units that happened to
report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from echelon.campaigns.models import Batch, GateState, ProgressCount, ProgressDay
from echelon.core import versions
from echelon.core.tree import SEGMENT_WIDTH, per_child, under
from echelon.dashboards.models import Alert, alerts_version
from echelon.evaluation.models import Redo, Session, results_version
from echelon.evaluation.selectors import REDO_OPEN
from echelon.ledger.models import UNFINISHED, CountKind, LedgerCount, ProblemStatus, Task, TaskStatus
from echelon.orgs.models import Unit
from echelon.supervision.models import GroupAssignment
from echelon.supervision.selectors.coverage import coverage_version
from echelon.supervision.selectors.gates import review_due_days


@dataclass(frozen=True)
class Measure:
    key: str
    label: Any
    group: str  # progress | gate | supervision | evaluation | ledger | members
    units: bool = True  # a count of units (it drills down to the units behind it)
    percent_of: str = ""  # shown as a share of this measure too (the map's measures)
    share_label: Any = ""  # the share's own name, when it is not "<label> %"


# The fixed measures; the phases add ``phase:<key>`` (units whose current phase it is).
MEASURES: tuple[Measure, ...] = (
    Measure("units", _("参与单位"), "progress"),
    Measure("not_started", _("未开始"), "progress", percent_of="units"),
    Measure("started", _("已开始"), "progress", percent_of="units"),
    Measure("planned_started", _("按计划应开始"), "progress", percent_of="units"),
    Measure("done", _("全部环节通过"), "progress", percent_of="units"),
    Measure("planned_done", _("按计划应完成"), "progress", percent_of="units"),
    Measure("overdue", _("当前环节逾期"), "progress", percent_of="units"),
    Measure("in_progress", _("进行中"), "gate", percent_of="units"),
    Measure("open", _("已提交待审核"), "gate", percent_of="units"),
    Measure("return", _("被打回"), "gate", percent_of="units"),
    Measure("interview", _("约谈"), "gate", percent_of="units"),
    Measure("redo", _("返工"), "gate", percent_of="units"),
    Measure("reviews_overdue", _("审核超期"), "supervision", percent_of="units"),
    Measure("covered", _("有督导组负责"), "supervision", percent_of="units"),
    Measure("alerts", _("预警"), "supervision", units=False),
    # The satisfaction evaluation (ADR 17): units that reached its phase, evaluated (a closed round is their
    # current result), below the threshold, in a remedial round (补课, open or waiting for the group); the
    # satisfied votes of the current results over all their votes (满意率).
    Measure("eval_due", _("应测评"), "evaluation", percent_of="units"),
    Measure("evaluated", _("已测评"), "evaluation", percent_of="eval_due"),
    Measure(
        "satisfied_votes",
        _("满意票"),
        "evaluation",
        units=False,
        percent_of="total_votes",
        share_label=_("满意率"),
    ),
    Measure("total_votes", _("测评票数"), "evaluation", units=False),
    Measure("eval_below", _("满意度未达标"), "evaluation", percent_of="evaluated"),
    Measure("redo_open", _("补课中"), "evaluation", percent_of="units"),
    Measure("opinions", _("群众意见"), "ledger", units=False),
    Measure("problems", _("问题"), "ledger", units=False),
    Measure("problems_done", _("问题已销号"), "ledger", units=False, percent_of="problems"),
    Measure("tasks", _("整改任务"), "ledger", units=False),
    Measure("tasks_verified", _("任务已销号"), "ledger", units=False, percent_of="tasks"),
    Measure("tasks_overdue", _("任务逾期"), "ledger", units=False),
    Measure("members", _("党员"), "members", units=False),
    Measure("mobile", _("流动党员"), "members", units=False),
    Measure("blind", _("未纳入活动的党员"), "members", units=False),
)
GATE_STATES = ("in_progress", "open", "return", "interview", "redo")
_GATE_KEYS: dict[str, str] = {
    GateState.OPEN.value: "open",
    GateState.RETURN.value: "return",
    GateState.INTERVIEW.value: "interview",
    GateState.REDO.value: "redo",
}


@dataclass
class Row:
    """One child unit (``unit`` None: the focus unit's own participation, 本级) and its figures."""

    path: str
    unit: Unit | None
    values: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __getitem__(self, key: str) -> int:
        return self.values.get(key, 0)


@dataclass
class Board:
    batch: Batch
    focus: Unit
    today: date
    phases: list[tuple[str, str]]  # (key, name)
    total: Row
    rows: list[Row]  # the focus's own row first (when it takes part), then the children by path

    @property
    def measures(self) -> list[Measure]:
        return board_measures(self.phases)


def board_measures(phases: list[tuple[str, str]]) -> list[Measure]:
    """The fixed measures and, per phase, the units whose current phase it is."""
    return [*MEASURES, *(Measure(f"phase:{k}", name, "phase", percent_of="units") for k, name in phases)]


def evaluation_phase(batch: Batch) -> int | None:
    """The index of the template's evaluation phase (``evaluation: phase``), None if it names none."""
    spec = batch.campaign.spec
    try:
        return spec.phase_index(spec.evaluation["phase"])
    except KeyError:
        return None


def unit_filter(
    key: str, phases: list[tuple[str, str]], today: date, eval_phase: int | None = None
) -> Q | None:
    """The participations a unit measure counts (one definition for the figure and its drill-down); None
    for a key that is not a count of units from the participation rows. ``eval_phase``: the evaluation's
    phase (``evaluation_phase``), for ``eval_due``."""
    n = len(phases)
    done = Q(current_phase__gte=n)
    started = Q(actual_start__isnull=False)
    pending = started & ~done
    fixed = {
        "units": Q(),
        "started": started,
        "not_started": ~started,
        "planned_started": Q(planned_start__lte=today),
        "done": done,
        "planned_done": Q(planned_end__lt=today),
        "in_progress": pending & Q(gate=GateState.NONE),
        "open": pending & Q(gate=GateState.OPEN),
        "return": pending & Q(gate=GateState.RETURN),
        "interview": pending & Q(gate=GateState.INTERVIEW),
        "redo": pending & Q(gate=GateState.REDO),
    }
    if key in fixed:
        return fixed[key]
    for k, (phase_key, _name) in enumerate(phases):
        if key == f"phase:{phase_key}":
            return pending & Q(current_phase=k)
    if key == "overdue":
        return ~done & Q(current_due__lt=today)
    if key == "reviews_overdue":
        return pending & Q(gate=GateState.OPEN, gate_at__lt=today - timedelta(days=review_due_days()))
    if key == "covered":  # a supervision group (or an instructor) answers for it
        return Q(pk__in=GroupAssignment.objects.values("participation_id"))
    if key == "eval_due":
        return None if eval_phase is None else started & Q(current_phase__gte=eval_phase)
    if key == "evaluated":
        return Q(pk__in=Session.objects.filter(current=True).values("participation_id"))
    if key == "eval_below":
        return Q(pk__in=Session.objects.filter(current=True, passed=False).values("participation_id"))
    if key == "redo_open":
        return Q(pk__in=Redo.objects.filter(status__in=REDO_OPEN).values("participation_id"))
    return None


def _participation_figures(
    batch: Batch,
    root: str,
    width: int,
    today: date,
    phases: list[tuple[str, str]],
    eval_phase: int | None = None,
) -> dict[str, dict]:
    """The unit measures of ``unit_filter`` per child of ``root`` (paths ``width`` long; with ``root`` "",
    per unit at that depth), from the participations' rollup (``campaigns.progress``): each child's counters
    hold its whole subtree; the root's own participation (本级) is the root's counters less its children's.
    The same counts as ``unit_filter`` over the participation rows (``test_progress.py`` checks it)."""
    n = len(phases)
    depth = width // SEGMENT_WIDTH
    where = Q(batch=batch) & (Q(depth__in=[depth - 1, depth]) & under(root) if root else Q(depth=depth))
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    states = ProgressCount.objects.filter(where).values_list("path", "phase", "started", "gate", "n")
    for path, phase, started, gate, count in states:
        if not count:
            continue
        values = out[path]
        values["units"] += count
        values["started" if started else "not_started"] += count
        if started and eval_phase is not None and phase >= eval_phase:
            values["eval_due"] += count
        if phase >= n:
            values["done"] += count
        elif started:
            values[_GATE_KEYS.get(gate, "in_progress")] += count
            values[f"phase:{phases[phase][0]}"] += count
    late_review = today - timedelta(days=review_due_days())
    counted = {  # field: (measure, the days it counts)
        "planned_start": ("planned_started", lambda d: d <= today),
        "planned_end": ("planned_done", lambda d: d < today),
        "due": ("overdue", lambda d: d < today),
        "open_since": ("reviews_overdue", lambda d: d < late_review),
    }
    # Summed here, not by a GROUP BY path (which would walk the unique index over the whole subtree).
    days = ProgressDay.objects.filter(where).values_list("path", "field", "day", "n")
    for path, name, day, count in days:
        if path in out and count:
            key, counts = counted[name]
            if counts(day):
                out[path][key] += count
    if root and root in out:  # the root's own participation: its subtree less its children's
        own = out.pop(root)
        for values in out.values():
            for key, value in values.items():
                own[key] -= value
        if own["units"]:
            out[root] = own
    return dict(out)


def _supervision(batch: Batch, root: str, width: int) -> list[dict[str, dict]]:
    """Coverage (cached until an assignment of the campaign changes: the supervision services bump its
    version) and the early warnings (cached until the batch's next refresh, which bumps theirs)."""
    assigned = GroupAssignment.objects.filter(under(root), campaign_id=batch.campaign_id).filter(
        participation__batch=batch
    )

    def coverage() -> dict[str, dict]:
        return per_child(assigned, width, covered=Count("participation_id", distinct=True))

    def alerts() -> dict[str, dict]:
        return per_child(Alert.objects.filter(under(root), batch=batch), width, alerts=Count("id"))

    key = f"dashboard:{batch.pk}:{root}:{width}"
    return [
        versions.cached(coverage_version(batch.campaign_id), key, coverage),
        versions.cached(alerts_version(batch.pk), key, alerts),
    ]


def _evaluation(batch: Batch, root: str, width: int) -> dict[str, dict]:
    """The evaluation's figures per child of ``root`` in ``batch`` (the current results and the remedial
    rounds), cached under the campaign's results version: the evaluation services bump it in the
    transaction of every closing and redo decision, so the next read after one recomputes them."""

    def compute() -> dict[str, dict]:
        where = Q(campaign_id=batch.campaign_id, participation__batch=batch) & (under(root) if root else Q())
        results = per_child(
            Session.objects.filter(where, current=True),
            width,
            evaluated=Count("id"),
            satisfied_votes=Sum("satisfied_votes"),
            total_votes=Sum("total_votes"),
            eval_below=Count("id", filter=Q(passed=False)),
        )
        redos = per_child(
            Redo.objects.filter(where, status__in=REDO_OPEN),
            width,
            redo_open=Count("participation_id", distinct=True),
        )
        out: dict[str, dict] = defaultdict(dict)
        for part in (results, redos):
            for path, values in part.items():
                out[path].update({k: int(v or 0) for k, v in values.items()})
        return dict(out)

    key = f"dashboard:evaluation:{batch.pk}:{root}:{width}"
    return versions.cached(results_version(batch.campaign_id), key, compute)


LEDGER_MEASURES = {
    (CountKind.OPINION, None): "opinions",
    (CountKind.PROBLEM, None): "problems",
    (CountKind.PROBLEM, ProblemStatus.DONE): "problems_done",
    (CountKind.TASK, None): "tasks",
    (CountKind.TASK, TaskStatus.VERIFIED): "tasks_verified",
}


def _ledger(paths: list[str], focus: str, width: int, today: date, own: bool) -> dict[str, dict]:
    """From the ledger's counters of each subtree at ``paths``; with ``own`` the focus's own rows are its
    counter minus its children's (the counters hold whole subtrees)."""
    out: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    rows = LedgerCount.objects.filter(
        path__in=[*paths, focus], kind__in=[CountKind.OPINION, CountKind.PROBLEM, CountKind.TASK], n__gt=0
    ).values_list("path", "kind", "status", "n")
    for path, kind, status, n in rows:
        for (k, s), key in LEDGER_MEASURES.items():
            if k == kind and s in (None, status):
                out[path][key] += n
    if own:
        for key in LEDGER_MEASURES.values():
            out[focus][key] -= sum(out[p][key] for p in paths)
    else:
        out.pop(focus, None)
    late = Task.objects.filter(under(focus), status__in=UNFINISHED, deadline__lt=today)
    for path, values in per_child(late, width, tasks_overdue=Count("id")).items():
        out[path]["tasks_overdue"] = values["tasks_overdue"]
    return out


def _members(units: dict[str, Unit], focus: Unit | None) -> dict[str, dict]:
    """The registry's rollups: each unit's subtree; the focus's own members (本级)."""
    out = {
        path: {"members": u.sub_members, "mobile": u.sub_mobile, "blind": u.sub_blind}
        for path, u in units.items()
    }
    if focus is not None:
        out[focus.path] = {
            "members": focus.members_here,
            "mobile": focus.mobile_here,
            "blind": focus.blind_here,
        }
    return out


def board(batch: Batch, focus: Unit, today: date | None = None) -> Board:
    """The figures of ``focus``'s subtree in ``batch``: a row per child unit taking part (the focus's own
    participation as the first row, 本级) and the total."""
    today = today or timezone.localdate()
    phases = [(p.key, p.name) for p in batch.campaign.spec.phases]
    merged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def merge(figures: dict[str, dict]) -> None:
        for path, values in figures.items():
            for key, value in values.items():
                merged[path][key] += value

    width = len(focus.path) + SEGMENT_WIDTH
    merge(_participation_figures(batch, focus.path, width, today, phases, evaluation_phase(batch)))
    children = [p for p in merged if p != focus.path]
    units = Unit.objects.in_bulk(children, field_name="path") if children else {}
    for part in [*_supervision(batch, focus.path, width), _evaluation(batch, focus.path, width)]:
        merge({path: values for path, values in part.items() if path in merged})
    ledger = _ledger(children, focus.path, width, today, own=focus.path in merged)
    members = _members(units, focus)
    for path in list(merged):
        merge({path: ledger.get(path, {})})
        merge({path: members.get(path, {})})
    for values in merged.values():  # the rows that only some tables had get every measure
        for m in board_measures(phases):
            values.setdefault(m.key, 0)
    rows = [
        Row(path, units.get(path) if path != focus.path else None, merged[path]) for path in sorted(merged)
    ]
    total = Row(focus.path, focus)
    for row in rows:
        for key, value in row.values.items():
            total.values[key] += value
    return Board(batch=batch, focus=focus, today=today, phases=phases, total=total, rows=rows)


def totals(batch: Batch, unit: Unit, today: date | None = None) -> dict[str, int]:
    """The flat figures of ``unit``'s subtree (what a meeting freezes, a report pre-fills, a snapshot
    keeps): {measure key: number}."""
    return dict(board(batch, unit, today).total.values)


def subtree_totals(
    batch: Batch, depth: int, today: date | None = None, only: set[str] | None = None
) -> dict[str, dict[str, int]]:
    """The flat figures of the subtree of every unit at ``depth`` taking part in ``batch`` (or with units
    below it taking part), set-based: each table is read once for all of them (the daily snapshot); with
    ``only``, of those paths alone (the ledger's counters and the units are read for them only)."""
    today = today or timezone.localdate()
    phases = [(p.key, p.name) for p in batch.campaign.spec.phases]
    width = depth * SEGMENT_WIDTH
    merged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    parts = [
        _participation_figures(batch, "", width, today, phases, evaluation_phase(batch)),
        *_supervision(batch, "", width),
        _evaluation(batch, "", width),
    ]
    for part in parts:
        for path, values in part.items():
            if len(path) == width and (only is None or path in only):
                for key, value in values.items():
                    merged[path][key] += value
    paths = sorted(merged)
    ledger = _ledger(paths, "", width, today, own=False)
    members = _members(Unit.objects.in_bulk(paths, field_name="path") if paths else {}, None)
    out = {}
    for path in paths:
        values = merged[path]
        for source in (ledger.get(path, {}), members.get(path, {})):
            for key, value in source.items():
                values[key] += value
        out[path] = {m.key: values.get(m.key, 0) for m in board_measures(phases)}
    return out
