"""Campaigns: templates, campaigns and batches, participations (unit × batch), plans, baselines, actuals.

Storage of the plan (ARCHITECTURE.md: "generate and store the schedule for every participation ≤ 10 s"):
one ``PlanPhase`` row per participation and phase (about 350,000 rows for the full region), replaced as a
whole per batch with set-based writes when the campaign is re-planned. A participation carries the summary
of its plan (start, end, the milestone date), of its baseline and of its actuals, plus its unit's path,
level and territorial ancestors, so that per-level or per-league figures are one ``GROUP BY`` over an index
and never a join over the phase rows. Actuals live in ``PhaseActual`` rows and survive re-plans; a
``Baseline`` is a frozen copy (``BaselinePhase``) of the plan at publication.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from echelon.core.actors import Actor
from echelon.core.querysets import ScopedQuerySet, scope_paths
from echelon.core.tree import PathField, ancestor_paths, subtree_q

if TYPE_CHECKING:
    from echelon.campaigns.specs import Spec


class CampaignTemplate(models.Model):
    """A template loaded from ``templates_data/`` or written by the region office (the text is kept as
    edited; ``data`` is the validated, normalised form that campaigns copy)."""

    key = models.CharField(_("标识"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    text = models.TextField(_("模板内容（YAML 或 JSON）"))
    data = models.JSONField(_("规范化内容"))
    builtin_file = models.CharField(_("内置模板文件"), max_length=100, blank=True, default="")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("最后修改人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("活动模板")
        verbose_name_plural = _("活动模板")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def spec(self) -> Spec:
        from echelon.campaigns.specs import Spec

        return Spec(self.data)


class Status(models.TextChoices):
    DRAFT = "draft", _("未排程")
    SCHEDULED = "scheduled", _("已排程")
    PUBLISHED = "published", _("已发布")


class CampaignQuerySet(ScopedQuerySet):
    """A campaign is visible to a user whose granted subtree overlaps it: the campaign's root lies in the
    user's scope (an office above it), or one of the user's units lies under the root (a village secretary
    sees the region's campaign, but only their village's participation in it)."""

    scope_field = "path"

    def visible_to(self, user: Actor, action: str = "view") -> Self:
        paths = scope_paths(user, action)
        if paths is None:
            return self
        if not paths:
            return self.none()
        above = {a for p in paths for a in ancestor_paths(p)}
        return self.filter(subtree_q("path", paths) | Q(path__in=sorted(above)))


class Campaign(models.Model):
    name = models.CharField(_("活动名称"), max_length=200)
    template = models.ForeignKey(
        CampaignTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("模板"),
    )
    template_key = models.CharField(_("模板标识"), max_length=64)
    template_data = models.JSONField(_("模板（创建时的副本）"))
    root = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("范围"))
    path = PathField(_("范围路径"), db_index=True)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    participations_count = models.PositiveIntegerField(_("参与单位数"), default=0)
    baseline_count = models.PositiveSmallIntegerField(_("基线版本数"), default=0)
    # After a re-plan of a published campaign: scheduler.compare against the baseline, per level.
    replan_summary = models.JSONField(_("重新排程与基线的比较"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    scheduled_at = models.DateTimeField(_("排程时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="campaign_status_valid"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="campaign_window_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("campaigns:detail", args=[self.pk])

    @cached_property
    def spec(self) -> Spec:
        """The template copied at creation, read once per instance (it never changes)."""
        from echelon.campaigns.specs import Spec

        return Spec(self.template_data)

    @property
    def is_scheduled(self) -> bool:
        return self.status != Status.DRAFT


class Batch(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="batches", verbose_name=_("活动")
    )
    key = models.CharField(_("标识"), max_length=64)
    name = models.CharField(_("名称"), max_length=200)
    ordinal = models.PositiveSmallIntegerField(_("顺序"))
    window_start = models.DateField(_("开始日期"))
    window_end = models.DateField(_("结束日期"))
    # The resolved timing rules of this batch (template + overrides + dated blackouts + levels).
    rules = models.JSONField(_("时间规则"))
    participations_count = models.PositiveIntegerField(_("参与单位数"), default=0)
    feasible = models.BooleanField(_("满足全部规则"), null=True, blank=True)  # None: not scheduled yet
    violations = models.JSONField(_("违反的规则"), default=list, blank=True)
    scheduled_at = models.DateTimeField(_("排程时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("批次")
        verbose_name_plural = _("批次")
        ordering = ["campaign", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "key"], name="batch_key_unique"),
            models.CheckConstraint(
                condition=Q(window_end__gte=models.F("window_start")), name="batch_window_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def timing_with(self, **changes: Any) -> dict[str, Any]:
        """The stored timing with rule ``changes``; a changed window gets its blackouts resolved again (and
        its note of holidays the calendar cannot date, ``specs.HOLIDAYS_UNKNOWN``)."""
        from echelon.campaigns.specs import HOLIDAYS_UNKNOWN

        timing = {k: v for k, v in self.rules.items()}
        timing.update({k: v for k, v in changes.items() if k not in ("window_start", "window_end")})
        first = changes.get("window_start", self.window_start)
        last = changes.get("window_end", self.window_end)
        if (first, last) != (self.window_start, self.window_end) and first <= last:
            spec = self.campaign.spec
            resolved = spec.batch_timing(spec.batch(self.key), first, last)
            timing["blackouts"] = resolved["blackouts"]
            timing.pop(HOLIDAYS_UNKNOWN, None)
            if HOLIDAYS_UNKNOWN in resolved:
                timing[HOLIDAYS_UNKNOWN] = resolved[HOLIDAYS_UNKNOWN]
        return timing

    def scheduler_rules(self, **changes: Any) -> Any:
        """``scheduler.Rules`` of this batch, with rule ``changes`` (raises ``scheduler.RulesError``)."""
        from echelon.campaigns.specs import rules_from

        timing = self.timing_with(**changes)
        first = changes.get("window_start", self.window_start)
        last = changes.get("window_end", self.window_end)
        return rules_from(timing, first, last)


class GateState(models.TextChoices):
    """Where the current phase's gate stands (kept by the supervision services with each submission and
    decision): nothing pending, submitted and waiting, or the group's last decision other than a pass."""

    NONE = "", _("无")
    OPEN = "open", _("已提交待审核")
    RETURN = "return", _("被打回")
    INTERVIEW = "interview", _("约谈")
    REDO = "redo", _("返工")


