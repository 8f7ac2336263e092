"""Reads for supervision: coverage through the pure engine, a unit's phase (required actions, what is
missing), review history and the group workbench. Every page-facing read goes through ``visible_to``."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.campaigns.models import Batch, Campaign, Participation
from echelon.core import versions
from echelon.core.permissions import allowed
from echelon.core.querysets import scope_paths
from echelon.core.tree import ancestor_ids, collapse
from echelon.orgs.models import Unit
from echelon.supervision import coverage
from echelon.supervision.models import (
    ActionDone,
    Decision,
    GroupAssignment,
    LiaisonPoint,
    Material,
    Meeting,
    MeetingAttendance,
    MeetingType,
    Notification,
    PatrolVisit,
    Review,
    ReviewState,
    SupervisionGroup,
)

ID_CHUNK = 900


def review_due_days() -> int:
    return int(getattr(settings, "ECHELON_REVIEW_DUE_DAYS", 5))


# ---------------------------------------------------------------------------------------------------------
# Groups
# ---------------------------------------------------------------------------------------------------------


def groups_for(user: Any, campaign: Campaign | None = None) -> QuerySet[SupervisionGroup]:
    qs = SupervisionGroup.objects.visible_to(user).select_related("home_unit", "leader", "batch")
    return qs.filter(campaign=campaign) if campaign is not None else qs


def group_for(user: Any, pk: int | str) -> SupervisionGroup:
    return get_object_or_404(groups_for(user).select_related("campaign"), pk=pk)


def group_to_dispatch(user: Any, pk: int | str) -> SupervisionGroup:
    """A group the user may see (else 404) and manage: ``dispatch`` at its home unit (else 403)."""
    group = group_for(user, pk)
    if not allowed(user, "dispatch", group.home_path):
        raise PermissionDenied(_("只有派出该督导组的领导小组办公室可以调整它。"))
    return group


def is_group_member(user: Any, group: SupervisionGroup | None) -> bool:
    if group is None or user is None or not getattr(user, "is_authenticated", False):
        return False
    return group.leader_id == user.pk or group.members.filter(pk=user.pk).exists()


def in_patrol_scope(group: SupervisionGroup, unit: Unit) -> bool:
    """The group's patrol scope (巡查范围): its targets and the units one level below them."""
    targets = GroupAssignment.objects.filter(group=group)
    if targets.filter(unit_id=unit.pk).exists():
        return True
    return unit.parent_id is not None and targets.filter(unit_id=unit.parent_id).exists()


def patrol_visits(group: SupervisionGroup) -> QuerySet[PatrolVisit]:
    """A group's patrol visits, latest first (the caller has checked the group is visible)."""
    return PatrolVisit.objects.filter(group=group).select_related("unit", "created_by")


def responsible_groups(participation: Participation) -> list[SupervisionGroup]:
    """The groups assigned to a participation: the one without an override reason first."""
    rows = GroupAssignment.objects.filter(participation=participation).select_related("group")
    return [a.group for a in sorted(rows, key=lambda a: (bool(a.override_reason.strip()), a.group_id))]


def may_review(user: Any, participation: Participation) -> bool:
    if user is None:
        return True
    if getattr(user, "is_superuser", False):
        return True
    groups = SupervisionGroup.objects.of_member(user).filter(assignments__participation=participation)
    return groups.exists()


# ---------------------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------------------


@dataclass
class CoverageData:
    """What the engine needs for one campaign (optionally one batch, optionally one subtree)."""

    units: list[coverage.Unit]
    groups: list[coverage.Group]
    assignments: list[coverage.Assignment]
    participation_of: dict[int, int]  # unit id -> participation id
    batch_of: dict[int, int]  # unit id -> batch id


