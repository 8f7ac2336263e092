"""The dashboard (调度看板): a unit's subtree in one batch, per child unit, with the map, and every figure
clicking through to the units behind it, down to a village and why it is late."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_GET

from echelon.campaigns.models import Batch, Participation
from echelon.campaigns.selectors import unit_plan
from echelon.core.replica import replica_eligible
from echelon.core.tree import UPPER_BOUND
from echelon.dashboards import figures, selectors, trends
from echelon.dashboards.figures import Board, Row
from echelon.dashboards.models import Alert
from echelon.dashboards.services.warnings import describe
from echelon.dashboards.todo import warnings_url
from echelon.orgs.models import Unit
from echelon.supervision.models import Review

PER_PAGE = 50
# The measures the map can colour by: shares of the units (or of the problems, tasks) in each area.
MAP_MEASURES = (  # the first is the map's default
    "overdue",
    "done",
    "not_started",
    "return",
    "open",
    "covered",
    "tasks_verified",
    "problems_done",
    "satisfied_votes",
    "evaluated",
    "eval_below",
    "redo_open",
)


OTHERS_SHOWN = 30  # organs, direct units and other organizations listed one by one (the rest: their total)
CODE = "0"  # reversed once per request, the unit's code put in its place (a page has hundreds of links)


@lru_cache(maxsize=32)
def _reversed(name: str, prefix: str, language: str | None) -> str:
    """The route with ``CODE`` for its unit: reversed once per script prefix and language (a page has
    hundreds of links)."""
    return reverse(name, args=[CODE])


def _base(name: str, unit: Unit) -> str:
    path = _reversed(name, get_script_prefix(), translation.get_language())
    return path.replace(f"/{CODE}/", f"/{unit.code}/")


def _url(unit: Unit, batch: Batch) -> str:
    return f"{_base('dashboards:unit', unit)}?batch={batch.pk}"


def units_url(unit: Unit, batch: Batch, measure: str) -> str:
    return f"{_base('dashboards:units', unit)}?batch={batch.pk}&measure={measure}"


def _cell_url(unit: Unit, batch: Batch, key: str, measure: Any) -> str:
    """Where a figure clicks through: the units behind it, or the warnings found in the unit's part."""
    if key == "alerts":
        return warnings_url(unit, batch=batch)
    return units_url(unit, batch, key) if measure.units else ""


def _attention(row: Row) -> int:
    return row["overdue"] + row["return"] + row["interview"] + row["redo"] + row["reviews_overdue"]


def share(value: int, of: int) -> float | None:
    return round(100 * value / of, 1) if of else None


def map_data(board: Board) -> dict[str, Any]:
    from echelon.dashboards import maps

    measures = {m.key: m for m in board.measures}
    chosen = [measures[k] for k in MAP_MEASURES if k in measures]
    areas = []
    for row in board.rows:
        if row.unit is None or not row.unit.is_territorial:  # the areas: leagues, counties, townships…
            continue
        values = {m.key: share(row[m.key], row[m.percent_of]) for m in chosen}
        name = maps.area_name(row.unit.name, maps.map_name_for(board.focus))
        areas.append(
            {"name": name, "code": row.unit.code, "url": _url(row.unit, board.batch), "values": values}
        )
    return {
        "map": maps.map_name_for(board.focus),
        "script": maps.map_script(maps.map_name_for(board.focus)),
        "measures": [{"key": m.key, "label": str(m.share_label or f"{m.label} %")} for m in chosen],
        "areas": areas,
    }


# The states a unit is in, as a stacked bar: (measure key, colour).
STATES = (
    ("not_started", "bg-secondary-subtle"),
    ("in_progress", "bg-info"),
    ("open", "bg-primary"),
    ("return", "bg-warning"),
    ("interview", "bg-danger bg-opacity-50"),
    ("redo", "bg-danger"),
    ("done", "bg-success"),
)
# The figures of each child's row in the table (unit measures click through to the units).
COLUMNS = (
    "units",
    "started",
    "done",
    "overdue",
    "open",
    "return",
    "reviews_overdue",
    "covered",
    "evaluated",
    "redo_open",
    "alerts",
)
# The satisfaction evaluation's figures (a card of their own; 满意率 is the satisfied votes' share).
EVALUATION = ("eval_due", "evaluated", "satisfied_votes", "eval_below", "redo_open")
ALERTING = ("overdue", "return", "reviews_overdue", "alerts", "eval_below")
CARDS = ("units", "started", "done", "overdue", "open", "return", "reviews_overdue", "alerts")


