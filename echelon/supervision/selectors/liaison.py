"""Liaison points (联系点) and their key meetings: a leader's points, the meetings there with the leader's
attendance and clashes flagged, each point's status. A key meeting is the one the unit recorded, or, until
the unit holds it and while its phase is not over, the one its plan dates: the template's milestones (the
mobilization meeting at a unit's start, the special democratic life meeting — an organizational life
meeting for villages, communities and non-public organizations — at the end of the examination), so that
leaders can plan to attend (出席并指导动员大会和专题民主生活会)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from echelon.campaigns.models import Participation, PlanPhase
from echelon.core.querysets import scope_paths
from echelon.core.tree import subtree_q
from echelon.supervision import clashes
from echelon.supervision.models import LiaisonPoint, Meeting, MeetingAttendance, MeetingType
from echelon.supervision.selectors.coverage import ID_CHUNK

KEY_MEETING_TYPES = (MeetingType.MOBILIZATION, MeetingType.DEMOCRATIC_LIFE, MeetingType.ORG_LIFE)
# The special life meeting of a unit: one of the two, by the kind of unit (the plan dates it as one).
LIFE_MEETINGS = (MeetingType.DEMOCRATIC_LIFE, MeetingType.ORG_LIFE)
ORG_LIFE_KINDS = frozenset({"village", "community", "nonpublic", "social"})


def planned_type(milestone_key: str, kind: str) -> str | None:
    """The key meeting a template milestone stands for at a unit of ``kind`` (None: not a key meeting)."""
    if milestone_key == MeetingType.MOBILIZATION:
        return MeetingType.MOBILIZATION
    if milestone_key in LIFE_MEETINGS:
        return MeetingType.ORG_LIFE if kind in ORG_LIFE_KINDS else MeetingType.DEMOCRATIC_LIFE
    return None


def planned_meetings(parts: Sequence[Participation]) -> dict[tuple[int, str], date]:
    """(participation id, meeting type) -> the day the plan dates a key meeting, for the phases not over
    yet (a unit that has passed the phase without recording the meeting has nothing planned any more)."""
    wanted: dict[int, list[tuple[int, str, str]]] = {}  # participation -> (phase, type, at)
    milestones: dict[int, list[tuple[int, Any]]] = {}  # per campaign, its template read once
    for part in parts:
        if part.campaign_id not in milestones:
            milestones[part.campaign_id] = part.campaign.spec.milestones()
        for phase, milestone in milestones[part.campaign_id]:
            kind = planned_type(milestone.key, part.kind)
            if kind is not None and part.current_phase <= phase:
                wanted.setdefault(part.pk, []).append((phase, kind, milestone.at))
    if not wanted:
        return {}
    ids = sorted(wanted)
    dates: dict[tuple[int, int], tuple[date, date]] = {}
    for i in range(0, len(ids), ID_CHUNK):
        rows = PlanPhase.objects.filter(
            participation_id__in=ids[i : i + ID_CHUNK],
            phase__in=sorted({phase for marks in wanted.values() for phase, _t, _a in marks}),
        ).values_list("participation_id", "phase", "start", "end")
        for pid, phase, start, end in rows:
            dates[(pid, phase)] = (start, end)
    planned: dict[tuple[int, str], date] = {}
    for pid, marks in wanted.items():
        for phase, kind, at in marks:
            if (pid, phase) in dates:
                first, last = dates[(pid, phase)]
                planned[(pid, kind)] = first if at == "start" else last
    return planned


@dataclass
class KeyMeeting:
    """A key meeting at a liaison point: recorded by the unit, or (not recorded yet) planned on the day its
    plan gives it (``planned_meetings``), half-day not known."""

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
        return {"am": _("上午"), "pm": _("下午")}.get(self.half_day or "", _("时段未定"))


def leader_points(user: Any) -> QuerySet[LiaisonPoint]:
    """A leader's own points, within the subtrees where they may record attendance."""
    if not getattr(user, "is_authenticated", False):
        return LiaisonPoint.objects.none()
    paths = scope_paths(user, "attend")
    qs = LiaisonPoint.objects.filter(leader=user)
    if paths is not None:
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
    """(day, half-day, place, recorded meeting) of one key meeting of a participation (recorded, else as
    planned), or None."""
    meeting = (
        Meeting.objects.filter(participation=participation, type=meeting_type)
        .order_by("-date", "-id")
        .first()
    )
    if meeting is not None:
        return meeting.date, meeting.half_day, meeting.place, meeting
    if (
        meeting_type in LIFE_MEETINGS
        and Meeting.objects.filter(participation=participation, type__in=LIFE_MEETINGS).exists()
    ):
        return None  # held as the other kind of life meeting
    day = planned_meetings([participation]).get((participation.pk, meeting_type))
    if day is not None:
        return day, None, participation.unit.name, None
    return None


def key_meetings(points: Sequence[LiaisonPoint]) -> list[KeyMeeting]:
    """The key meetings at ``points`` (each point's leader's attendance attached), by date, with clashes
    flagged per leader (see ``clashes.py``)."""
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
    by_pk = {x.pk: x for parts in covered.values() for x in parts}
    scheduled = planned_meetings(list(by_pk.values()))
    items: list[KeyMeeting] = []
    for point in points:
        for part in covered.get(point.pk, []):
            held_life = any((part.pk, t) in recorded for t in LIFE_MEETINGS)
            for t in KEY_MEETING_TYPES:
                m = recorded.get((part.pk, t))
                if m is not None:
                    day, half, place, planned = m.date, m.half_day, m.place, False
                elif (part.pk, t) in scheduled and not (t in LIFE_MEETINGS and held_life):
                    day, half, place, planned = scheduled[(part.pk, t)], None, part.unit.name, True
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