def coverage_data(
    campaign: Campaign,
    *,
    batch: Batch | None = None,
    within: Sequence[str] | None = None,
    context: bool = False,
) -> CoverageData:
    """Participations (level 1 units take part as context: nobody dispatches groups to the region), the
    groups of the batch and their assignments. ``within``: only these subtrees (an office's scope);
    ``context``: add the non-participating ancestors the default groups need."""
    parts = Participation.objects.filter(campaign=campaign)
    groups_qs = SupervisionGroup.objects.filter(campaign=campaign)
    assigned = GroupAssignment.objects.filter(campaign=campaign)
    if batch is not None:
        parts = parts.filter(batch=batch)
        groups_qs = groups_qs.filter(batch=batch)
        assigned = assigned.filter(group__batch=batch)
    if within is not None:
        from echelon.core.tree import subtree_q

        parts = parts.filter(subtree_q("path", within))
        assigned = assigned.filter(subtree_q("path", within))
    units: list[coverage.Unit] = []
    participation_of: dict[int, int] = {}
    batch_of: dict[int, int] = {}
    for pid, unit_id, path, level, batch_id in (
        parts.order_by().values_list("id", "unit_id", "path", "level", "batch_id").iterator(chunk_size=5000)
    ):
        ids = ancestor_ids(path)
        units.append(
            coverage.Unit(
                unit_id,
                ids[-2] if len(ids) > 1 else None,
                level,
                tuple(ids[:-1]),
                participating=level > coverage.FIRST_LEVEL,
            )
        )
        participation_of[unit_id] = pid
        batch_of[unit_id] = batch_id
    if context:
        present = set(participation_of)
        wanted = sorted({a for u in units for a in u.ancestors} - present)
        for i in range(0, len(wanted), ID_CHUNK):
            for unit_id, path, level in Unit.objects.filter(pk__in=wanted[i : i + ID_CHUNK]).values_list(
                "id", "path", "level"
            ):
                ids = ancestor_ids(path)
                units.append(
                    coverage.Unit(
                        unit_id,
                        ids[-2] if len(ids) > 1 else None,
                        level,
                        tuple(ids[:-1]),
                        participating=False,
                    )
                )
    groups = [
        coverage.Group(g, h, t) for g, h, t in groups_qs.values_list("id", "home_unit_id", "target_level")
    ]
    assignments = [
        coverage.Assignment(g, u, r)
        for g, u, r in assigned.values_list("group_id", "unit_id", "override_reason")
    ]
    return CoverageData(units, groups, assignments, participation_of, batch_of)


@dataclass
class BatchCoverage:
    batch: Batch
    report: coverage.CoverageReport
    groups: dict[int, SupervisionGroup] = field(default_factory=dict)


def coverage_version(campaign_id: int) -> str:
    """The version the cached coverage report of a campaign hangs on; services bump it on every change of
    groups or assignments."""
    return f"supervision.coverage.{campaign_id}"


def coverage_report(
    campaign: Campaign, *, user: Any = None, batch: Batch | None = None
) -> list[BatchCoverage]:
    """The engine's report per batch, over the user's visible subtree (everything for the system)."""
    within: list[str] | None = None
    if user is not None:
        paths = scope_paths(user, "view")
        if paths is not None:
            within = collapse(paths)
    batches = [batch] if batch is not None else list(campaign.batches.order_by("ordinal"))
    result = []
    for b in batches:

        def compute(b: Batch = b) -> coverage.CoverageReport:
            data = coverage_data(campaign, batch=b, within=within)
            return coverage.check(data.units, data.groups, data.assignments)

        # Cached until an assignment or group of this campaign changes (services bump the version).
        scope_key = hashlib.sha256("|".join(within or ["*"]).encode()).hexdigest()
        report = versions.cached(coverage_version(campaign.pk), f"{b.pk}:{scope_key}", compute)
        result.append(BatchCoverage(b, report))
    return result


def unit_labels(ids: Iterable[int]) -> dict[int, Unit]:
    wanted = sorted(set(ids))
    found: dict[int, Unit] = {}
    for i in range(0, len(wanted), ID_CHUNK):
        for unit in Unit.objects.filter(pk__in=wanted[i : i + ID_CHUNK]).only(
            "id", "code", "name", "level", "path"
        ):
            found[unit.pk] = unit
    return found


