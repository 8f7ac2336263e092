"""A unit's phase: its required actions (the template's, then the unit's own: 自选动作) with their evidence
(done or missing; an own action the unit did not make required is never missing), the last and the open
review, what the rules on actual progress say today and an office's override of them (a warning), and the
history of its submissions."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.campaigns import services as campaign_services
from echelon.campaigns.models import Campaign, Participation, PhaseOverride
from echelon.supervision import action_links
from echelon.supervision.models import (
    ActionDone,
    Material,
    MaterialApproval,
    Meeting,
    MeetingType,
    OwnAction,
    Review,
    ReviewState,
)
from echelon.supervision.selectors.approvals import latest_approval, lock_reason


@dataclass
class ActionState:
    key: str
    name: str
    evidence: str
    done: bool
    done_at: Any = None
    materials: list[Material] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    # an own action (自选动作): its row's id, and whether the unit requires it before submitting
    own_id: int | None = None
    required: bool = True
    # links the apps above put beside the action (``action_links``), e.g. the typical cases of this action
    links: list[action_links.Link] = field(default_factory=list)
    # ADR 18: the group approves its material first (and its latest approval); why it cannot be recorded
    # yet (the action it comes after, or that action's approval); its carrier tags (names)
    requires_approval: bool = False
    approval: MaterialApproval | None = None
    locked: str = ""
    waits_approval: bool = False
    tags: list[str] = field(default_factory=list)
    # the meeting types its meeting record must have (the template's ``meeting:``); empty: any type
    meeting_types: tuple[str, ...] = ()

    @property
    def meeting_choices(self) -> list[tuple[str, str]]:
        """The types its meeting record may have, labelled: the fixed ones, else every type."""
        labels = dict(MeetingType.choices)
        return [(t, str(labels.get(t, t))) for t in self.meeting_types] or [
            (v, str(label)) for v, label in MeetingType.choices
        ]


@dataclass
class PhaseState:
    index: int
    key: str
    name: str
    gate: bool
    checks: list[dict[str, str]]
    actions: list[ActionState]
    open_review: Review | None
    last_review: Review | None
    finished: bool = False
    # The rules on actual progress: what they say against closing the phase today (minimum days, the
    # leadership body first), and an office's override of them with its reason (shown as a warning).
    waiting: list[str] = field(default_factory=list)
    override: PhaseOverride | None = None

    @property
    def missing(self) -> list[ActionState]:
        return [a for a in self.actions if not a.done and a.required]

    @property
    def own(self) -> list[ActionState]:
        return [a for a in self.actions if a.own_id is not None]


def phase_state(participation: Participation, phase: int | None = None) -> PhaseState:
    spec = participation.campaign.spec
    phases = spec.phases
    k = participation.current_phase if phase is None else phase
    if k >= len(phases):
        return PhaseState(k, "", "", False, [], [], None, None, finished=True)
    p = phases[k]
    done = {
        a.action_key: a
        for a in ActionDone.objects.filter(participation=participation, phase=k, cleared_at=None)
    }
    materials: dict[str, list[Material]] = defaultdict(list)
    for m in Material.objects.filter(participation=participation, phase=k).order_by("action_key", "-version"):
        materials[m.action_key].append(m)
    meetings: dict[str, list[Meeting]] = defaultdict(list)
    for m in Meeting.objects.filter(participation=participation, phase=k).prefetch_related("attachments"):
        meetings[m.action_key].append(m)
    actions = []
    tag_names = spec.ledger.names(spec.ledger.tags)
    listed = spec.actions(p.key, participation.kind)
    approved_first = {a.key for a in listed if a.requires_approval}
    for a in listed:
        row = done.get(a.key)
        actions.append(
            ActionState(
                a.key,
                a.name,
                a.evidence,
                row is not None,
                row.done_at if row else None,
                materials[a.key],
                meetings[a.key],
                requires_approval=a.requires_approval,
                approval=latest_approval(participation, k, a.key) if a.requires_approval else None,
                locked=lock_reason(participation, k, a) if a.after and row is None else "",
                waits_approval=a.after in approved_first,
                tags=[tag_names.get(t, t) for t in a.tags],
                meeting_types=a.meeting_types,
            )
        )
    for own in OwnAction.objects.current().filter(participation=participation, phase=k):
        row = done.get(own.key)
        actions.append(
            ActionState(
                own.key,
                own.title,
                own.evidence,
                row is not None,
                row.done_at if row else None,
                materials[own.key],
                meetings[own.key],
                own_id=own.pk,
                required=own.required,
            )
        )
    checks = [{"key": c.key, "name": c.name} for c in p.checks]
    reviews = Review.objects.filter(participation=participation, phase=k).order_by("-submitted_at", "-id")
    last = reviews.first()
    open_review = last if last is not None and last.state == ReviewState.OPEN else None
    override = PhaseOverride.objects.filter(participation=participation, phase=k).first()
    waiting = campaign_services.progress_problems(
        participation, k, timezone.localdate(), act=_("通过") if p.gate else _("提交")
    )
    return PhaseState(
        k, p.key, p.name, p.gate, checks, actions, open_review, last, waiting=waiting, override=override
    )


def own_actions(participation: Participation) -> QuerySet[OwnAction]:
    """The unit's own actions in every phase (not removed), by phase."""
    return OwnAction.objects.current().filter(participation=participation).order_by("phase", "id")


def with_links(participation: Participation, state: PhaseState) -> PhaseState:
    """``state`` with each action's links from the apps above (``action_links``)."""
    if state.finished or not state.actions:
        return state
    found = action_links.links(participation, state.key, [a.key for a in state.actions])
    for a in state.actions:
        a.links = found.get(a.key, [])
    return state


def history(participation: Participation) -> QuerySet[Review]:
    return (
        Review.objects.filter(participation=participation)
        .select_related("submitted_by", "decided_by", "group")
        .order_by("-submitted_at", "-id")
    )


def phase_name(campaign: Campaign, index: int) -> str:
    phases = campaign.spec.phases
    return phases[index].name if 0 <= index < len(phases) else ""


def done_action_keys(participation: Participation) -> set[tuple[int, str]]:
    """(phase, action key) of the unit's actions done and not cleared by a redo (the printed schedule)."""
    return set(
        ActionDone.objects.filter(participation=participation, cleared_at=None).values_list(
            "phase", "action_key"
        )
    )