def _segments(row: Row, labels: dict[str, Any]) -> list[dict[str, Any]]:
    total = row["units"]
    return [
        {"key": key, "label": labels[key], "n": row[key], "pct": share(row[key], total) or 0, "css": css}
        for key, css in STATES
        if row[key]
    ]


def _alerts(batch: Batch, unit: Unit, today: date) -> list[dict[str, str]]:
    """The unit's own warnings, named by the template and told in words."""
    names = {w.key: str(w.name) for w in batch.campaign.spec.warnings}
    return [
        {"name": names.get(a.rule, a.rule), "text": describe(a.rule, a.detail, today)}
        for a in Alert.objects.filter(batch=batch, unit=unit).order_by("rule")
    ]


def _late(plan: list[Any], today: date) -> list[Any]:
    """Each phase of a unit's plan with the days its current phase is past its planned end."""
    for p in plan:
        p.late_days = (today - p.planned[1]).days if p.state == "current" and p.planned else 0
    return plan


def _ordered(rows: list[Row]) -> list[Row]:
    """The unit's own row, then the territorial units below (leagues, counties, townships, villages), then
    the organs, direct units and other organizations, each by path."""

    def key(r: Row) -> tuple[bool, bool, str]:
        return (r.unit is not None, bool(r.unit and not r.unit.is_territorial), r.path)

    return sorted(rows, key=key)


def _row_view(
    row: Row, unit: Unit, batch: Batch, board: Board, labels: dict[str, Any], *, links: bool = True
) -> dict[str, Any]:
    """A table row: its unit, its figures with the drill-down link of each unit measure."""
    subject = row.unit or unit
    measures = {m.key: m for m in board.measures}
    return {
        "row": row,
        "unit": subject,
        "own": row.unit is None,
        "territorial": row.unit is None or row.unit.is_territorial,
        "url": _url(row.unit, batch) if row.unit else "",
        "segments": _segments(row, labels),
        "cells": [
            {
                "key": key,
                "n": row[key],
                "pct": share(row[key], row[measures[key].percent_of]) if measures[key].percent_of else None,
                "url": _cell_url(subject, batch, key, measures[key]) if links and row[key] else "",
                "alert": key in ALERTING and row[key] > 0,
            }
            for key in COLUMNS
        ],
        "satisfied": share(row["satisfied_votes"], row["total_votes"]),
        "ledger": {
            "problems": row["problems"],
            "problems_done": row["problems_done"],
            "tasks": row["tasks"],
            "tasks_verified": row["tasks_verified"],
            "tasks_overdue": row["tasks_overdue"],
            "opinions": row["opinions"],
        },
    }


def _evaluation_card(board: Board, unit: Unit, batch: Batch) -> list[dict[str, Any]]:
    """The satisfaction evaluation's figures of the whole subtree, each clicking through to its units (the
    satisfied share to the units evaluated)."""
    measures = {m.key: m for m in board.measures}
    total = board.total
    out = []
    for key in EVALUATION:
        m = measures[key]
        if key == "satisfied_votes":
            pct = share(total[key], total["total_votes"])
            out.append(
                {
                    "key": key,
                    "label": m.share_label,
                    "n": None,
                    "pct": pct,
                    "url": units_url(unit, batch, "evaluated"),
                }
            )
            continue
        out.append(
            {
                "key": key,
                "label": m.label,
                "n": total[key],
                "pct": share(total[key], total[m.percent_of]),
                "of": measures[m.percent_of].label,
                "url": units_url(unit, batch, key) if total[key] else "",
            }
        )
    return out


