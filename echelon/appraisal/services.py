"""The democratic appraisal's services (民主评议党员): open a branch's appraisal, rate its members, finalise,
and record the follow-up of the members rated lowest.

Each runs in one transaction, checks the actor (``change`` at the branch, and being the branch or the level
directly responsible for it: ``access``), writes one audit event, and refuses bad input with a Chinese
message and nothing written. Ratings never outnumber the members present; a member of another branch, a
grade outside the campaign's scale, a member rated twice are refused. Once recorded, the ratings no longer
change. Follow-ups are the branch's own (a grant on the branch itself).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.appraisal import totals, verbs
from echelon.appraisal.access import branch_itself, responsible_for
from echelon.appraisal.models import Appraisal, FollowUp, FollowUpState, GradeCount, Rating, State
from echelon.campaigns.models import Campaign, Participation
from echelon.campaigns.specs import appraisal_settings
from echelon.core import audit
from echelon.core.actors import Actor, is_person
from echelon.core.locks import locked
from echelon.core.permissions import require
from echelon.core.text import within_length
from echelon.orgs.models import Member, Unit

MAX_NOTE = 2_000


def settings_of(campaign: Campaign) -> dict[str, Any]:
    """The campaign's appraisal settings: ``scale`` (best first), ``lowest``, ``phase``."""
    return appraisal_settings(campaign.template_data)


def _require_responsible(actor: Actor, path: str) -> None:
    """``change`` at the branch, as the branch itself or the level directly above it."""
    require(actor, "change", path)
    if not responsible_for(actor, path, "change"):
        raise PermissionDenied(_("民主评议由本支部或直接负责的上级组织登记。"))


def _person(actor: Actor) -> Any:
    return actor if is_person(actor) else None


def _check_meeting(campaign: Campaign, meeting_date: date | None, present: Any, members: int) -> int:
    if meeting_date is None:
        raise ValidationError({"meeting_date": _("请填写评议会日期。")})
    first, last = date(campaign.start.year - 1, 1, 1), date(campaign.end.year + 1, 12, 31)
    if not first <= meeting_date <= last:
        raise ValidationError(
            {"meeting_date": _("评议会日期 %(day)s 不在活动期间。") % {"day": meeting_date.isoformat()}}
        )
    if meeting_date > timezone.localdate():
        raise ValidationError({"meeting_date": _("评议会日期不能晚于今天。")})
    if not isinstance(present, int) or isinstance(present, bool) or present < 1:
        raise ValidationError({"present": _("到会党员人数至少为 1。")})
    if present > members:
        raise ValidationError(
            {
                "present": _("到会党员 %(present)d 人，多于本支部党员 %(members)d 人。")
                % {"present": present, "members": members}
            }
        )
    return present


def branch_members(unit: Unit) -> Any:
    """The members of a branch: those whose own unit it is (mobile members are appraised at home)."""
    return Member.objects.filter(unit=unit)


@transaction.atomic
def appraisal_create(
    *,
    actor: Actor,
    campaign: Campaign,
    unit: Unit,
    meeting_date: date | None,
    present: Any,
    note: str = "",
) -> Appraisal:
    """Open a branch's appraisal: the meeting's date and the number of members present."""
    _require_responsible(actor, unit.path)
    if not Participation.objects.filter(campaign=campaign, unit=unit).exists():
        raise ValidationError(_("%(unit)s没有参加这次活动。") % {"unit": unit.name})
    members = branch_members(unit).count()
    if members == 0:
        raise ValidationError(_("%(unit)s没有党员，不需要民主评议。") % {"unit": unit.name})
    if Appraisal.objects.filter(campaign=campaign, unit=unit).exists():
        raise ValidationError(_("%(unit)s已经登记了本次活动的民主评议。") % {"unit": unit.name})
    present = _check_meeting(campaign, meeting_date, present, members)
    assert meeting_date is not None
    appraisal = Appraisal.objects.create(
        campaign=campaign,
        unit=unit,
        path=unit.path,
        level=unit.level,
        phase=settings_of(campaign)["phase"],
        meeting_date=meeting_date,
        present=present,
        note=within_length((note or "").strip(), MAX_NOTE, _("说明")),
        created_by=_person(actor),
    )
    audit.record(
        actor=actor,
        verb=verbs.APPRAISAL_CREATE,
        obj=appraisal,
        unit_id=unit.pk,
        unit_path=unit.path,
        after={"meeting_date": meeting_date, "present": present},
    )
    return appraisal


