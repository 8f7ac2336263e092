from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from echelon.supervision.models import (
    Decision,
    Evidence,
    GroupAssignment,
    GroupKind,
    HalfDay,
    Material,
    MaterialApproval,
    Meeting,
    MeetingAttachment,
    MeetingType,
    OwnAction,
    PatrolVisit,
    Review,
    SupervisionGroup,
)
from echelon.supervision.services import MEETING_MAX_PEOPLE, MEETING_TEXT_LIMITS


class GroupSerializer(serializers.ModelSerializer):
    home_unit_code = serializers.CharField(source="home_unit.code", read_only=True)
    batch = serializers.CharField(source="batch.key", read_only=True)
    leader = serializers.CharField(source="leader.username", read_only=True, default=None)

    class Meta:
        model = SupervisionGroup
        fields = [
            "id",
            "campaign",
            "batch",
            "name",
            "kind",
            "home_unit_code",
            "target_level",
            "leader",
            "unit_count",
            "created_at",
        ]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    submitted_by = serializers.CharField(
        source="submitted_by.username", read_only=True, default=None, allow_null=True
    )
    decided_by = serializers.CharField(
        source="decided_by.username", read_only=True, default=None, allow_null=True
    )
    # "" while the review is open
    decision = serializers.ChoiceField(choices=Decision.choices, read_only=True, allow_blank=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "campaign",
            "unit_code",
            "unit_name",
            "level",
            "phase",
            "group",
            "state",
            "submitted_at",
            "submitted_by",
            "note",
            "decision",
            "decided_at",
            "decided_by",
            "comment",
            "checks",
            "deadline",
            "interview_who",
            "interview_at",
            "interview_required",
        ]
        read_only_fields = fields


class CheckSerializer(serializers.Serializer):
    key = serializers.CharField()
    passed = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    checks = CheckSerializer(many=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    deadline = serializers.DateField(required=False, allow_null=True, default=None)
    interview_who = serializers.CharField(required=False, allow_blank=True, default="")
    interview_at = serializers.DateField(required=False, allow_null=True, default=None)
    interview_required = serializers.CharField(required=False, allow_blank=True, default="")


class LevelCoverageSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    units = serializers.IntegerField()
    covered = serializers.IntegerField()
    gaps = serializers.IntegerField()
    overlaps = serializers.IntegerField()
    accepted_overlaps = serializers.IntegerField()


class BatchCoverageSerializer(serializers.Serializer):
    batch = serializers.CharField()
    complete = serializers.BooleanField()
    totals = LevelCoverageSerializer(many=True)
    gaps = serializers.ListField(child=serializers.DictField(), help_text="unit code and level, first 500")
    overlaps = serializers.ListField(
        child=serializers.DictField(), help_text="unit code, level and group ids"
    )


# ---------------------------------------------------------------------------------------------------------
# Writes: input of the POST endpoints (each calls one service)
# ---------------------------------------------------------------------------------------------------------


class GroupCreateSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(help_text="campaign id")
    batch = serializers.CharField(max_length=32, help_text="batch key, e.g. second")
    name = serializers.CharField(max_length=100)
    home_unit_code = serializers.CharField(max_length=32, help_text="the dispatching office's unit code")
    kind = serializers.ChoiceField(choices=GroupKind.choices, default=GroupKind.GROUP)
    leader = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    members = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, default=list, help_text="usernames"
    )


class GroupMemberSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    leader = serializers.BooleanField(required=False, default=False, help_text="make them the group leader")


class AssignSerializer(serializers.Serializer):
    unit_code = serializers.CharField(max_length=32)
    override_reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="required when another group already supervises the unit (既不交叉重复)",
    )


class UnassignSerializer(serializers.Serializer):
    unit_code = serializers.CharField(max_length=32)


class AssignmentSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = GroupAssignment
        fields = ["id", "group", "unit_code", "unit_name", "level", "override_reason", "created_at"]
        read_only_fields = fields


class ProposeSerializer(serializers.Serializer):
    batch = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="batch key (all batches if empty)",
    )


class ProposalResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="assignments written")
    per_group = serializers.DictField(
        child=serializers.IntegerField(), help_text="group id -> units assigned"
    )
    unplaceable = serializers.IntegerField(help_text="units no group could take")
    skipped_out_of_scope = serializers.IntegerField()


class ConfirmSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=64, help_text="the required action's key (current phase)")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ActionDoneSerializer(serializers.Serializer):
    phase = serializers.IntegerField()
    action = serializers.CharField()
    done = serializers.BooleanField()


class OwnActionSerializer(serializers.ModelSerializer):
    key = serializers.CharField(read_only=True, help_text="the action key its evidence uses (`own:<id>`)")

    class Meta:
        model = OwnAction
        fields = ["id", "key", "phase", "title", "evidence", "required", "created_at"]
        read_only_fields = fields


