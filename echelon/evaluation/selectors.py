"""Reads of the evaluation: the rollup of a subtree per child unit (honest denominators: the units taking
part), a unit's sessions and redos, a session's tables, and the public result of a unit.

The rollup is one GROUP BY per table over the focus's path range, grouped by the child's path prefix
(``substr(path, 1, len + 5)``, as in ``dashboards.figures``): participations (the denominator, cached: the
set is fixed when the campaign is created), the units' current results (``Session.current``: each unit's
latest closed session, read from a covering partial index) and the redos.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from echelon.campaigns.models import Campaign, Participation
from echelon.core import versions
from echelon.core.actors import Actor
from echelon.core.querysets import in_scope
from echelon.core.tree import SEGMENT_WIDTH, ancestor_paths, per_child, under
from echelon.evaluation.models import Ballot, EvaluatorGroup, Redo, RedoStatus, Session, SessionStatus, Tally
from echelon.orgs.models import Unit
from echelon.orgs.services import TREE_VERSION

REDO_OPEN = (RedoStatus.OPEN, RedoStatus.PASSED)


@dataclass
class Figures:
    """One row of the rollup: a child unit's subtree (or the focus's own participation)."""

    path: str
    unit: Unit | None = None
    units: int = 0  # taking part
    evaluated: int = 0  # with a closed session
    satisfied_votes: int = 0
    total_votes: int = 0
    below: int = 0  # units whose current result is below the threshold
    redo_open: int = 0
    redo_done: int = 0
    own: bool = False  # the focus's own participation, not a child's subtree

    @property
    def not_evaluated(self) -> int:
        return max(self.units - self.evaluated, 0)

    @property
    def share(self) -> float | None:
        return self.satisfied_votes / self.total_votes if self.total_votes else None

    def add(self, other: Figures) -> None:
        for name in (
            "units",
            "evaluated",
            "satisfied_votes",
            "total_votes",
            "below",
            "redo_open",
            "redo_done",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit.code if self.unit else None,
            "name": self.unit.name if self.unit else "",
            "own": self.own,
            "units": self.units,
            "evaluated": self.evaluated,
            "not_evaluated": self.not_evaluated,
            "satisfied_votes": self.satisfied_votes,
            "total_votes": self.total_votes,
            "satisfied_share": round(self.share, 4) if self.share is not None else None,
            "below": self.below,
            "redo_open": self.redo_open,
            "redo_done": self.redo_done,
        }


@dataclass
class Rollup:
    campaign: Campaign
    focus: Unit
    total: Figures
    rows: list[Figures] = field(default_factory=list)


def _units_per_child(campaign: Campaign, focus: Unit, width: int) -> dict[str, dict[str, Any]]:
    """The denominators: the units taking part per child. Fixed when the campaign is created; cached under
    the tree's version (a unit that moves, merges or appears bumps it) and the campaign's count."""

    def count() -> dict[str, dict[str, Any]]:
        where = Q(campaign=campaign) & under(focus.path)
        return per_child(Participation.objects.filter(where), width, units=Count("id"))

    key = f"evaluation:units:{campaign.pk}:{campaign.participations_count}:{focus.path}"
    return versions.cached(TREE_VERSION, key, count)


def rollup(campaign: Campaign, focus: Unit) -> Rollup:
    """The figures of ``focus``'s subtree in ``campaign``, per child unit (and the focus's own row): the
    denominators (cached, see ``_units_per_child``), then the current results and the redos, read live."""
    width = len(focus.path) + SEGMENT_WIDTH
    where = Q(campaign=campaign) & under(focus.path)
    parts = _units_per_child(campaign, focus, width)
    results = per_child(
        Session.objects.filter(where, current=True),
        width,
        evaluated=Count("id"),
        satisfied_votes=Sum("satisfied_votes"),
        total_votes=Sum("total_votes"),
        below=Count("id", filter=Q(passed=False)),
    )
    redos = per_child(
        Redo.objects.filter(where),
        width,
        redo_open=Count("id", filter=Q(status__in=REDO_OPEN)),
        redo_done=Count("id", filter=Q(status=RedoStatus.DONE)),
    )
    by_path: dict[str, Figures] = {}
    for source in (parts, results, redos):
        for path, values in source.items():
            row = by_path.setdefault(path, Figures(path=path, own=len(path) < width))
            for key, value in values.items():
                setattr(row, key, getattr(row, key) + int(value or 0))
    units = Unit.objects.only("id", "code", "name", "path", "level").in_bulk(list(by_path), field_name="path")
    total = Figures(path=focus.path, unit=focus)
    rows = []
    for path in sorted(by_path, key=lambda p: (len(p) == width, units[p].name if p in units else p)):
        row = by_path[path]
        row.unit = units.get(path)
        total.add(row)
        rows.append(row)
    return Rollup(campaign=campaign, focus=focus, total=total, rows=rows)


def campaign_for(unit: Unit) -> Campaign | None:
    """The campaign a unit's evaluation board shows: the latest one taking place in its subtree or above.
    Its scope holds the unit or lies in its subtree; one probe per such campaign of the index on the
    participations' campaign and path (never a walk over the subtree's participations)."""
    taking_part = Participation.objects.filter(under(unit.path), campaign=OuterRef("pk"))
    return (
        Campaign.objects.filter(under(unit.path) | Q(path__in=ancestor_paths(unit.path)))
        .filter(Exists(taking_part))
        .order_by("-start", "-id")
        .first()
    )


def sessions_of(user: Actor, unit: Unit) -> QuerySet[Session]:
    return in_scope(user, Session.objects).filter(unit=unit).select_related("campaign").order_by("-round")


def redos_of(user: Actor, unit: Unit) -> QuerySet[Redo]:
    return in_scope(user, Redo.objects).filter(unit=unit).order_by("-id")


@dataclass
class GroupRow:
    group: EvaluatorGroup
    paper: list[list[int]]
    online: int
    codes_left: int


def group_rows(session: Session) -> list[GroupRow]:
    """The session's groups with their paper votes ``[item][option]`` and the online ballots cast."""
    groups = list(EvaluatorGroup.objects.filter(session=session).order_by("id"))
    n_items, n_options = len(session.items), len(session.scale)
    paper = {g.pk: [[0] * n_options for _ in range(n_items)] for g in groups}
    for t in Tally.objects.filter(group__session=session):
        if t.item < n_items and t.option < n_options:
            paper[t.group_id][t.item][t.option] = t.votes
    online = dict(
        Ballot.objects.filter(group__session=session)
        .values("group")
        .annotate(n=Count("id"))
        .values_list("group", "n")
    )
    rows = []
    for g in groups:
        most = max((sum(r) for r in paper[g.pk]), default=0)
        rows.append(GroupRow(g, paper[g.pk], online.get(g.pk, 0), max(g.present - g.codes_issued - most, 0)))
    return rows