def _locked(appraisal: Appraisal) -> Appraisal:
    """The appraisal read again under a row lock; refused once recorded."""
    row = locked(Appraisal, appraisal.pk, "unit", "campaign")
    if row.state != State.DRAFT:
        raise ValidationError(_("民主评议已经完成，不能再修改。"))
    return row


@transaction.atomic
def appraisal_update(
    *, actor: Actor, appraisal: Appraisal, meeting_date: date | None, present: Any, note: str = ""
) -> Appraisal:
    """Change the meeting's date, the number present or the note, while the appraisal is a draft."""
    _require_responsible(actor, appraisal.path)
    row = _locked(appraisal)
    members = branch_members(row.unit).count()
    present = _check_meeting(row.campaign, meeting_date, present, members)
    if present < row.rated:
        raise ValidationError(
            {
                "present": _("已评议 %(rated)d 人，到会人数不能少于已评议人数。") % {"rated": row.rated},
            }
        )
    before = {"meeting_date": row.meeting_date, "present": row.present, "note": row.note}
    assert meeting_date is not None
    row.meeting_date, row.present = meeting_date, present
    row.note = within_length((note or "").strip(), MAX_NOTE, _("说明"))
    row.save(update_fields=["meeting_date", "present", "note"])
    audit.record(
        actor=actor,
        verb=verbs.APPRAISAL_UPDATE,
        obj=row,
        unit_id=row.unit_id,
        unit_path=row.path,
        before=before,
        after={"meeting_date": row.meeting_date, "present": row.present, "note": row.note},
    )
    return row


def _recount(appraisal: Appraisal, lowest: Sequence[str]) -> Counter[str]:
    """The appraisal's counts per grade, from its ratings; its totals follow."""
    counts: Counter[str] = Counter(
        dict(
            Rating.objects.filter(appraisal=appraisal)
            .values_list("grade")
            .annotate(n=Count("id"))
            .values_list("grade", "n")
        )
    )
    appraisal.rated = sum(counts.values())
    appraisal.lowest = sum(n for g, n in counts.items() if g in lowest)
    appraisal.save(update_fields=["rated", "lowest"])
    return counts


