"""Liaison points (联系点): an office gives a leader units to guide or link (``liaison_add``,
``liaison_remove``, the default proposal ``liaison_defaults``); the leader records attendance at the key
meetings there (``attendance_record``)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import Grant, User, user_of
from echelon.accounts.roles import Role
from echelon.campaigns.models import Batch, Campaign, Participation
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.locks import locked
from echelon.core.permissions import allowed, require
from echelon.core.text import within_length
from echelon.orgs.models import Unit
from echelon.supervision import selectors, verbs
from echelon.supervision.models import LiaisonKind, LiaisonPoint, MeetingAttendance, MeetingType
from echelon.supervision.services.groups import require_dispatch_in

LIAISON_FIELDS = ["leader_id", "unit_id", "campaign_id", "kind"]


def _is_leader_at(user: User, path: str) -> bool:
    """The user holds the liaison-leader role (``attend``) over ``path``."""
    grants = Grant.objects.filter(user=user, role=Role.LEADER, unit__is_active=True).values_list(
        "unit__path", flat=True
    )
    return any(path.startswith(p) for p in grants)


def liaison_add(
    *, actor: Actor, leader: User, unit: Unit, kind: str = LiaisonKind.LINK, campaign: Campaign | None = None
) -> LiaisonPoint:
    """Give a leader a liaison point. An office may do this within its subtree; the leader must hold the
    liaison-leader role over the unit (so they may record attendance there)."""
    if kind not in LiaisonKind.values:
        raise ValidationError(_("请选择联系方式（指导或联系）。"))
    with transaction.atomic():
        unit = Unit.objects.get(pk=unit.pk)
        require(actor, "dispatch", unit.path)
        if not _is_leader_at(leader, unit.path):
            raise ValidationError(
                _("“%(user)s”没有覆盖“%(unit)s”的联系点领导授权。") % {"user": leader, "unit": unit.name}
            )
        if campaign is not None and not unit.path.startswith(campaign.path):
            raise ValidationError(_("“%(unit)s”不在活动范围内。") % {"unit": unit.name})
        if LiaisonPoint.objects.filter(leader=leader, unit=unit, campaign=campaign).exists():
            raise ValidationError(
                _("“%(unit)s”已经是“%(user)s”的联系点。") % {"unit": unit.name, "user": leader}
            )
        point = LiaisonPoint.objects.create(
            leader=leader, unit=unit, path=unit.path, campaign=campaign, kind=kind, created_by=user_of(actor)
        )
        audit.record(
            actor=actor,
            verb=verbs.LIAISON_POINT_ADD,
            obj=point,
            object_repr=f"{leader} · {point.get_kind_display()} · {unit.name}",
            unit_id=unit.pk,
            unit_path=unit.path,
            after=audit.snapshot(point, LIAISON_FIELDS),
        )
        return point


def liaison_remove(*, actor: Actor, point: LiaisonPoint) -> None:
    with transaction.atomic():
        point = locked(LiaisonPoint, point.pk, "unit", "leader")
        require(actor, "dispatch", point.path)
        audit.record(
            actor=actor,
            verb=verbs.LIAISON_POINT_REMOVE,
            obj=point,
            object_repr=f"{point.leader} · {point.get_kind_display()} · {point.unit.name}",
            unit_id=point.unit_id,
            unit_path=point.path,
            before=audit.snapshot(point, LIAISON_FIELDS),
        )
        point.delete()


def liaison_batch(campaign: Campaign, today: date | None = None) -> Batch | None:
    """The batch liaison points follow: the one running ``today``, else the next to start, else the last
    (a past campaign). Batch one's leagues had long finished when batch two's leaders took their points."""
    today = today or timezone.localdate()
    batches = list(campaign.batches.order_by("ordinal"))
    running = [b for b in batches if b.window_start <= today <= b.window_end]
    upcoming = sorted((b for b in batches if b.window_start > today), key=lambda b: b.window_start)
    chosen = running or upcoming or batches[-1:]
    return chosen[0] if chosen else None


def liaison_defaults(*, actor: Actor, campaign: Campaign, batch: Batch | None = None) -> list[LiaisonPoint]:
    """The default proposal: each user holding the ``leader`` role at the campaign's root who has no
    point in this campaign yet guides one league (level below the root) and links one county (two levels
    below), taken in code order and round-robin so that leaders are spread: leader *i* (by username)
    guides league *i*, and links the first free county of the next league. The points follow the batches:
    only leagues and counties taking part in ``batch`` (by default ``liaison_batch``: the one running).
    Only units within the actor's change scope; deterministic."""
    require_dispatch_in(actor, campaign)
    root = campaign.root
    batch = batch or liaison_batch(campaign)
    created: list[LiaisonPoint] = []
    if batch is None:
        return created
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=campaign.pk)
        leader_ids = Grant.objects.filter(unit=root, role=Role.LEADER).values_list("user_id", flat=True)
        leaders = [
            u
            for u in User.objects.filter(pk__in=list(leader_ids), is_active=True).order_by("username")
            if not LiaisonPoint.objects.filter(leader=u, campaign=campaign).exists()
        ]
        if not leaders:
            return created
        taking_part = Participation.objects.filter(campaign=campaign, batch=batch).values("unit_id")
        below = Unit.objects.filter(
            path__startswith=root.path, is_active=True, kind__in=["leadership"], pk__in=taking_part
        )
        leagues = list(below.filter(level=root.level + 1).order_by("code"))
        counties = list(below.filter(level=root.level + 2).order_by("code"))
        if not leagues and not counties:
            return created
        taken = set(
            LiaisonPoint.objects.filter(campaign=campaign, kind=LiaisonKind.LINK).values_list(
                "unit_id", flat=True
            )
        )
        guided = set(
            LiaisonPoint.objects.filter(campaign=campaign, kind=LiaisonKind.GUIDE).values_list(
                "unit_id", flat=True
            )
        )
        free_leagues = [u for u in leagues if u.pk not in guided] or leagues
        for i, leader in enumerate(leaders):
            league = free_leagues[i % len(free_leagues)] if free_leagues else None
            if league is not None and allowed(actor, "dispatch", league.path):
                created.append(
                    liaison_add(
                        actor=actor, leader=leader, unit=league, kind=LiaisonKind.GUIDE, campaign=campaign
                    )
                )
            nxt = free_leagues[(i + 1) % len(free_leagues)] if free_leagues else None
            free = [c for c in counties if c.pk not in taken]
            near = [c for c in free if nxt is not None and c.path.startswith(nxt.path)]
            county = (near or free or [None])[0]
            if county is not None and allowed(actor, "dispatch", county.path):
                taken.add(county.pk)
                created.append(
                    liaison_add(
                        actor=actor, leader=leader, unit=county, kind=LiaisonKind.LINK, campaign=campaign
                    )
                )
    return created


