"""Gates: a unit submits its phase (``gate_submit``: every required action done), the responsible group
decides (``gate_decide``: pass / return / interview / redo). Exactly one of two concurrent decisions wins
(a conditional UPDATE); who submitted a phase, or holds an operator grant over the unit, never decides it
(ADR 11). A pass closes the phase and opens the next through the campaigns service.

The template's rules on actual progress hold at both acts (``campaigns.services.check_progress``): a phase
is submitted and passed no earlier than its minimum days after it started (the last one, of a unit that is
not flexible, no earlier than the unit's minimum duration), and a ``leader_first`` phase is passed only
after the unit's leadership body has passed it — unless an office overrode them for that phase with a
reason (``campaigns.services.phase_rules_override``), which the act's audit event then names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.accounts.roles import Role
from echelon.campaigns import progress
from echelon.campaigns import services as campaign_services
from echelon.campaigns.models import GateState, Participation, PhaseActual
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.errors import Conflict
from echelon.core.permissions import require
from echelon.core.text import within_length
from echelon.supervision import selectors, submit_checks, verbs
from echelon.supervision.models import ActionDone, Decision, Review, ReviewState
from echelon.supervision.services.groups import covered, grant_paths
from echelon.supervision.services.notices import (
    notify_decided,
    notify_submission,
    settle_decision,
    settle_submission,
)
from echelon.supervision.services.unit_work import unit_participation


class AlreadyDecided(Conflict):
    """Another reviewer decided this submission first (the API answers 409)."""


def _decider_error(actor: Actor, review: Review, participation: Participation) -> str | None:
    """Who submitted a phase never decides it, nor does anyone holding an operator grant on the unit."""
    user = user_of(actor)
    if user is None:
        return None
    if review.submitted_by_id == user.pk:
        return _("提交人不能审核自己提交的环节。")
    if covered(grant_paths(user, (Role.OPERATOR,)), participation.path):
        return _("您是该单位（或其上级）的联络员/书记：提交与审核须由不同的人负责。")
    return None


def _act_day(participation: Participation, day: date | None, today: date, *, what: str) -> date:
    """The date a gate act records as an actual start or end: the one the user entered (``day``), today by
    default; never the click time. It lies in the campaign's recording window (``check_recorded_date``)."""
    day = day or today
    campaign_services.check_recorded_date(participation, day, what=what, today=today)
    return day


def _ensure_started(
    participation: Participation, phase: int, day: date, today: date, *, actor: Actor
) -> None:
    """The phase's actual start (``day``), set by the first submission when nothing was recorded: written
    on behalf of the submitting ``actor`` (audited as them), already authorized by ``gate_submit``."""
    if PhaseActual.objects.filter(participation=participation, phase=phase).exists():
        return
    key = participation.campaign.spec.phases[phase].key
    campaign_services.phase_actual_record(
        actor=actor,
        participation=participation,
        phase_key=key,
        start=day,
        today=today,
        note=_("首次提交审核"),
        by_gate=True,
    )


def _explained(
    participation: Participation, phase_key: str, given: Mapping[str, str]
) -> list[dict[str, str]]:
    """Each unfinished item of the registered submit checks with the unit's explanation; refused
    (ValidationError naming them) when any explanation is missing."""
    items = submit_checks.pending(participation, phase_key)
    out, missing = [], []
    for item in items:
        text = within_length((given.get(item.key) or "").strip(), 1_000, item.label)
        if not text:
            missing.append(item.label)
        out.append({"key": item.key, "label": item.label, "text": text})
    if missing:
        raise ValidationError(
            _("还有 %(n)d 项整改事项未销号，提交本环节须逐项说明原因：%(names)s。")
            % {"n": len(missing), "names": "；".join(missing[:10]) + ("……" if len(missing) > 10 else "")}
        )
    return out


def _require_children_done(participation: Participation, phase: int) -> None:
    """A phase marked ``requires_children`` in the template (e.g. the summary) closes only when every
    unit directly below taking part in the same batch has passed it."""
    spec_phase = participation.campaign.spec.phases[phase]
    if not spec_phase.requires_children:
        return
    pending = Participation.objects.filter(
        batch_id=participation.batch_id, unit__parent_id=participation.unit_id, current_phase__lte=phase
    )  # the units below in the same batch (the region's own batch one does not wait for the leagues)
    n = pending.count()
    if n:
        names = "、".join(pending.order_by("path").values_list("unit__name", flat=True)[:5])
        raise ValidationError(
            _("下级单位还有 %(n)d 个没有通过“%(phase)s”（%(names)s等），本单位的这一环节暂不能结束。")
            % {"n": n, "phase": spec_phase.name, "names": names}
        )


def _set_gate(participation: Participation, gate: str, day: date) -> None:
    """Keep the participation's summary of its current phase's gate and since when (what the dashboards
    count: waiting for review, returned, reviews overdue)."""
    participation.gate, participation.gate_at = gate, day
    progress.save(participation, ["gate", "gate_at"])


