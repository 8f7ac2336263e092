"""Opinions (意见): from the public without an account, or entered by staff; triaged by the unit's office.

The public may give an opinion to any active unit by its code; the answer is a tracking code (回执号),
which later shows the opinion's status and the public reply, never the contact or anything internal.
Near-identical text to the same unit within ``DUPLICATE_DAYS`` is refused as a duplicate. Rate limits per
address and per unit are the views' (``ledger.throttle``): the service is also used by imports.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.campaigns.models import Campaign
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.locks import locked
from echelon.core.permissions import require
from echelon.core.text import within_length
from echelon.ledger import rollup, verbs
from echelon.ledger.models import TEXT_MAX, Channel, CountKind, Opinion, OpinionStatus
from echelon.ledger.services.common import campaign_of, check_date, required_text
from echelon.orgs.models import Unit

TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed from paper
TRACKING_LENGTH = 10
TEXT_MIN = 5
CONTACT_MAX = 100
DUPLICATE_DAYS = 30
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalize_code(code: str) -> str:
    """A tracking code as typed: spaces and dashes dropped, upper case."""
    return re.sub(r"[\s-]+", "", code or "").upper()[:20]


def fingerprint(text: str) -> str:
    """The same for texts that differ only in spacing, punctuation or letter case."""
    return hashlib.sha1(_NOISE.sub("", text).lower().encode(), usedforsecurity=False).hexdigest()


def _check_text(text: str, contact: str) -> tuple[str, str]:
    text = required_text(text, TEXT_MAX, _("意见内容"))
    if len(text) < TEXT_MIN:
        raise ValidationError(_("意见内容太短，请至少写 %(n)d 个字。") % {"n": TEXT_MIN})
    contact = within_length((contact or "").strip(), CONTACT_MAX, _("联系方式"))
    return text, contact


def _duplicate(unit: Unit, print_: str, today: date) -> bool:
    since = timezone.now() - timedelta(days=DUPLICATE_DAYS)
    return Opinion.objects.filter(unit=unit, fingerprint=print_, created_at__gte=since).exists()


def _create(
    *,
    actor: Actor,
    unit: Unit,
    text: str,
    contact: str,
    channel: str,
    received_on: date,
    verb: str,
) -> Opinion:
    print_ = fingerprint(text)
    if _duplicate(unit, print_, received_on):
        raise ValidationError(_("相同内容的意见已经收到，正在处理，无需重复提交。"))
    for _attempt in range(5):
        opinion = Opinion(
            campaign=campaign_of(unit),
            unit=unit,
            path=unit.path,
            level=unit.level,
            tracking_code=new_tracking_code(),
            channel=channel,
            text=text,
            contact=contact,
            fingerprint=print_,
            received_on=received_on,
            created_by=user_of(actor),
        )
        try:
            with transaction.atomic():
                opinion.save()
            break
        except IntegrityError:  # a tracking code drawn twice (one in 10^15): draw again
            continue
    else:  # pragma: no cover - five collisions in a row
        raise ValidationError(_("系统繁忙，请稍后再试。"))
    rollup.moved(CountKind.OPINION, None, rollup.key_of(opinion))
    audit.record(
        actor=actor,
        verb=verb,
        obj=opinion,
        object_repr=f"{unit.name} · {opinion.tracking_code}",
        unit_id=unit.pk,
        unit_path=unit.path,
        after={"channel": channel, "length": len(text), "contact": bool(contact)},
    )
    return opinion


def _create_many(*, actor: Actor, rows: Sequence[tuple[Unit, str, str, str, date]]) -> list[Opinion]:
    """The bulk path of ``_create`` for an import: rows of (unit, text, contact, channel, received on)
    already checked by the caller (``_check_text``, the channel, the date, duplicates by ``fingerprint``),
    written in one bulk insert with fresh tracking codes. The caller holds the transaction and audits the
    whole file with one ``opinion.import`` event (ADR 8), so no event per row here."""
    codes: set[str] = set()
    while len(codes) < len(rows):
        fresh = {new_tracking_code() for _ in range(len(rows) - len(codes))} - codes
        ordered = sorted(fresh)
        for start in range(0, len(ordered), 500):
            fresh -= set(
                Opinion.objects.filter(tracking_code__in=ordered[start : start + 500]).values_list(
                    "tracking_code", flat=True
                )
            )
        codes |= fresh
    campaigns: dict[int, Campaign | None] = {}
    user = user_of(actor)
    opinions = []
    for (unit, text, contact, channel, received_on), code in zip(rows, sorted(codes), strict=True):
        if unit.pk not in campaigns:
            campaigns[unit.pk] = campaign_of(unit)
        opinions.append(
            Opinion(
                campaign=campaigns[unit.pk],
                unit=unit,
                path=unit.path,
                level=unit.level,
                tracking_code=code,
                channel=channel,
                text=text,
                contact=contact,
                fingerprint=fingerprint(text),
                received_on=received_on,
                created_by=user,
            )
        )
    created = Opinion.objects.bulk_create(opinions, batch_size=500)
    rollup.added(CountKind.OPINION, [rollup.key_of(o) for o in created])
    return created


def public_unit(code: str) -> Unit:
    """The active unit the public names by its code (a ValidationError otherwise: nothing else is told)."""
    unit = Unit.objects.filter(code=(code or "").strip()[:32], is_active=True).first()
    if unit is None:
        raise ValidationError(_("找不到该组织，请核对二维码或链接上的组织代码。"))
    return unit


def opinion_submit_public(*, actor: Actor, unit_code: str, text: str, contact: str = "") -> Opinion:
    """An opinion from the public: no account, anonymous allowed, contact optional."""
    text, contact = _check_text(text, contact)
    with transaction.atomic():
        unit = public_unit(unit_code)
        return _create(
            actor=actor,
            unit=unit,
            text=text,
            contact=contact,
            channel=Channel.WEB,
            received_on=timezone.localdate(),
            verb=verbs.OPINION_SUBMIT,
        )


def opinion_record(
    *,
    actor: Actor,
    unit: Unit,
    text: str,
    channel: str,
    received_on: date | None = None,
    contact: str = "",
) -> Opinion:
    """An opinion gathered by staff (a forum, a home visit, a questionnaire, a box), with its channel."""
    text, contact = _check_text(text, contact)
    if channel not in Channel.values:
        raise ValidationError(_("未知的意见渠道“%(value)s”。") % {"value": channel})
    with transaction.atomic():
        require(actor, "change", unit.path)
        received_on = check_date(
            received_on or timezone.localdate(), _("收到日期"), campaign=campaign_of(unit)
        )
        return _create(
            actor=actor,
            unit=unit,
            text=text,
            contact=contact,
            channel=channel,
            received_on=received_on,
            verb=verbs.OPINION_RECORD,
        )


def _locked(opinion: Opinion, actor: Actor) -> Opinion:
    opinion = locked(Opinion, opinion.pk, "unit")
    require(actor, "change", opinion.path)
    return opinion


def _change(opinion: Opinion, actor: Actor, verb: str, **changes: object) -> Opinion:
    before = {k: str(getattr(opinion, k)) for k in changes}
    counted = rollup.key_of(opinion)
    for key, value in changes.items():
        setattr(opinion, key, value)
    opinion.save(update_fields=list(changes))
    rollup.moved(CountKind.OPINION, counted, rollup.key_of(opinion))
    audit.record(
        actor=actor,
        verb=verb,
        obj=opinion,
        object_repr=f"{opinion.unit.name} · {opinion.tracking_code}",
        unit_id=opinion.unit_id,
        unit_path=opinion.path,
        before=before,
        after={k: str(v) for k, v in changes.items()},
    )
    return opinion


def opinion_reply(*, actor: Actor, opinion: Opinion, reply: str) -> Opinion:
    """A public reply: shown to whoever holds the tracking code. An untriaged opinion becomes 已答复."""
    reply = required_text(reply, TEXT_MAX, _("公开答复"))
    with transaction.atomic():
        opinion = _locked(opinion, actor)
        if opinion.status == OpinionStatus.MERGED:
            raise ValidationError(_("该意见已合并到其他意见，请在合并后的意见上答复。"))
        status = OpinionStatus.REPLIED if opinion.status == OpinionStatus.NEW else opinion.status
        return _change(
            opinion, actor, verbs.OPINION_REPLY, public_reply=reply, replied_at=timezone.now(), status=status
        )


def opinion_close(*, actor: Actor, opinion: Opinion, reason: str) -> Opinion:
    reason = required_text(reason, 500, _("关闭理由"))
    with transaction.atomic():
        opinion = _locked(opinion, actor)
        if opinion.status not in (OpinionStatus.NEW, OpinionStatus.REPLIED):
            raise ValidationError(_("只有待处理或已答复的意见可以关闭。"))
        return _change(opinion, actor, verbs.OPINION_CLOSE, status=OpinionStatus.CLOSED, close_reason=reason)


def opinion_merge(*, actor: Actor, opinion: Opinion, into: Opinion) -> Opinion:
    """A duplicate merged into another opinion of the same unit; it then follows that one's fate."""
    with transaction.atomic():
        opinion, into = _locked(opinion, actor), _locked(into, actor)
        if opinion.pk == into.pk:
            raise ValidationError(_("不能把意见合并到它自己。"))
        if opinion.unit_id != into.unit_id:
            raise ValidationError(_("只能合并同一单位收到的意见。"))
        if into.status == OpinionStatus.MERGED:
            raise ValidationError(_("目标意见本身已被合并，请选择合并后的那条意见。"))
        if opinion.status != OpinionStatus.NEW:
            raise ValidationError(_("只有待处理的意见可以合并。"))
        return _change(
            opinion,
            actor,
            verbs.OPINION_MERGE,
            status=OpinionStatus.MERGED,
            merged_into=into,
            problem=into.problem,
        )


def attach_to_problem(actor: Actor, opinions: Iterable[Opinion], problem: object) -> None:
    """Opinions turned into ``problem`` (called by ``problem_create`` inside its transaction)."""
    for opinion in opinions:
        opinion = _locked(opinion, actor)
        if opinion.status not in (OpinionStatus.NEW, OpinionStatus.REPLIED):
            raise ValidationError(
                _("意见 %(code)s 已处理（%(status)s），不能再转为问题。")
                % {"code": opinion.tracking_code, "status": opinion.get_status_display()}
            )
        _change(opinion, actor, verbs.OPINION_TO_PROBLEM, status=OpinionStatus.PROBLEM, problem=problem)
