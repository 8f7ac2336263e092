"""Sessions, evaluator groups, paper tallies and one-time ballot codes; closing a session (its result, and
the redo it opens below the threshold, in the same transaction)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.campaigns.models import Campaign, Participation
from echelon.core import audit, versions
from echelon.core.actors import Actor
from echelon.core.errors import Conflict
from echelon.core.locks import locked
from echelon.core.models import NotificationKind
from echelon.core.notifications import notify
from echelon.core.permissions import allowed, require
from echelon.core.text import within_length
from echelon.evaluation import verbs
from echelon.evaluation.models import (
    NOTE_MAX,
    Ballot,
    BallotCode,
    EvaluatorGroup,
    EvaluatorKind,
    Redo,
    RedoStatus,
    Session,
    SessionStatus,
    Tally,
    results_version,
)
from echelon.ledger.services.common import check_date
from echelon.orgs.models import Unit
from echelon.supervision.selectors import may_review, responsible_groups
from echelon.supervision.services.notices import group_people, unit_operators

PRESENT_MAX = 100_000
CODES_MAX = 500  # codes generated at once (one printable page of slips per request)
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
CODE_LENGTH = 10


def hash_code(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def normalize_code(code: str) -> str:
    """What a person typed: spaces and dashes dropped, upper case, O→0 and I→1 never occur in codes."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:32]


def participation_of(unit: Unit, campaign: Campaign | None = None) -> Participation | None:
    """A unit's participation in ``campaign``, or in the latest campaign it takes part in."""
    qs = Participation.objects.filter(unit=unit).select_related("campaign", "unit")
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.order_by("-campaign__start", "-campaign_id").first()


def _evaluation_phase(participation: Participation) -> tuple[dict[str, Any], int]:
    spec = participation.campaign.spec
    settings = spec.evaluation
    try:
        index = spec.phase_index(settings["phase"])
    except KeyError:
        index = len(spec.phases) - 1
    return settings, index


def _open_redo(participation: Participation) -> Redo | None:
    return Redo.objects.filter(participation=participation, status=RedoStatus.OPEN).first()


def session_open(
    *, actor: Actor, unit: Unit, held_on: date | None, campaign: Campaign | None = None
) -> Session:
    """Open an evaluation of ``unit`` in its campaign's evaluation phase: round 1 once the unit has reached
    that phase, a later round while a redo is open and its work recorded. One open session at a time."""
    with transaction.atomic():
        require(actor, "change", unit.path)
        participation = participation_of(unit, campaign)
        if participation is None:
            raise ValidationError(_("该单位没有参加活动，不能组织满意度测评。"))
        participation = locked(Participation, participation.pk, "campaign", "unit")
        settings, phase_index = _evaluation_phase(participation)
        held_on = check_date(held_on, _("测评日期"), campaign=participation.campaign)
        if Session.objects.filter(participation=participation, status=SessionStatus.OPEN).exists():
            raise ValidationError(_("该单位已有一次正在进行的测评，请先结束它。"))
        rounds = Session.objects.filter(participation=participation).aggregate(n=Max("round"))["n"] or 0
        redo = _open_redo(participation)
        if rounds and redo is None:
            raise ValidationError(_("该单位已完成满意度测评，没有待再测评的补课。"))
        if redo is not None and not redo.work.strip():
            raise ValidationError(_("请先登记补课情况，再组织再次测评。"))
        if not rounds and participation.current_phase < phase_index:
            phase_name = participation.campaign.spec.phases[phase_index].name
            raise ValidationError(
                _("该单位还没有进入“%(phase)s”环节，不能组织满意度测评。") % {"phase": phase_name}
            )
        session = Session.objects.create(
            campaign=participation.campaign,
            participation=participation,
            unit=participation.unit,
            path=participation.path,
            level=participation.level,
            phase=settings["phase"],
            round=rounds + 1,
            held_on=held_on,
            items=settings["items"],
            scale=settings["scale"],
            satisfied=settings["satisfied"],
            redo_below=settings["redo_below"],
            redo=redo,
            created_by=user_of(actor),
        )
        audit.record(
            actor=actor,
            verb=verbs.EVALUATION_CREATE,
            obj=session,
            unit_id=session.unit_id,
            unit_path=session.path,
            after={"round": session.round, "held_on": held_on, "phase": session.phase},
        )
        return session


def _locked_open(session: Session) -> Session:
    """The session row locked for a change; refused once it is closed."""
    row = Session.objects.select_for_update().get(pk=session.pk)
    if row.status != SessionStatus.OPEN:
        raise Conflict(_("本次测评已结束，不能再修改。"))
    return row