def _close_phase(participation: Participation, phase: int, day: date, today: date, *, actor: Actor) -> None:
    """Close ``phase`` on ``day`` and open the next one that day, through the campaigns service, on behalf
    of ``actor`` (the reviewer who passed it, or the submitter of a phase without a gate): the phase actuals
    are audited as them; the caller has authorized the act."""
    _require_children_done(participation, phase)
    phases = participation.campaign.spec.phases
    actual = PhaseActual.objects.get(participation=participation, phase=phase)
    campaign_services.phase_actual_record(
        actor=actor,
        participation=participation,
        phase_key=phases[phase].key,
        start=actual.start,
        end=day,
        today=today,
        note=_("督导组审核通过"),
        by_gate=True,
    )
    if phase + 1 < len(phases):
        campaign_services.phase_actual_record(
            actor=actor,
            participation=participation,
            phase_key=phases[phase + 1].key,
            start=day,
            today=today,
            note=_("上一环节通过后开启"),
            by_gate=True,
        )


def gate_submit(
    *,
    actor: Actor,
    participation: Participation,
    note: str = "",
    today: date | None = None,
    day: date | None = None,
    explanations: Mapping[str, str] | None = None,
) -> Review:
    """Submit the unit's current phase. Every required action must be done (the error names what is
    missing). A gated phase goes to the responsible group; a phase without a gate closes at once.

    ``day``: the date the user gives for the act (today by default, within the campaign's recording
    window): the phase's actual start when none was recorded, and its end when it has no gate.

    ``explanations``: the unit's word on each item the registered submit checks list as unfinished
    (``submit_checks``; the ledger's unverified tasks in the rectification phase): every one needs a text."""
    today = today or timezone.localdate()
    with transaction.atomic():
        participation = unit_participation(actor, participation)
        day = _act_day(participation, day, today, what=_("提交日期"))
        state = selectors.phase_state(participation)
        if state.finished:
            raise ValidationError(_("所有环节均已完成。"))
        if state.open_review is not None:
            raise ValidationError(_("本环节已提交，正在等待督导组审核。"))
        if state.missing:
            raise ValidationError(
                _("还有 %(n)d 项规定动作未完成：%(names)s。")
                % {"n": len(state.missing), "names": "；".join(a.name for a in state.missing)}
            )
        _require_children_done(participation, state.index)
        explained = _explained(participation, state.key, explanations or {})
        # A phase without a gate closes with its submission: the leadership body's rule holds then too.
        override = campaign_services.check_progress(
            participation, state.index, day, act=_("提交"), leader=not state.gate
        )
        groups = selectors.responsible_groups(participation) if state.gate else []
        if state.gate and not groups:
            raise ValidationError(
                _("“%(unit)s”还没有负责的督导组（或指导员），请联系上级领导小组办公室指派。")
                % {"unit": participation.unit.name}
            )
        _ensure_started(participation, state.index, day, today, actor=actor)
        now = timezone.now()
        review = Review(
            campaign_id=participation.campaign_id,
            participation=participation,
            unit_id=participation.unit_id,
            path=participation.path,
            level=participation.level,
            phase=state.index,
            group=groups[0] if groups else None,
            submitted_at=now,
            submitted_by=user_of(actor),
            note=within_length(note, 2_000, _("提交说明")),
            explanations=explained,
        )
        if not state.gate:
            review.state, review.decision, review.decided_at = ReviewState.DECIDED, Decision.PASS, now
            review.comment = _("本环节不设关口，规定动作完成即结束。")
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError as exc:
            raise ValidationError(_("本环节已提交，正在等待督导组审核。")) from exc
        # Whatever the unit was told to fix in this phase is handled by this submission.
        settled = settle_decision(participation)
        if not state.gate:
            _close_phase(participation, state.index, day, today, actor=actor)
        else:
            _set_gate(participation, GateState.OPEN, today)
            notify_submission(actor, review, participation, state.name)
        audit.record(
            actor=actor,
            verb=verbs.REVIEW_SUBMIT,
            obj=review,
            object_repr=f"{participation.unit.name} · {state.name}",
            unit_id=participation.unit_id,
            unit_path=participation.path,
            after={
                "phase": state.key,
                "group": review.group_id,
                "gate": state.gate,
                "closed": not state.gate,
                "override": override.pk if override is not None else None,
                "notices_read": settled,
            },
        )
        return review


@dataclass
class CheckResult:
    passed: bool
    comment: str = ""


