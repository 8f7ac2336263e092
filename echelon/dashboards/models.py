"""The command center's own records (ADR 16). The dashboards read everything else from the rollups and
summary columns the apps below keep (participations, reviews, the ledger's counters, the unit rollups).

- ``Snapshot``: one unit's key figures on one day (the trend lines). Units that have units below them in
  the batch are snapshotted (about 3,500 rows a day at full scale, zeros not stored); a leaf's own history
  is its phase actuals.
- ``Alert``: an early warning (预警) found by a template rule on a unit; the daily job replaces the set.
- ``DailyStep``: a step of the daily run (a batch's warnings, its snapshot; the day's notices) done for a
  day, written in the step's own transaction: a rerun of the day skips what is done (``jobs.daily_run``).
- ``DispatchMeeting`` (调度会) with its ``DispatchItem`` action items assigned to units below, tracked
  to done; the figures shown at the meeting are frozen with it.
- ``InfoReport`` (信息报送、工作简报): a unit's periodic report, pre-filled with its figures, approved by its
  head, then sent up; the level above compiles its own from its children's (``sources``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from echelon.accounts.models import Grant
from echelon.core.actors import Actor
from echelon.core.querysets import ScopedQuerySet, scope_paths
from echelon.core.tree import PathField, subtree_q


class UnitRowQuerySet(ScopedQuerySet):
    scope_field = "path"


class Snapshot(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey("campaigns.Batch", on_delete=models.CASCADE, related_name="+", db_index=False)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    path = PathField(_("单位路径"))
    day = models.DateField(_("日期"))
    figures = models.JSONField(_("指标"))  # {measure key: number}, the keys of figures.MEASURES

    objects = UnitRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("每日快照")
        verbose_name_plural = _("每日快照")
        ordering = ["batch", "path", "day"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "unit", "day"], name="snapshot_unit_day_unique"),
        ]
        indexes = [models.Index(fields=["batch", "path", "day"], name="snapshot_path_day_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id}@{self.day}"


def alerts_version(batch_id: int) -> str:
    """The version (``core.versions``) of a batch's warnings: ``warnings_refresh`` bumps it when it replaces
    them (the dashboards cache their counts under it)."""
    return f"dashboards:alerts:{batch_id}"


class Alert(models.Model):
    """A unit a warning rule found (the rule's key and parameters are template data, ``Spec.warnings``)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey("campaigns.Batch", on_delete=models.CASCADE, related_name="+", db_index=False)
    unit = models.ForeignKey("orgs.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    path = PathField(_("单位路径"))
    level = models.PositiveSmallIntegerField(_("层级"))
    rule = models.CharField(_("预警规则"), max_length=32)
    since = models.DateField(_("首次发现"))
    detail = models.JSONField(_("说明"), default=dict, blank=True)  # the figures behind it, for the sentence
    found_at = models.DateTimeField(_("计算时间"))

    objects = UnitRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["rule", "path"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "rule", "unit"], name="alert_rule_unit_unique")
        ]
        indexes = [models.Index(fields=["batch", "path", "rule"], name="alert_path_rule_idx")]

    def __str__(self) -> str:
        return f"{self.rule}:{self.unit_id}"


class Step(models.TextChoices):
    WARNINGS = "warnings", _("预警")
    SNAPSHOT = "snapshot", _("每日快照")
    NOTICES = "notices", _("预警提醒")


