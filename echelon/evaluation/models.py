"""The satisfaction evaluation (群众满意度测评) and the redo (补课).

- ``Session``: one evaluation of a unit taking part in a campaign (its participation), held in the
  template's evaluation phase. ``round`` is 1, then 2, 3 … after a redo. The items, scale, satisfied options
  and threshold are copied from the campaign's template when the session opens, so a later template edit
  never changes a result. Closing computes the result once (satisfied votes on the overall item, the first,
  over all its votes, paper and online) and stores it on the row: rollups sum stored columns.
- ``EvaluatorGroup``: who evaluated (党代表和委员, 基层群众, 干部代表) and how many were present.
- ``Tally``: the paper votes of a group for one item and one option.
- ``BallotCode``: a one-time code for online voting, of a group; only its hash is stored. ``Ballot``: the
  online vote, with the group and the chosen options only: no link to the code, no time (anonymity: a
  code never reveals who voted or how).
- ``Redo``: opened by a closed session below the threshold, on the template's redo phase, with the reasons
  and a deadline; the unit records what it did (``RedoFile`` for its material), holds a new evaluation, and
  the responsible supervision group decides it done.

Every row a user reaches carries its unit's ``path`` (and ``level``) for scoping and rollups.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from echelon.core.querysets import ScopedQuerySet
from echelon.core.tree import PathField

NOTE_MAX = 1_000
WORK_MAX = 5_000


class EvaluatorKind(models.TextChoices):
    DEPUTIES = "deputies", _("党代表和委员")
    PUBLIC = "public", _("基层群众")
    CADRES = "cadres", _("干部代表")


class SessionStatus(models.TextChoices):
    OPEN = "open", _("测评中")
    CLOSED = "closed", _("已结束")


class SessionQuerySet(ScopedQuerySet):
    scope_field = "path"


class Session(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    participation = models.ForeignKey(
        "campaigns.Participation", on_delete=models.CASCADE, related_name="+", verbose_name=_("参与单位")
    )
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    path = PathField(_("单位路径"))
    level = models.PositiveSmallIntegerField(_("层级"))
    phase = models.CharField(_("环节"), max_length=64)
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    status = models.CharField(
        _("状态"), max_length=8, choices=SessionStatus.choices, default=SessionStatus.OPEN
    )
    held_on = models.DateField(_("测评日期"))
    items = models.JSONField(_("测评项目"))
    scale = models.JSONField(_("等次"))
    satisfied = models.JSONField(_("满意等次"))
    redo_below = models.FloatField(_("补课线"))
    redo = models.ForeignKey(
        "Redo",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("补课"),
    )
    # the result, written once when the session closes
    satisfied_votes = models.PositiveIntegerField(_("满意票"), default=0)
    total_votes = models.PositiveIntegerField(_("总票数"), default=0)
    satisfied_share = models.FloatField(_("满意率"), null=True, blank=True)
    passed = models.BooleanField(_("达标"), null=True, blank=True)
    results = models.JSONField(_("各项结果"), default=list, blank=True)  # [[votes per option] per item]
    # the unit's latest closed session: its result is the unit's (rollups sum these rows only)
    current = models.BooleanField(_("当前结果"), default=False)
    close_note = models.CharField(_("结束说明"), max_length=NOTE_MAX, blank=True, default="")
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("满意度测评")
        verbose_name_plural = _("满意度测评")
        ordering = ["path", "-round"]
        constraints = [
            models.UniqueConstraint(fields=["participation", "round"], name="evaluation_session_round"),
            models.UniqueConstraint(
                fields=["participation"],
                condition=Q(status="open"),
                name="evaluation_session_one_open",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="evaluation_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "path"], name="evaluation_session_path_idx"),
            # the rollup reads the units' current results from this index alone
            models.Index(
                fields=["campaign", "path", "satisfied_votes", "total_votes", "passed"],
                condition=Q(current=True),
                name="evaluation_session_current_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}#{self.round}"

    @property
    def is_open(self) -> bool:
        return self.status == SessionStatus.OPEN


class EvaluatorGroup(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="groups")
    kind = models.CharField(_("评议人员"), max_length=10, choices=EvaluatorKind.choices)
    present = models.PositiveIntegerField(_("到会人数"))
    codes_issued = models.PositiveIntegerField(_("已发放测评码"), default=0)

    class Meta:
        verbose_name = _("测评人员组")
        verbose_name_plural = _("测评人员组")
        ordering = ["session", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "kind"], name="evaluation_group_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=EvaluatorKind.values), name="evaluation_group_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}:{self.kind}"


class Tally(models.Model):
    """Paper votes of a group for one item (index into ``Session.items``) and option (into ``scale``)."""

    group = models.ForeignKey(EvaluatorGroup, on_delete=models.CASCADE, related_name="tallies")
    item = models.PositiveSmallIntegerField(_("项目"))
    option = models.PositiveSmallIntegerField(_("等次"))
    votes = models.PositiveIntegerField(_("票数"))

    class Meta:
        verbose_name = _("纸质票计票")
        verbose_name_plural = _("纸质票计票")
        constraints = [
            models.UniqueConstraint(fields=["group", "item", "option"], name="evaluation_tally_cell")
        ]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.item}:{self.option}={self.votes}"


class BallotCode(models.Model):
    """A one-time code for online voting: only its hash; ``used`` is set by one conditional UPDATE."""

    group = models.ForeignKey(EvaluatorGroup, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(_("测评码摘要"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("有效期至"))
    used = models.BooleanField(_("已使用"), default=False)

    class Meta:
        verbose_name = _("测评码")
        verbose_name_plural = _("测评码")

    def __str__(self) -> str:
        return f"{self.group_id}:{self.code_hash[:8]}"


class Ballot(models.Model):
    """An online ballot: the group and the option chosen per item. No code, no time, no address, and a
    random id: neither the order of the rows nor the audit trail's times tell which ballot came when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey(EvaluatorGroup, on_delete=models.CASCADE, related_name="ballots")
    choices = models.JSONField(_("选择"))  # [option index per item]

    class Meta:
        verbose_name = _("网上测评票")
        verbose_name_plural = _("网上测评票")

    def __str__(self) -> str:
        return f"{self.group_id}:{self.choices}"


