"""Reads of the ledger: a subtree's summary (counts by category and status), filtered lists, the public
status of an opinion. Every read is scoped to the caller (``visible_to``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from echelon.core.actors import Actor
from echelon.core.querysets import scope_paths
from echelon.core.tree import collapse, subtree_q
from echelon.ledger.models import (
    LedgerCount,
    Opinion,
    OpinionStatus,
    Problem,
    Task,
    TaskQuerySet,
    TaskStatus,
)
from echelon.orgs.models import Unit


def part_of(actor: Actor, under: Unit, field_name: str = "path") -> Q | None:
    """Rows of the caller's part of the subtree at ``under`` (by ``field_name``); None: nothing of it."""
    paths = part_paths(actor, under)
    return subtree_q(field_name, paths) if paths else None


@dataclass
class Summary:
    """Problems by category × status and tasks by status (with the overdue ones) under one unit."""

    problems: dict[str, dict[str, int]] = field(default_factory=dict)
    problem_status: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, dict[str, int]] = field(default_factory=dict)
    task_status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    opinions: dict[str, int] = field(default_factory=dict)

    @property
    def problem_total(self) -> int:
        return sum(self.problem_status.values())

    @property
    def task_total(self) -> int:
        return sum(self.task_status.values())

    @property
    def opinion_total(self) -> int:
        return sum(self.opinions.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "problems": {
                "total": self.problem_total,
                "by_status": self.problem_status,
                "by_category": self.problems,
            },
            "tasks": {
                "total": self.task_total,
                "by_status": self.task_status,
                "by_category": self.tasks,
                "overdue": self.overdue,
            },
            "opinions": {"total": self.opinion_total, "by_status": self.opinions},
        }


def part_paths(actor: Actor, under: Unit) -> list[str]:
    """The subtrees that make up the caller's part of ``under``'s: ``under`` itself when the caller sees
    all of it, else the caller's granted subtrees inside it (none: nothing of it)."""
    paths = scope_paths(actor, "view") if actor is not None else None
    if paths is None or any(under.path.startswith(p) for p in paths):
        return [under.path]
    return collapse(p for p in paths if p.startswith(under.path))


def summary(actor: Actor, under: Unit, today: date | None = None) -> Summary:
    """Counts for the caller's part of ``under``'s subtree: problems owned there, their tasks, opinions.
    Read from the rollup counters (``ledger.rollup``), kept current by every write; only the overdue
    tasks, which become overdue as days pass, are counted from the rows."""
    today = today or timezone.localdate()
    out = Summary()
    paths = part_paths(actor, under)
    if not paths:
        return out
    by_cat: dict[str, dict[str, dict[str, int]]] = {"problem": defaultdict(dict), "task": defaultdict(dict)}
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in LedgerCount.objects.filter(path__in=paths, n__gt=0).values("kind", "category", "status", "n"):
        kind, n = row["kind"], row["n"]
        totals[kind][row["status"]] += n
        if kind in by_cat:
            cell = by_cat[kind][row["category"]]
            cell[row["status"]] = cell.get(row["status"], 0) + n
    out.problems, out.problem_status = dict(by_cat["problem"]), dict(totals["problem"])
    out.tasks, out.task_status = dict(by_cat["task"]), dict(totals["task"])
    out.opinions = dict(totals["opinion"])
    out.overdue = Task.objects.filter(subtree_q("path", paths)).overdue(today).count()
    return out


def problems_for(actor: Actor, action: str = "view") -> QuerySet[Problem]:
    return Problem.objects.visible_to(actor, action).select_related("unit")


def search(qs: QuerySet[Problem], text: str) -> QuerySet[Problem]:
    """Chinese text search by substring on the title and description: one and two characters work (no
    word segmentation to miss them); the scope and the list's limit bound the scan (ADR 14)."""
    text = (text or "").strip()[:50]
    if not text:
        return qs
    return qs.filter(Q(title__contains=text) | Q(description__contains=text))


def tasks_for(actor: Actor, action: str = "view") -> TaskQuerySet:
    return Task.objects.visible_to(actor, action).select_related("unit", "problem")


def overdue_tasks(actor: Actor, today: date | None = None) -> QuerySet[Task]:
    return tasks_for(actor).overdue(today or timezone.localdate())


@dataclass(frozen=True)
class PublicStatus:
    """What a tracking code reveals: the unit's name, when it was received, the status and the public
    reply. Nothing else (no contact, no internal note, no problem details)."""

    tracking_code: str
    unit_name: str
    received_on: date
    status: str
    status_label: str
    reply: str
    replied_at: Any


PUBLIC_STATUS = {
    OpinionStatus.NEW: ("received", gettext_noop("已收到，正在处理")),
    OpinionStatus.PROBLEM: ("in_progress", gettext_noop("已列入问题清单，正在整改")),
    OpinionStatus.REPLIED: ("replied", gettext_noop("已答复")),
    OpinionStatus.MERGED: ("in_progress", gettext_noop("已与相同意见合并处理")),
    OpinionStatus.CLOSED: ("closed", gettext_noop("已办结")),
}


def public_status(code: str) -> PublicStatus | None:
    from django.utils.translation import gettext as _

    from echelon.ledger.services.opinions import normalize_code

    opinion = Opinion.objects.filter(tracking_code=normalize_code(code)).select_related("unit").first()
    if opinion is None:
        return None
    followed = opinion
    if opinion.status == OpinionStatus.MERGED and opinion.merged_into_id:
        followed = Opinion.objects.filter(pk=opinion.merged_into_id).first() or opinion
    status, label = PUBLIC_STATUS[OpinionStatus(followed.status)]
    if followed.status == OpinionStatus.PROBLEM and followed.problem_id:
        problem_status = (
            Problem.objects.filter(pk=followed.problem_id).values_list("status", flat=True).first()
        )
        if problem_status == "done":
            status, label = "resolved", gettext_noop("已整改销号")
    return PublicStatus(
        tracking_code=opinion.tracking_code,
        unit_name=opinion.unit.name,
        received_on=opinion.received_on,
        status=status,
        status_label=_(label),
        reply=followed.public_reply or opinion.public_reply,
        replied_at=followed.replied_at or opinion.replied_at,
    )


TASK_OPEN = (TaskStatus.OPEN, TaskStatus.DEFERRED)