class OwnActionInputSerializer(serializers.Serializer):
    phase = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="the phase (0-based); default: the current one",
    )
    title = serializers.CharField(max_length=100)
    evidence = serializers.ChoiceField(choices=Evidence.choices)
    # a field named like Field.required
    required = serializers.BooleanField(  # type: ignore[assignment]
        default=False, help_text="must be done before the phase is submitted"
    )


class OwnActionUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100, required=False)
    evidence = serializers.ChoiceField(choices=Evidence.choices, required=False)
    required = serializers.BooleanField(required=False)  # type: ignore[assignment]


class MaterialUploadSerializer(serializers.Serializer):
    action = serializers.CharField(max_length=64, help_text="the required action's key (current phase)")
    file = serializers.FileField(help_text="PDF, Word, Excel, PNG or JPG; checked by content and size")


class MaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = Material
        fields = ["id", "phase", "action_key", "version", "original_name", "file_type", "size", "uploaded_at"]
        read_only_fields = fields


def _count() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=0, max_value=MEETING_MAX_PEOPLE, required=False, allow_null=True, default=None
    )


class MeetingInputSerializer(serializers.Serializer):
    action = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text="required action it evidences"
    )
    type = serializers.ChoiceField(
        choices=MeetingType.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="the meeting's type; the required action fixes it (the template's `meeting:`): left out, "
        "the action's type when it names one; another type is refused",
    )
    date = serializers.DateField()
    half_day = serializers.ChoiceField(choices=HalfDay.choices, default=HalfDay.AM)
    # Limits mirrored from the service (MEETING_TEXT_LIMITS, MEETING_MAX_PEOPLE), which checks them again;
    # the date must lie within the campaign's recording window (60 days before its start .. today).
    place = serializers.CharField(max_length=MEETING_TEXT_LIMITS["place"])
    attendees = serializers.CharField(max_length=MEETING_TEXT_LIMITS["attendees"])
    minutes = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MEETING_TEXT_LIMITS["minutes"]
    )
    present = serializers.IntegerField(
        min_value=0,
        max_value=MEETING_MAX_PEOPLE,
        required=False,
        allow_null=True,
        default=None,
        help_text="people present; needed for the democratic appraisal (好 + 一般 + 差 at most this)",
    )
    rated_good = _count()
    rated_fair = _count()
    rated_poor = _count()


class MeetingUploadSerializer(MeetingInputSerializer):
    """The meeting as a multipart form, with its sign-in sheets and photos (PNG, JPG or PDF; each checked by
    content and size, nothing written when one is refused)."""

    sign_in = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="sign-in sheets"
    )
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class MeetingAttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="the file, shown inline (add ?download=1 to download)")

    class Meta:
        model = MeetingAttachment
        fields = ["id", "kind", "original_name", "file_type", "size", "uploaded_at", "url"]
        read_only_fields = fields

    def get_url(self, obj: MeetingAttachment) -> str:
        return reverse("supervision:meeting_file", args=[obj.pk])


class MeetingSerializer(serializers.ModelSerializer):
    attachments = MeetingAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "phase",
            "action_key",
            "type",
            "date",
            "half_day",
            "place",
            "attendees",
            "present",
            "minutes",
            "rated_good",
            "rated_fair",
            "rated_poor",
            "recorded_at",
            "attachments",
        ]
        read_only_fields = fields


class SubmitSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    explanations = serializers.DictField(
        child=serializers.CharField(max_length=1000, allow_blank=True),
        required=False,
        default=dict,
        help_text="the unit's word on each unfinished item its submission must explain, by key "
        "(e.g. task-12: a rectification task not yet ticked off in the rectification phase)",
    )


class PatrolInputSerializer(serializers.Serializer):
    unit_code = serializers.CharField(
        max_length=32, help_text="a target of the group or a unit one level below"
    )
    date = serializers.DateField(help_text="not in the future")
    findings = serializers.CharField(max_length=5000)


class PatrolVisitSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)

    class Meta:
        model = PatrolVisit
        fields = [
            "id",
            "group",
            "campaign",
            "unit_code",
            "unit_name",
            "date",
            "findings",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields


class ApprovalSerializer(serializers.ModelSerializer):
    """A material sent for the group's approval before the actions after it (ADR 18)."""

    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    version = serializers.IntegerField(source="material.version", read_only=True)
    file_name = serializers.CharField(source="material.original_name", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True, default=None)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)

    class Meta:
        model = MaterialApproval
        fields = [
            "id",
            "campaign",
            "unit_code",
            "unit_name",
            "phase",
            "action_key",
            "material",
            "version",
            "file_name",
            "group",
            "state",
            "requested_at",
            "requested_by",
            "decided_at",
            "decided_by",
            "reason",
        ]
        read_only_fields = fields


class ApprovalReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2_000, help_text="why the material is returned (required)")