def gap_rows(report: coverage.CoverageReport, under: Unit, limit: int = 200) -> list[dict[str, Any]]:
    """Drill-down: the children of ``under`` that are gaps or have gaps below them, with their counts."""
    counts = report.gap_counts_up_the_tree
    gaps = {g.unit_id for g in report.gaps}
    children = (
        Unit.objects.filter(parent=under).only("id", "code", "name", "level", "path", "kind").order_by("code")
    )
    rows = []
    for child in children.iterator(chunk_size=500):
        below = counts.get(child.pk, 0)
        if below or child.pk in gaps:
            rows.append({"unit": child, "gaps_below": below, "is_gap": child.pk in gaps})
            if len(rows) >= limit:
                break
    return rows


# ---------------------------------------------------------------------------------------------------------
# A unit's phase
# ---------------------------------------------------------------------------------------------------------


@dataclass
class ActionState:
    key: str
    name: str
    evidence: str
    done: bool
    done_at: Any = None
    materials: list[Material] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)


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

    @property
    def missing(self) -> list[ActionState]:
        return [a for a in self.actions if not a.done]


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
    for m in Meeting.objects.filter(participation=participation, phase=k):
        meetings[m.action_key].append(m)
    actions = []
    for a in spec.actions(p["key"], participation.kind):
        row = done.get(a["key"])
        actions.append(
            ActionState(
                a["key"],
                a["name"],
                a["evidence"],
                row is not None,
                row.done_at if row else None,
                materials[a["key"]],
                meetings[a["key"]],
            )
        )
    names = {g["key"]: g["name"] for g in spec.data["gate_checks"]}
    checks = [{"key": c, "name": names.get(c, c)} for c in p.get("checks", [])]
    reviews = Review.objects.filter(participation=participation, phase=k).order_by("-submitted_at", "-id")
    last = reviews.first()
    open_review = last if last is not None and last.state == ReviewState.OPEN else None
    return PhaseState(k, p["key"], p["name"], bool(p.get("gate")), checks, actions, open_review, last)


def history(participation: Participation) -> QuerySet[Review]:
    return (
        Review.objects.filter(participation=participation)
        .select_related("submitted_by", "decided_by", "group")
        .order_by("-submitted_at", "-id")
    )


def phase_name(campaign: Campaign, index: int) -> str:
    phases = campaign.spec.phases
    return phases[index]["name"] if 0 <= index < len(phases) else ""


# ---------------------------------------------------------------------------------------------------------
# Workbench
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Workbench:
    groups: list[SupervisionGroup]
    queue: list[Review]
    returned: list[Review]
    overdue: list[Review]
    not_visited: int


def workbench(user: Any, *, today: date | None = None, limit: int = 50) -> Workbench:
    """For the user's groups: open submissions oldest first, returned work awaiting resubmission (a later
    submission of the same phase does not exist yet), open reviews older than the due days."""
    today = today or timezone.localdate()
    groups = list(SupervisionGroup.objects.of_member(user).select_related("home_unit"))
    ids = [g.pk for g in groups]
    base = Review.objects.filter(group_id__in=ids).select_related("unit", "group")
    queue = list(base.filter(state=ReviewState.OPEN).order_by("submitted_at", "id")[:limit])
    newer = Review.objects.filter(
        participation=OuterRef("participation"),
        phase=OuterRef("phase"),
        submitted_at__gt=OuterRef("submitted_at"),
    )
    returned = list(
        base.filter(state=ReviewState.DECIDED)
        .exclude(decision=Decision.PASS)
        .filter(~Exists(newer))
        .order_by("deadline", "decided_at")[:limit]
    )
    due = timezone.now() - timedelta(days=review_due_days())
    overdue = [r for r in queue if r.submitted_at < due]
    # Targets no patrol visit of their group has reached yet (the target itself or a unit below it).
    visited = PatrolVisit.objects.filter(group_id=OuterRef("group_id"), path__startswith=OuterRef("path"))
    not_visited = GroupAssignment.objects.filter(group_id__in=ids).filter(~Exists(visited)).count()
    # Phase names from each campaign's template, parsed once (not once per row).
    phase_names = {
        pk: [p["name"] for p in data.get("phases", [])]
        for pk, data in Campaign.objects.filter(pk__in={g.campaign_id for g in groups}).values_list(
            "pk", "template_data"
        )
    }
    for r in [*queue, *returned]:
        names = phase_names.get(r.campaign_id, [])
        r.phase_label = names[r.phase] if r.phase < len(names) else ""
        r.age_days = (timezone.now() - r.submitted_at).days
        r.late = bool(r.deadline and r.deadline < today)
    return Workbench(groups, queue, returned, overdue, not_visited)


