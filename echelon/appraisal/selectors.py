"""What the appraisal's pages and API read: the campaign of a unit, the rollup of counts (one GROUP BY per
table over a path prefix, honest denominators: the branches that take part and have members, appraised or
not yet), and the individual ratings of a branch for those allowed (``access``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.shortcuts import get_object_or_404

from echelon.appraisal import totals
from echelon.appraisal.access import responsible_for
from echelon.appraisal.models import Appraisal, AppraisalTotal, GradeCount, Rating, State
from echelon.campaigns.models import Campaign, Participation, Status
from echelon.core import versions
from echelon.core.actors import Actor
from echelon.core.tree import SEGMENT_WIDTH, depth_of, under
from echelon.orgs.models import Member, Unit
from echelon.orgs.selectors import top_units
from echelon.orgs.services import TREE_VERSION


def top_unit(user: Actor) -> Unit:
    """The outermost unit the user sees; 404 for nobody."""
    tops = sorted(top_units(user), key=lambda u: (len(u.path), u.path))
    if not tops:
        raise Http404
    return tops[0]


def unit_for(user: Actor, code: str) -> Unit:
    return get_object_or_404(Unit.objects.visible_to(user), code=code)


def campaign_of(unit: Unit) -> Campaign | None:
    """The campaign whose appraisals a unit's pages show: the latest scheduled one covering the unit."""
    candidates = [
        c
        for c in Campaign.objects.exclude(status=Status.DRAFT).order_by("-start", "-id")
        if unit.path.startswith(c.path) or c.path.startswith(unit.path)
    ]
    return candidates[0] if candidates else None


@dataclass
class Row:
    """One line of the summary: a child's subtree (or the unit itself, ``own``)."""

    unit: Unit
    own: bool = False
    branches: int = 0  # units taking part with members: the denominator
    recorded: int = 0
    draft: int = 0
    members: int = 0
    rated: int = 0
    grades: dict[str, int] = field(default_factory=dict)

    @property
    def not_yet(self) -> int:
        return max(self.branches - self.recorded - self.draft, 0)


# The denominators change only when units appear, move or merge (the tree's version) or gain their first
# members; the member counts beside them may lag a single member's registration by this many seconds.
BRANCHES_CACHE_SECONDS = 300


def _branches_per_child(campaign: Campaign, unit: Unit, prefix: Substr, base: Q) -> list[dict[str, Any]]:
    """The branches taking part (units with members) and their members, per child: one scan of the
    campaign's participations joined to the units, cached under the tree's version."""

    def count() -> list[dict[str, Any]]:
        return list(
            Participation.objects.filter(base, campaign=campaign, unit__members_here__gt=0)
            .annotate(key=prefix)
            .values("key")
            .annotate(n=Count("id"), members=Sum("unit__members_here"))
        )

    key = f"appraisal:branches:{campaign.pk}:{campaign.participations_count}:{unit.path}"
    return versions.cached(TREE_VERSION, key, count, timeout=BRANCHES_CACHE_SECONDS)