def _paper_max(group: EvaluatorGroup) -> int:
    """The largest number of paper votes of any item of a group."""
    sums = (
        Tally.objects.filter(group=group).values("item").annotate(n=Sum("votes")).values_list("n", flat=True)
    )
    return max(sums, default=0)


def group_set(*, actor: Actor, session: Session, kind: str, present: int | None) -> EvaluatorGroup:
    """Set an evaluator group of a session and the number present (a new one, or the number changed).
    The number never drops below the votes already counted for the group."""
    with transaction.atomic():
        require(actor, "change", session.path)
        session = _locked_open(session)
        if kind not in EvaluatorKind.values:
            raise ValidationError(_("请选择测评人员类别。"))
        if present is None or not 1 <= int(present) <= PRESENT_MAX:
            raise ValidationError(_("到会人数必须是 1 到 %(max)d 之间的整数。") % {"max": PRESENT_MAX})
        present = int(present)
        group = EvaluatorGroup.objects.filter(session=session, kind=kind).first()
        before = {"present": group.present} if group else None
        if group is not None:
            used = _paper_max(group) + group.codes_issued
            if present < used:
                raise ValidationError(
                    _("到会人数（%(present)d）不能少于已录入的纸质票和已发放的测评码（共 %(used)d）。")
                    % {"present": present, "used": used}
                )
            group.present = present
            group.save(update_fields=["present"])
        else:
            group = EvaluatorGroup.objects.create(session=session, kind=kind, present=present)
        audit.record(
            actor=actor,
            verb=verbs.EVALUATOR_GROUP_RECORD,
            obj=session,
            unit_id=session.unit_id,
            unit_path=session.path,
            before=before,
            after={"kind": kind, "present": present},
        )
        return group


def _group(session: Session, kind: str) -> EvaluatorGroup:
    group = EvaluatorGroup.objects.filter(session=session, kind=kind).first()
    if group is None:
        raise ValidationError(_("请先登记该类测评人员的到会人数。"))
    return group


def tally_record(
    *, actor: Actor, session: Session, kind: str, votes: Sequence[Sequence[Any]]
) -> EvaluatorGroup:
    """Enter a group's paper tallies: ``votes[item][option]``, replacing what was entered before. For every
    item, the paper votes plus the codes handed out never exceed the number present."""
    with transaction.atomic():
        require(actor, "change", session.path)
        session = _locked_open(session)
        group = _group(session, kind)
        items, scale = session.items, session.scale
        if not isinstance(votes, Sequence) or len(votes) != len(items):
            raise ValidationError(_("请为每个测评项目填写票数。"))
        clean: list[list[int]] = []
        for item, row in zip(items, votes, strict=True):
            if not isinstance(row, Sequence) or isinstance(row, str) or len(row) != len(scale):
                raise ValidationError(_("“%(item)s”的票数不完整。") % {"item": item})
            numbers: list[int] = []
            for value in row:
                try:
                    n = int(value or 0)
                except (TypeError, ValueError):
                    raise ValidationError(_("“%(item)s”的票数必须是整数。") % {"item": item}) from None
                if n < 0 or isinstance(value, bool):
                    raise ValidationError(_("“%(item)s”的票数不能为负数。") % {"item": item})
                numbers.append(n)
            total = sum(numbers)
            if total + group.codes_issued > group.present:
                raise ValidationError(
                    _(
                        "“%(item)s”共 %(votes)d 票（另有已发放的测评码 %(codes)d 张），"
                        "超过了%(group)s的到会人数 %(present)d。"
                    )
                    % {
                        "item": item,
                        "votes": total,
                        "codes": group.codes_issued,
                        "group": group.get_kind_display(),
                        "present": group.present,
                    }
                )
            clean.append(numbers)
        before = tally_table(group, len(items), len(scale))
        Tally.objects.filter(group=group).delete()
        Tally.objects.bulk_create(
            Tally(group=group, item=i, option=o, votes=n)
            for i, row in enumerate(clean)
            for o, n in enumerate(row)
            if n
        )
        audit.record(
            actor=actor,
            verb=verbs.TALLY_RECORD,
            obj=session,
            unit_id=session.unit_id,
            unit_path=session.path,
            before={"kind": kind, "votes": before},
            after={"kind": kind, "votes": clean},
        )
        return group


