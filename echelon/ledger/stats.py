"""The ledger's whole-database figures for `echelon stats` (registered with ``core.stats`` in ``ready()``):
opinions, problems and tasks, each a total and a count per status, and the overdue tasks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.ledger.models import Opinion, OpinionStatus, Problem, ProblemStatus, Task, TaskStatus

# (key, model, statuses): one GROUP BY per model on its status (an indexed column of each table)
ENTITIES: tuple[tuple[str, type[Model], Any], ...] = (
    ("opinions", Opinion, OpinionStatus),
    ("problems", Problem, ProblemStatus),
    ("tasks", Task, TaskStatus),
)


def _by_status(qs: QuerySet[Any], statuses: Any) -> dict[str, int]:
    counts = {row["status"]: row["n"] for row in qs.values("status").annotate(n=Count("id")).order_by()}
    return {value: counts.get(value, 0) for value in statuses.values}


def figures() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, model, statuses in ENTITIES:
        by_status = _by_status(model._default_manager.all(), statuses)
        out[key] = sum(by_status.values())
        out[f"{key}_by_status"] = by_status
    out["tasks_overdue"] = Task.objects.overdue(timezone.localdate()).count()
    return out


def lines(data: Mapping[str, Any]) -> list[str]:
    """意见 1,234（待处理 100，…）: one line per entity, statuses with their Chinese labels."""
    out = []
    for key, _model, statuses in ENTITIES:
        label = {"opinions": _("意见"), "problems": _("问题"), "tasks": _("整改任务")}[key]
        parts = "，".join(f"{statuses(s).label} {n:,}" for s, n in data[f"{key}_by_status"].items())
        out.append(f"{label} {data[key]:,}（{parts}）")
    out.append(_("逾期整改任务 %(n)s") % {"n": f"{data['tasks_overdue']:,}"})
    return out
