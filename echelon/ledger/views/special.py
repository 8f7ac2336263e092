"""Special rectification (专项整治): for the caller's part of the tree, per special item of the campaign's
taxonomy, the problems and their tasks (total, ticked off, overdue), each drilling down to the problem list
filtered by that item.

The counts come from the rollup counters by special item (``ledger.rollup``) of the subtrees that make
the caller's part (or ``?under=``'s), and one GROUP BY over the overdue tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from echelon.core.querysets import scope_paths, scoped_object
from echelon.core.tree import collapse, subtree_q
from echelon.ledger.models import CountKind, LedgerCount, Task, TaskStatus
from echelon.ledger.selectors import part_paths
from echelon.ledger.services.common import campaign_of
from echelon.orgs.models import Unit
from echelon.orgs.selectors import top_units

COUNTS = ("problems", "tasks", "verified", "overdue")


@dataclass
class ItemRow:
    key: str
    name: str
    problems: int = 0
    tasks: int = 0
    verified: int = 0
    overdue: int = 0

    @property
    def rate(self) -> int:
        """Tasks ticked off, in per cent."""
        return round(100 * self.verified / self.tasks) if self.tasks else 0


def scope_paths_of(user: Any, under: Unit | None) -> list[str]:
    """The subtrees of the caller's part of the tree (of ``under``'s when given)."""
    if under is not None:
        return part_paths(user, under)
    paths = scope_paths(user, "view")
    if paths is None:
        return list(Unit.objects.filter(parent__isnull=True).values_list("path", flat=True))
    return collapse(paths)


def item_counts(paths: list[str], today: date) -> dict[str, dict[str, int]]:
    """{item key: {problems, tasks, verified, overdue}}: the rollup counters by special item of the
    subtrees at ``paths`` (kept by every write, ADR 15), and the overdue tasks (which become overdue as
    days pass) counted from the rows. Problems and tasks under no item are under the key ""."""
    out: dict[str, dict[str, int]] = {}
    if not paths:
        return out
    kinds = (CountKind.PROBLEM, CountKind.TASK, CountKind.PROBLEM_ITEM, CountKind.TASK_ITEM)
    rows = LedgerCount.objects.filter(path__in=paths, kind__in=kinds, n__gt=0).values_list(
        "kind", "category", "status", "n"
    )
    by_item = (CountKind.PROBLEM_ITEM, CountKind.TASK_ITEM)
    for kind, key, status, n in rows:
        # the by-category counters are the totals ("" first); each item's are taken out of "" again
        buckets = ((key, 1), ("", -1)) if kind in by_item else (("", 1),)
        if kind in (CountKind.PROBLEM, CountKind.PROBLEM_ITEM):
            fields: tuple[str, ...] = ("problems",)
        else:
            fields = ("tasks", "verified") if status == TaskStatus.VERIFIED else ("tasks",)
        for item, sign in buckets:
            counts = out.setdefault(item, dict.fromkeys(COUNTS, 0))
            for field in fields:
                counts[field] += sign * n
    overdue = (
        Task.objects.filter(subtree_q("path", paths))
        .overdue(today)
        .values("item")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in overdue:
        out.setdefault(row["item"], dict.fromkeys(COUNTS, 0))["overdue"] += row["n"]
    return out


@require_GET
def special(request: HttpRequest) -> HttpResponse:
    code = (request.GET.get("under") or "").strip()
    under = scoped_object(request.user, Unit.objects, code=code) if code else None
    today = timezone.localdate()
    home = under or top_units(request.user).first()
    campaign = campaign_of(home) if home is not None else None
    counts = item_counts(scope_paths_of(request.user, under), today)
    rows: list[ItemRow] = []
    if campaign is not None:
        for term in campaign.spec.ledger.items:
            rows.append(ItemRow(term.key, term.name, **counts.get(term.key, {})))
    total = ItemRow("", "")
    for row in rows:
        for key in COUNTS:
            setattr(total, key, getattr(total, key) + getattr(row, key))
    other = counts.get("", dict.fromkeys(COUNTS, 0))
    return render(
        request,
        "ledger/special.html",
        {
            "rows": rows,
            "total": total,
            "other": other,
            "under": under,
            "campaign": campaign,
            "today": today,
        },
    )