def tally_table(group: EvaluatorGroup, items: int, options: int) -> list[list[int]]:
    """A group's paper votes as ``[item][option]``."""
    table = [[0] * options for _ in range(items)]
    for t in Tally.objects.filter(group=group):
        if t.item < items and t.option < options:
            table[t.item][t.option] = t.votes
    return table


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def codes_generate(*, actor: Actor, session: Session, kind: str, count: int | None) -> list[str]:
    """``count`` one-time ballot codes for a group, valid for the template's ``ballot_days``. Returned once
    (to print the slips); only their hashes are kept. Codes plus paper votes never exceed the number
    present."""
    with transaction.atomic():
        require(actor, "change", session.path)
        session = _locked_open(session)
        group = _group(session, kind)
        if count is None or not 1 <= int(count) <= CODES_MAX:
            raise ValidationError(_("一次可生成 1 到 %(max)d 个测评码。") % {"max": CODES_MAX})
        count = int(count)
        room = group.present - group.codes_issued - _paper_max(group)
        if count > room:
            raise ValidationError(
                _(
                    "%(group)s到会 %(present)d 人，已发放测评码 %(codes)d 张、已录入纸质票，"
                    "最多还能生成 %(room)d 个。"
                )
                % {
                    "group": group.get_kind_display(),
                    "present": group.present,
                    "codes": group.codes_issued,
                    "room": max(room, 0),
                }
            )
        days = int(session.campaign.spec.evaluation["ballot_days"])
        expires = timezone.now() + timedelta(days=days)
        codes: set[str] = set()
        while len(codes) < count:
            codes.add(new_code())
        BallotCode.objects.bulk_create(
            BallotCode(group=group, code_hash=hash_code(c), expires_at=expires) for c in codes
        )
        EvaluatorGroup.objects.filter(pk=group.pk).update(codes_issued=F("codes_issued") + count)
        audit.record(
            actor=actor,
            verb=verbs.BALLOT_CODE_GENERATE,
            obj=session,
            unit_id=session.unit_id,
            unit_path=session.path,
            after={"kind": kind, "count": count, "expires_at": expires},
        )
        return sorted(codes)


def check_code(code: str) -> BallotCode:
    """The valid code a person typed, or the Chinese refusal (unknown, used, expired, session closed)."""
    row = BallotCode.objects.filter(code_hash=hash_code(code)).select_related("group__session__unit").first()
    if row is None or not normalize_code(code):
        raise ValidationError(_("测评码无效，请核对测评票上的测评码。"))
    if row.used:
        raise ValidationError(_("该测评码已经使用过，每个测评码只能投票一次。"))
    if row.expires_at <= timezone.now():
        raise ValidationError(_("该测评码已过有效期。"))
    if row.group.session.status != SessionStatus.OPEN:
        raise ValidationError(_("本次测评已经结束。"))
    return row


def ballot_cast(*, actor: Actor = None, code: str, choices: Sequence[Any]) -> Session:
    """An online ballot: one option per item. The code is spent by one conditional UPDATE (of two
    requests with the same code exactly one votes); the ballot keeps no link to the code, no time."""
    with transaction.atomic():
        row = check_code(code)
        session = row.group.session
        n_items, n_options = len(session.items), len(session.scale)
        if not isinstance(choices, Sequence) or isinstance(choices, str) or len(choices) != n_items:
            raise ValidationError(_("请对每个测评项目作出选择。"))
        clean: list[int] = []
        for item, value in zip(session.items, choices, strict=True):
            try:
                option = int(value)
            except (TypeError, ValueError):
                raise ValidationError(_("请对“%(item)s”作出选择。") % {"item": item}) from None
            if not 0 <= option < n_options:
                raise ValidationError(_("请对“%(item)s”作出选择。") % {"item": item})
            clean.append(option)
        # the session row locked: a ballot and the closing never cross (a closed session counts no more)
        if not Session.objects.select_for_update().filter(pk=session.pk, status=SessionStatus.OPEN).exists():
            raise Conflict(_("本次测评已经结束。"))
        spent = BallotCode.objects.filter(pk=row.pk, used=False, expires_at__gt=timezone.now()).update(
            used=True
        )
        if spent != 1:
            raise Conflict(_("该测评码已经使用过，每个测评码只能投票一次。"))
        Ballot.objects.create(group=row.group, choices=clean)
        audit.record(
            actor=actor,  # the anonymous visitor: the event names the session, never the code
            verb=verbs.BALLOT_SUBMIT,
            obj=session,
            unit_id=session.unit_id,
            unit_path=session.path,
        )
        return session


def results_of(session: Session) -> list[list[int]]:
    """Votes per item and option, paper and online together."""
    n_items, n_options = len(session.items), len(session.scale)
    table = [[0] * n_options for _ in range(n_items)]
    for item, option, votes in Tally.objects.filter(group__session=session).values_list(
        "item", "option", "votes"
    ):
        if item < n_items and option < n_options:
            table[item][option] += votes
    for choices in Ballot.objects.filter(group__session=session).values_list("choices", flat=True):
        for item, option in enumerate(choices[:n_items]):
            if 0 <= int(option) < n_options:
                table[item][int(option)] += 1
    return table


def _may_close(actor: Actor, session: Session) -> bool:
    if allowed(actor, "change", session.path):
        return True
    return (
        allowed(actor, "view", session.path)
        and may_review(actor, session.participation)
        and actor is not None
    )


