"""The ledger's landing page: the caller's part of the ledger (a summary with the units one level below) and
what waits for them; and the same summary as a tab of a unit's page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from echelon.core.actors import Actor
from echelon.core.querysets import scope_paths
from echelon.core.replica import replica_eligible
from echelon.core.tree import SEGMENT_WIDTH, UPPER_BOUND
from echelon.ledger import selectors
from echelon.ledger.models import (
    CountKind,
    LedgerCount,
    Opinion,
    OpinionStatus,
    Problem,
    ProblemStatus,
    Task,
    TaskStatus,
)
from echelon.ledger.services.common import campaign_of
from echelon.ledger.views.story import (
    Terms,
    escalations_to,
    handovers_for,
    opinions_to_triage,
    verifiable_tasks,
)
from echelon.orgs import selectors as org_selectors
from echelon.orgs.models import Unit

WAITING = 10  # rows of each "waiting for you" list (one more is read to know there are more)
CHILDREN = 200  # units one level below shown at most


@dataclass
class ChildRow:
    unit: Unit | None  # None: the unit itself (本级)
    status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    opinions: int = 0

    @property
    def total(self) -> int:
        return sum(self.status.values())


def _counted_rows(unit: Unit) -> dict[str, ChildRow]:
    """Problems by status and new opinions of each child's subtree, and the unit's own (本级: its whole
    subtree's counters less its children's), from the rollup counters (ADR 15)."""
    rows: dict[str, ChildRow] = {}
    kinds = (CountKind.PROBLEM, CountKind.OPINION)
    counters = LedgerCount.objects.filter(
        Q(path=unit.path) | Q(depth=unit.depth + 1, path__gt=unit.path, path__lt=unit.path + UPPER_BOUND),
        kind__in=kinds,
        n__gt=0,
    ).values_list("path", "kind", "status", "n")
    whole = ChildRow(None)
    for path, kind, status, n in counters:
        target = whole if path == unit.path else rows.setdefault(path, ChildRow(None))
        if kind == CountKind.PROBLEM:
            target.status[status] = target.status.get(status, 0) + n
        elif status == OpinionStatus.NEW:
            target.opinions += n
    own = ChildRow(None, dict(whole.status), 0, whole.opinions)
    for r in rows.values():
        for status, n in r.status.items():
            own.status[status] = own.status.get(status, 0) - n
        own.opinions -= r.opinions
    own.status = {k: v for k, v in own.status.items() if v}
    if own.total or own.opinions:
        rows[unit.path] = own
    return rows


def child_rows(actor: Actor, unit: Unit) -> list[ChildRow]:
    """Counts per unit one level below ``unit`` (and the unit's own rows), for the caller's part. When the
    caller sees the whole subtree: the rollup counters; otherwise one GROUP BY per table on the child's
    path prefix over the caller's part. Overdue tasks are counted from the rows (time makes them)."""
    where = selectors.part_of(actor, unit)
    if where is None:
        return []
    key = Substr("path", 1, len(unit.path) + SEGMENT_WIDTH)
    whole = selectors.part_paths(actor, unit) == [unit.path]
    rows: dict[str, ChildRow] = _counted_rows(unit) if whole else {}

    def row(prefix: str) -> ChildRow:
        return rows.setdefault(prefix, ChildRow(None))

    if not whole:
        for r in (
            Problem.objects.filter(where)
            .annotate(k=key)
            .values("k", "status")
            .annotate(n=Count("id"))
            .order_by()
        ):
            row(r["k"]).status[r["status"]] = r["n"]
    today = timezone.localdate()
    for r in (
        Task.objects.filter(where)
        .overdue(today)
        .annotate(k=key)
        .values("k")
        .annotate(n=Count("id"))
        .order_by()
    ):
        row(r["k"]).overdue = r["n"]
    if not whole:
        for r in (
            Opinion.objects.filter(where, status=OpinionStatus.NEW)
            .annotate(k=key)
            .values("k")
            .annotate(n=Count("id"))
            .order_by()
        ):
            row(r["k"]).opinions = r["n"]
    own = rows.pop(unit.path, None)
    children = Unit.objects.filter(parent=unit).only("pk", "code", "name", "path", "level", "is_active")
    shown = list(children.filter(path__in=list(rows))) + list(
        children.filter(is_active=True).exclude(path__in=list(rows)).order_by("code")[:CHILDREN]
    )
    out = []
    for child in shown:
        r = rows.get(child.path) or ChildRow(None)
        r.unit = child
        out.append(r)
    out.sort(key=lambda r: (-r.total, -r.opinions, r.unit.code if r.unit else ""))
    if own is not None:
        out.insert(0, own)
    return out[:CHILDREN]


@dataclass
class CategoryRow:
    key: str
    name: str
    status: dict[str, int]
    tasks_done: int
    tasks_total: int

    @property
    def total(self) -> int:
        return sum(self.status.values())


def category_rows(summary: selectors.Summary, terms: Terms) -> list[CategoryRow]:
    keys = list(terms.categories) + sorted(k for k in summary.problems if k not in terms.categories)
    out = []
    for key in keys:
        tasks = summary.tasks.get(key, {})
        out.append(
            CategoryRow(
                key,
                terms.categories.get(key, key),
                summary.problems.get(key, {}),
                tasks.get(TaskStatus.VERIFIED, 0),
                sum(tasks.values()),
            )
        )
    return out


def _waiting(actor: Actor) -> dict[str, Any]:
    def first(qs: Any) -> tuple[list[Any], bool]:
        rows = list(qs[: WAITING + 1])
        return rows[:WAITING], len(rows) > WAITING

    opinions, more_opinions = first(opinions_to_triage(actor).select_related("unit").order_by("-id"))
    tasks, more_tasks = first(verifiable_tasks(actor).select_related("unit", "problem").order_by("id"))
    escalations, more_escalations = first(
        escalations_to(actor).select_related("problem", "from_unit", "to_unit").order_by("sent_at", "id")
    )
    handovers, more_handovers = first(
        handovers_for(actor).select_related("task", "from_unit", "to_unit").order_by("offered_at", "id")
    )
    return {
        "w_opinions": opinions,
        "w_more_opinions": more_opinions,
        "w_tasks": tasks,
        "w_more_tasks": more_tasks,
        "w_escalations": escalations,
        "w_more_escalations": more_escalations,
        "w_handovers": handovers,
        "w_more_handovers": more_handovers,
        "w_any": bool(opinions or tasks or escalations or handovers),
    }


def _context(request: HttpRequest, unit: Unit | None) -> dict[str, Any]:
    if unit is None:
        return {"unit": None}
    summary = selectors.summary(request.user, unit)
    terms = Terms.of(campaign_of(unit))
    return {
        "unit": unit,
        "summary": summary,
        "ps": summary.problem_status,
        "ts": summary.task_status,
        "categories": category_rows(summary, terms),
        "children": child_rows(request.user, unit),
        "breadcrumb": org_selectors.breadcrumb(request.user, unit),
        "Status": ProblemStatus,
    }


@replica_eligible
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """``?under=<unit code>`` drills down; without it, the caller's first top unit."""
    tops = list(org_selectors.top_units(request.user)[:20])
    code = request.GET.get("under", "").strip()
    unit = org_selectors.unit_for(request.user, code) if code else (tops[0] if tops else None)
    context = _context(request, unit)
    context.update(_waiting(request.user))
    context["tops"] = tops if len(tops) > 1 else []
    context["can_record"] = scope_paths(request.user, "change") != []
    return render(request, "ledger/index.html", context)


@replica_eligible
@require_GET
def unit_ledger(request: HttpRequest, code: str) -> HttpResponse:
    """The unit page's 问题台账 tab: the unit's summary and the units one level below."""
    unit = org_selectors.unit_for(request.user, code)
    context = _context(request, unit)
    context["tab"] = "ledger"
    return render(request, "ledger/unit_ledger.html", context)
