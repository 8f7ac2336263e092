"""Who is told what (core's notifications, ADR 13): a submission → the responsible group's members; a
decision (pass, return, interview, redo, each its own kind) → the unit's operators and the submitter; and
the daily run (``notify_due``): a return or redo deadline three days away, a review waiting too long. The
notices link to their review or to the unit's phase page (the targets ``apps.py`` registers). A handled
item's notices mark themselves read, in the handling service's transaction: a submission's once the group
decides it (``settle_submission``), a decision's once the unit resubmits (``settle_decision``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import Grant
from echelon.accounts.roles import Role
from echelon.campaigns.models import Participation
from echelon.core import audit
from echelon.core import verbs as core_verbs
from echelon.core.actors import Actor
from echelon.core.models import Notification, NotificationKind
from echelon.core.notifications import notify, settle
from echelon.supervision import selectors
from echelon.supervision.models import Decision, Review, ReviewState, SupervisionGroup


def group_people(group_id: int | None) -> set[int]:
    """The members of a group and its leader."""
    if group_id is None:
        return set()
    group = SupervisionGroup.objects.filter(pk=group_id).values_list("leader_id", flat=True).first()
    people = set(
        SupervisionGroup.members.through.objects.filter(supervisiongroup_id=group_id).values_list(
            "user_id", flat=True
        )
    )
    return people | ({group} if group else set())


def unit_operators(unit_id: int) -> set[int]:
    """Users holding an ``operator`` grant at the unit itself (its secretary or liaison clerk)."""
    return set(Grant.objects.filter(unit_id=unit_id, role=Role.OPERATOR).values_list("user_id", flat=True))


def notify_submission(actor: Actor, review: Review, participation: Participation, phase_name: str) -> None:
    """A submission awaits review: the responsible group's members."""
    notify(
        group_people(review.group_id),
        kind=NotificationKind.REVIEW_WAITING,
        text=_("“%(unit)s”提交了“%(phase)s”，等待您所在的督导组审核。")
        % {"unit": participation.unit.name, "phase": phase_name},
        target=review,
        exclude=actor,
    )


# The notice a decision sends to the unit, by decision.
DECISION_KINDS = {
    Decision.PASS: NotificationKind.PASSED,
    Decision.RETURN: NotificationKind.RETURNED,
    Decision.INTERVIEW: NotificationKind.INTERVIEW,
    Decision.REDO: NotificationKind.REDO,
}


def notify_decided(actor: Actor, review: Review, participation: Participation, phase_name: str) -> None:
    """A decision (pass, return, interview or redo): the unit's operators (and whoever submitted), with the
    notice's kind and text saying which; it links to the unit's phase page."""
    decision = Decision(review.decision)
    comment = review.comment or "；".join(c["comment"] for c in review.checks if c.get("comment"))
    values = {
        "unit": participation.unit.name,
        "phase": phase_name,
        "deadline": review.deadline.isoformat() if review.deadline else "-",
        "who": review.interview_who,
        "when": review.interview_at.isoformat() if review.interview_at else "-",
        "comment": comment,
    }
    if decision == Decision.PASS:
        following = selectors.phase_name(participation.campaign, review.phase + 1)
        text = (
            _("“%(unit)s”的“%(phase)s”已审核通过，下一环节“%(next)s”已开启。") % {**values, "next": following}
            if following
            else _("“%(unit)s”的“%(phase)s”已审核通过，全部环节已完成。") % values
        )
    else:
        text = {
            Decision.RETURN: _("“%(unit)s”的“%(phase)s”被打回修改，期限 %(deadline)s。意见：%(comment)s"),
            Decision.REDO: _("“%(unit)s”的“%(phase)s”需要返工，期限 %(deadline)s。意见：%(comment)s"),
            Decision.INTERVIEW: _(
                "督导组就“%(unit)s”的“%(phase)s”提出约谈：约谈对象 %(who)s，日期 %(when)s。意见：%(comment)s"
            ),
        }[decision] % values
    notify(
        unit_operators(participation.unit_id)
        | ({review.submitted_by_id} if review.submitted_by_id else set()),
        kind=DECISION_KINDS[decision],
        text=text,
        target=participation,
        exclude=actor,
    )


def settle_submission(review: Review) -> int:
    """The group decided ``review``: its members' notices that it waits (or waits too long) are read."""
    return settle(review, kinds=[NotificationKind.REVIEW_WAITING, NotificationKind.OVERDUE])


def settle_decision(participation: Participation) -> int:
    """The unit resubmitted its phase after a return, interview or redo: the notices of that decision
    (and of its deadline) are read. Only the current phase can be waiting for a resubmission, so these are
    the unit's unread ones."""
    return settle(
        participation,
        kinds=[
            NotificationKind.RETURNED,
            NotificationKind.INTERVIEW,
            NotificationKind.REDO,
            NotificationKind.DEADLINE,
        ],
    )


@dataclass
class DueResult:
    deadlines: int = 0
    overdue: int = 0


def notify_due(*, actor: Actor = None, today: date | None = None) -> DueResult:
    """The daily run's notices, each made once per item and person: a return or redo deadline three days
    (or fewer) away and not resubmitted yet → the unit's operators; a submission waiting longer than the
    review due days → the group's members."""
    today = today or timezone.localdate()
    result = DueResult()
    with transaction.atomic():
        newer = Review.objects.filter(
            participation=OuterRef("participation"),
            phase=OuterRef("phase"),
            submitted_at__gt=OuterRef("submitted_at"),
        )
        due = (
            Review.objects.filter(
                state=ReviewState.DECIDED,
                decision__in=[Decision.RETURN, Decision.REDO],
                deadline__gte=today,
                deadline__lte=today + timedelta(days=3),
            )
            .filter(~Exists(newer))
            .select_related("participation__campaign", "unit")
        )
        for r in due.iterator(chunk_size=500):
            p = r.participation
            result.deadlines += notify(
                unit_operators(r.unit_id) | ({r.submitted_by_id} if r.submitted_by_id else set()),
                kind=NotificationKind.DEADLINE,
                text=_("“%(unit)s”的“%(phase)s”整改期限是 %(deadline)s（还有 %(n)d 天），请修改后重新提交。")
                % {
                    "unit": r.unit.name,
                    "phase": selectors.phase_name(p.campaign, r.phase),
                    "deadline": r.deadline.isoformat() if r.deadline else "",
                    "n": (r.deadline - today).days if r.deadline else 0,
                },
                target=p,
                key=f"deadline:{r.pk}",
            )
        late = timezone.now() - timedelta(days=selectors.review_due_days())
        overdue = Review.objects.filter(
            state=ReviewState.OPEN, submitted_at__lt=late, group__isnull=False
        ).select_related("campaign", "unit")
        for r in overdue.iterator(chunk_size=500):
            result.overdue += notify(
                group_people(r.group_id),
                kind=NotificationKind.OVERDUE,
                text=_("“%(unit)s”于 %(when)s 提交的“%(phase)s”已超过 %(days)d 天未审核。")
                % {
                    "unit": r.unit.name,
                    "when": timezone.localtime(r.submitted_at).date().isoformat(),
                    "phase": selectors.phase_name(r.campaign, r.phase),
                    "days": selectors.review_due_days(),
                },
                target=r,
                key=f"overdue:{r.pk}",
            )
        if result.deadlines or result.overdue:
            audit.record(
                actor=actor,
                verb=core_verbs.NOTIFICATION_GENERATE,
                object_type=Notification._meta.label_lower,
                object_repr=str(today),
                after={"deadlines": result.deadlines, "overdue": result.overdue, "day": today},
            )
    return result