def session_close(*, actor: Actor, session: Session, note: str = "", today: date | None = None) -> Session:
    """Close a session: the satisfied share on the overall item (satisfied votes / all its votes, paper and
    online). Below the threshold a redo opens in the same transaction, or, for a re-evaluation, the redo
    stays open; a re-evaluation that passes sends the redo to the supervision group to decide."""
    today = today or timezone.localdate()
    with transaction.atomic():
        Session.objects.select_for_update().filter(pk=session.pk).first()  # ballots wait for the result
        session = Session.objects.select_related("participation__unit", "campaign", "unit").get(pk=session.pk)
        if not _may_close(actor, session):
            raise PermissionDenied(_("只有本单位或负责该单位的督导组可以结束测评。"))
        note = within_length((note or "").strip(), NOTE_MAX, _("说明"))
        table = results_of(session)
        total = sum(table[0]) if table else 0
        if total == 0:
            raise ValidationError(_("还没有任何票数，不能结束测评。"))
        satisfied_idx = [i for i, name in enumerate(session.scale) if name in session.satisfied]
        satisfied = sum(table[0][i] for i in satisfied_idx)
        share = satisfied / total
        passed = share >= session.redo_below
        now = timezone.now()
        closed = Session.objects.filter(pk=session.pk, status=SessionStatus.OPEN).update(
            status=SessionStatus.CLOSED,
            satisfied_votes=satisfied,
            total_votes=total,
            satisfied_share=share,
            passed=passed,
            results=table,
            close_note=note,
            closed_at=now,
            closed_by=user_of(actor),
            current=True,
        )
        if closed != 1:
            raise Conflict(_("本次测评已被其他人结束。"))
        Session.objects.filter(participation=session.participation, current=True).exclude(
            pk=session.pk
        ).update(current=False)
        session.refresh_from_db()
        redo = _after_close(actor, session, share, note, today)
        versions.bump(results_version(session.campaign_id))
        audit.record(
            actor=actor,
            verb=verbs.EVALUATION_CLOSE,
            obj=session,
            unit_id=session.unit_id,
            unit_path=session.path,
            before={"status": SessionStatus.OPEN},
            after={
                "status": SessionStatus.CLOSED,
                "satisfied_share": round(share, 4),
                "passed": passed,
                "total_votes": total,
                "note": note,
                "redo": redo.pk if redo is not None else None,
            },
        )
        return session


def percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _after_close(actor: Actor, session: Session, share: float, note: str, today: date) -> Redo | None:
    """What a closed session does to redo: open one, keep one open, or send one to the group."""
    participation = session.participation
    settings = session.campaign.spec.evaluation
    figures = {"share": percent(share), "threshold": percent(session.redo_below), "round": session.round}
    redo = Redo.objects.select_for_update().filter(pk=session.redo_id).first() if session.redo_id else None
    if redo is not None:
        if session.passed:
            redo.status = RedoStatus.PASSED
            redo.save(update_fields=["status"])
            people: set[int] = set()
            for group in responsible_groups(participation):
                people |= group_people(group.pk)
            notify(
                people,
                kind=NotificationKind.REVIEW_WAITING,
                text=_(
                    "“%(unit)s”补课后再次测评满意率 %(share)s，达到 %(threshold)s，请督导组认定补课是否完成。"
                )
                % {"unit": session.unit.name, **figures},
                target=redo,
                exclude=actor,
            )
        else:
            line = _("第 %(round)d 轮测评满意率 %(share)s，仍低于 %(threshold)s。") % figures
            redo.reasons = f"{redo.reasons}\n{line}".strip()
            redo.save(update_fields=["reasons"])
        return redo
    if session.passed:
        return None
    reasons = _("群众满意度测评“%(item)s”满意率 %(share)s，低于补课线 %(threshold)s。") % {
        "item": session.items[0],
        **figures,
    }
    if note:
        reasons = f"{reasons}\n{note}"
    redo = Redo.objects.create(
        campaign=session.campaign,
        participation=participation,
        unit=session.unit,
        path=session.path,
        level=session.level,
        session=session,
        phase=settings["redo_phase"],
        reasons=reasons,
        deadline=max(today, session.held_on) + timedelta(days=int(settings["redo_days"])),
    )
    notify(
        unit_operators(session.unit_id),
        kind=NotificationKind.REDO,
        text=_(
            "“%(unit)s”群众满意度测评满意率 %(share)s，低于 %(threshold)s，需要补课，"
            "请在 %(deadline)s 前完成并再次测评。"
        )
        % {"unit": session.unit.name, "deadline": redo.deadline, **figures},
        target=redo,
        exclude=actor,
    )
    return redo
