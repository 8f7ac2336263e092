"""The ledger (问题台账): opinions from the public → problems → rectification tasks ticked off → escalation
upward → hand-over between batches → institutions (建章立制).

Every row carries its unit's materialized ``path`` (and ``level``), kept by the services that write it, so
a subtree's rows are one indexed range and "per category and status under X" is one GROUP BY.

- ``Opinion``: what the public (or staff at a forum, a home visit, a questionnaire, a box) said to a unit.
  A tracking code (回执号) reveals only its status and the public reply. The contact is for the receiving
  unit alone.
- ``Problem``: an item of a unit's problem list (source, category of the four winds, special item, tags).
  ``path`` is the owner's: an accepted escalation makes the problem the receiver's; ``origin_path`` keeps the
  unit that raised it, which still sees it; ``pending_path`` lets the receiver of a pending escalation see it.
- ``Task``: a rectification measure with a responsible person and a deadline; the unit claims it done, the
  level above or the unit's supervision group verifies (销号), returns it, or defers it with a new date.
- ``Escalation`` (上报) and ``Handover`` (承接) carry problems and tasks between units; ``Institution`` is a
  rule made, revised or abolished in answer to problems.
"""

from __future__ import annotations

from datetime import date
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from echelon.core.actors import Actor
from echelon.core.querysets import ScopedQuerySet, scope_paths
from echelon.core.tree import PathField, subtree_q

TEXT_MAX = 2_000  # an opinion's or a problem's description


class Channel(models.TextChoices):
    WEB = "web", _("网上留言")
    FORUM = "forum", _("座谈会")
    VISIT = "visit", _("走访")
    QUESTIONNAIRE = "questionnaire", _("问卷")
    BOX = "box", _("意见箱")
    LETTER = "letter", _("来信来访")
    OTHER = "other", _("其他")


class OpinionStatus(models.TextChoices):
    NEW = "new", _("待处理")
    PROBLEM = "problem", _("已转为问题")
    REPLIED = "replied", _("已答复")
    MERGED = "merged", _("已合并")
    CLOSED = "closed", _("已关闭")


class OpinionQuerySet(ScopedQuerySet):
    scope_field = "path"


class Opinion(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    path = PathField(_("单位路径"))
    level = models.PositiveSmallIntegerField(_("层级"))
    tracking_code = models.CharField(_("回执号"), max_length=12, unique=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, default=Channel.WEB)
    text = models.TextField(_("意见内容"))
    contact = models.CharField(_("联系方式"), max_length=100, blank=True, default="")
    fingerprint = models.CharField(_("内容指纹"), max_length=40, db_index=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=OpinionStatus.choices, default=OpinionStatus.NEW
    )
    public_reply = models.TextField(_("公开答复"), blank=True, default="")
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    close_reason = models.CharField(_("关闭理由"), max_length=500, blank=True, default="")
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("合并到")
    )
    problem = models.ForeignKey(
        "Problem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="opinions",
        verbose_name=_("转为问题"),
    )
    received_on = models.DateField(_("收到日期"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = OpinionQuerySet.as_manager()

    class Meta:
        verbose_name = _("意见")
        verbose_name_plural = _("意见")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OpinionStatus.values), name="opinion_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="opinion_channel_valid"),
        ]
        indexes = [
            models.Index(fields=["path", "status"], name="opinion_path_status_idx"),
            models.Index(fields=["unit", "fingerprint"], name="opinion_unit_fp_idx"),
        ]

    def __str__(self) -> str:
        return self.tracking_code


class Severity(models.TextChoices):
    GENERAL = "general", _("一般")
    SERIOUS = "serious", _("较重")
    MAJOR = "major", _("严重")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    ESCALATED = "escalated", _("上报中")
    DONE = "done", _("已销号")


class ProblemQuerySet(ScopedQuerySet):
    """A problem is seen by its owner's subtree, by the subtree of the unit that raised it (an escalated
    problem stays visible below), and by the receiver of a pending escalation."""

    scope_field = "path"

    def visible_to(self, user: Actor, action: str = "view") -> Self:
        paths = scope_paths(user, action)
        if paths is None:
            return self
        if not paths:
            return self.none()
        if action not in ("view", "export"):
            return self.filter(subtree_q("path", paths))
        return self.filter(
            subtree_q("path", paths) | subtree_q("origin_path", paths) | subtree_q("pending_path", paths)
        )