def _page(request: HttpRequest, unit: Unit) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    batches = selectors.batches_for(user, unit)
    batch = selectors.batch_for(user, unit, request.GET.get("batch"), today, batches)
    context: dict[str, Any] = {
        "unit": unit,
        "batches": batches,
        "batch": batch,
        "today": today,
    }
    if batch is None:
        return render(request, "dashboards/board.html", context)
    board = figures.board(batch, unit, today)
    own = selectors.participation_of(batch, unit)
    labels = {m.key: m.label for m in board.measures}
    total = _row_view(board.total, unit, batch, board, labels)
    territorial = [r for r in board.rows if r.unit is None or r.unit.is_territorial]
    other = sorted((r for r in board.rows if r not in territorial), key=lambda r: (-_attention(r), r.path))
    rows = [_row_view(r, unit, batch, board, labels) for r in [*_ordered(territorial), *other[:OTHERS_SHOWN]]]
    others = [v for v in rows if not v["territorial"]]
    others_total = Row(unit.path, unit)
    for r in other:
        for key, value in r.values.items():
            others_total.values[key] += value
    context.update(
        board=board,
        labels=labels,
        columns=[labels[k] for k in COLUMNS],
        breadcrumb=selectors.breadcrumb(user, batch.campaign, unit),
        map_data=map_data(board) if any(r.unit and r.unit.is_territorial for r in board.rows) else None,
        total=total,
        cards=[c for c in total["cells"] if c["key"] in CARDS],
        evaluation=_evaluation_card(board, unit, batch)
        if board.total["eval_due"] or board.total["evaluated"]
        else [],
        satisfied=total["satisfied"],
        own_row=next((v for v in rows if v["own"]), None),
        main_rows=[v for v in rows if v["territorial"]] if len(rows) > 1 else [],
        other_rows=others if len(rows) > 1 else [],
        others_count=len(other),
        others_shown=OTHERS_SHOWN,
        others_total=_row_view(others_total, unit, batch, board, labels, links=False) if other else None,
        phases=[
            {"name": name, "n": board.total[f"phase:{key}"], "url": units_url(unit, batch, f"phase:{key}")}
            for key, name in board.phases
        ],
        own=own,
        plan=_late(unit_plan(own), today) if own is not None else [],
        last_review=(
            Review.objects.filter(participation=own).order_by("-submitted_at", "-id").first() if own else None
        ),
        alerts=_alerts(batch, unit, today) if own else [],
        trend=trends.chart(batch, unit, today=today) if len(rows) > 1 else None,
    )
    return render(request, "dashboards/board.html", context)


@replica_eligible
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The caller's own top unit."""
    return _page(request, selectors.top_unit(request.user))


@replica_eligible
@require_GET
def unit(request: HttpRequest, code: str) -> HttpResponse:
    return _page(request, selectors.unit_for(request.user, code))


@replica_eligible
@require_GET
def units(request: HttpRequest, code: str) -> HttpResponse:
    """The units behind one figure of the dashboard (``measure``), in the caller's part of the subtree."""
    user = request.user
    unit = selectors.unit_for(user, code)
    today = timezone.localdate()
    batch = selectors.batch_for(user, unit, request.GET.get("batch"), today)
    if batch is None:
        raise Http404
    phases = [(p.key, p.name) for p in batch.campaign.spec.phases]
    key = request.GET.get("measure", "units")
    q = figures.unit_filter(key, phases, today, figures.evaluation_phase(batch))
    if q is None:
        raise Http404
    measure = next((m for m in figures.board_measures(phases) if m.key == key), None)
    qs = (
        Participation.objects.visible_to(user)
        .filter(batch=batch, path__gte=unit.path, path__lt=unit.path + UPPER_BOUND)
        .filter(q)
        .select_related("unit")
        .order_by("-start_delay", "path")
    )
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    names = dict(phases)
    keys = [k for k, _n in phases]
    for p in page:
        p.phase_name = names.get(keys[p.current_phase], "") if p.current_phase < len(keys) else ""
        p.board_url = _url(p.unit, batch)
    return render(
        request,
        "dashboards/units.html",
        {
            "unit": unit,
            "batch": batch,
            "measure": measure,
            "key": key,
            "page": page,
            "today": today,
            "back": _url(unit, batch),
            "query": f"batch={batch.pk}&measure={key}",
            "breadcrumb": selectors.breadcrumb(user, batch.campaign, unit),
        },
    )
