"""Typical cases and models (典型案例、范式): good practice a unit nominates for one phase (and one action)
of a campaign's template, reviewed by the level above and, once published, a library for the units below the
reviewer (每个步骤都有范式、有榜样).

- ``Case``: the nominating unit's text, the phase and action it illustrates (keys of the campaign's
  template), the unit's category (the template's) and level; ``status`` submitted → published or returned
  (edited and sent again: submitted). ``library_path`` is the reviewing unit's path, set on publication: the
  units of that subtree see the case (``CaseQuerySet.own``).
- ``CaseFile``: the files attached to a case (checked by content like the ledger's uploads).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from echelon.core.querysets import ScopedQuerySet, scope_paths
from echelon.core.tree import PathField, ancestor_paths


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("已退回")
    PUBLISHED = "published", _("已发布")


class CaseQuerySet(ScopedQuerySet):
    """The cases of the user's subtrees (any status), and the published cases of every library the user's
    units lie in (a library is the reviewing unit's subtree)."""

    scope_field = "path"

    def own(self, user: Any) -> Q | None:
        paths = scope_paths(user, "view")
        if not paths:
            return None
        above = sorted({a for p in paths for a in ancestor_paths(p)})
        return Q(status=CaseStatus.PUBLISHED, library_path__in=above)

    def published(self) -> CaseQuerySet:
        return self.filter(status=CaseStatus.PUBLISHED)


class Case(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", verbose_name=_("活动")
    )
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("推荐单位")
    )
    path = PathField(_("单位路径"), db_index=True)
    level = models.PositiveSmallIntegerField(_("层级"))
    category = models.CharField(_("单位类别"), max_length=64)
    phase_key = models.CharField(_("环节"), max_length=64)
    action_key = models.CharField(_("动作"), max_length=64, blank=True, default="")
    title = models.CharField(_("标题"), max_length=100)
    text = models.TextField(_("案例内容"))
    status = models.CharField(
        _("状态"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED
    )
    nominated_at = models.DateTimeField(_("推荐时间"), auto_now_add=True)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("推荐人"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    review_comment = models.TextField(_("审核意见"), blank=True, default="")
    library_path = PathField(_("案例库范围"), blank=True, default="", db_index=True)
    library_unit = models.ForeignKey(
        "orgs.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发布单位"),
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("典型案例")
        verbose_name_plural = _("典型案例")
        ordering = ["-nominated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CaseStatus.values), name="case_status_valid"),
            models.CheckConstraint(
                condition=~Q(status="published") | ~Q(library_path=""), name="case_published_has_library"
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "status", "phase_key", "action_key"], name="case_library_idx"),
            models.Index(fields=["status", "path"], name="case_status_path_idx"),
        ]

    def __str__(self) -> str:
        return self.title


def case_file_path(instance: CaseFile, filename: str) -> str:
    return f"cases/{instance.case_id}/{filename}"


class CaseFile(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="files", verbose_name=_("典型案例"))
    file = models.FileField(_("文件"), upload_to=case_file_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    file_type = models.CharField(_("类型"), max_length=10)
    size = models.PositiveBigIntegerField(_("大小"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("案例附件")
        verbose_name_plural = _("案例附件")
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return self.original_name