def summary(campaign: Campaign, unit: Unit, scale: list[str]) -> tuple[Row, list[Row]]:
    """The counts of ``unit``'s subtree in ``campaign``: the total and one row per child (and the unit
    itself when it is a branch). Counts only: nobody's name."""
    width = len(unit.path) + SEGMENT_WIDTH
    prefix = Substr("path", 1, width)
    base = under(unit.path)
    branches = _branches_per_child(campaign, unit, prefix, base)
    # The recorded appraisals: the children's subtree totals, and the unit's own appraisal (as a branch).
    recorded = (
        AppraisalTotal.objects.filter(campaign=campaign, depth=depth_of(unit.path) + 1)
        .filter(under(unit.path))
        .values_list("path", "key", "count")
    )
    own = Appraisal.objects.filter(campaign=campaign, unit=unit, state=State.RECORDED).first()
    own_grades = GradeCount.objects.filter(appraisal=own).values_list("grade", "count") if own else []
    # Drafts, read live: few at any time (the index on campaign, state and path).
    drafts = (
        Appraisal.objects.filter(base, campaign=campaign, state=State.DRAFT)
        .annotate(key=prefix)
        .values("key")
        .annotate(n=Count("id"))
    )
    rows: dict[str, Row] = {}
    units = {u.path: u for u in Unit.objects.filter(Q(parent=unit) | Q(pk=unit.pk))}

    def row(key: str) -> Row | None:
        if key not in units:
            return None
        if key not in rows:
            rows[key] = Row(units[key], own=key == unit.path)
        return rows[key]

    for b in branches:
        if (r := row(b["key"])) is not None:
            r.branches += b["n"]
            r.members += b["members"] or 0
    for path, key, n in recorded:
        if (r := row(path)) is None:
            continue
        if key == totals.RECORDED:
            r.recorded += n
        elif key == totals.RATED:
            r.rated += n
        elif key.startswith(totals.GRADE):
            grade = key.removeprefix(totals.GRADE)
            r.grades[grade] = r.grades.get(grade, 0) + n
    if own is not None and (r := row(unit.path)) is not None:
        r.recorded, r.rated = r.recorded + 1, r.rated + own.rated
        for grade, n in own_grades:
            r.grades[grade] = r.grades.get(grade, 0) + n
    for d in drafts:
        if (r := row(d["key"])) is not None:
            r.draft += d["n"]
    total = Row(unit)
    for r in rows.values():
        for name in ("branches", "recorded", "draft", "members", "rated"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        for grade, n in r.grades.items():
            total.grades[grade] = total.grades.get(grade, 0) + n
    ordered = sorted(rows.values(), key=lambda r: (not r.own, r.unit.path))
    for r in [total, *ordered]:
        r.grades = {g: r.grades.get(g, 0) for g in scale} | {
            g: n for g, n in r.grades.items() if g not in scale
        }
    return total, ordered


def appraisal_of(user: Actor, campaign: Campaign, unit: Unit) -> Appraisal | None:
    """The branch's appraisal in the campaign, if the user sees the branch (counts level)."""
    return (
        Appraisal.objects.visible_to(user)
        .select_related("unit", "campaign")
        .filter(campaign=campaign, unit=unit)
        .first()
    )


def appraisal_for(user: Actor, pk: int, *, individual: bool = False) -> Appraisal:
    """An appraisal the user sees (counts), or whose individual ratings they may see; 404 otherwise."""
    qs = Appraisal.objects.individual_to(user) if individual else Appraisal.objects.visible_to(user)
    return get_object_or_404(qs.select_related("unit", "campaign"), pk=pk)


def ratings_of(user: Actor, appraisal: Appraisal) -> list[Rating]:
    """The appraisal's individual ratings, for the branch and the level directly responsible; [] else."""
    return list(
        Rating.objects.visible_to(user)
        .filter(appraisal=appraisal)
        .select_related("member", "followup")
        .order_by("member__code")
    )


def sees_names(user: Actor, appraisal: Appraisal) -> bool:
    return responsible_for(user, appraisal.path)


def counts_by_appraisal(ids: list[int]) -> dict[int, dict[str, int]]:
    """Counts per grade of several appraisals (a page of a list), in one query."""
    out: dict[int, dict[str, int]] = {}
    rows = Rating.objects.filter(appraisal_id__in=ids).values_list("appraisal_id", "grade")
    for appraisal_id, grade, n in rows.annotate(n=Count("id")).values_list("appraisal_id", "grade", "n"):
        out.setdefault(appraisal_id, {})[grade] = n
    return out


def in_scale(found: dict[str, int], scale: list[str]) -> dict[str, int]:
    return {g: found.get(g, 0) for g in scale} | {g: n for g, n in found.items() if g not in scale}


def counts_of(appraisal: Appraisal, scale: list[str]) -> dict[str, int]:
    """An appraisal's counts per grade (from its ratings: a draft's too), in the scale's order."""
    found = dict(
        Rating.objects.filter(appraisal=appraisal)
        .values_list("grade")
        .annotate(n=Count("id"))
        .values_list("grade", "n")
    )
    return {g: found.get(g, 0) for g in scale} | {g: n for g, n in found.items() if g not in scale}


def members_grid(appraisal: Appraisal) -> list[dict[str, Any]]:
    """The branch's members with their grade (the rating sheet), for those allowed (the caller checks)."""
    grades = dict(Rating.objects.filter(appraisal=appraisal).values_list("member_id", "grade"))
    return [
        {"member": m, "grade": grades.get(m.pk, "")}
        for m in Member.objects.filter(unit_id=appraisal.unit_id).only("id", "code", "name").order_by("code")
    ]
