"""Shared records: the append-only audit trail, background jobs, version counters and notifications."""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from echelon.core.actors import Actor
from echelon.core.querysets import ScopedQuerySet
from echelon.core.tree import PathField


class AuditEventQuerySet(ScopedQuerySet["AuditEvent"]):
    scope_field = "unit_path"

    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("audit events are append-only")

    def delete(self) -> NoReturn:
        raise TypeError("audit events are append-only")


class AuditEvent(models.Model):
    """One state change: who did what to which object, in which unit, before and after, from where."""

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    verb = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64)
    object_id = models.CharField(_("对象编号"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=255, blank=True)
    # The unit the change belongs to (no foreign key: core depends on no domain app).
    unit_id = models.BigIntegerField(_("单位编号"), null=True, blank=True)
    unit_path = PathField(_("单位路径"), blank=True, db_index=True)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(_("客户端地址"), null=True, blank=True)
    channel = models.CharField(_("渠道"), max_length=8, default="web")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.verb} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("audit events are append-only")


class JobQuerySet(models.QuerySet["Job"]):
    def visible_to(self, user: Actor, action: str = "view") -> JobQuerySet:
        """A user's own jobs (the system and anonymous visitors: none)."""
        if not isinstance(user, get_user_model()):
            return self.none()
        return self.filter(created_by=user)


class Job(models.Model):
    """A long piece of work (import, export, report) with a status and progress the user can follow."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveBigIntegerField(_("已处理"), default=0)
    total = models.PositiveBigIntegerField(_("总数"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    params = models.JSONField(_("参数"), default=dict)
    result = models.JSONField(_("结果"), null=True, blank=True)
    result_file = models.CharField(_("结果文件"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("提交人")
    )
    unit_path = PathField(_("单位路径"), blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="job_status_valid",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class Counter(models.Model):
    """A named version number that services bump when something cached changes (e.g. the tree's shape)."""

    name = models.CharField(primary_key=True, max_length=64)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("版本计数")
        verbose_name_plural = _("版本计数")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class NotificationKind(models.TextChoices):
    REVIEW_WAITING = "review_waiting", _("待审核")
    RETURNED = "returned", _("被打回")
    INTERVIEW = "interview", _("约谈")
    REDO = "redo", _("返工")
    PASSED = "passed", _("通过")
    DEADLINE = "deadline", _("期限临近")
    OVERDUE = "overdue", _("审核超期")
    LEDGER = "ledger", _("问题台账")
    ALERT = "alert", _("预警")
    REPORT = "report", _("信息报送")


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user: Any, action: str = "view") -> NotificationQuerySet:
        """A user's own notifications, and nobody else's (not even a superuser's: they are personal)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(user=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A short personal notice. What it is about is an object (``target_type`` = ``app_label.model``,
    ``target_id``), linked when shown through ``notifications.register_target``; no target: no link."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    kind = models.CharField(_("类型"), max_length=16, choices=NotificationKind.choices)
    text = models.CharField(_("内容"), max_length=500)
    target_type = models.CharField(_("对象类型"), max_length=64, blank=True, default="")
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True, default="")
    # What the notice is about (e.g. "overdue:12"): a notice generated by the daily run is made once.
    key = models.CharField(max_length=64, blank=True, default="")
    created = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=NotificationKind.values), name="core_notification_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="core_notification_once"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="core_notification_unread_idx"),
            # the unread notices about one item, marked read when it is handled (notifications.settle)
            models.Index(
                fields=["target_type", "target_id"],
                condition=Q(read_at__isnull=True),
                name="core_notification_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:50]


class NotificationDigest(models.Model):
    """One daily e-mail per user: the row makes a second run on the same day send nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"))
    count = models.PositiveIntegerField(_("通知数"))
    sent_at = models.DateTimeField(_("发送时间"), default=timezone.now)

    class Meta:
        verbose_name = _("每日通知摘要")
        verbose_name_plural = _("每日通知摘要")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="core_digest_once_a_day")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.day}"