def reviews_for(user: Any) -> QuerySet[Review]:
    return Review.objects.visible_to(user).select_related(
        "unit", "group", "campaign", "submitted_by", "decided_by"
    )


def review_for(user: Any, pk: int) -> Review:
    return get_object_or_404(reviews_for(user).select_related("participation"), pk=pk)


def open_counts(group_ids: Sequence[int]) -> dict[int, int]:
    from django.db.models import Count

    rows = (
        Review.objects.filter(group_id__in=group_ids, state=ReviewState.OPEN)
        .values("group_id")
        .annotate(n=Count("id"))
    )
    return {r["group_id"]: r["n"] for r in rows}


def pending_q() -> Q:
    return Q(state=ReviewState.OPEN)


# ---------------------------------------------------------------------------------------------------------
# The supervision report (督导工作报告) of a group over a period
# ---------------------------------------------------------------------------------------------------------


@dataclass
class ReportData:
    group: SupervisionGroup
    start: date
    end: date
    members: list[str]
    targets: list[dict[str, str]]  # unit, code, level, phase, status
    submissions: int
    by_decision: dict[str, int]  # decision label -> count, in the period
    open_now: int
    measures: list[dict[str, str]]  # returns, interviews and redos in the period
    problems: list[dict[str, str]]  # failed checks in the period
    awaiting: list[dict[str, str]]  # returned work not resubmitted yet
    not_submitted: int


def report_data(group: SupervisionGroup, start: date, end: date) -> ReportData:
    """What the group did between ``start`` and ``end`` (decisions by their date), and where its targets
    stand now. Only the group's own targets and reviews: the caller has checked the group is visible."""
    from django.utils.translation import gettext as _

    campaign = group.campaign
    phases = [p["name"] for p in campaign.spec.phases]

    def phase_label(k: int) -> str:
        return phases[k] if 0 <= k < len(phases) else _("全部完成")

    members = [
        str(u) + (_("（组长）") if u.pk == group.leader_id else "")
        for u in group.members.order_by("username")
    ]
    if group.leader is not None and group.leader_id not in {u.pk for u in group.members.all()}:
        members.insert(0, str(group.leader) + _("（组长）"))
    reviews = Review.objects.filter(group=group).select_related("unit")
    last: dict[int, Review] = {}
    for r in reviews.order_by("submitted_at", "id"):
        last[r.participation_id] = r
    targets = []
    rows = (
        GroupAssignment.objects.filter(group=group).select_related("unit", "participation").order_by("path")
    )
    for a in rows:
        r = last.get(a.participation_id)
        status = (
            _("待审核")
            if r is not None and r.state == ReviewState.OPEN
            else (str(r.get_decision_display()) if r is not None else _("尚未提交"))
        )
        targets.append(
            {
                "unit": a.unit.name,
                "code": a.unit.code,
                "level": str(a.unit.get_level_display()),
                "phase": phase_label(a.participation.current_phase),
                "status": status,
            }
        )
    decided = list(
        reviews.filter(
            state=ReviewState.DECIDED, decided_at__date__gte=start, decided_at__date__lte=end
        ).order_by("decided_at", "id")
    )
    by_decision = {str(label): 0 for value, label in Decision.choices}
    for r in decided:
        by_decision[str(r.get_decision_display())] += 1
    measures, problems = [], []
    for r in decided:
        if r.decision != Decision.PASS:
            reason = r.comment or "；".join(c.get("comment", "") for c in r.checks if c.get("comment"))
            extra = ""
            if r.decision == Decision.INTERVIEW:
                extra = _("约谈%(who)s（%(when)s），要求：%(what)s") % {
                    "who": r.interview_who,
                    "when": r.interview_at or "",
                    "what": r.interview_required,
                }
            elif r.deadline:
                extra = _("限期 %(d)s 前完成") % {"d": r.deadline.isoformat()}
            measures.append(
                {
                    "unit": r.unit.name,
                    "phase": phase_label(r.phase),
                    "decision": str(r.get_decision_display()),
                    "date": timezone.localtime(r.decided_at).date().isoformat() if r.decided_at else "",
                    "reason": reason,
                    "extra": extra,
                }
            )
        for c in r.checks:
            if not c.get("passed"):
                problems.append(
                    {
                        "unit": r.unit.name,
                        "phase": phase_label(r.phase),
                        "check": c.get("name", c.get("key", "")),
                        "comment": c.get("comment", "") or r.comment,
                    }
                )
    newer = Review.objects.filter(
        participation=OuterRef("participation"),
        phase=OuterRef("phase"),
        submitted_at__gt=OuterRef("submitted_at"),
    )
    awaiting = [
        {
            "unit": r.unit.name,
            "phase": phase_label(r.phase),
            "decision": str(r.get_decision_display()),
            "deadline": r.deadline.isoformat() if r.deadline else "",
        }
        for r in reviews.filter(state=ReviewState.DECIDED)
        .exclude(decision=Decision.PASS)
        .filter(~Exists(newer))
        .order_by("deadline", "id")
    ]
    submissions = reviews.filter(submitted_at__date__gte=start, submitted_at__date__lte=end).count()
    return ReportData(
        group=group,
        start=start,
        end=end,
        members=members,
        targets=targets,
        submissions=submissions,
        by_decision=by_decision,
        open_now=reviews.filter(state=ReviewState.OPEN).count(),
        measures=measures,
        problems=problems,
        awaiting=awaiting,
        not_submitted=sum(1 for t in targets if t["status"] == _("尚未提交")),
    )