def gate_decide(
    *,
    actor: Actor,
    review: Review,
    decision: str,
    checks: Mapping[str, CheckResult],
    comment: str = "",
    deadline: date | None = None,
    interview_who: str = "",
    interview_at: date | None = None,
    interview_required: str = "",
    today: date | None = None,
    day: date | None = None,
) -> Review:
    """The responsible group's decision on an open submission: pass (the phase closes, the next opens),
    return (打回, fix by ``deadline``), interview (约谈: who, when, what was required) or redo (返工: the
    phase's actions are cleared and must be done again; materials stay as versions).

    Two reviewers at once: the decision is written by one conditional UPDATE (``state = open``); the
    loser's UPDATE matches no row and gets ``AlreadyDecided`` ("已被其他人处理").

    ``day``: the date the user gives for a pass (today by default, within the campaign's recording window):
    the phase's actual end and the next phase's start."""
    today = today or timezone.localdate()
    if decision not in Decision.values:
        raise ValidationError(_("请选择审核决定。"))
    comment = within_length(comment, 5_000, _("审核意见"))
    interview_who = within_length(interview_who, 200, _("约谈对象"))
    interview_required = within_length(interview_required, 5_000, _("约谈要求"))
    for result in checks.values():
        within_length(result.comment, 2_000, _("检查意见"))
    uses_deadline = decision in (Decision.RETURN, Decision.REDO)
    if uses_deadline and deadline is not None and not today <= deadline <= today + timedelta(days=366):
        raise ValidationError(_("整改期限须在今天至一年之内。"))
    if interview_at is not None and abs((interview_at - today).days) > 366:
        raise ValidationError(_("约谈日期须在今天前后一年之内。"))
    with transaction.atomic():
        review = Review.objects.select_related("participation__campaign", "unit").get(pk=review.pk)
        participation = review.participation
        require(actor, "review", participation.path)
        if not selectors.may_review(actor, participation):
            raise PermissionDenied(_("只有负责该单位的督导组成员可以审核。"))
        if error := _decider_error(actor, review, participation):
            raise PermissionDenied(error)
        if review.state != ReviewState.OPEN:
            raise AlreadyDecided(
                _("该提交已被其他人处理（%(decision)s）。") % {"decision": review.get_decision_display()}
            )
        state = selectors.phase_state(participation, review.phase)
        names = {c["key"]: c["name"] for c in state.checks}
        missing = [names[k] for k in names if k not in checks]
        if missing:
            raise ValidationError(_("请逐项给出检查结论：%(names)s。") % {"names": "、".join(missing)})
        results = [
            {
                "key": k,
                "name": names[k],
                "passed": bool(checks[k].passed),
                "comment": checks[k].comment.strip(),
            }
            for k in names
        ]
        failed = [str(r["name"]) for r in results if not r["passed"]]
        if decision == Decision.PASS and failed:
            raise ValidationError(
                _("不达目的不过关：%(names)s未通过，不能审核通过。") % {"names": "、".join(failed)}
            )
        if decision != Decision.PASS and not comment and not any(r["comment"] for r in results):
            raise ValidationError(_("打回、约谈或返工时，请写明意见。"))
        if decision == Decision.RETURN and (deadline is None or deadline < today):
            raise ValidationError(_("打回修改须给出不早于今天的整改期限。"))
        if decision == Decision.INTERVIEW and not (
            interview_who.strip() and interview_at and interview_required.strip()
        ):
            raise ValidationError(_("约谈须写明约谈对象、日期和提出的要求。"))
        # A pass ends the phase on the day given (not before the phase's start: the campaigns service).
        closing = (
            _act_day(participation, day, today, what=_("通过日期")) if decision == Decision.PASS else today
        )
        override = None
        if decision == Decision.PASS:
            override = campaign_services.check_progress(participation, review.phase, closing, act=_("通过"))
        now = timezone.now()
        won = Review.objects.filter(pk=review.pk, state=ReviewState.OPEN).update(
            state=ReviewState.DECIDED,
            decision=decision,
            decided_at=now,
            decided_by=user_of(actor),
            comment=comment,
            checks=results,
            deadline=deadline if decision in (Decision.RETURN, Decision.REDO) else None,
            interview_who=interview_who.strip()[:200] if decision == Decision.INTERVIEW else "",
            interview_at=interview_at if decision == Decision.INTERVIEW else None,
            interview_required=interview_required.strip() if decision == Decision.INTERVIEW else "",
        )
        if not won:
            raise AlreadyDecided(_("该提交已被其他人处理，您的决定未保存。请刷新查看结果。"))
        _set_gate(participation, GateState.NONE if decision == Decision.PASS else decision, today)
        if decision == Decision.PASS:
            _close_phase(participation, review.phase, closing, today, actor=actor)
        elif decision == Decision.REDO:
            ActionDone.objects.filter(
                participation=participation, phase=review.phase, cleared_at=None
            ).update(cleared_at=now)
        review.refresh_from_db()
        notify_decided(actor, review, participation, state.name)
        settled = settle_submission(review)
        audit.record(
            actor=actor,
            verb=verbs.REVIEW_DECIDE[decision],
            obj=review,
            object_repr=f"{review.unit.name} · {state.name}",
            unit_id=review.unit_id,
            unit_path=review.path,
            before={"state": ReviewState.OPEN},
            after={
                "state": review.state,
                "decision": decision,
                "phase": state.key,
                "checks": results,
                "comment": comment,
                "deadline": review.deadline,
                "interview_who": review.interview_who,
                "interview_at": review.interview_at,
                "interview_required": review.interview_required,
                "override": override.pk if override is not None else None,
                "notices_read": settled,
            },
        )
        return review
