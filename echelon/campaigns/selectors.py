"""Reads that are more than a queryset method: scoped lookups, plan vs actual per level, the Gantt's rows,
a unit's own plan, the export rows. Every figure is computed over ``visible_to(user)``: an office sees its
subtree, a village secretary their village."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.campaigns import explain
from echelon.campaigns.models import (
    Baseline,
    BaselinePhase,
    Campaign,
    Participation,
    ParticipationQuerySet,
    PhaseActual,
    PlanPhase,
)
from echelon.campaigns.specs import ActionSpec, Spec
from echelon.core.actors import Actor
from echelon.core.permissions import allowed
from echelon.core.querysets import scope_paths
from echelon.core.tree import ancestor_ids, is_within
from echelon.orgs.models import TERRITORIAL_KINDS, Kind, Level, Unit

PER_PAGE = 50
MAX_GROUPS = 200


def campaigns_for(user: Actor) -> QuerySet[Campaign]:
    return Campaign.objects.visible_to(user).select_related("root").prefetch_related("batches")


def campaign_for(user: Actor, pk: int | str) -> Campaign:
    """The campaign if the user's subtree overlaps it; 404 otherwise. ``units_seen`` is set: the figure a
    page may show (the caller's part only)."""
    campaign = get_object_or_404(campaigns_for(user), pk=pk)
    with_units_seen(user, [campaign])
    return campaign


def sees_whole(user: Actor, campaign: Campaign) -> bool:
    """The user's view covers the campaign's root: campaign-wide figures are theirs to see."""
    return allowed(user, "view", campaign.path)


def with_units_seen(user: Actor, campaigns: Sequence[Campaign]) -> Sequence[Campaign]:
    """Set ``units_seen`` on each campaign and its batches: the stored totals for a user who sees the
    whole campaign, otherwise the participations in the user's part (one GROUP BY for all of them)."""
    partial = [c for c in campaigns if not sees_whole(user, c)]
    counts: dict[tuple[int, int], int] = {}
    if partial:
        rows = (
            Participation.objects.visible_to(user)
            .filter(campaign__in=[c.pk for c in partial])
            .order_by()
            .values("campaign_id", "batch_id")
            .annotate(n=Count("id"))
        )
        counts = {(r["campaign_id"], r["batch_id"]): r["n"] for r in rows}
    for c in campaigns:
        batches = sorted(c.batches.all(), key=lambda b: b.ordinal)  # prefetched by campaigns_for
        whole = c not in partial
        for b in batches:
            b.units_seen = b.participations_count if whole else counts.get((c.pk, b.pk), 0)  # type: ignore[attr-defined]
        c.units_seen = c.participations_count if whole else sum(b.units_seen for b in batches)  # type: ignore[attr-defined]
        c.batches_seen = batches  # type: ignore[attr-defined]
    return campaigns


def can_manage(user: Actor, campaign: Campaign) -> bool:
    """Schedule, what-if, publish: an office at or above the campaign's root (``plan``, ADR 11)."""
    return allowed(user, "plan", campaign.path)


def participations(user: Actor, campaign: Campaign, action: str = "view") -> ParticipationQuerySet:
    return Participation.objects.visible_to(user, action).filter(campaign=campaign)


def participation_for(user: Actor, campaign: Campaign, code: str) -> Participation:
    return get_object_or_404(
        participations(user, campaign).select_related("unit", "batch", "campaign"), unit__code=code
    )


def level_label(spec: Spec, level: int) -> str:
    return spec.level_name(level) or (str(Level(level).label) if level in Level.values else str(level))


def kind_label(kind: str) -> str:
    return str(Kind(kind).label) if kind in Kind.values else kind


# ---------------------------------------------------------------------------------------------------------
# Plan vs actual
# ---------------------------------------------------------------------------------------------------------


def _reference_before(day: date) -> Q:
    """The reference start (baseline, else plan) lies before ``day``."""
    return Q(baseline_start__lt=day) | Q(baseline_start__isnull=True, planned_start__lt=day)


def level_progress(
    campaign: Campaign, qs: QuerySet[Participation], today: date | None = None
) -> list[dict[str, Any]]:
    """Per level: units, started, started late, median and worst delay (days, among the late), finished,
    and not started although the reference start has passed. One GROUP BY, plus one indexed lookup per
    level for the median."""
    today = today or timezone.localdate()
    spec = campaign.spec
    rows = (
        qs.order_by()
        .values("level")
        .annotate(
            units=Count("id"),
            planned=Count("id", filter=Q(planned_start__isnull=False)),
            started=Count("id", filter=Q(actual_start__isnull=False)),
            late=Count("id", filter=Q(start_delay__gt=0)),
            worst=Max("start_delay", filter=Q(start_delay__gt=0)),
            finished=Count("id", filter=Q(actual_end__isnull=False)),
            overdue=Count("id", filter=Q(actual_start__isnull=True) & _reference_before(today)),
        )
        .order_by("level")
    )
    result = []
    for row in rows:
        row = dict(row)
        row["label"] = level_label(spec, row["level"])
        row["median"] = _median_delay(qs.filter(level=row["level"]), row["late"])
        result.append(row)
    return result


def _median_delay(qs: QuerySet[Participation], late: int) -> float | None:
    if not late:
        return None
    ordered = qs.filter(start_delay__gt=0).order_by("start_delay").values_list("start_delay", flat=True)
    if late % 2:
        return float(ordered[late // 2] or 0)
    pair = [v or 0 for v in ordered[late // 2 - 1 : late // 2 + 1]]
    return sum(pair) / 2


def progress_totals(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    keys = ("units", "planned", "started", "late", "finished", "overdue")
    totals: dict[str, Any] = {k: sum(r[k] for r in rows) for k in keys}
    worst = [r["worst"] for r in rows if r["worst"] is not None]
    totals["worst"] = max(worst) if worst else None
    return totals


def replan_rows(user: Actor, campaign: Campaign) -> list[dict[str, Any]]:
    """The stored comparison of the last re-plan with the baseline, per level, labelled: campaign-wide
    figures, so only for a user who sees the whole campaign."""
    if not sees_whole(user, campaign):
        return []
    summary = campaign.replan_summary or {}
    spec = campaign.spec
    return [
        {**row, "level": int(level), "label": level_label(spec, int(level))}
        for level, row in sorted(summary.get("by_level", {}).items(), key=lambda kv: int(kv[0]))
    ]


def comparison_rows(campaign: Campaign, comparison: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not comparison:
        return []
    spec = campaign.spec
    return [
        {**row, "level": int(level), "label": level_label(spec, int(level))}
        for level, row in sorted(comparison.get("by_level", {}).items(), key=lambda kv: int(kv[0]))
    ]


def largest_moves(user: Actor, campaign: Campaign, comparison: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The units that moved most (visible ones only), named."""
    if not comparison:
        return []
    wanted = {row["participation"]: row for row in comparison.get("largest", [])}
    rows = (
        participations(user, campaign)
        .filter(pk__in=list(wanted))
        .values("pk", "unit__code", "unit__name", "level")
    )
    named = [
        {**wanted[r["pk"]], "code": r["unit__code"], "name": r["unit__name"], "level": r["level"]}
        for r in rows
    ]
    named.sort(key=lambda r: (-max(abs(r["start_days"]), abs(r["end_days"])), r["code"]))
    return named


def violations_for(user: Actor, campaign: Campaign) -> list[dict[str, Any]]:
    """Stored violations of every batch, with the first units the user may see named. Their messages
    count units campaign-wide: a user who sees only part of the campaign gets the violations that name a
    unit of theirs, with those units and without the campaign-wide message."""
    result = []
    whole = sees_whole(user, campaign)
    visible = participations(user, campaign)
    for batch in campaign.batches.order_by("ordinal"):
        for violation in batch.violations or []:
            ids = violation.get("unit_ids", [])[:20]
            named = list(visible.filter(pk__in=ids).values_list("unit__code", "unit__name")[:10])
            if whole:
                described = explain.describe(violation, level_name=campaign.spec.level_name)
                result.append({**described, "batch": batch.key, "batch_name": batch.name, "examples": named})
            elif named:
                result.append(
                    {
                        "rule": violation.get("rule", ""),
                        "message": _("计划有未满足的规则，涉及您范围内的单位。"),
                        "suggestion": "",
                        "batch": batch.key,
                        "batch_name": batch.name,
                        "examples": named,
                    }
                )
    return result


# ---------------------------------------------------------------------------------------------------------
# The Gantt
# ---------------------------------------------------------------------------------------------------------


@dataclass
class GanttRow:
    kind: str  # "level", "group" (a territorial unit with its subtree) or "unit"
    label: str
    start: date | None
    end: date | None
    start_last: date | None = None  # aggregate rows: the latest start
    milestone: tuple[date | None, date | None] | None = None
    units: int = 1
    started: int = 0
    late: int = 0
    code: str = ""
    url: str = ""
    phases: list[dict[str, Any]] = field(default_factory=list)
    actual: tuple[date | None, date | None] | None = None
    level: int = 0

    def as_json(self) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "kind": self.kind,
            "label": self.label,
            "start": iso(self.start),
            "end": iso(self.end),
            "start_last": iso(self.start_last),
            "milestone": [iso(self.milestone[0]), iso(self.milestone[1])] if self.milestone else None,
            "units": self.units,
            "started": self.started,
            "late": self.late,
            "code": self.code,
            "url": self.url,
            "phases": self.phases,
            "actual": [iso(self.actual[0]), iso(self.actual[1])] if self.actual else None,
            "level": self.level,
        }


def default_focus(user: Actor, campaign: Campaign) -> Unit:
    """The campaign's root when the user sees it all, else the user's outermost unit inside it."""
    paths = scope_paths(user, "view")
    if paths is None or any(is_within(campaign.path, p) for p in paths):
        return campaign.root
    inside = sorted(p for p in paths if is_within(p, campaign.path))
    if not inside:
        raise Http404
    return Unit.objects.get(path=inside[0])


def focus_for(user: Actor, campaign: Campaign, code: str | None) -> Unit:
    if not code:
        return default_focus(user, campaign)
    unit = get_object_or_404(Unit.objects.visible_to(user).within(campaign.path), code=code)
    if not unit.is_territorial:
        raise Http404
    return unit


def focus_breadcrumb(user: Actor, campaign: Campaign, focus: Unit) -> list[Unit]:
    ids = ancestor_ids(focus.path)
    units = (
        Unit.objects.visible_to(user).within(campaign.path).filter(pk__in=ids).only("code", "name", "path")
    )
    return sorted(units, key=lambda u: len(u.path))


_AGGREGATES = {
    "units": Count("id"),
    "start": Min("planned_start"),
    "start_last": Max("planned_start"),
    "end": Max("planned_end"),
    "m_first": Min("milestone_date"),
    "m_last": Max("milestone_date"),
    "started": Count("id", filter=Q(actual_start__isnull=False)),
    "late": Count("id", filter=Q(start_delay__gt=0)),
}


def _merge(into: dict[int, dict[str, Any]], key: int, row: dict[str, Any]) -> None:
    """Combine one GROUP BY row into the aggregate of ``key`` (counts add up, extremes stay extreme)."""
    current = into.get(key)
    if current is None:
        into[key] = {k: row[k] for k in _AGGREGATES}
        return
    for k in ("units", "started", "late"):
        current[k] += row[k]
    for k, pick in (("start", min), ("m_first", min), ("start_last", max), ("end", max), ("m_last", max)):
        values = [v for v in (current[k], row[k]) if v is not None]
        current[k] = pick(values) if values else None


def _aggregate_row(kind: str, label: str, row: dict[str, Any], **extra: Any) -> GanttRow:
    milestone = (row["m_first"], row["m_last"]) if row["m_first"] else None
    return GanttRow(
        kind=kind,
        label=label,
        start=row["start"],
        end=row["end"],
        start_last=row["start_last"],
        milestone=milestone,
        units=row["units"],
        started=row["started"],
        late=row["late"],
        **extra,
    )


@dataclass
class Gantt:
    focus: Unit
    rows: list[GanttRow]
    page: int
    pages: int
    unit_count: int
    phases: list[dict[str, str]]
    milestone_name: str


def gantt(user: Actor, campaign: Campaign, focus: Unit, page: int = 1, per_page: int = PER_PAGE) -> Gantt:
    """Rows for the timeline at ``focus`` (a territorial unit the user sees):
    aggregate bars per level of its subtree, aggregate bars per territorial unit directly under it (drill
    down), and unit bars for one page of the units of its own level group."""
    from django.urls import reverse

    spec = campaign.spec
    subtree = participations(user, campaign).within(focus.path)
    rows: list[GanttRow] = []
    # One scan: GROUP BY (level, territorial unit under the focus), merged here into per-level rows and
    # per-child rows (a few dozen groups).
    child_level = focus.level + 1
    column = f"lv{child_level}" if child_level <= 5 else None
    keys = ["level", column] if column else ["level"]
    by_level: dict[int, dict[str, Any]] = {}
    by_child: dict[int, dict[str, Any]] = {}
    for row in subtree.order_by().values(*keys).annotate(**_AGGREGATES):
        _merge(by_level, row["level"], row)
        if column and row[column] is not None and row["level"] >= child_level:
            _merge(by_child, row[column], row)
    for level in sorted(by_level):
        rows.append(_aggregate_row("level", level_label(spec, level), by_level[level], level=level))
    if by_child:
        children = Unit.objects.filter(pk__in=list(by_child)[:MAX_GROUPS]).only("code", "name", "level")
        for child in sorted(children, key=lambda u: (by_child[u.pk]["start"] or date.max, u.code)):
            url = reverse("campaigns:gantt", args=[campaign.pk]) + f"?unit={child.code}"
            rows.append(
                _aggregate_row(
                    "group", child.name, by_child[child.pk], code=child.code, url=url, level=child.level
                )
            )

    own = subtree.filter(level=focus.level).order_by("path")
    unit_count = own.count() if page > 1 else None
    offset = (page - 1) * per_page
    members = list(own.select_related("unit")[offset : offset + per_page + 1])
    if unit_count is None:
        unit_count = len(members) if len(members) <= per_page else own.count()
    members = members[:per_page]
    phase_rows: dict[int, list[PlanPhase]] = {}
    for ph in PlanPhase.objects.filter(participation__in=[p.pk for p in members]).order_by(
        "participation", "phase"
    ):
        phase_rows.setdefault(ph.participation_id, []).append(ph)
    names = [p.name for p in spec.phases]
    for p in members:
        phases = [
            {
                "name": names[ph.phase] if ph.phase < len(names) else str(ph.phase),
                "index": ph.phase,
                "start": ph.start.isoformat(),
                "end": ph.end.isoformat(),
            }
            for ph in phase_rows.get(p.pk, [])
        ]
        rows.append(
            GanttRow(
                kind="unit",
                label=p.unit.name,
                start=p.planned_start,
                end=p.planned_end,
                milestone=(p.milestone_date, p.milestone_date) if p.milestone_date else None,
                started=int(p.actual_start is not None),
                late=int((p.start_delay or 0) > 0),
                code=p.unit.code,
                url=reverse("campaigns:unit_plan", args=[campaign.pk, p.unit.code]),
                phases=phases,
                actual=(p.actual_start, p.actual_end) if p.actual_start else None,
                level=p.level,
            )
        )
    pages = max(1, -(-unit_count // per_page))
    milestone = spec.milestone()
    return Gantt(
        focus=focus,
        rows=rows,
        page=page,
        pages=pages,
        unit_count=unit_count,
        phases=[{"key": p.key, "name": p.name} for p in spec.phases],
        milestone_name=milestone[1].name if milestone else "",
    )


# ---------------------------------------------------------------------------------------------------------
# A unit's own plan
# ---------------------------------------------------------------------------------------------------------


@dataclass
class PhasePlanView:
    index: int
    key: str
    name: str
    share: float
    gate: bool
    checks: list[str]
    planned: tuple[date, date] | None
    baseline: tuple[date, date] | None
    actual_start: date | None
    actual_end: date | None
    actions: tuple[ActionSpec, ...]
    milestone: dict[str, Any] | None
    state: str  # "done", "current", "upcoming"

    @property
    def moved(self) -> bool:
        return bool(self.baseline and self.planned and self.baseline != self.planned)


def unit_plan(participation: Participation) -> list[PhasePlanView]:
    campaign = participation.campaign
    spec = campaign.spec
    planned = {p.phase: (p.start, p.end) for p in PlanPhase.objects.filter(participation=participation)}
    baseline_row = Baseline.objects.filter(campaign=campaign).order_by("-number").first()
    baseline = {}
    if baseline_row is not None:
        baseline = {
            b.phase: (b.start, b.end)
            for b in BaselinePhase.objects.filter(baseline=baseline_row, participation=participation)
        }
    actuals = {a.phase: a for a in PhaseActual.objects.filter(participation=participation)}
    views = []
    for n, phase in enumerate(spec.phases):
        actual = actuals.get(n)
        if actual is not None and actual.end is not None:
            state = "done"
        elif n == participation.current_phase and participation.actual_start is not None:
            state = "current"
        else:
            state = "upcoming"
        milestone = None
        if phase.milestone is not None and n in planned:
            day = planned[n][0] if phase.milestone.at == "start" else planned[n][1]
            milestone = {**asdict(phase.milestone), "date": day}
        views.append(
            PhasePlanView(
                index=n,
                key=phase.key,
                name=phase.name,
                share=phase.share,
                gate=phase.gate,
                checks=phase.check_names,
                planned=planned.get(n),
                baseline=baseline.get(n),
                actual_start=actual.start if actual else None,
                actual_end=actual.end if actual else None,
                actions=spec.actions(phase.key, participation.kind),
                milestone=milestone,
                state=state,
            )
        )
    return views


def unit_campaigns(user: Actor, unit: Unit) -> QuerySet[Participation]:
    """The participations of ``unit`` in the campaigns the user sees (newest campaign first)."""
    return (
        Participation.objects.visible_to(user)
        .filter(unit=unit)
        .select_related("campaign", "batch")
        .order_by("-campaign__created_at", "-campaign_id")
    )


# ---------------------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------------------

EXPORT_HEADER = [
    "unit_code",
    "unit_name",
    "level",
    "kind",
    "batch",
    "phase",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
]


def plan_rows(campaign: Campaign, qs: QuerySet[Participation] | None = None) -> Iterator[list[Any]]:
    """One row per participation and phase, in tree order (``qs``: the participations to export, scoped
    by the caller). Levels, kinds, batches and phases by name; dates as ``date`` objects."""
    spec = campaign.spec
    names = [p.name for p in spec.phases]
    batches = dict(campaign.batches.values_list("pk", "name"))
    base = qs if qs is not None else Participation.objects.filter(campaign=campaign)
    actual = PhaseActual.objects.filter(participation=OuterRef("participation"), phase=OuterRef("phase"))
    rows = (
        PlanPhase.objects.filter(participation__in=base.values("pk"))
        .annotate(
            actual_start=Subquery(actual.values("start")[:1]), actual_end=Subquery(actual.values("end")[:1])
        )
        .order_by("participation__path", "phase")
        .values_list(
            "participation__unit__code",
            "participation__unit__name",
            "participation__level",
            "participation__kind",
            "participation__batch_id",
            "phase",
            "start",
            "end",
            "actual_start",
            "actual_end",
        )
    )
    levels: dict[int, str] = {}
    for code, name, level, kind, batch_id, phase, start, end, a_start, a_end in rows.iterator(
        chunk_size=5000
    ):
        if level not in levels:
            levels[level] = level_label(spec, level)
        yield [
            code,
            name,
            levels[level],
            kind_label(kind),
            batches.get(batch_id, ""),
            names[phase] if phase < len(names) else phase,
            start,
            end,
            a_start,
            a_end,
        ]


def is_territorial_kind(kind: str) -> bool:
    return kind in TERRITORIAL_KINDS
