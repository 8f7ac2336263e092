"""民主评议党员: a branch's appraisal meeting in a campaign, one rating per member present, the follow-up of
the members rated lowest, and the counts per grade that roll up the tree.

Two kinds of visibility (see ``selectors``): the appraisal itself and its counts are seen by everyone whose
view covers the branch (``visible_to``, subtrees as everywhere); the individual ratings and follow-ups only
by the branch and the level directly responsible for it (a grant on the branch or on its parent unit),
``RatingQuerySet.visible_to``. A county or league office sees counts only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from echelon.appraisal.access import responsible_paths
from echelon.core.actors import Actor, is_person
from echelon.core.querysets import ScopedQuerySet
from echelon.core.tree import SEGMENT_WIDTH, PathField


class State(models.TextChoices):
    DRAFT = "draft", _("评议中")
    RECORDED = "recorded", _("已完成")


class FollowUpState(models.TextChoices):
    OPEN = "open", _("整改中")
    CLOSED = "closed", _("已办结")


class AppraisalQuerySet(ScopedQuerySet):
    scope_field = "path"

    def individual_to(self, user: Actor, action: str = "view") -> AppraisalQuerySet:
        """The appraisals whose individual ratings ``user`` may see (``action``): the user holds a grant
        allowing it on the branch itself or on the unit directly above it. Superusers see all."""
        paths = responsible_paths(user, action)
        if paths is None:
            return self
        if not paths:
            return self.none()
        return self.filter(models.Q(path__in=paths) | models.Q(parent_path__in=paths))


class Appraisal(models.Model):
    """A branch's democratic appraisal of its members in a campaign (one per branch and campaign)."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", verbose_name=_("活动")
    )
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("党支部"), db_index=False
    )
    path = PathField(_("组织路径"))
    parent_path = PathField(_("上级组织路径"), blank=True)
    level = models.PositiveSmallIntegerField(_("层级"))
    phase = models.CharField(_("环节"), max_length=64, blank=True, default="")
    meeting_date = models.DateField(_("评议会日期"))
    present = models.PositiveIntegerField(_("到会党员"))
    note = models.TextField(_("说明"), blank=True, default="")
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    rated = models.PositiveIntegerField(_("已评议人数"), default=0)
    lowest = models.PositiveIntegerField(_("评为最低等次人数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    recorded_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = AppraisalQuerySet.as_manager()

    class Meta:
        verbose_name = _("民主评议")
        verbose_name_plural = _("民主评议")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "campaign"], name="appraisal_unit_campaign_unique"),
            models.CheckConstraint(condition=models.Q(state__in=State.values), name="appraisal_state_valid"),
            models.CheckConstraint(
                condition=models.Q(rated__lte=models.F("present")), name="appraisal_rated_within_present"
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "path"], name="appraisal_campaign_path_idx"),
            models.Index(fields=["campaign", "state", "path"], name="appraisal_state_path_idx"),
            models.Index(fields=["parent_path"], name="appraisal_parent_idx"),
        ]

    def __str__(self) -> str:
        return str(_("%(unit)s民主评议党员") % {"unit": self.unit.name if self.unit_id else ""})

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.parent_path = self.path[:-SEGMENT_WIDTH]
        super().save(*args, **kwargs)


class RatingQuerySet(models.QuerySet["Rating"]):
    def visible_to(self, user: Actor, action: str = "view") -> RatingQuerySet:
        """Individual ratings: the branch's and those of the branches directly below the user's grants."""
        if user is not None and not is_person(user):
            return self.none()
        return self.filter(appraisal__in=Appraisal.objects.individual_to(user, action).values("pk"))


class Rating(models.Model):
    """One member's grade at the appraisal meeting."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="ratings")
    member = models.ForeignKey(
        "orgs.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("党员"), db_index=False
    )
    grade = models.CharField(_("评议等次"), max_length=20)

    objects = RatingQuerySet.as_manager()

    class Meta:
        verbose_name = _("评议结果")
        verbose_name_plural = _("评议结果")
        ordering = ["appraisal", "member"]
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "member"], name="rating_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member.name}：{self.grade}"


class GradeCount(models.Model):
    """How many members a recorded appraisal rated in one grade: the rows the rollups sum (a few per
    branch, not one per member), written when the appraisal is finalised."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    appraisal = models.ForeignKey(Appraisal, on_delete=models.CASCADE, related_name="grade_counts")
    path = PathField(_("组织路径"))
    grade = models.CharField(_("评议等次"), max_length=20)
    count = models.PositiveIntegerField(_("人数"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appraisal", "grade"], name="gradecount_grade_unique"),
        ]
        indexes = [models.Index(fields=["campaign", "path"], name="gradecount_campaign_path_idx")]

    def __str__(self) -> str:
        return f"{self.grade}：{self.count}"


class AppraisalTotal(models.Model):
    """The recorded appraisals of a unit's whole subtree (``path``: the unit), one row per figure (``key``:
    ``recorded``, ``rated``, ``grade:<grade>``), moved with each finalised appraisal in the same transaction
    (``appraisal.totals``): a summary reads a handful of rows per child, whatever the size of the tree."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    path = PathField(_("组织路径"))
    depth = models.PositiveSmallIntegerField(_("层级"))
    key = models.CharField(_("项目"), max_length=32)
    count = models.PositiveIntegerField(_("数量"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "path", "key"], name="appraisal_total_unique"),
        ]
        indexes = [models.Index(fields=["campaign", "depth", "path"], name="appraisal_total_depth_idx")]

    def __str__(self) -> str:
        return f"{self.path} {self.key}：{self.count}"


class FollowUpQuerySet(models.QuerySet["FollowUp"]):
    def visible_to(self, user: Actor, action: str = "view") -> FollowUpQuerySet:
        if user is not None and not is_person(user):
            return self.none()
        return self.filter(rating__appraisal__in=Appraisal.objects.individual_to(user, action).values("pk"))


class FollowUp(models.Model):
    """帮助谈话 of a member rated lowest: the talk, the deadline to improve, the outcome."""

    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="followup")
    path = PathField(_("组织路径"))
    talk_date = models.DateField(_("谈话日期"))
    talk = models.TextField(_("谈话内容"))
    deadline = models.DateField(_("整改期限"))
    outcome = models.TextField(_("整改结果"), blank=True, default="")
    state = models.CharField(
        _("状态"), max_length=10, choices=FollowUpState.choices, default=FollowUpState.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("帮助谈话")
        verbose_name_plural = _("帮助谈话")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=FollowUpState.values), name="followup_state_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(deadline__gte=models.F("talk_date")), name="followup_deadline_after_talk"
            ),
        ]
        indexes = [models.Index(fields=["path"], name="followup_path_idx")]

    def __str__(self) -> str:
        return str(_("帮助谈话：%(name)s") % {"name": self.rating.member.name})