class ParticipationQuerySet(ScopedQuerySet):
    scope_field = "path"


class Participation(models.Model):
    """A unit taking part in one batch of a campaign, with the summary of its plan, baseline and actuals."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="participations", db_index=False
    )
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="participations")
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="participations", db_index=False
    )
    path = PathField(_("单位路径"))
    level = models.PositiveSmallIntegerField(_("层级"))
    kind = models.CharField(_("类别"), max_length=16)
    # Territorial ancestors (as on the unit): per league = GROUP BY lv2, per county = lv3, per township = lv4,
    # per village = lv5.
    lv2 = models.BigIntegerField(null=True, blank=True)
    lv3 = models.BigIntegerField(null=True, blank=True)
    lv4 = models.BigIntegerField(null=True, blank=True)
    lv5 = models.BigIntegerField(null=True, blank=True)
    planned_start = models.DateField(_("计划开始"), null=True, blank=True)
    planned_end = models.DateField(_("计划结束"), null=True, blank=True)
    milestone_date = models.DateField(_("节点日期"), null=True, blank=True)  # e.g. the mobilization meeting
    baseline_start = models.DateField(_("基线开始"), null=True, blank=True)
    baseline_end = models.DateField(_("基线结束"), null=True, blank=True)
    actual_start = models.DateField(_("实际开始"), null=True, blank=True)
    actual_end = models.DateField(_("实际结束"), null=True, blank=True)
    current_phase = models.PositiveSmallIntegerField(_("当前环节"), default=0)  # = number of phases when done
    start_delay = models.IntegerField(
        _("开始延迟（天）"), null=True, blank=True
    )  # actual − baseline (or plan)
    gate = models.CharField(_("关口状态"), max_length=10, choices=GateState.choices, blank=True, default="")
    gate_at = models.DateField(_("关口状态日期"), null=True, blank=True)  # the submission or the decision
    # The planned end of the current phase (None when all are closed): "overdue" without reading the plan.
    current_due = models.DateField(_("当前环节计划结束"), null=True, blank=True)

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        verbose_name = _("参与单位")
        verbose_name_plural = _("参与单位")
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["unit", "campaign"], name="participation_unit_unique")]
        indexes = [
            models.Index(fields=["campaign", "path"], name="particip_campaign_path_idx"),
            models.Index(fields=["campaign", "level", "start_delay"], name="particip_level_delay_idx"),
            models.Index(fields=["campaign", "lv2"], name="particip_league_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.unit_id}"


class PlanPhase(models.Model):
    """The current plan of one phase of one participation (replaced as a whole on re-planning)."""

    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="plan", db_index=False
    )
    phase = models.PositiveSmallIntegerField(_("环节"))
    start = models.DateField(_("开始"))
    end = models.DateField(_("结束"))

    class Meta:
        verbose_name = _("环节计划")
        verbose_name_plural = _("环节计划")
        constraints = [models.UniqueConstraint(fields=["participation", "phase"], name="planphase_unique")]

    def __str__(self) -> str:
        return f"{self.participation_id}#{self.phase}: {self.start}～{self.end}"


class Baseline(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="baselines")
    number = models.PositiveSmallIntegerField(_("版本"))
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")
    rules = models.JSONField(_("发布时的时间规则"))  # {batch key: rules and window}
    units = models.PositiveIntegerField(_("单位数"), default=0)

    class Meta:
        verbose_name = _("基线")
        verbose_name_plural = _("基线")
        ordering = ["campaign", "-number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="baseline_number_unique")]

    def __str__(self) -> str:
        return f"{self.campaign_id}#{self.number}"


class BaselinePhase(models.Model):
    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="phases", db_index=False)
    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    phase = models.PositiveSmallIntegerField()
    start = models.DateField()
    end = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "baseline", "phase"], name="baselinephase_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.baseline_id}/{self.participation_id}#{self.phase}"


class PhaseActual(models.Model):
    """What a unit recorded: the actual start (and end) of one phase. The gate issue will make closing a
    phase depend on a supervision pass."""

    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="actuals", db_index=False
    )
    phase = models.PositiveSmallIntegerField(_("环节"))
    start = models.DateField(_("实际开始"))
    end = models.DateField(_("实际结束"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True, default="")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now=True)

    class Meta:
        verbose_name = _("环节实际进度")
        verbose_name_plural = _("环节实际进度")
        constraints = [
            models.UniqueConstraint(fields=["participation", "phase"], name="phaseactual_unique"),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="phaseactual_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participation_id}#{self.phase}: {self.start}～{self.end or ''}"


class PhaseOverrideQuerySet(ScopedQuerySet):
    scope_field = "path"


class PhaseOverride(models.Model):
    """An office (``plan`` over the unit) let a unit close a phase although the campaign's rules on actual
    progress say not yet (the phase's minimum days, the unit's minimum duration, the leadership body one
    step ahead), with its reason. The unit's phase page shows it as a warning; audited
    (``phase_rules.override``). One per participation and phase."""

    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="overrides", db_index=False
    )
    path = PathField(_("单位路径"), db_index=True)
    phase = models.PositiveSmallIntegerField(_("环节"))
    reason = models.CharField(_("理由"), max_length=500)
    problems = models.JSONField(_("被豁免的规则"), default=list, blank=True)  # what the rules said then
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("批准人"),
    )

    objects = PhaseOverrideQuerySet.as_manager()

    class Meta:
        verbose_name = _("环节规则豁免")
        verbose_name_plural = _("环节规则豁免")
        ordering = ["participation", "phase"]
        constraints = [
            models.UniqueConstraint(fields=["participation", "phase"], name="phaseoverride_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.participation_id}#{self.phase}"


class ProgressCount(models.Model):
    """A rollup of the participations (ADR 4, ADR 16): how many participations of ``batch`` in the subtree
    at ``path`` (the unit's own included) stand at ``phase`` (the number of phases when done), started or
    not, with their current gate. Kept by ``campaigns.progress`` in the transaction of every write of a
    participation's summary; rebuilt from the participations after bulk writes; never edited by hand."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="+", db_index=False)
    path = PathField(_("单位路径"))
    depth = models.PositiveSmallIntegerField(_("深度"))
    phase = models.PositiveSmallIntegerField(_("当前环节"))
    started = models.BooleanField(_("已开始"))
    gate = models.CharField(_("关口状态"), max_length=10, blank=True, default="")
    n = models.IntegerField(_("数量"), default=0)

    class Meta:
        verbose_name = _("进展汇总")
        verbose_name_plural = _("进展汇总")
        # Unique per (batch, path, …); led by the depth (which the path fixes), so a dashboard's read of
        # one unit and its children is two ranges of this one index.
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "depth", "path", "phase", "started", "gate"], name="progresscount_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.path} {self.phase}/{int(self.started)}/{self.gate}: {self.n}"


class ProgressDay(models.Model):
    """The date-dependent side of the rollup: how many participations of ``batch`` in the subtree at
    ``path`` have ``field`` on ``day`` (``planned_start``, ``planned_end``; ``due``: the planned end of the
    current phase of those not done; ``open_since``: the submission waiting for review of those started and
    not done), so "should have started", "overdue" and "reviews overdue" on any day are a sum over a few
    hundred rows."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="+", db_index=False)
    path = PathField(_("单位路径"))
    depth = models.PositiveSmallIntegerField(_("深度"))
    field = models.CharField(_("日期"), max_length=16)
    day = models.DateField(_("日"))
    n = models.IntegerField(_("数量"), default=0)

    class Meta:
        verbose_name = _("进展日期汇总")
        verbose_name_plural = _("进展日期汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "depth", "path", "field", "day"], name="progressday_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.path} {self.field} {self.day}: {self.n}"