@transaction.atomic
def ratings_record(
    *,
    actor: Actor,
    appraisal: Appraisal,
    entries: Sequence[tuple[str, str]],
    amend: bool = False,
) -> Appraisal:
    """Grades of members, as (member code, grade) pairs; an empty grade leaves the member unrated (or, with
    ``amend``, takes a grade back). Without ``amend`` a member already rated is refused (a duplicate);
    with it (the rating sheet) their grade changes. Never more members rated than present."""
    _require_responsible(actor, appraisal.path)
    row = _locked(appraisal)
    settings = settings_of(row.campaign)
    scale: list[str] = settings["scale"]
    errors: list[str] = []
    codes = [str(code).strip() for code, _grade in entries]
    seen: Counter[str] = Counter(codes)
    for code, n in seen.items():
        if n > 1:
            errors.append(_("党员 %(code)s 重复评议。") % {"code": code})
    members = {
        m.code: m for m in Member.objects.filter(code__in=list(seen)).only("id", "code", "name", "unit_id")
    }
    existing = {r.member_id: r for r in Rating.objects.filter(appraisal=row)}
    creates: list[Rating] = []
    updates: list[Rating] = []
    removes: list[int] = []
    for code, grade in entries:
        code, grade = str(code).strip(), str(grade or "").strip()
        member = members.get(code)
        if member is None or member.unit_id != row.unit_id:
            name = member.name if member is not None else code
            errors.append(_("%(name)s不是本支部党员。") % {"name": name})
            continue
        if grade and grade not in scale:
            errors.append(
                _("“%(grade)s”不是评议等次（%(scale)s）。") % {"grade": grade[:20], "scale": "、".join(scale)}
            )
            continue
        rating = existing.get(member.pk)
        if rating is not None and not amend:
            errors.append(_("%(name)s已经评议过，请修改原评议。") % {"name": member.name})
        elif rating is None and grade:
            creates.append(Rating(appraisal=row, member=member, grade=grade))
        elif rating is not None and not grade:
            if FollowUp.objects.filter(rating=rating).exists():
                errors.append(_("%(name)s已有帮助谈话记录，不能撤销评议。") % {"name": member.name})
            removes.append(rating.pk)
        elif rating is not None and rating.grade != grade:
            rating.grade = grade
            updates.append(rating)
    if not entries:
        errors.append(_("请至少评议一名党员。"))
    rated = len(existing) + len(creates) - len(removes)
    if not errors and rated > row.present:
        errors.append(
            _("评议 %(rated)d 人，多于到会党员 %(present)d 人。") % {"rated": rated, "present": row.present}
        )
    if errors:
        raise ValidationError(errors)
    before = dict(Counter(r.grade for r in existing.values()))
    Rating.objects.filter(pk__in=removes).delete()
    Rating.objects.bulk_create(creates)
    Rating.objects.bulk_update(updates, ["grade"])
    counts = _recount(row, settings["lowest"])
    audit.record(
        actor=actor,
        verb=verbs.RATING_RECORD,
        obj=row,
        unit_id=row.unit_id,
        unit_path=row.path,
        before={"counts": before},
        after={"counts": dict(counts), "members": len(creates) + len(updates) + len(removes)},
    )
    return row


@transaction.atomic
def rating_amend(*, actor: Actor, rating: Rating, grade: str) -> Rating:
    """Change one member's grade before the appraisal is finalised."""
    appraisal = rating.appraisal
    ratings_record(actor=actor, appraisal=appraisal, entries=[(rating.member.code, grade)], amend=True)
    return Rating.objects.select_related("member", "appraisal").filter(pk=rating.pk).first() or rating


@transaction.atomic
def appraisal_confirm(*, actor: Actor, appraisal: Appraisal) -> Appraisal:
    """Finalise (draft → recorded): every member present rated, no more and no fewer."""
    _require_responsible(actor, appraisal.path)
    row = _locked(appraisal)
    if row.rated != row.present:
        raise ValidationError(
            _("已评议 %(rated)d 人，与到会党员 %(present)d 人不符：请评议每一名到会党员或修改到会人数。")
            % {"rated": row.rated, "present": row.present}
        )
    row.state = State.RECORDED
    row.recorded_at = timezone.now()
    row.recorded_by = _person(actor)
    row.save(update_fields=["state", "recorded_at", "recorded_by"])
    counts = _recount(row, settings_of(row.campaign)["lowest"])
    GradeCount.objects.bulk_create(
        GradeCount(campaign_id=row.campaign_id, appraisal=row, path=row.path, grade=g, count=n)
        for g, n in counts.items()
    )
    totals.add(row, counts)
    audit.record(
        actor=actor,
        verb=verbs.APPRAISAL_CONFIRM,
        obj=row,
        unit_id=row.unit_id,
        unit_path=row.path,
        before={"state": State.DRAFT},
        after={"state": row.state, "counts": dict(counts)},
    )
    return row


def _require_branch(actor: Actor, path: str) -> None:
    require(actor, "change", path)
    if not branch_itself(actor, path, "change"):
        raise PermissionDenied(_("帮助谈话由本支部登记。"))