class Problem(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", verbose_name=_("活动")
    )
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("责任单位")
    )
    path = PathField(_("单位路径"))
    level = models.PositiveSmallIntegerField(_("层级"))
    origin_unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("提出单位"), db_index=False
    )
    origin_path = PathField(_("提出单位路径"))
    pending_path = PathField(_("上报接收单位路径"), blank=True, default="")
    title = models.CharField(_("问题"), max_length=100)
    description = models.TextField(_("具体表现"), blank=True, default="")
    source = models.CharField(_("来源"), max_length=32)
    category = models.CharField(_("类别"), max_length=32)
    item = models.CharField(_("专项整治事项"), max_length=32, blank=True, default="")
    tags = models.JSONField(_("载体"), default=list, blank=True)
    severity = models.CharField(_("程度"), max_length=10, choices=Severity.choices, default=Severity.GENERAL)
    phase = models.PositiveSmallIntegerField(_("查摆环节"), null=True, blank=True)
    owner = models.CharField(_("责任人"), max_length=50, blank=True, default="")
    status = models.CharField(
        _("状态"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    found_on = models.DateField(_("查摆日期"))
    done_on = models.DateField(_("销号日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ProblemStatus.values), name="problem_status_valid"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="problem_severity_valid"),
        ]
        indexes = [
            models.Index(fields=["path", "category", "status"], name="problem_path_cat_idx"),
            models.Index(fields=["origin_path"], name="problem_origin_idx"),
            models.Index(fields=["pending_path"], name="problem_pending_idx"),
            models.Index(fields=["campaign", "item"], name="problem_item_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def number(self) -> str:
        return f"W{self.pk:07d}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("整改中")
    CLAIMED = "claimed", _("待验收")
    VERIFIED = "verified", _("已销号")
    DEFERRED = "deferred", _("暂不能解决")


# Tasks still to be ticked off: their deadline counts (overdue when it is past).
UNFINISHED = (TaskStatus.OPEN, TaskStatus.CLAIMED, TaskStatus.DEFERRED)


class TaskQuerySet(ScopedQuerySet):
    scope_field = "path"

    def unfinished(self) -> TaskQuerySet:
        return self.filter(status__in=UNFINISHED)

    def overdue(self, today: date) -> TaskQuerySet:
        return self.filter(status__in=(TaskStatus.OPEN, TaskStatus.DEFERRED), deadline__lt=today)


class Task(models.Model):
    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("问题")
    )
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", db_index=False)
    path = PathField(_("单位路径"))
    level = models.PositiveSmallIntegerField(_("层级"))
    category = models.CharField(_("类别"), max_length=32)  # the problem's, for rollups without a join
    item = models.CharField(_("专项整治事项"), max_length=32, blank=True, default="")
    measure = models.TextField(_("整改措施"))
    responsible = models.CharField(_("责任人"), max_length=50)
    deadline = models.DateField(_("完成时限"))
    status = models.CharField(_("状态"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    claim_note = models.TextField(_("完成情况"), blank=True, default="")
    claimed_at = models.DateTimeField(_("申请销号时间"), null=True, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verdict_note = models.TextField(_("验收意见"), blank=True, default="")
    verified_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reopened = models.PositiveSmallIntegerField(_("重新打开次数"), default=0)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("整改任务")
        verbose_name_plural = _("整改任务")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TaskStatus.values), name="task_status_valid"),
        ]
        indexes = [
            models.Index(fields=["path", "status", "deadline"], name="task_path_status_idx"),
            models.Index(fields=["item", "path"], name="task_item_idx"),
            # covering: the overdue tasks per child unit (the dashboards) read the index alone
            models.Index(fields=["status", "deadline", "path"], name="task_status_due_path_idx"),
        ]

    def __str__(self) -> str:
        return self.measure[:40]


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"ledger/tasks/{instance.task_id}/v{instance.version}-{filename}"


class Evidence(models.Model):
    """A version of a task's evidence (佐证材料), checked by content like every upload."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("任务"))
    path = PathField(_("单位路径"))
    version = models.PositiveSmallIntegerField(_("版本"))
    file = models.FileField(_("文件"), upload_to=evidence_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    file_type = models.CharField(_("类型"), max_length=10)
    size = models.PositiveBigIntegerField(_("大小"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("整改佐证")
        verbose_name_plural = _("整改佐证")
        ordering = ["task", "-version"]
        constraints = [models.UniqueConstraint(fields=["task", "version"], name="evidence_version_unique")]

    def __str__(self) -> str:
        return f"{self.original_name} v{self.version}"


class EscalationState(models.TextChoices):
    PENDING = "pending", _("待接收")
    ACCEPTED = "accepted", _("已接收")
    RETURNED = "returned", _("已退回")


class EscalationQuerySet(ScopedQuerySet):
    """Sender and receiver both see an escalation."""

    scope_field = "to_path"

    def visible_to(self, user: Actor, action: str = "view") -> Self:
        paths = scope_paths(user, action)
        if paths is None:
            return self
        if not paths:
            return self.none()
        return self.filter(subtree_q("to_path", paths) | subtree_q("from_path", paths))


class Escalation(models.Model):
    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("问题")
    )
    from_unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", db_index=False)
    from_path = PathField(_("上报单位路径"), db_index=True)
    to_unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", db_index=False)
    to_path = PathField(_("接收单位路径"), db_index=True)
    reason = models.TextField(_("上报理由"))
    state = models.CharField(
        _("状态"), max_length=10, choices=EscalationState.choices, default=EscalationState.PENDING
    )
    answer = models.TextField(_("接收意见"), blank=True, default="")
    sent_at = models.DateTimeField(_("上报时间"), auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = EscalationQuerySet.as_manager()

    class Meta:
        verbose_name = _("问题上报")
        verbose_name_plural = _("问题上报")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["problem"], condition=Q(state="pending"), name="escalation_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.problem_id}→{self.to_unit_id}"


class HandoverState(models.TextChoices):
    OFFERED = "offered", _("待承接")
    ACCEPTED = "accepted", _("已承接")


class HandoverQuerySet(EscalationQuerySet):
    """The batch-one owner and the receiving unit both see a hand-over."""


class Handover(models.Model):
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="handovers", verbose_name=_("原任务")
    )
    from_unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", db_index=False)
    from_path = PathField(_("移交单位路径"), db_index=True)
    to_unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", db_index=False)
    to_path = PathField(_("承接单位路径"), db_index=True)
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("承接人")
    )
    note = models.TextField(_("移交说明"), blank=True, default="")
    state = models.CharField(
        _("状态"), max_length=10, choices=HandoverState.choices, default=HandoverState.OFFERED
    )
    follow_task = models.ForeignKey(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("承接任务")
    )
    offered_at = models.DateTimeField(_("移交时间"), auto_now_add=True)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(_("承接时间"), null=True, blank=True)

    objects = HandoverQuerySet.as_manager()

    class Meta:
        verbose_name = _("任务承接")
        verbose_name_plural = _("任务承接")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["task", "to_unit"], name="handover_unique")]

    def __str__(self) -> str:
        return f"{self.task_id}→{self.to_unit_id}"


class InstitutionAction(models.TextChoices):
    MADE = "made", _("制定")
    REVISED = "revised", _("修订")
    ABOLISHED = "abolished", _("废止")


class InstitutionQuerySet(ScopedQuerySet):
    """A rule is seen in its unit's subtree and, when it was made jointly, in each partner's."""

    scope_field = "path"

    def own(self, user: Actor) -> Q | None:
        paths = scope_paths(user, "view")
        return subtree_q("partners__path", paths) if paths else None


def institution_path(instance: Institution, filename: str) -> str:
    return f"ledger/institutions/{instance.unit_id}/{filename}"


class Institution(models.Model):
    """A rule made, revised or abolished (建章立制), answering problems; a joint rule names its partners."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("制定单位")
    )
    path = PathField(_("单位路径"), db_index=True)
    title = models.CharField(_("制度名称"), max_length=200)
    action = models.CharField(
        _("类型"), max_length=10, choices=InstitutionAction.choices, default=InstitutionAction.MADE
    )
    adopted_on = models.DateField(_("印发日期"))
    summary = models.TextField(_("主要内容"), blank=True, default="")
    document = models.FileField(_("制度文件"), upload_to=institution_path, max_length=300, blank=True)
    document_name = models.CharField(_("文件名"), max_length=200, blank=True, default="")
    problems = models.ManyToManyField(
        Problem, blank=True, related_name="institutions", verbose_name=_("针对问题")
    )
    partners = models.ManyToManyField(
        "orgs.Unit", blank=True, related_name="+", verbose_name=_("联合制定单位")
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        verbose_name = _("制度")
        verbose_name_plural = _("制度")
        ordering = ["-adopted_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=InstitutionAction.values), name="institution_action_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CountKind(models.TextChoices):
    OPINION = "opinion", _("意见")
    PROBLEM = "problem", _("问题")
    TASK = "task", _("整改任务")
    PROBLEM_ITEM = "p_item", _("问题（按专项整治事项）")
    TASK_ITEM = "t_item", _("整改任务（按专项整治事项）")


# The counters by special item (``category`` holds the item's key) kept beside those by category.
ITEM_KINDS = {CountKind.PROBLEM: CountKind.PROBLEM_ITEM, CountKind.TASK: CountKind.TASK_ITEM}


class LedgerCount(models.Model):
    """A rollup (ADR 4, ADR 15): how many opinions, problems or tasks of one category (for the ``*_item``
    kinds: one special item) and status lie in the subtree at ``path`` (the unit's own rows included).
    Kept by the services in the transaction of every write (``ledger.rollup``), rebuilt from the rows
    after bulk loads; never edited by hand."""

    path = PathField(_("单位路径"))
    depth = models.PositiveSmallIntegerField(_("深度"))
    kind = models.CharField(_("对象"), max_length=8, choices=CountKind.choices)
    category = models.CharField(_("类别"), max_length=32, blank=True, default="")
    status = models.CharField(_("状态"), max_length=10)
    n = models.IntegerField(_("数量"), default=0)

    class Meta:
        verbose_name = _("台账汇总")
        verbose_name_plural = _("台账汇总")
        constraints = [
            models.UniqueConstraint(fields=["path", "kind", "category", "status"], name="ledgercount_unique"),
        ]
        indexes = [models.Index(fields=["depth", "path"], name="ledgercount_depth_idx")]

    def __str__(self) -> str:
        return f"{self.path} {self.kind} {self.category}/{self.status}: {self.n}"
