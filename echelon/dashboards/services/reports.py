"""Information reports (信息报送、工作简报) that travel up the tree (issue 13 item 6).

A unit drafts a periodic report (第 N 期, numbered per unit and campaign) for a period: its figures come from
the system, once (``figures.board`` at the period's end: the unit's totals and a row per child unit taking
part; nothing typed that the system knows). Above the bottom level the draft *compiles* its children's
approved reports of an overlapping period: they are attached as its ``sources`` and their typical practice
(典型做法) is offered, each prefixed by the child's name. The unit adds its narrative (工作进展), practice
and next steps (下步打算), submits it to its head; the head approves it and it goes up, or returns it with a
note (back to draft).

Who does what:
- draft, edit, submit: ``change`` at the unit (its operator or its office);
- approve, return: ``plan`` at the unit (its leadership group office, or an office above); the person who
  submitted the report, or drafted it, never approves it (separation of duties, ADR 11);
- read (``visible``): the unit's own people (a grant at the unit itself) see its reports in any state; an
  office that may approve sees the submitted ones below it; everyone else above sees only the approved
  ones. Drafts stay home.

Every write is one transaction whose status change is a conditional UPDATE: of two heads deciding at
once one wins, the other is told "已被其他人处理" (``core.errors.Conflict``, the API's 409).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import Grant, user_of
from echelon.accounts.roles import Role
from echelon.campaigns.models import Batch, Campaign
from echelon.core import audit
from echelon.core.actors import Actor, is_person
from echelon.core.errors import Conflict
from echelon.core.locks import locked
from echelon.core.models import NotificationKind
from echelon.core.notifications import notify
from echelon.core.permissions import allowed, require
from echelon.core.querysets import scope_paths
from echelon.core.text import within_length
from echelon.core.tree import SEGMENT_WIDTH, UPPER_BOUND
from echelon.dashboards import figures, verbs
from echelon.dashboards.models import InfoReport, ReportStatus
from echelon.dashboards.selectors import takes_part
from echelon.orgs.models import Unit

TITLE_MAX = 200
TEXT_MAX = 20_000


class AlreadyHandled(Conflict):
    """Another head approved or returned this report first (or it changed meanwhile)."""


def default_title(unit: Unit, number: int) -> str:
    return _("%(unit)s党的群众路线教育实践活动信息第%(n)d期") % {"unit": unit.name, "n": number}


def office_name(unit: Unit) -> str:
    """The issuing office (the masthead of the Word document, the 报送 line)."""
    return _("%(unit)s党的群众路线教育实践活动领导小组办公室") % {"unit": unit.name}


def issue_label(report: InfoReport) -> str:
    """<unit> 第N期 (the audit trail's name of a report, the sources a report compiles)."""
    return _("%(unit)s 第%(n)d期") % {"unit": report.unit.name, "n": report.number}


def _record(actor: Actor, verb: str, report: InfoReport, **after: object) -> None:
    audit.record(
        actor=actor,
        verb=verb,
        obj=report,
        object_repr=issue_label(report),
        unit_id=report.unit_id,
        unit_path=report.path,
        after=after,
    )


# --- reading ---------------------------------------------------------------------------------------------


def _home_paths(user: Actor) -> list[str]:
    """The units the user holds a grant at (not collapsed: a grant at a township under a granted county
    still makes the township home)."""
    if not is_person(user) or not user.is_active:
        return []
    grants = Grant.objects.filter(user_id=user.pk, unit__is_active=True)
    return list(grants.values_list("unit__path", flat=True).distinct())


def visible(user: Actor) -> QuerySet[InfoReport]:
    """The reports ``user`` may read (``InfoReportQuerySet.visible_to``: drafts stay home)."""
    return InfoReport.objects.visible_to(user)


def under(qs: QuerySet[InfoReport], unit: Unit) -> QuerySet[InfoReport]:
    return qs.filter(path__gte=unit.path, path__lt=unit.path + UPPER_BOUND)


def approver_error(actor: Actor, report: InfoReport) -> str | None:
    """Why ``actor`` may not approve ``report`` (None: they may); the scope (``plan``) is checked apart."""
    user = user_of(actor)
    if actor is None:
        return None
    if user is None:
        return _("请先登录。")
    if user.pk == report.submitted_by_id:
        return _("提交审核的人不能审核自己提交的信息：须由本单位或上级领导小组办公室的其他人审核。")
    if user.pk == report.created_by_id:
        return _("起草人不能审核自己起草的信息：须由本单位或上级领导小组办公室的其他人审核。")
    return None


def may_change(user: Actor, report: InfoReport) -> bool:
    return report.status == ReportStatus.DRAFT and allowed(user, "change", report.path)


def may_decide(user: Actor, report: InfoReport) -> bool:
    """Whether the page offers approve and return (the services check again)."""
    return (
        report.status == ReportStatus.SUBMITTED
        and allowed(user, "plan", report.path)
        and approver_error(user, report) is None
    )


def waiting_for(user: Actor) -> QuerySet[InfoReport]:
    """Submitted reports ``user`` may approve at the units they hold an office grant at and one level
    below (an office approves its own unit's reports and, where a unit below has no office of its own,
    the units directly below it), except the ones they drafted."""
    if not is_person(user):
        return InfoReport.objects.none()
    paths = scope_paths(user, "plan")
    qs = InfoReport.objects.filter(status=ReportStatus.SUBMITTED).exclude(created_by_id=user.pk)
    if paths is None:
        return qs
    if not paths:
        return qs.none()
    homes = [p for p in _home_paths(user) if any(p.startswith(q) for q in paths)]
    cond = Q(pk__in=[])
    for p in homes:
        cond |= Q(path=p) | Q(path__gte=p, path__lt=p + UPPER_BOUND, depth=len(p) + SEGMENT_WIDTH)
    return qs.alias(depth=Length("path")).filter(cond)


def returned_to(user: Actor) -> QuerySet[InfoReport]:
    """The user's drafts that were returned with a note."""
    if not is_person(user):
        return InfoReport.objects.none()
    return InfoReport.objects.filter(status=ReportStatus.DRAFT, created_by_id=user.pk).exclude(return_note="")


def child_sources(campaign: Campaign, unit: Unit, start: date, end: date) -> QuerySet[InfoReport]:
    """The approved reports of ``unit``'s direct children for a period overlapping ``start``–``end``."""
    width = len(unit.path) + SEGMENT_WIDTH
    return (
        InfoReport.objects.filter(
            campaign=campaign,
            status=ReportStatus.APPROVED,
            path__gt=unit.path,
            path__lt=unit.path + UPPER_BOUND,
            period_start__lte=end,
            period_end__gte=start,
        )
        .alias(depth=Length("path"))
        .filter(depth=width)
        .select_related("unit")
        .order_by("path", "period_end", "number")
    )


# --- figures ---------------------------------------------------------------------------------------------


def report_figures(batch: Batch, unit: Unit, as_of: date) -> dict[str, Any]:
    """The figures a report carries, read once: the unit's totals and a row per child unit taking part
    (the unit's own participation first, 本级), for the period's end."""
    board = figures.board(batch, unit, as_of)
    keys = [m.key for m in figures.board_measures(board.phases)]
    total = {k: int(board.total.values.get(k, 0)) for k in keys}
    rows = []
    for row in board.rows:
        own = row.unit is None
        target = unit if own else row.unit
        assert target is not None
        rows.append(
            {
                "code": target.code,
                "name": _("%(unit)s（本级）") % {"unit": unit.name} if own else target.name,
                "own": own,
                "values": {k: int(row.values.get(k, 0)) for k in keys},
            }
        )
    return {
        "batch": batch.pk,
        "as_of": as_of.isoformat(),
        "computed_on": timezone.localdate().isoformat(),
        "total": total,
        "rows": rows,
    }


# The columns of the per-unit table on the page and in the Word document (Excel has every measure).
KEY_MEASURES = (
    "units",
    "started",
    "done",
    "overdue",
    "open",
    "return",
    "problems",
    "problems_done",
    "tasks",
    "tasks_verified",
)


def figure_table(report: InfoReport, keys: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The stored figures with their labels (``board_measures`` of the campaign's phases, never the keys),
    for the pages and the exports: ``measures`` [(key, label)], ``total`` [(label, value)], ``rows`` (each
    with its ``cells``), ``total_cells``; ``keys`` narrows the measures."""
    phases = [(p.key, p.name) for p in report.campaign.spec.phases]
    data = report.figures or {}
    total = data.get("total") or {}
    measures = [
        (m.key, str(m.label))
        for m in figures.board_measures(phases)
        if m.key in total and (keys is None or m.key in keys)
    ]
    return {
        "measures": measures,
        "total": [(label, total.get(key, 0)) for key, label in measures],
        "rows": [
            {**row, "cells": [row.get("values", {}).get(key, 0) for key, _label in measures]}
            for row in data.get("rows") or []
        ],
        "total_cells": [total.get(key, 0) for key, _label in measures],
        "as_of": data.get("as_of", ""),
        "computed_on": data.get("computed_on", ""),
    }


# --- writing ---------------------------------------------------------------------------------------------


def _check_period(campaign: Campaign, start: date | None, end: date | None) -> tuple[date, date]:
    if start is None or end is None:
        raise ValidationError(_("请填写报告期的起始日期和截止日期。"))
    if end < start:
        raise ValidationError(_("截止日期不能早于起始日期。"))
    if end > timezone.localdate():
        raise ValidationError(_("截止日期不能晚于今天：信息报送的是已经发生的工作。"))
    if start < campaign.start or end > campaign.end:
        raise ValidationError(
            _("报告期须在活动期间（%(first)s 至 %(last)s）之内。")
            % {"first": campaign.start.isoformat(), "last": campaign.end.isoformat()}
        )
    return start, end


def _practice_of(sources: list[InfoReport]) -> str:
    parts = [f"【{s.unit.name}】{s.practice.strip()}" for s in sources if s.practice.strip()]
    return "\n\n".join(parts)[:TEXT_MAX]


def report_draft(
    *,
    actor: Actor,
    batch: Batch,
    unit: Unit,
    period_start: date | None,
    period_end: date | None,
    title: str = "",
) -> InfoReport:
    """A new report (第 N 期) of ``unit`` for a period, its figures read from the system and, above the
    bottom level, its children's approved reports of an overlapping period attached and their practice
    offered."""
    campaign = batch.campaign
    title = within_length(title, TITLE_MAX, _("标题"))
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=unit.pk)  # one number at a time per unit
        require(actor, "change", unit.path)
        if not unit.path.startswith(campaign.root.path) or not takes_part(batch, unit):
            raise ValidationError(_("“%(unit)s”不在这一批次的活动中。") % {"unit": unit.name})
        start, end = _check_period(campaign, period_start, period_end)
        pending = (
            InfoReport.objects.filter(campaign=campaign, unit=unit, period_start=start, period_end=end)
            .exclude(status=ReportStatus.APPROVED)
            .first()
        )
        if pending is not None:
            raise ValidationError(
                _(
                    "本单位这一报告期（%(start)s 至 %(end)s）已有一份未报送的信息（第%(n)d期），"
                    "请在那份上修改。"
                )
                % {"start": start.isoformat(), "end": end.isoformat(), "n": pending.number}
            )
        last = InfoReport.objects.filter(campaign=campaign, unit=unit).aggregate(n=Max("number"))["n"] or 0
        number = last + 1
        sources = list(child_sources(campaign, unit, start, end))
        report = InfoReport.objects.create(
            campaign=campaign,
            unit=unit,
            path=unit.path,
            level=unit.level,
            number=number,
            title=title or default_title(unit, number),
            period_start=start,
            period_end=end,
            figures=report_figures(batch, unit, end),
            practice=_practice_of(sources),
            created_by=user_of(actor),
        )
        report.sources.set(sources)
        _record(
            actor,
            verbs.REPORT_DRAFT,
            report,
            number=number,
            title=report.title,
            period=[start, end],
            batch=batch.pk,
            sources=[s.pk for s in sources],
        )
        return report


def _locked(report: InfoReport) -> InfoReport:
    return locked(InfoReport, report.pk, "unit", "campaign")


def _must_be_draft(report: InfoReport) -> None:
    if report.status == ReportStatus.APPROVED:
        raise ValidationError(_("这期信息已审核报送，不能再修改。"))
    if report.status == ReportStatus.SUBMITTED:
        raise ValidationError(_("这期信息正在等待审核，退回后才能修改。"))


def report_update(
    *,
    actor: Actor,
    report: InfoReport,
    narrative: str,
    practice: str,
    next_steps: str,
    title: str,
    refresh_figures: bool = False,
) -> InfoReport:
    """The texts of a draft (or of a report returned to draft); ``refresh_figures`` reads its figures
    again and attaches the children's reports approved since it was drafted (the texts are left as
    written)."""
    title = within_length(title, TITLE_MAX, _("标题"))
    if not title:
        raise ValidationError({"title": [_("请填写标题。")]})
    texts = {
        "narrative": within_length(narrative, TEXT_MAX, _("工作进展")),
        "practice": within_length(practice, TEXT_MAX, _("典型做法")),
        "next_steps": within_length(next_steps, TEXT_MAX, _("下步打算")),
        "title": title,
    }
    with transaction.atomic():
        report = _locked(report)
        require(actor, "change", report.path)
        _must_be_draft(report)
        changed = [k for k, v in texts.items() if getattr(report, k) != v]
        for key, value in texts.items():
            setattr(report, key, value)
        fields = list(changed)
        added: list[int] = []
        if refresh_figures:
            batch_id = int((report.figures or {}).get("batch") or 0)
            batch = Batch.objects.select_related("campaign").filter(pk=batch_id).first()
            if batch is None:
                raise ValidationError(_("找不到这期信息所属的批次，无法更新数据。"))
            report.figures = report_figures(batch, report.unit, report.period_end)
            fields.append("figures")
            have = set(report.sources.values_list("pk", flat=True))
            fresh = [
                s
                for s in child_sources(report.campaign, report.unit, report.period_start, report.period_end)
                if s.pk not in have
            ]
            report.sources.add(*fresh)
            added = [s.pk for s in fresh]
        if fields:
            report.save(update_fields=fields)
        _record(actor, verbs.REPORT_UPDATE, report, changed=changed, refreshed=refresh_figures, added=added)
        return report


def report_submit(*, actor: Actor, report: InfoReport) -> InfoReport:
    """Draft → submitted: sent to the unit's head for approval (the narrative is required)."""
    with transaction.atomic():
        report = InfoReport.objects.select_related("unit", "campaign").get(pk=report.pk)
        require(actor, "change", report.path)
        _must_be_draft(report)
        if not report.narrative.strip():
            raise ValidationError({"narrative": [_("请先填写“工作进展”再提交审核。")]})
        now = timezone.now()
        won = InfoReport.objects.filter(pk=report.pk, status=ReportStatus.DRAFT).update(
            status=ReportStatus.SUBMITTED, submitted_at=now, submitted_by=user_of(actor)
        )
        if not won:
            raise AlreadyHandled(_("这期信息已被其他人处理，请刷新页面查看。"))
        report.status, report.submitted_at, report.submitted_by = ReportStatus.SUBMITTED, now, user_of(actor)
        _record(actor, verbs.REPORT_SUBMIT, report)
        _notify_heads(actor, report)
        return report


def _decidable(actor: Actor, report: InfoReport) -> InfoReport:
    report = InfoReport.objects.select_related("unit", "campaign").get(pk=report.pk)
    require(actor, "plan", report.path)
    if report.status != ReportStatus.SUBMITTED:
        raise AlreadyHandled(
            _("这期信息当前为“%(status)s”，已被其他人处理（或尚未提交审核），请刷新页面查看。")
            % {"status": report.get_status_display()}
        )
    return report


def report_approve(*, actor: Actor, report: InfoReport) -> InfoReport:
    """Submitted → approved: the head approves and it goes up (the levels above see it)."""
    with transaction.atomic():
        report = _decidable(actor, report)
        if error := approver_error(actor, report):
            raise PermissionDenied(error)
        now, user = timezone.now(), user_of(actor)
        won = InfoReport.objects.filter(pk=report.pk, status=ReportStatus.SUBMITTED).update(
            status=ReportStatus.APPROVED, approved_at=now, approved_by=user
        )
        if not won:
            raise AlreadyHandled(_("这期信息已被其他人处理，请刷新页面查看。"))
        report.status, report.approved_at, report.approved_by = ReportStatus.APPROVED, now, user
        _record(actor, verbs.REPORT_APPROVE, report)
        _notify_drafter(
            actor,
            report,
            NotificationKind.REPORT,
            _("您起草的信息“%(title)s”已审核，报送上级。") % {"title": report.title[:80]},
        )
        return report


def report_return(*, actor: Actor, report: InfoReport, note: str) -> InfoReport:
    """Submitted → draft, with the head's note (required)."""
    note = within_length(note, 2_000, _("退回意见"))
    if not note:
        raise ValidationError({"note": [_("退回须写明意见。")]})
    with transaction.atomic():
        report = _decidable(actor, report)
        won = InfoReport.objects.filter(pk=report.pk, status=ReportStatus.SUBMITTED).update(
            status=ReportStatus.DRAFT, return_note=note
        )
        if not won:
            raise AlreadyHandled(_("这期信息已被其他人处理，请刷新页面查看。"))
        report.status, report.return_note = ReportStatus.DRAFT, note
        _record(actor, verbs.REPORT_RETURN, report, note=note)
        _notify_drafter(
            actor,
            report,
            NotificationKind.RETURNED,
            _("您起草的信息“%(title)s”被退回：%(note)s") % {"title": report.title[:60], "note": note[:100]},
        )
        return report


# --- notices ---------------------------------------------------------------------------------------------


def _ancestors(path: str) -> list[str]:
    return [path[:n] for n in range(SEGMENT_WIDTH, len(path) + 1, SEGMENT_WIDTH)]


def _notify_heads(actor: Actor, report: InfoReport) -> None:
    """The offices of the nearest unit (the report's own, else the closest above) that has any."""
    rows = Grant.objects.filter(
        role=Role.OFFICE, unit__path__in=_ancestors(report.path), unit__is_active=True
    )
    by_path: dict[str, set[int]] = {}
    for path, user_id in rows.values_list("unit__path", "user_id"):
        by_path.setdefault(path, set()).add(user_id)
    if not by_path:
        return
    nearest = max(by_path, key=len)
    notify(
        by_path[nearest],
        kind=NotificationKind.REPORT,
        text=_("“%(unit)s”提交了信息“%(title)s”，请审核。")
        % {"unit": report.unit.name, "title": report.title[:80]},
        target=report,
        exclude=actor,
    )


def _notify_drafter(actor: Actor, report: InfoReport, kind: str, text: str) -> None:
    people = {report.created_by_id, report.submitted_by_id} - {None}
    notify(people, kind=kind, text=text, target=report, exclude=actor)


__all__ = [
    "AlreadyHandled",
    "approver_error",
    "child_sources",
    "default_title",
    "figure_table",
    "issue_label",
    "may_change",
    "may_decide",
    "office_name",
    "report_approve",
    "report_draft",
    "report_figures",
    "report_return",
    "report_submit",
    "report_update",
    "returned_to",
    "visible",
    "waiting_for",
]