class DailyStep(models.Model):
    """A step of the dashboards' daily run done for ``day``: a batch's warnings or snapshot, or (no batch)
    the day's notices. The service that does the step writes it in its own transaction, with what it
    found (``result``), so a killed run leaves each step either done and recorded or neither."""

    day = models.DateField(_("日期"))
    step = models.CharField(_("步骤"), max_length=16, choices=Step.choices)
    batch = models.ForeignKey(
        "campaigns.Batch", on_delete=models.CASCADE, related_name="+", null=True, blank=True, db_index=False
    )
    result = models.JSONField(_("结果"), default=dict, blank=True)
    done_at = models.DateTimeField(_("完成时间"))

    class Meta:
        verbose_name = _("每日任务步骤")
        verbose_name_plural = _("每日任务步骤")
        ordering = ["day", "step", "batch"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "step", "batch"], condition=Q(batch__isnull=False), name="dailystep_batch_once"
            ),
            models.UniqueConstraint(
                fields=["day", "step"], condition=Q(batch__isnull=True), name="dailystep_day_once"
            ),
            models.CheckConstraint(condition=Q(step__in=Step.values), name="dailystep_step_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.day}:{self.step}:{self.batch_id or '-'}"


class DispatchMeeting(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    batch = models.ForeignKey(
        "campaigns.Batch", on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("批次")
    )
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", db_index=False)
    path = PathField(_("单位路径"), db_index=True)  # the office's unit that held it
    level = models.PositiveSmallIntegerField(_("层级"))
    title = models.CharField(_("会议名称"), max_length=200)
    date = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=200, blank=True, default="")
    attendees = models.TextField(_("参加人员"))
    findings = models.TextField(_("发现的问题"))
    decisions = models.TextField(_("会议部署"), blank=True, default="")
    figures = models.JSONField(_("会上通报的数据"), default=dict, blank=True)  # frozen dashboard figures
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = UnitRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("调度会")
        verbose_name_plural = _("调度会")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return self.title


class ItemStatus(models.TextChoices):
    OPEN = "open", _("办理中")
    DONE = "done", _("已办结")


class DispatchItem(models.Model):
    """An action item of a dispatch meeting: a unit in the office's subtree does it by the deadline and
    reports it done; the office can reopen it."""

    meeting = models.ForeignKey(DispatchMeeting, on_delete=models.CASCADE, related_name="items")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", db_index=False)
    path = PathField(_("承办单位路径"))  # the assigned unit's
    text = models.TextField(_("事项"))
    deadline = models.DateField(_("办结时限"))
    status = models.CharField(_("状态"), max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    done_note = models.TextField(_("办理情况"), blank=True, default="")
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reopen_note = models.TextField(_("退回重办理由"), blank=True, default="")  # the last sending back
    reopened = models.PositiveSmallIntegerField(_("退回次数"), default=0)

    objects = UnitRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("调度事项")
        verbose_name_plural = _("调度事项")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ItemStatus.values), name="dispatchitem_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["path", "status", "deadline"], name="dispatchitem_path_idx")]

    def __str__(self) -> str:
        return self.text[:40]


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")  # waiting for the unit's head
    APPROVED = "approved", _("已报送")  # approved and sent up


class InfoReportQuerySet(ScopedQuerySet):
    """A unit's reports are seen at home in every state; above it only once approved (sent up), and while
    submitted by who may approve them (``plan`` over the unit). Drafts stay home."""

    scope_field = "path"

    def visible_to(self, user: Actor, action: str = "view") -> InfoReportQuerySet:
        if user is None:
            return self
        paths = scope_paths(user, action)
        if paths is None:
            return self
        if not paths:
            return self.none()
        user_id: int = getattr(user, "pk", None) or 0
        home = Grant.objects.filter(user_id=user_id, unit__is_active=True).values_list(
            "unit__path", flat=True
        )
        cond = Q(path__in=list(home)) | (Q(status=ReportStatus.APPROVED) & subtree_q("path", paths))
        approvers = scope_paths(user, "plan") or []
        if approvers:
            cond |= Q(status=ReportStatus.SUBMITTED) & subtree_q("path", approvers)
        return self.filter(cond)


class InfoReport(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", db_index=False)
    path = PathField(_("单位路径"), db_index=True)
    level = models.PositiveSmallIntegerField(_("层级"))
    number = models.PositiveSmallIntegerField(_("期数"))  # per unit and campaign: 第 N 期
    title = models.CharField(_("标题"), max_length=200)
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))
    figures = models.JSONField(_("数据"), default=dict, blank=True)  # from the system, never typed
    narrative = models.TextField(_("工作进展"), blank=True, default="")
    practice = models.TextField(_("典型做法"), blank=True, default="")
    next_steps = models.TextField(_("下步打算"), blank=True, default="")
    sources = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="used_by", verbose_name=_("汇总的下级报告")
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交审核时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    return_note = models.TextField(_("退回意见"), blank=True, default="")

    objects = InfoReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("信息报送")
        verbose_name_plural = _("信息报送")
        ordering = ["-period_end", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "unit", "number"], name="inforeport_number_unique"),
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values), name="inforeport_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="inforeport_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title