def _check_followup_dates(row: Appraisal, talk_date: date | None, deadline: date | None) -> None:
    errors: dict[str, str] = {}
    if talk_date is None:
        errors["talk_date"] = _("请填写谈话日期。")
    elif talk_date < row.meeting_date:
        errors["talk_date"] = _("谈话日期不能早于评议会。")
    elif talk_date > timezone.localdate():
        errors["talk_date"] = _("谈话日期不能晚于今天。")
    if deadline is None:
        errors["deadline"] = _("请填写整改期限。")
    elif talk_date is not None and deadline < talk_date:
        errors["deadline"] = _("整改期限不能早于谈话日期。")
    elif deadline.year > row.meeting_date.year + 2:
        errors["deadline"] = _("整改期限不能超过评议后两年。")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def followup_record(
    *, actor: Actor, rating: Rating, talk_date: date | None, talk: str, deadline: date | None
) -> FollowUp:
    """The talk with a member rated in a lowest grade (帮助谈话) and the deadline to improve."""
    row = locked(Appraisal, rating.appraisal_id, "campaign")
    _require_branch(actor, row.path)
    if row.state != State.RECORDED:
        raise ValidationError(_("民主评议完成后才能登记帮助谈话。"))
    rating = Rating.objects.select_related("member").get(pk=rating.pk)
    lowest = settings_of(row.campaign)["lowest"]
    if rating.grade not in lowest:
        raise ValidationError(
            _("%(name)s评为“%(grade)s”，只有评为%(lowest)s的党员需要帮助谈话。")
            % {"name": rating.member.name, "grade": rating.grade, "lowest": "、".join(lowest)}
        )
    if FollowUp.objects.filter(rating=rating).exists():
        raise ValidationError(_("%(name)s已有帮助谈话记录。") % {"name": rating.member.name})
    text = within_length((talk or "").strip(), MAX_NOTE, _("谈话内容"))
    if not text:
        raise ValidationError({"talk": _("请填写谈话内容。")})
    _check_followup_dates(row, talk_date, deadline)
    assert talk_date is not None and deadline is not None
    followup = FollowUp.objects.create(
        rating=rating,
        path=row.path,
        talk_date=talk_date,
        talk=text,
        deadline=deadline,
        created_by=_person(actor),
    )
    audit.record(
        actor=actor,
        verb=verbs.FOLLOWUP_RECORD,
        obj=followup,
        unit_id=row.unit_id,
        unit_path=row.path,
        after={"member": rating.member.name, "talk_date": talk_date, "deadline": deadline},
    )
    return followup


@transaction.atomic
def followup_close(*, actor: Actor, followup: FollowUp, outcome: str) -> FollowUp:
    """The outcome of the member's improvement, which closes the follow-up."""
    row = locked(FollowUp, followup.pk, "rating__member", "rating__appraisal")
    _require_branch(actor, row.path)
    if row.state == FollowUpState.CLOSED:
        raise ValidationError(_("这条帮助谈话已经办结。"))
    text = within_length((outcome or "").strip(), MAX_NOTE, _("整改结果"))
    if not text:
        raise ValidationError({"outcome": _("请填写整改结果。")})
    row.outcome, row.state, row.closed_at = text, FollowUpState.CLOSED, timezone.now()
    row.save(update_fields=["outcome", "state", "closed_at"])
    audit.record(
        actor=actor,
        verb=verbs.FOLLOWUP_CLOSE,
        obj=row,
        unit_id=row.rating.appraisal.unit_id,
        unit_path=row.path,
        before={"state": FollowUpState.OPEN},
        after={"state": row.state, "outcome": text},
    )
    return row


def grade_choices(campaign: Campaign) -> list[str]:
    return list(settings_of(campaign)["scale"])


def entries_from(grades: Mapping[str, str]) -> list[tuple[str, str]]:
    """(member code, grade) pairs from a {code: grade} mapping (the rating sheet's form)."""
    return [(code, grade) for code, grade in grades.items()]