def result_table(session: Session, table: list[list[int]]) -> list[dict[str, Any]]:
    """Per item: its name and, per option, the votes and their share of the item's votes."""
    items = []
    for name, row in zip(session.items, table, strict=False):
        total = sum(row)
        options = [
            {"name": option, "votes": votes, "share": round(votes / total, 4) if total else None}
            for option, votes in zip(session.scale, row, strict=False)
        ]
        items.append({"name": name, "total": total, "options": options})
    return items


def public_result(unit: Unit) -> dict[str, Any] | None:
    """The unit's latest closed evaluation as JSON-able data for the public page (the publicity helper):
    the date, the people present, per item the options with votes and shares, the satisfied share and
    whether it passed. None when the unit has no closed evaluation."""
    session = (
        Session.objects.filter(unit=unit, status=SessionStatus.CLOSED, current=True)
        .order_by("-campaign__start", "-closed_at")
        .first()
    )
    if session is None:
        return None
    present = EvaluatorGroup.objects.filter(session=session).aggregate(n=Sum("present"))["n"] or 0
    return {
        "held_on": session.held_on.isoformat(),
        "round": session.round,
        "present": int(present),
        "items": result_table(session, session.results or []),
        "satisfied": list(session.satisfied),
        "satisfied_share": round(session.satisfied_share or 0.0, 4),
        "threshold": session.redo_below,
        "passed": bool(session.passed),
    }