class RedoStatus(models.TextChoices):
    OPEN = "open", _("补课中")
    PASSED = "passed", _("再测评达标，待督导组认定")
    DONE = "done", _("补课完成")


class RedoQuerySet(ScopedQuerySet):
    scope_field = "path"


class Redo(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    participation = models.ForeignKey(
        "campaigns.Participation", on_delete=models.CASCADE, related_name="+", verbose_name=_("参与单位")
    )
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("单位"))
    path = PathField(_("单位路径"))
    level = models.PositiveSmallIntegerField(_("层级"))
    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, related_name="opened_redo", verbose_name=_("未达标的测评")
    )
    phase = models.CharField(_("补课环节"), max_length=64)
    reasons = models.TextField(_("补课原因"))
    deadline = models.DateField(_("完成期限"))
    status = models.CharField(_("状态"), max_length=8, choices=RedoStatus.choices, default=RedoStatus.OPEN)
    work = models.TextField(_("补课情况"), blank=True, default="")
    work_at = models.DateTimeField(_("补课情况更新时间"), null=True, blank=True)
    comment = models.CharField(_("督导组意见"), max_length=NOTE_MAX, blank=True, default="")
    decided_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("开始时间"), auto_now_add=True)

    objects = RedoQuerySet.as_manager()

    class Meta:
        verbose_name = _("补课")
        verbose_name_plural = _("补课")
        ordering = ["path", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RedoStatus.values), name="evaluation_redo_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "path", "status"], name="evaluation_redo_path_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id}:{self.status}"


class RedoFile(models.Model):
    redo = models.ForeignKey(Redo, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("文件"), upload_to="evaluation/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=160)
    kind = models.CharField(_("类型"), max_length=10)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("补课材料")
        verbose_name_plural = _("补课材料")
        ordering = ["redo", "id"]

    def __str__(self) -> str:
        return self.name


def results_version(campaign_id: int) -> str:
    """The version (``core.versions``) of a campaign's evaluation results, bumped in the transaction of every
    closing and redo decision (and after the demo's bulk load): the dashboards cache their evaluation
    figures under it, so the next read after a write sees it."""
    return f"evaluation:results:{campaign_id}"