# ---------------------------------------------------------------------------------------------------------
# Liaison points and key meetings
# ---------------------------------------------------------------------------------------------------------

KEY_MEETING_TYPES = (MeetingType.MOBILIZATION, MeetingType.DEMOCRATIC_LIFE, MeetingType.ORG_LIFE)


@dataclass
class KeyMeeting:
    """A key meeting at a liaison point: recorded by the unit, or (a mobilization meeting not recorded
    yet) planned on the participation's milestone date, half-day not known."""

    key: str
    point: LiaisonPoint
    participation: Participation
    meeting_type: str
    type_label: str
    day: date
    half_day: str | None
    place: str
    planned: bool
    meeting: Meeting | None = None
    attendance: MeetingAttendance | None = None
    clashes: list[KeyMeeting] = field(default_factory=list)
    clash_certain: bool = False

    @property
    def half_day_label(self) -> str:
        from django.utils.translation import gettext as _

        return {"am": _("上午"), "pm": _("下午")}.get(self.half_day or "", _("时段未定"))


def leader_points(user: Any) -> QuerySet[LiaisonPoint]:
    """A leader's own points, within the subtrees where they may record attendance."""
    if not getattr(user, "is_authenticated", False):
        return LiaisonPoint.objects.none()
    paths = scope_paths(user, "attend")
    qs = LiaisonPoint.objects.filter(leader=user)
    if paths is not None:
        from echelon.core.tree import subtree_q

        qs = qs.filter(subtree_q("path", paths)) if paths else qs.none()
    return qs.select_related("unit", "campaign", "leader")


def points_for(user: Any) -> QuerySet[LiaisonPoint]:
    return LiaisonPoint.objects.visible_to(user).select_related("unit", "campaign", "leader")


def _point_participations(points: Sequence[LiaisonPoint]) -> dict[int, list[Participation]]:
    """Point id -> the participations it covers (its campaign's, or every campaign's)."""
    if not points:
        return {}
    q = Q()
    for p in points:
        q |= Q(unit_id=p.unit_id, campaign_id=p.campaign_id) if p.campaign_id else Q(unit_id=p.unit_id)
    parts = list(Participation.objects.filter(q).select_related("campaign", "unit").order_by("campaign_id"))
    out: dict[int, list[Participation]] = {}
    for p in points:
        out[p.pk] = [
            x
            for x in parts
            if x.unit_id == p.unit_id and (not p.campaign_id or x.campaign_id == p.campaign_id)
        ]
    return out


