"""Publicity (公示): what a unit makes public on its page, after the level above approves.

A ``Publication`` is one notice of a unit: its problem list with the rectification progress, its
rectification results, or its promises (承诺事项); the kinds are a small registry (``publicity.kinds``) so
another app can add one (the evaluation result). Its ``content`` is what the unit typed (the promises);
``snapshot`` is the public copy, frozen and masked when the notice is submitted for approval: what the
level above approved is exactly what the public sees, and later edits of the ledger do not change it.

Life: draft → submitted → published (for the template's number of days: ``starts_on``..``ends_on``) →
withdrawn (with a reason) or simply over once ``ends_on`` has passed; a submitted notice returned with a
note is a draft again.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from echelon.core.querysets import ScopedQuerySet
from echelon.core.tree import PathField

TITLE_MAX = 100


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    PUBLISHED = "published", _("已公示")
    WITHDRAWN = "withdrawn", _("已撤回")


class PublicationQuerySet(ScopedQuerySet):
    scope_field = "path"

    def public(self, today: date) -> PublicationQuerySet:
        """What the public may see today: approved, within its period, not withdrawn."""
        return self.filter(status=PublicationStatus.PUBLISHED, starts_on__lte=today, ends_on__gte=today)


class Publication(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("活动"),
    )
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    path = PathField(_("单位路径"))
    level = models.PositiveSmallIntegerField(_("层级"))
    kind = models.CharField(_("公示内容"), max_length=16)
    title = models.CharField(_("标题"), max_length=TITLE_MAX)
    content = models.JSONField(_("填写内容"), default=dict, blank=True)
    snapshot = models.JSONField(_("公示文本"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.DRAFT
    )
    days = models.PositiveSmallIntegerField(_("公示天数"), null=True, blank=True)
    starts_on = models.DateField(_("公示开始"), null=True, blank=True)
    ends_on = models.DateField(_("公示截止"), null=True, blank=True)
    return_note = models.CharField(_("退回意见"), max_length=500, blank=True, default="")
    withdraw_reason = models.CharField(_("撤回理由"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("起草时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PublicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PublicationStatus.values), name="publication_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "status", "ends_on"], name="publication_public_idx"),
            models.Index(fields=["path", "status"], name="publication_path_idx"),
        ]

    def __str__(self) -> str:
        return self.title