def attendance_record(
    *,
    actor: Actor,
    participation: Participation,
    meeting_type: str,
    attended: bool,
    note: str = "",
    leader: User | None = None,
    today: date | None = None,
) -> MeetingAttendance:
    """A leader records whether they attended a key meeting at one of their liaison points (action
    ``attend``). ``leader`` defaults to the actor; only the system or a superuser records for another."""
    today = today or timezone.localdate()
    leader = leader if leader is not None else user_of(actor)
    if leader is None or leader.pk is None:
        raise ValidationError(_("请指定联系点领导。"))
    if meeting_type not in selectors.KEY_MEETING_TYPES:
        raise ValidationError(_("只记录动员大会和专题民主（组织）生活会的出席情况。"))
    with transaction.atomic():
        participation = Participation.objects.select_related("unit", "campaign").get(pk=participation.pk)
        require(actor, "attend", participation.path)
        user = user_of(actor)
        if user is not None and user.pk != leader.pk and not user.is_superuser:
            raise PermissionDenied(_("只能记录本人的出席情况。"))
        point = LiaisonPoint.objects.filter(leader=leader, unit_id=participation.unit_id).filter(
            Q(campaign__isnull=True) | Q(campaign_id=participation.campaign_id)
        )
        if not point.exists():
            raise ValidationError(
                _("“%(unit)s”不是“%(user)s”的联系点。") % {"unit": participation.unit.name, "user": leader}
            )
        found = selectors.key_meeting_of(participation, meeting_type)
        if found is None:
            raise ValidationError(_("这个会议还没有日期：计划或会议记录出来后再记录出席。"))
        day, _half, _place, meeting = found
        if attended and day > today:
            raise ValidationError(
                _("会议还没有召开（%(day)s），开过后再记录出席。") % {"day": day.isoformat()}
            )
        row = (
            MeetingAttendance.objects.select_for_update()
            .filter(leader=leader, participation=participation, meeting_type=meeting_type)
            .first()
        )
        before = audit.snapshot(row, ["attended", "note", "date"]) if row is not None else None
        if row is None:
            row = MeetingAttendance(
                leader=leader, participation=participation, path=participation.path, meeting_type=meeting_type
            )
        row.meeting, row.date, row.attended = meeting, day, bool(attended)
        row.note = within_length(note, 200, _("说明"))
        row.recorded_by = user_of(actor)
        row.save()
        audit.record(
            actor=actor,
            verb=verbs.ATTENDANCE_RECORD,
            obj=row,
            object_repr=f"{leader} · {participation.unit.name} · {MeetingType(meeting_type).label}",
            unit_id=participation.unit_id,
            unit_path=participation.path,
            before=before,
            after={**audit.snapshot(row, ["attended", "note", "date"]), "meeting": row.meeting_id},
        )
        return row