def key_meeting_of(
    participation: Participation, meeting_type: str
) -> tuple[date, str | None, str, Meeting | None] | None:
    """(day, half-day, place, recorded meeting) of one key meeting of a participation, or None."""
    meeting = (
        Meeting.objects.filter(participation=participation, type=meeting_type)
        .order_by("-date", "-id")
        .first()
    )
    if meeting is not None:
        return meeting.date, meeting.half_day, meeting.place, meeting
    if meeting_type == MeetingType.MOBILIZATION and participation.milestone_date:
        return participation.milestone_date, None, participation.unit.name, None
    return None


def key_meetings(points: Sequence[LiaisonPoint]) -> list[KeyMeeting]:
    """The key meetings at ``points`` (each point's leader's attendance attached), by date, with clashes
    flagged per leader (see ``clashes.py``)."""
    from echelon.supervision import clashes

    covered = _point_participations(points)
    part_ids = sorted({x.pk for parts in covered.values() for x in parts})
    recorded: dict[tuple[int, str], Meeting] = {}
    for i in range(0, len(part_ids), ID_CHUNK):
        for m in Meeting.objects.filter(
            participation_id__in=part_ids[i : i + ID_CHUNK], type__in=KEY_MEETING_TYPES
        ).order_by("date", "id"):
            recorded[(m.participation_id, m.type)] = m  # the latest wins
    attendance: dict[tuple[int, int, str], MeetingAttendance] = {}
    leaders = {p.leader_id for p in points}
    for i in range(0, len(part_ids), ID_CHUNK):
        for a in MeetingAttendance.objects.filter(
            participation_id__in=part_ids[i : i + ID_CHUNK], leader_id__in=leaders
        ):
            attendance[(a.leader_id, a.participation_id, a.meeting_type)] = a
    labels = dict(MeetingType.choices)
    items: list[KeyMeeting] = []
    for point in points:
        for part in covered.get(point.pk, []):
            for t in KEY_MEETING_TYPES:
                m = recorded.get((part.pk, t))
                if m is not None:
                    day, half, place, planned = m.date, m.half_day, m.place, False
                elif t == MeetingType.MOBILIZATION and part.milestone_date:
                    day, half, place, planned = part.milestone_date, None, part.unit.name, True
                else:
                    continue
                items.append(
                    KeyMeeting(
                        key=f"{point.leader_id}:{part.pk}:{t}",
                        point=point,
                        participation=part,
                        meeting_type=t,
                        type_label=str(labels[t]),
                        day=day,
                        half_day=half,
                        place=place,
                        planned=planned,
                        meeting=m,
                        attendance=attendance.get((point.leader_id, part.pk, t)),
                    )
                )
    by_key = {k.key: k for k in items}
    for leader in leaders:
        mine = [k for k in items if k.point.leader_id == leader]
        slots = [clashes.Slot(k.key, k.day, k.half_day, k.place) for k in mine]
        for c in clashes.find_clashes(slots):
            a, b = by_key[c.a], by_key[c.b]
            a.clashes.append(b)
            b.clashes.append(a)
            a.clash_certain = a.clash_certain or c.certain
            b.clash_certain = b.clash_certain or c.certain
    items.sort(key=lambda k: (k.day, k.half_day or "", k.point.leader_id, k.participation.unit.code))
    return items


@dataclass
class PointStatus:
    point: LiaisonPoint
    meetings: list[KeyMeeting]

    @property
    def held(self) -> int:
        return sum(1 for m in self.meetings if not m.planned)

    @property
    def attended(self) -> int:
        return sum(1 for m in self.meetings if m.attendance is not None and m.attendance.attended)

    @property
    def complete(self) -> bool:
        return bool(self.meetings) and all(
            m.attendance is not None and m.attendance.attended for m in self.meetings if not m.planned
        )


def point_statuses(points: Sequence[LiaisonPoint]) -> list[PointStatus]:
    meetings = key_meetings(points)
    return [PointStatus(p, [m for m in meetings if m.point.pk == p.pk]) for p in points]


# ---------------------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------------------


def notifications_for(user: Any) -> QuerySet[Notification]:
    return Notification.objects.visible_to(user)


def unread_count(user: Any) -> int:
    return Notification.objects.visible_to(user).unread().count()
