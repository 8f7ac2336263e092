"""Reading typical cases: the library (published cases a user's units learn from, by phase, action, unit
category and level, with search), the review queue of an office, a case's labels from the campaign's
template, and the counts shown beside each action of a unit's phase page (``action_links``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from echelon.campaigns import selectors as campaign_selectors
from echelon.campaigns.models import Campaign, Participation
from echelon.campaigns.specs import Spec
from echelon.cases.models import Case, CaseStatus
from echelon.core.actors import Actor
from echelon.core.querysets import scope_paths
from echelon.core.tree import ancestor_paths, subtree_q
from echelon.orgs.models import Level
from echelon.supervision.action_links import Link
from echelon.supervision.models import OWN_KEY_PREFIX

SEARCH_MAX = 100


@dataclass
class Filters:
    phase: str = ""
    action: str = ""
    category: str = ""
    level: str = ""
    q: str = ""

    @classmethod
    def of(cls, data: Any) -> Filters:
        def get(key: str) -> str:
            value = data.get(key, "")
            return value.strip()[:SEARCH_MAX] if isinstance(value, str) else ""

        return cls(get("phase"), get("action"), get("category"), get("level"), get("q"))


def visible(user: Actor) -> QuerySet[Case]:
    return Case.objects.visible_to(user).select_related("unit", "campaign", "library_unit")


def case_for(user: Actor, pk: int) -> Case:
    """A case the user may read: of their subtrees (any state) or published to a library they are in."""
    return get_object_or_404(visible(user), pk=pk)


def library(user: Actor, campaign: Campaign, filters: Filters) -> QuerySet[Case]:
    """The published cases the user sees in ``campaign``, filtered; newest first."""
    qs = visible(user).filter(campaign=campaign, status=CaseStatus.PUBLISHED)
    if filters.phase:
        qs = qs.filter(phase_key=filters.phase)
    if filters.action:
        qs = qs.filter(action_key=filters.action)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.level:
        qs = qs.filter(level=int(filters.level)) if filters.level.isdigit() else qs.none()
    if filters.q:
        qs = search(qs, filters.q)
    return qs.order_by("-reviewed_at", "-id")


def search(qs: QuerySet[Case], q: str) -> QuerySet[Case]:
    """Cases whose title or text holds ``q``, or whose unit's name does."""
    return qs.filter(Q(title__icontains=q) | Q(text__icontains=q) | Q(unit__name__icontains=q))


def review_queue(user: Actor) -> QuerySet[Case]:
    """Cases waiting for the user's review: submitted by units strictly below a unit where the user has
    office rights (``plan``), not nominated by the user."""
    paths = scope_paths(user, "plan")
    qs = Case.objects.filter(status=CaseStatus.SUBMITTED).select_related("unit", "campaign")
    if paths is None:
        return qs.exclude(nominated_by=user)
    if not paths:
        return qs.none()
    return qs.filter(subtree_q("path", paths)).exclude(path__in=paths).exclude(nominated_by=user)


def own_cases(user: Actor) -> QuerySet[Case]:
    """Cases of the units the user changes (nominates for), any state."""
    return Case.objects.visible_to(user, "change").select_related("unit", "campaign")


def nominating_units(user: Actor, campaign: Campaign) -> QuerySet[Participation]:
    """The participations of ``campaign`` the user may nominate for (``change``)."""
    return campaign_selectors.participations(user, campaign, "change").select_related("unit")


def phase_label(spec: Spec, key: str) -> str:
    return next((p.name for p in spec.phases if p.key == key), key)


def action_label(spec: Spec, phase_key: str, key: str) -> str:
    if not key:
        return ""
    for phase in spec.phases:
        if phase.key == phase_key:
            for actions in phase.actions.values():
                for a in actions:
                    if a.key == key:
                        return a.name
    return key


def category_label(spec: Spec, key: str) -> str:
    return next((c.name for c in spec.categories if c.key == key), key)


def level_label(spec: Spec, level: int) -> str:
    return campaign_selectors.level_label(spec, level)


def choices(campaign: Campaign, phase: str = "") -> dict[str, list[tuple[str, str]]]:
    """The library's filter choices from the campaign's template: phases, the actions of ``phase`` (every
    category's, once), the unit categories and the levels."""
    spec = campaign.spec
    actions: dict[str, str] = {}
    for p in spec.phases:
        if p.key == phase:
            for group in p.actions.values():
                for a in group:
                    actions.setdefault(a.key, a.name)
    return {
        "phases": [(p.key, p.name) for p in spec.phases],
        "actions": list(actions.items()),
        "categories": [(c.key, c.name) for c in spec.categories],
        "levels": [(str(v), level_label(spec, v)) for v in Level.values],
    }


def labelled(cases: list[Case]) -> list[Case]:
    """Each case with ``phase_name``, ``action_name``, ``category_name`` and ``level_name`` set."""
    for case in cases:
        spec = case.campaign.spec
        case.phase_name = phase_label(spec, case.phase_key)  # type: ignore[attr-defined]
        case.action_name = action_label(spec, case.phase_key, case.action_key)  # type: ignore[attr-defined]
        case.category_name = category_label(spec, case.category)  # type: ignore[attr-defined]
        case.level_name = level_label(spec, case.level)  # type: ignore[attr-defined]
    return cases


def library_url(campaign_id: int, phase: str = "", action: str = "") -> str:
    query = urlencode({k: v for k, v in (("phase", phase), ("action", action)) if v})
    return reverse("cases:library", args=[campaign_id]) + (f"?{query}" if query else "")


def action_links(participation: Any, phase_key: str, action_keys: list[str]) -> dict[str, list[Link]]:
    """Beside each prescribed action of a unit's phase page: "典型案例 (n)", the library of that phase and
    action as the unit sees it (published to a library the unit lies in, or by a unit of its subtree). One
    query for the phase."""
    keys = [k for k in action_keys if not k.startswith(OWN_KEY_PREFIX)]
    if not keys:
        return {}
    counts = dict(
        Case.objects.filter(
            campaign_id=participation.campaign_id,
            status=CaseStatus.PUBLISHED,
            phase_key=phase_key,
            action_key__in=keys,
        )
        .filter(
            Q(library_path__in=ancestor_paths(participation.path)) | subtree_q("path", [participation.path])
        )
        .values_list("action_key")
        .annotate(n=Count("id"))
        .values_list("action_key", "n")
    )
    return {
        key: [
            Link(
                _("典型案例 (%(n)d)") % {"n": counts.get(key, 0)},
                library_url(participation.campaign_id, phase_key, key),
                "bi-award",
            )
        ]
        for key in keys
    }
