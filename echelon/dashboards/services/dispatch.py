"""Dispatch meetings (调度会): an office records the meeting it held (date, attendees, what was found, what
was decided) with action items assigned to units of its subtree and their deadlines; the figures shown at
the meeting (the dashboard of the office's unit on the meeting's date) are frozen with it. The assigned
unit reports an item done (办结) with a note; the office that held the meeting can reopen it with a reason.
Of two concurrent decisions on an item exactly one wins (a conditional UPDATE on its status); the other is
told "已被其他人处理" (``core.errors.Conflict``, the API's 409).

Who (ADR 11): holding a meeting is an office's act (``plan`` at the meeting's unit: not an operator, a
supervisor or a leader); an item is done by whoever may ``change`` its unit (its operator or an office
above it); an item is reopened by the meeting's office (``plan`` at the meeting's unit).

The dispatch report (调度报告) of a unit on a date, the dashboard as Word and Excel, is
``dashboards.exports``; here is only the check of the date it is asked for (``report_day``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.campaigns.models import Batch
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.errors import Conflict
from echelon.core.permissions import require
from echelon.core.querysets import in_scope, scope_paths
from echelon.core.text import within_length
from echelon.core.tree import is_within
from echelon.dashboards import figures, verbs
from echelon.dashboards.models import DispatchItem, DispatchMeeting, ItemStatus
from echelon.orgs.models import Unit

TITLE_MAX = 200
PLACE_MAX = 200
TEXT_MAX = 5_000  # attendees, findings, decisions
ITEM_MAX = 1_000  # an item's text, a done note, a reopen reason
MAX_ITEMS = 50
DEADLINE_DAYS = 366  # an item's deadline: from the meeting's date to a year after it

# The main figures of a meeting's frozen table and of the report's table of child units.
MAIN_MEASURES = (
    "units",
    "started",
    "done",
    "overdue",
    "open",
    "return",
    "reviews_overdue",
    "problems",
    "tasks_overdue",
)


class AlreadyDecided(Conflict):
    """Someone else marked the item done, or reopened it, first (the API answers 409)."""


@dataclass(frozen=True)
class ItemData:
    """One action item as entered: the unit it is assigned to, what to do, by when."""

    unit: Unit | None
    text: str
    deadline: date | None


@dataclass(frozen=True)
class _Checked:
    unit: Unit
    text: str
    deadline: date


def _required(value: str, limit: int, label: str) -> str:
    value = within_length(value or "", limit, label)
    if not value:
        raise ValidationError(_("请填写“%(field)s”。") % {"field": label})
    return value


def _item_repr(item: DispatchItem) -> str:
    return f"{item.unit.name} · {item.text[:60]}"


def _meeting_day(batch: Batch, day: date | None, today: date) -> date:
    """The meeting's date: within the campaign's window (or its batch's, which may start earlier) and not
    after today (a meeting is recorded once it was held)."""
    if day is None:
        raise ValidationError(_("请填写“%(field)s”。") % {"field": _("会议日期")})
    campaign = batch.campaign
    first = min(campaign.start, batch.window_start)
    last = min(max(campaign.end, batch.window_end), today)
    if day > today:
        raise ValidationError(_("会议日期 %(day)s 晚于今天：请在会后登记。") % {"day": day})
    if not first <= day <= last:
        raise ValidationError(
            _("会议日期 %(day)s 不在活动的时间范围内（%(first)s 至 %(last)s）。")
            % {"day": day, "first": first, "last": last}
        )
    return day


def _items(meeting_unit: Unit, day: date, items: Sequence[ItemData | Mapping[str, Any]]) -> list[_Checked]:
    """The items checked row by row: a unit of the meeting unit's subtree, a text, a deadline from the
    meeting's date to a year after it. The message names the row (第 N 项)."""
    if len(items) > MAX_ITEMS:
        raise ValidationError(_("一次会议最多交办 %(n)d 项事项。") % {"n": MAX_ITEMS})
    last = day + timedelta(days=DEADLINE_DAYS)
    out = []
    for n, raw in enumerate(items, start=1):
        row = (
            raw
            if isinstance(raw, ItemData)
            else ItemData(raw.get("unit"), raw.get("text", ""), raw.get("deadline"))
        )
        unit, deadline = row.unit, row.deadline
        where = _("第 %(n)d 项事项") % {"n": n}
        if not isinstance(unit, Unit):
            raise ValidationError(_("%(row)s：请选择承办单位。") % {"row": where})
        if not is_within(unit.path, meeting_unit.path) or not unit.is_active:
            raise ValidationError(
                _("%(row)s：承办单位“%(unit)s”不在“%(meeting)s”的下级范围内。")
                % {"row": where, "unit": unit.name, "meeting": meeting_unit.name}
            )
        text = within_length(row.text or "", ITEM_MAX, _("%(row)s的内容") % {"row": where})
        if not text:
            raise ValidationError(_("%(row)s：请填写交办的事项。") % {"row": where})
        if deadline is None:
            raise ValidationError(_("%(row)s：请填写办结时限。") % {"row": where})
        if deadline < day:
            raise ValidationError(
                _("%(row)s：办结时限 %(deadline)s 早于会议日期 %(day)s。")
                % {"row": where, "deadline": deadline, "day": day}
            )
        if deadline > last:
            raise ValidationError(
                _("%(row)s：办结时限 %(deadline)s 超过会议日期后一年（最晚 %(last)s）。")
                % {"row": where, "deadline": deadline, "last": last}
            )
        out.append(_Checked(unit, text, deadline))
    return out


def frozen_figures(batch: Batch, unit: Unit, day: date) -> dict[str, Any]:
    """The dashboard of ``unit`` in ``batch`` as of ``day``, as plain data that is kept with the meeting:
    the batch, the day, the measures' labels, the total and a row per child unit (the unit's own row first,
    ``own``)."""
    board = figures.board(batch, unit, day)
    return {
        "batch": batch.pk,
        "batch_name": batch.name,
        "today": day.isoformat(),
        "measures": [{"key": m.key, "label": str(m.label)} for m in board.measures],
        "total": {k: int(v) for k, v in board.total.values.items()},
        "rows": [
            {
                "code": (r.unit or unit).code,
                "name": (r.unit or unit).name,
                "own": r.unit is None,
                "values": {k: int(v) for k, v in r.values.items()},
            }
            for r in board.rows
        ],
    }


def meeting_record(
    *,
    actor: Actor,
    batch: Batch,
    unit: Unit,
    title: str,
    date: date | None,
    attendees: str,
    findings: str,
    place: str = "",
    decisions: str = "",
    items: Sequence[ItemData | Mapping[str, Any]] = (),
    today: date | None = None,
) -> DispatchMeeting:
    """Record a dispatch meeting held by the office of ``unit`` in ``batch``'s campaign, with its action
    items (``items``: ``ItemData`` or mappings of unit, text, deadline), and freeze the figures shown at it.
    All or nothing: a bad row refuses the whole meeting, naming the row."""
    today = today or timezone.localdate()
    with transaction.atomic():
        require(actor, "plan", unit.path)
        title = _required(title, TITLE_MAX, _("会议名称"))
        place = within_length(place or "", PLACE_MAX, _("地点"))
        attendees = _required(attendees, TEXT_MAX, _("参加人员"))
        findings = _required(findings, TEXT_MAX, _("发现的问题"))
        decisions = within_length(decisions or "", TEXT_MAX, _("会议部署"))
        campaign = batch.campaign
        if not is_within(unit.path, campaign.path):
            raise ValidationError(
                _("“%(unit)s”不在活动“%(campaign)s”的范围内。")
                % {"unit": unit.name, "campaign": campaign.name}
            )
        day = _meeting_day(batch, date, today)
        rows = _items(unit, day, items)
        meeting = DispatchMeeting.objects.create(
            campaign=campaign,
            batch=batch,
            unit=unit,
            path=unit.path,
            level=unit.level,
            title=title,
            date=day,
            place=place,
            attendees=attendees,
            findings=findings,
            decisions=decisions,
            figures=frozen_figures(batch, unit, day),
            created_by=user_of(actor),
        )
        DispatchItem.objects.bulk_create(
            DispatchItem(meeting=meeting, unit=r.unit, path=r.unit.path, text=r.text, deadline=r.deadline)
            for r in rows
        )
        audit.record(
            actor=actor,
            verb=verbs.DISPATCH_RECORD,
            obj=meeting,
            object_repr=f"{unit.name} · {title}"[:255],
            unit_id=unit.pk,
            unit_path=unit.path,
            after={
                "title": title,
                "date": day,
                "batch": batch.pk,
                "items": [{"unit": r.unit.code, "text": r.text[:100], "deadline": r.deadline} for r in rows],
            },
        )
        return meeting


def item_done(*, actor: Actor, item: DispatchItem, note: str) -> DispatchItem:
    """The assigned unit (its operator, or an office above it) reports the item done, saying how."""
    with transaction.atomic():
        item = DispatchItem.objects.select_related("unit").get(pk=item.pk)
        require(actor, "change", item.path)
        note = _required(note, ITEM_MAX, _("办理情况"))
        won = DispatchItem.objects.filter(pk=item.pk, status=ItemStatus.OPEN).update(
            status=ItemStatus.DONE, done_note=note, done_at=timezone.now(), done_by=user_of(actor)
        )
        if not won:
            raise AlreadyDecided(_("该事项已被其他人处理（已办结），请刷新页面查看。"))
        item.refresh_from_db()
        audit.record(
            actor=actor,
            verb=verbs.DISPATCH_ITEM_DONE,
            obj=item,
            object_repr=_item_repr(item),
            unit_id=item.unit_id,
            unit_path=item.path,
            after={"note": note},
        )
        return item


def item_reopen(*, actor: Actor, item: DispatchItem, reason: str) -> DispatchItem:
    """The office that held the meeting sends a done item back (退回重办), with the reason (kept on the item
    until it is done again; the done note stays in the audit trail)."""
    with transaction.atomic():
        item = DispatchItem.objects.select_related("unit", "meeting").get(pk=item.pk)
        require(actor, "plan", item.meeting.path)
        reason = _required(reason, ITEM_MAX, _("退回理由"))
        before = {"note": item.done_note, "done_at": item.done_at}
        won = DispatchItem.objects.filter(pk=item.pk, status=ItemStatus.DONE).update(
            status=ItemStatus.OPEN, reopen_note=reason, reopened=F("reopened") + 1, done_at=None, done_by=None
        )
        if not won:
            raise AlreadyDecided(_("该事项已被其他人处理（尚未办结或已退回），请刷新页面查看。"))
        item.refresh_from_db()
        audit.record(
            actor=actor,
            verb=verbs.DISPATCH_ITEM_REOPEN,
            obj=item,
            object_repr=_item_repr(item),
            unit_id=item.unit_id,
            unit_path=item.path,
            before=before,
            after={"reason": reason},
        )
        return item


# --- reading ---------------------------------------------------------------------------------------------


def overdue(item: DispatchItem, today: date) -> bool:
    return item.status == ItemStatus.OPEN and item.deadline < today


def mine_q(actor: Actor) -> Q | None:
    """The items assigned to the units the actor was granted to change (an assignee's own items: not the
    whole subtree below them). None: every item (who may change everything)."""
    paths = scope_paths(actor, "change")
    if paths is None:
        return None
    return Q(path__in=paths)


def items_of(actor: Actor, *, mine: bool = True) -> QuerySet[DispatchItem]:
    """Items the actor sees; with ``mine`` those assigned to their own units."""
    qs = in_scope(actor, DispatchItem.objects)
    if mine:
        q = mine_q(actor)
        if q is not None:
            qs = qs.filter(q)
    return qs


# --- the dispatch report's date (the report itself: ``dashboards.exports``) ----------------------------


def report_day(batch: Batch, raw: str | None, today: date | None = None) -> date:
    """The report's date: the one asked for (``YYYY-MM-DD``) inside the batch's window, else today kept
    within the window. A bad or outside date: ValidationError in Chinese."""
    today = today or timezone.localdate()
    raw = (raw or "").strip()
    if not raw:
        return min(max(today, batch.window_start), batch.window_end)
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        raise ValidationError(
            _("日期“%(value)s”格式不对，应为 年-月-日，例如 2014-05-01。") % {"value": raw[:20]}
        ) from None
    if not batch.window_start <= day <= batch.window_end:
        raise ValidationError(
            _("%(day)s 不在“%(batch)s”的时间范围内（%(first)s 至 %(last)s）。")
            % {"day": day, "batch": batch.name, "first": batch.window_start, "last": batch.window_end}
        )
    return day
