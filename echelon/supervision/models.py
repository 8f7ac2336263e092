"""Supervision: groups and their targets (coverage), required actions done, materials, meetings, gate reviews.

- ``SupervisionGroup``: dispatched by an office (``home_unit``) in one campaign batch to units of
  ``target_level`` (one level below the office); an instructor (指导员) is a group of one appointed by a
  township office to villages. Members are users; the leader is one of them.
- ``GroupAssignment``: a group made responsible for a participation. A second group on the same unit needs
  an ``override_reason`` (the coverage engine's rule). Carries the unit's path, so a group's members can be
  given their targets' subtrees through the scoping mechanism (see ``scope.py``).
- ``ActionDone``: a required action (规定动作) of a phase confirmed (or evidenced) by the unit. A redo (返工)
  clears the phase's completions (``cleared_at``); they stay as history.
- ``Material`` (versions) and ``Meeting``: the evidence of actions that need an upload or a meeting record.
- ``OwnAction``: an action the unit adds to a phase itself (自选动作), required before submitting or not.
- ``MaterialApproval``: a material the group approves before the actions after it (ADR 18).
- ``Review``: a unit's submission of a phase and the group's decision. At most one open review per
  participation and phase (partial unique constraint); the decision is taken by a conditional UPDATE.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from echelon.core.querysets import ScopedQuerySet
from echelon.core.tree import PathField


class GroupKind(models.TextChoices):
    GROUP = "group", _("督导组")
    INSTRUCTOR = "instructor", _("指导员")


class GroupQuerySet(ScopedQuerySet):
    """Offices see the groups dispatched from their subtree; members see their own groups."""

    scope_field = "home_path"

    def own(self, user):
        return Q(members=user) | Q(leader=user)

    def of_member(self, user):
        return self.filter(pk__in=SupervisionGroup.objects.filter(self.own(user)).values("pk"))


class SupervisionGroup(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="supervision_groups",
        verbose_name=_("活动"),
    )
    batch = models.ForeignKey(
        "campaigns.Batch", on_delete=models.CASCADE, related_name="supervision_groups", verbose_name=_("批次")
    )
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=GroupKind.choices, default=GroupKind.GROUP)
    home_unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("派出单位")
    )
    home_path = PathField(_("派出单位路径"), db_index=True)
    target_level = models.PositiveSmallIntegerField(_("督导层级"))
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("组长"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="supervision_groups", verbose_name=_("成员")
    )
    unit_count = models.PositiveIntegerField(_("督导单位数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = GroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("督导组")
        verbose_name_plural = _("督导组")
        ordering = ["campaign", "target_level", "home_path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "home_unit", "name"], name="supgroup_name_unique"),
            models.CheckConstraint(
                condition=Q(target_level__gte=2, target_level__lte=5), name="supgroup_target_level_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=GroupKind.values), name="supgroup_kind_valid"),
            models.CheckConstraint(
                condition=~Q(kind=GroupKind.INSTRUCTOR) | Q(target_level=5),
                name="supgroup_instructor_villages",
            ),
        ]
        indexes = [models.Index(fields=["batch", "target_level"], name="supgroup_batch_level_idx")]

    def __str__(self) -> str:
        return self.name


class AssignmentQuerySet(ScopedQuerySet):
    scope_field = "path"


class GroupAssignment(models.Model):
    group = models.ForeignKey(
        SupervisionGroup, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("督导组")
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    participation = models.ForeignKey(
        "campaigns.Participation",
        on_delete=models.CASCADE,
        related_name="supervision_assignments",
        verbose_name=_("参与单位"),
    )
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", db_index=False)
    path = PathField(_("单位路径"))
    level = models.PositiveSmallIntegerField(_("层级"))
    override_reason = models.CharField(_("重复督导理由"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("指派时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("督导对象")
        verbose_name_plural = _("督导对象")
        ordering = ["group", "path"]
        constraints = [
            models.UniqueConstraint(fields=["group", "participation"], name="assignment_unique"),
        ]
        indexes = [models.Index(fields=["campaign", "path"], name="assignment_campaign_path_idx")]

    def __str__(self) -> str:
        return f"{self.group_id}→{self.unit_id}"


class Evidence(models.TextChoices):
    CONFIRM = "confirm", _("确认完成")
    MATERIAL = "material", _("上传材料")
    MEETING = "meeting", _("会议记录")


class ActionDone(models.Model):
    participation = models.ForeignKey(
        "campaigns.Participation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    phase = models.PositiveSmallIntegerField(_("环节"))
    action_key = models.CharField(_("规定动作"), max_length=64)
    evidence = models.CharField(_("佐证"), max_length=10, choices=Evidence.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")
    done_at = models.DateTimeField(_("完成时间"), auto_now_add=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cleared_at = models.DateTimeField(_("返工清除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("规定动作完成")
        verbose_name_plural = _("规定动作完成")
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "phase", "action_key"],
                condition=Q(cleared_at=None),
                name="actiondone_one_current",
            ),
        ]
        indexes = [models.Index(fields=["participation", "phase"], name="actiondone_phase_idx")]

    def __str__(self) -> str:
        return f"{self.participation_id}#{self.phase}:{self.action_key}"


# An own action's key in ActionDone, Material and Meeting: "own:<id>" (a template's keys have no ":").
OWN_KEY_PREFIX = "own:"


class OwnActionQuerySet(ScopedQuerySet):
    scope_field = "path"

    def current(self) -> OwnActionQuerySet:
        return self.filter(removed_at=None)


class OwnAction(models.Model):
    """An action a unit adds to a phase itself (自选动作), beside the template's prescribed ones: done with
    the same evidence (``ActionDone``, ``Material``, ``Meeting`` under the key ``own:<id>``); when
    ``required`` the phase cannot be submitted before it is done. Removing one keeps the row
    (``removed_at``)."""

    participation = models.ForeignKey(
        "campaigns.Participation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    path = PathField(_("单位路径"))
    phase = models.PositiveSmallIntegerField(_("环节"))
    title = models.CharField(_("自选动作"), max_length=100)
    evidence = models.CharField(_("佐证"), max_length=10, choices=Evidence.choices)
    required = models.BooleanField(_("提交前必须完成"), default=False)
    created_at = models.DateTimeField(_("添加时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    removed_at = models.DateTimeField(_("删除时间"), null=True, blank=True)

    objects = OwnActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("自选动作")
        verbose_name_plural = _("自选动作")
        ordering = ["participation", "phase", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(evidence__in=Evidence.values), name="ownaction_evidence_valid")
        ]
        indexes = [models.Index(fields=["participation", "phase"], name="ownaction_phase_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def key(self) -> str:
        return f"{OWN_KEY_PREFIX}{self.pk}"


def material_path(instance: Material, filename: str) -> str:
    where = f"{instance.participation_id}/{instance.phase}/{instance.action_key.replace(':', '-')}"
    return f"supervision/{where}/v{instance.version}-{filename}"


class MaterialQuerySet(ScopedQuerySet):
    scope_field = "path"


class Material(models.Model):
    participation = models.ForeignKey(
        "campaigns.Participation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    path = PathField(_("单位路径"))
    phase = models.PositiveSmallIntegerField(_("环节"))
    action_key = models.CharField(_("规定动作"), max_length=64)
    version = models.PositiveSmallIntegerField(_("版本"))
    file = models.FileField(_("文件"), upload_to=material_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    file_type = models.CharField(_("类型"), max_length=10)
    size = models.PositiveBigIntegerField(_("大小"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = MaterialQuerySet.as_manager()

    class Meta:
        verbose_name = _("材料")
        verbose_name_plural = _("材料")
        ordering = ["participation", "phase", "action_key", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "phase", "action_key", "version"], name="material_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} v{self.version}"


class HalfDay(models.TextChoices):
    AM = "am", _("上午")
    PM = "pm", _("下午")


class MeetingType(models.TextChoices):
    MOBILIZATION = "mobilization", _("动员大会")
    STUDY = "study", _("集中学习")
    DEMOCRATIC_LIFE = "democratic_life", _("专题民主生活会")
    ORG_LIFE = "org_life", _("专题组织生活会")
    COMMITTEE = "committee", _("支部委员会")
    APPRAISAL = "appraisal", _("党员大会（民主评议党员）")
    SATISFACTION = "satisfaction", _("群众满意度测评")
    OTHER = "other", _("其他会议")


class MeetingQuerySet(ScopedQuerySet):
    scope_field = "path"


class Meeting(models.Model):
    participation = models.ForeignKey(
        "campaigns.Participation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    path = PathField(_("单位路径"))
    phase = models.PositiveSmallIntegerField(_("环节"))
    action_key = models.CharField(_("规定动作"), max_length=64, blank=True, default="")
    type = models.CharField(_("会议类型"), max_length=20, choices=MeetingType.choices)
    date = models.DateField(_("日期"))
    half_day = models.CharField(_("时段"), max_length=2, choices=HalfDay.choices, default=HalfDay.AM)
    place = models.CharField(_("地点"), max_length=200)
    attendees = models.TextField(_("参加人员"))
    # How many took part: the democratic appraisal's counts are limited by it (other types may give it).
    present = models.PositiveIntegerField(_("实到人数"), null=True, blank=True)
    minutes = models.TextField(_("会议纪要"), blank=True, default="")
    # Democratic appraisal of members (民主评议党员): how many were rated 好 / 一般 / 差.
    rated_good = models.PositiveIntegerField(_("评为“好”"), null=True, blank=True)
    rated_fair = models.PositiveIntegerField(_("评为“一般”"), null=True, blank=True)
    rated_poor = models.PositiveIntegerField(_("评为“差”"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("会议记录")
        verbose_name_plural = _("会议记录")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=MeetingType.values), name="meeting_type_valid")
        ]
        indexes = [models.Index(fields=["participation", "phase"], name="meeting_phase_idx")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.date}"

    @property
    def sign_in_sheets(self) -> list[MeetingAttachment]:
        return [a for a in self.attachments.all() if a.kind == AttachmentKind.SIGN_IN]

    @property
    def photos(self) -> list[MeetingAttachment]:
        return [a for a in self.attachments.all() if a.kind == AttachmentKind.PHOTO]


# What each meeting type asks beyond the fields every meeting has (date, half day, place, people present,
# attendees, minutes and the attachments): only the democratic appraisal of members asks for its counts.
MEETING_TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    MeetingType.APPRAISAL: ("rated_good", "rated_fair", "rated_poor")
}


class AttachmentKind(models.TextChoices):
    SIGN_IN = "sign_in", _("签到表")
    PHOTO = "photo", _("现场照片")


def attachment_path(instance: MeetingAttachment, filename: str) -> str:
    return f"supervision/meetings/{instance.meeting_id}/{instance.kind}-{filename}"


class MeetingAttachmentQuerySet(ScopedQuerySet):
    scope_field = "path"


class MeetingAttachment(models.Model):
    """A sign-in sheet or a photo of a meeting (an image or a PDF, its type read from the content), kept
    with the meeting record."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")
    path = PathField(_("单位路径"))
    kind = models.CharField(_("附件类别"), max_length=10, choices=AttachmentKind.choices)
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("文件名"), max_length=200)
    file_type = models.CharField(_("类型"), max_length=10)
    size = models.PositiveBigIntegerField(_("大小"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = MeetingAttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("会议附件")
        verbose_name_plural = _("会议附件")
        ordering = ["meeting", "kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AttachmentKind.values), name="attachment_kind_valid")
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.file_type in ("png", "jpg")


class ReviewState(models.TextChoices):
    OPEN = "open", _("待审核")
    DECIDED = "decided", _("已决定")


class Decision(models.TextChoices):
    PASS = "pass", _("通过")
    RETURN = "return", _("打回修改")
    INTERVIEW = "interview", _("约谈")
    REDO = "redo", _("返工")


class ReviewQuerySet(ScopedQuerySet):
    scope_field = "path"

    def open(self) -> ReviewQuerySet:
        return self.filter(state=ReviewState.OPEN)


class Review(models.Model):
    """One submission of a phase by a unit and the responsible group's decision on it."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    participation = models.ForeignKey(
        "campaigns.Participation", on_delete=models.CASCADE, related_name="reviews", db_index=False
    )
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", db_index=False)
    path = PathField(_("单位路径"))
    level = models.PositiveSmallIntegerField(_("层级"))
    phase = models.PositiveSmallIntegerField(_("环节"))
    group = models.ForeignKey(
        SupervisionGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews",
        verbose_name=_("督导组"),
    )
    state = models.CharField(_("状态"), max_length=8, choices=ReviewState.choices, default=ReviewState.OPEN)
    submitted_at = models.DateTimeField(_("提交时间"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("提交说明"), blank=True, default="")
    decision = models.CharField(_("决定"), max_length=10, choices=Decision.choices, blank=True, default="")
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(_("审核意见"), blank=True, default="")
    checks = models.JSONField(_("检查项"), default=list, blank=True)  # [{key, name, passed, comment}]
    deadline = models.DateField(_("整改期限"), null=True, blank=True)
    interview_who = models.CharField(_("约谈对象"), max_length=200, blank=True, default="")
    interview_at = models.DateField(_("约谈日期"), null=True, blank=True)
    interview_required = models.TextField(_("约谈要求"), blank=True, default="")
    # The unit's word on each unfinished item a submit check listed ([{key, label, text}], ADR 15).
    explanations = models.JSONField(_("未完成事项说明"), default=list, blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("审核")
        verbose_name_plural = _("审核")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "phase"], condition=Q(state="open"), name="review_one_open_per_phase"
            ),
            models.CheckConstraint(condition=Q(state__in=ReviewState.values), name="review_state_valid"),
            models.CheckConstraint(
                condition=(Q(state="open", decision="") | Q(state="decided", decision__in=Decision.values)),
                name="review_decision_matches_state",
            ),
            models.CheckConstraint(
                condition=~Q(decision="return") | Q(deadline__isnull=False), name="review_return_has_deadline"
            ),
        ]
        indexes = [
            # the workbench's two lists, each read in its order and cut after the first rows
            models.Index(fields=["group", "state", "submitted_at", "id"], name="review_group_queue_idx"),
            models.Index(
                fields=["group", "state", "deadline", "decided_at"], name="review_group_returned_idx"
            ),
            models.Index(fields=["participation", "phase"], name="review_phase_idx"),
            models.Index(fields=["campaign", "path"], name="review_campaign_path_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}#{self.phase}"


# ---------------------------------------------------------------------------------------------------------
# Materials approved first (ADR 18): the group approves an action's material before the actions after it
# ---------------------------------------------------------------------------------------------------------


class ApprovalState(models.TextChoices):
    PENDING = "pending", _("待督导组审核")
    APPROVED = "approved", _("审核通过")
    RETURNED = "returned", _("退回修改")
    SUPERSEDED = "superseded", _("已由新版本替代")


class ApprovalQuerySet(ScopedQuerySet):
    scope_field = "path"

    def pending(self) -> ApprovalQuerySet:
        return self.filter(state=ApprovalState.PENDING)


class MaterialApproval(models.Model):
    """A version of a material the template says the supervision group approves first (``requires_approval``,
    e.g. the democratic life meeting's plan): pending, approved or returned with a reason; a newer version
    supersedes a pending one. The actions ``after`` it wait for the approval of the latest version."""

    participation = models.ForeignKey(
        "campaigns.Participation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    unit = models.ForeignKey("orgs.Unit", on_delete=models.PROTECT, related_name="+", db_index=False)
    path = PathField(_("单位路径"))
    phase = models.PositiveSmallIntegerField(_("环节"))
    action_key = models.CharField(_("规定动作"), max_length=64)
    material = models.OneToOneField(
        Material, on_delete=models.CASCADE, related_name="approval", verbose_name=_("材料")
    )
    group = models.ForeignKey(
        SupervisionGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="approvals",
        verbose_name=_("督导组"),
    )
    state = models.CharField(
        _("状态"), max_length=10, choices=ApprovalState.choices, default=ApprovalState.PENDING
    )
    requested_at = models.DateTimeField(_("报审时间"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("审核意见"), blank=True, default="")

    objects = ApprovalQuerySet.as_manager()

    class Meta:
        verbose_name = _("材料审核")
        verbose_name_plural = _("材料审核")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ApprovalState.values), name="approval_state_valid"),
            models.CheckConstraint(
                condition=~Q(state="returned") | ~Q(reason=""), name="approval_return_has_reason"
            ),
            models.UniqueConstraint(
                fields=["participation", "phase", "action_key"],
                condition=Q(state="pending"),
                name="approval_one_pending_per_action",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "state", "requested_at"], name="approval_group_queue_idx"),
            models.Index(fields=["participation", "phase", "action_key"], name="approval_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}#{self.phase}:{self.action_key} {self.state}"


# ---------------------------------------------------------------------------------------------------------
# Liaison points and key meetings (联系点、重要会议)
# ---------------------------------------------------------------------------------------------------------


class LiaisonKind(models.TextChoices):
    GUIDE = "guide", _("指导")
    LINK = "link", _("联系")


class LiaisonQuerySet(ScopedQuerySet):
    """Offices see the points in their subtree; a leader sees their own points."""

    scope_field = "path"

    def own(self, user):
        return Q(leader=user)


class LiaisonPoint(models.Model):
    """A leader's liaison point (联系点): a unit the leader guides (指导) or links (联系), in one campaign
    or (no campaign) in every campaign the unit takes part in."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="liaison_points",
        verbose_name=_("联系领导"),
    )
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("联系点")
    )
    path = PathField(_("单位路径"), db_index=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("活动"),
    )
    kind = models.CharField(_("方式"), max_length=8, choices=LiaisonKind.choices, default=LiaisonKind.LINK)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = LiaisonQuerySet.as_manager()

    class Meta:
        verbose_name = _("联系点")
        verbose_name_plural = _("联系点")
        ordering = ["leader", "path"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=LiaisonKind.values), name="liaison_kind_valid"),
            models.UniqueConstraint(
                fields=["leader", "unit", "campaign"],
                condition=Q(campaign__isnull=False),
                name="liaison_unique_in_campaign",
            ),
            models.UniqueConstraint(
                fields=["leader", "unit"], condition=Q(campaign__isnull=True), name="liaison_unique_any"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leader_id}@{self.unit_id}"


class AttendanceQuerySet(ScopedQuerySet):
    scope_field = "path"


class MeetingAttendance(models.Model):
    """Whether a leader attended a key meeting (mobilization, special democratic life meeting) at one of
    their points. Keyed by the participation and the meeting type (one such meeting per unit and
    campaign), so that attendance recorded against the planned date stays when the unit records the
    meeting itself (``meeting`` is then filled in)."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("联系领导")
    )
    participation = models.ForeignKey(
        "campaigns.Participation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    path = PathField(_("单位路径"), db_index=True)
    meeting_type = models.CharField(_("会议类型"), max_length=20, choices=MeetingType.choices)
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="attendance"
    )
    date = models.DateField(_("会议日期"))
    attended = models.BooleanField(_("出席"))
    note = models.CharField(_("说明"), max_length=200, blank=True, default="")
    recorded_at = models.DateTimeField(_("记录时间"), auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("会议出席")
        verbose_name_plural = _("会议出席")
        constraints = [
            models.UniqueConstraint(
                fields=["leader", "participation", "meeting_type"], name="attendance_unique"
            ),
            models.CheckConstraint(
                condition=Q(meeting_type__in=MeetingType.values), name="attendance_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leader_id}:{self.participation_id}:{self.meeting_type}"


# ---------------------------------------------------------------------------------------------------------
# Patrol visits (巡查)
# ---------------------------------------------------------------------------------------------------------


class PatrolQuerySet(ScopedQuerySet):
    scope_field = "path"


class PatrolVisit(models.Model):
    """A group's visit (巡查) to a unit of its patrol scope: one of its targets or a unit one level below
    a target. Findings are kept as text (problems can be raised from them later)."""

    group = models.ForeignKey(
        SupervisionGroup, on_delete=models.CASCADE, related_name="patrol_visits", verbose_name=_("督导组")
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    unit = models.ForeignKey(
        "orgs.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("巡查单位")
    )
    path = PathField(_("单位路径"), db_index=True)
    date = models.DateField(_("巡查日期"))
    findings = models.TextField(_("发现的问题"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PatrolQuerySet.as_manager()

    class Meta:
        verbose_name = _("巡查记录")
        verbose_name_plural = _("巡查记录")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["group", "path"], name="patrol_group_path_idx")]

    def __str__(self) -> str:
        return f"{self.group_id}@{self.unit_id} {self.date}"
