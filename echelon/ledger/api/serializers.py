"""The ledger API's serializers: rows out (read only, no query per row: what a row shows is selected with it
or looked up once per request), and the input of each write (checked again by the service it calls)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from echelon.campaigns.models import Campaign
from echelon.core.permissions import allowed
from echelon.ledger.models import (
    TEXT_MAX,
    Channel,
    Escalation,
    Evidence,
    Handover,
    Institution,
    InstitutionAction,
    Opinion,
    Problem,
    Severity,
    Task,
)
from echelon.ledger.services.opinions import CONTACT_MAX
from echelon.ledger.services.problems import OWNER_MAX, TITLE_MAX
from echelon.ledger.services.tasks import DECISIONS, MEASURE_MAX, RESPONSIBLE_MAX

UNIT_CODE_MAX = 32
REASON_MAX = 500
MAX_LINKS = 100  # opinions turned into one problem, problems answered by one institution
MAX_ID = 2**63 - 1  # the database's integer: a larger id is refused (400), never sent to the database


class Terms:
    """The names of a campaign's ledger terms (sources, categories, items, tags) and its phase keys, read
    once per campaign per request (a list shows rows of one or two campaigns)."""

    def __init__(self) -> None:
        self._by_campaign: dict[int, dict[str, Any]] = {}

    def of(self, campaign_id: int) -> dict[str, Any]:
        if campaign_id not in self._by_campaign:
            campaign = Campaign.objects.filter(pk=campaign_id).only("template_data").first()
            if campaign is None:  # pragma: no cover - a problem's campaign is never deleted under it
                self._by_campaign[campaign_id] = {"phases": [], "names": {}}
            else:
                spec = campaign.spec
                ledger = spec.ledger
                self._by_campaign[campaign_id] = {
                    "phases": [p.key for p in spec.phases],
                    "names": {
                        "source": ledger.names(ledger.sources),
                        "category": ledger.names(ledger.categories),
                        "item": ledger.names(ledger.items),
                        "tags": ledger.names(ledger.tags),
                    },
                }
        return self._by_campaign[campaign_id]


def _terms(context: dict[str, Any]) -> Terms:
    terms = context.get("terms")
    if terms is None:
        terms = context["terms"] = Terms()
    return terms


def may_change(context: dict[str, Any], path: str) -> bool:
    """Whether the caller may change the unit at ``path`` (the contact of an opinion is theirs alone)."""
    request = context.get("request")
    return request is not None and allowed(request.user, "change", path)


# ---------------------------------------------------------------------------------------------------------
# Rows out
# ---------------------------------------------------------------------------------------------------------


class OpinionSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    contact = serializers.SerializerMethodField(
        help_text="only for who may change the receiving unit (its office and operators); null otherwise"
    )

    class Meta:
        model = Opinion
        fields = [
            "id",
            "tracking_code",
            "unit_code",
            "unit_name",
            "channel",
            "text",
            "contact",
            "status",
            "public_reply",
            "replied_at",
            "close_reason",
            "merged_into",
            "problem",
            "received_on",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_contact(self, obj: Opinion) -> str | None:
        return obj.contact if may_change(self.context, obj.path) else None


class ProblemSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True, help_text="W and the id, as printed in the ledger")
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    origin_unit_code = serializers.CharField(source="origin_unit.code", read_only=True)
    origin_unit_name = serializers.CharField(source="origin_unit.name", read_only=True)
    phase = serializers.SerializerMethodField(help_text="the phase's key in the campaign's template")
    names = serializers.SerializerMethodField(
        help_text="the names of source, category, item and tags in the campaign's taxonomy"
    )
    escalation_pending = serializers.SerializerMethodField(help_text="true while an escalation is pending")

    class Meta:
        model = Problem
        fields = [
            "id",
            "number",
            "campaign",
            "unit_code",
            "unit_name",
            "origin_unit_code",
            "origin_unit_name",
            "title",
            "description",
            "source",
            "category",
            "item",
            "tags",
            "names",
            "severity",
            "phase",
            "owner",
            "status",
            "escalation_pending",
            "found_on",
            "done_on",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_phase(self, obj: Problem) -> str | None:
        phases = _terms(self.context).of(obj.campaign_id)["phases"]
        return phases[obj.phase] if obj.phase is not None and obj.phase < len(phases) else None

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_names(self, obj: Problem) -> dict[str, Any]:
        names = _terms(self.context).of(obj.campaign_id)["names"]
        return {
            "source": names["source"].get(obj.source, obj.source),
            "category": names["category"].get(obj.category, obj.category),
            "item": names["item"].get(obj.item, obj.item) if obj.item else "",
            "tags": [names["tags"].get(t, t) for t in obj.tags or []],
        }

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_escalation_pending(self, obj: Problem) -> bool:
        return bool(obj.pending_path)


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "task", "version", "original_name", "file_type", "size", "uploaded_at"]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    problem_title = serializers.CharField(source="problem.title", read_only=True)
    claimed_by = serializers.CharField(source="claimed_by.username", read_only=True, default=None)
    verified_by = serializers.CharField(source="verified_by.username", read_only=True, default=None)
    overdue = serializers.SerializerMethodField(help_text="open or deferred with the deadline past")

    class Meta:
        model = Task
        fields = [
            "id",
            "problem",
            "problem_title",
            "unit_code",
            "unit_name",
            "category",
            "item",
            "measure",
            "responsible",
            "deadline",
            "status",
            "overdue",
            "claim_note",
            "claimed_at",
            "claimed_by",
            "verdict_note",
            "verified_at",
            "verified_by",
            "reopened",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, obj: Task) -> bool:
        today = self.context.get("today")
        return today is not None and obj.status in ("open", "deferred") and obj.deadline < today


class TaskDetailSerializer(TaskSerializer):
    evidence = EvidenceSerializer(many=True, read_only=True, help_text="newest version first")

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "evidence"]
        read_only_fields = fields


class ProblemDetailSerializer(ProblemSerializer):
    tasks = TaskSerializer(many=True, read_only=True)
    opinions: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="tracking_code", help_text="tracking codes of its opinions"
    )

    class Meta(ProblemSerializer.Meta):
        fields = [*ProblemSerializer.Meta.fields, "tasks", "opinions"]
        read_only_fields = fields


class EscalationSerializer(serializers.ModelSerializer):
    problem_title = serializers.CharField(source="problem.title", read_only=True)
    from_unit_code = serializers.CharField(source="from_unit.code", read_only=True)
    from_unit_name = serializers.CharField(source="from_unit.name", read_only=True)
    to_unit_code = serializers.CharField(source="to_unit.code", read_only=True)
    to_unit_name = serializers.CharField(source="to_unit.name", read_only=True)
    sent_by = serializers.CharField(source="sent_by.username", read_only=True, default=None)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)

    class Meta:
        model = Escalation
        fields = [
            "id",
            "problem",
            "problem_title",
            "from_unit_code",
            "from_unit_name",
            "to_unit_code",
            "to_unit_name",
            "reason",
            "state",
            "answer",
            "sent_at",
            "sent_by",
            "decided_at",
            "decided_by",
        ]
        read_only_fields = fields


class HandoverSerializer(serializers.ModelSerializer):
    measure = serializers.CharField(source="task.measure", read_only=True)
    from_unit_code = serializers.CharField(source="from_unit.code", read_only=True)
    from_unit_name = serializers.CharField(source="from_unit.name", read_only=True)
    to_unit_code = serializers.CharField(source="to_unit.code", read_only=True)
    to_unit_name = serializers.CharField(source="to_unit.name", read_only=True)
    receiver = serializers.CharField(source="receiver.username", read_only=True)
    offered_by = serializers.CharField(source="offered_by.username", read_only=True, default=None)

    class Meta:
        model = Handover
        fields = [
            "id",
            "task",
            "measure",
            "from_unit_code",
            "from_unit_name",
            "to_unit_code",
            "to_unit_name",
            "receiver",
            "note",
            "state",
            "follow_task",
            "offered_at",
            "offered_by",
            "accepted_at",
        ]
        read_only_fields = fields


class InstitutionSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    problems: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="problem ids"
    )
    partners: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code", help_text="unit codes of the joint makers"
    )
    has_document = serializers.SerializerMethodField()

    class Meta:
        model = Institution
        fields = [
            "id",
            "campaign",
            "unit_code",
            "unit_name",
            "title",
            "action",
            "adopted_on",
            "summary",
            "document_name",
            "has_document",
            "problems",
            "partners",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_has_document(self, obj: Institution) -> bool:
        return bool(obj.document)


class CountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())


class ByCategorySerializer(CountsSerializer):
    by_category = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()), help_text="{category: {status: n}}"
    )


class TaskCountsSerializer(ByCategorySerializer):
    overdue = serializers.IntegerField(help_text="open or deferred tasks past their deadline")


class SummarySerializer(serializers.Serializer):
    under = serializers.DictField(child=serializers.CharField(), help_text="the unit: code and name")
    problems = ByCategorySerializer()
    tasks = TaskCountsSerializer()
    opinions = CountsSerializer()


# ---------------------------------------------------------------------------------------------------------
# Writes: input of the POST/PATCH endpoints (each calls one service, which checks everything again)
# ---------------------------------------------------------------------------------------------------------


def _text(max_length: int = TEXT_MAX, *, required: bool = True, help_text: str = "") -> serializers.CharField:
    if required:
        return serializers.CharField(max_length=max_length, help_text=help_text)
    return serializers.CharField(
        max_length=max_length, required=False, allow_blank=True, default="", help_text=help_text
    )


class OpinionCreateSerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=UNIT_CODE_MAX, help_text="the receiving unit's code")
    text = _text()
    channel = serializers.ChoiceField(choices=Channel.choices)
    received_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="default today"
    )
    contact = _text(CONTACT_MAX, required=False, help_text="optional; shown only to the unit's office")


class ReplySerializer(serializers.Serializer):
    reply = _text(help_text="shown to whoever holds the tracking code")


class ReasonSerializer(serializers.Serializer):
    reason = _text(REASON_MAX)


class MergeSerializer(serializers.Serializer):
    into = serializers.CharField(max_length=20, help_text="the opinion to merge into: tracking code or id")


class ProblemFieldsSerializer(serializers.Serializer):
    """The editable fields of a problem (``problem_update``: each optional)."""

    title = serializers.CharField(max_length=TITLE_MAX)
    description = _text(required=False)
    # the field is named like the model's; DRF's stubs see Field.source (the attribute path)
    source = serializers.CharField(  # type: ignore[assignment]
        max_length=32, help_text="a source key of the campaign's taxonomy"
    )
    category = serializers.CharField(max_length=32, help_text="a category key (the four winds)")
    item = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", help_text="a special item key"
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, default=list, max_length=20
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default=Severity.GENERAL)
    owner = serializers.CharField(max_length=OWNER_MAX, required=False, allow_blank=True, default="")


class ProblemCreateSerializer(ProblemFieldsSerializer):
    unit = serializers.CharField(max_length=UNIT_CODE_MAX, help_text="the unit whose list it joins")
    found_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="default today")
    phase = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", help_text="phase key where it was found"
    )
    opinions = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        default=list,
        max_length=MAX_LINKS,
        help_text="opinions of the same unit that become this problem: tracking codes or ids",
    )


class EscalateSerializer(serializers.Serializer):
    to = serializers.CharField(
        max_length=UNIT_CODE_MAX,
        help_text="unit code: an ancestor, or the sector department leading the unit",
    )
    reason = _text()


class TargetSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.IntegerField()


class TaskCreateSerializer(serializers.Serializer):
    problem = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="problem id")
    measure = serializers.CharField(max_length=MEASURE_MAX)
    responsible = serializers.CharField(max_length=RESPONSIBLE_MAX)
    deadline = serializers.DateField()


class ClaimSerializer(serializers.Serializer):
    note = _text(help_text="what was done")


class TaskDecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[(d, d) for d in DECISIONS], help_text="accept (销号), return, or defer (with new_deadline)"
    )
    note = _text(required=False, help_text="required to return or defer")
    new_deadline = serializers.DateField(required=False, allow_null=True, default=None)


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, Word, Excel, PNG or JPG; checked by content and size")


class EscalationDecideSerializer(serializers.Serializer):
    accept = serializers.BooleanField(help_text="true: the problem becomes the receiver's; false: returned")
    answer = _text(required=False, help_text="required to return")


class HandoverCreateSerializer(serializers.Serializer):
    task = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="the batch-one task's id")
    to_unit = serializers.CharField(max_length=UNIT_CODE_MAX, help_text="a unit of a later batch")
    receiver = serializers.CharField(max_length=150, help_text="username of who takes it over there")
    note = _text(required=False)


class HandoverAcceptSerializer(serializers.Serializer):
    deadline = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="default: the original task's"
    )


class InstitutionCreateSerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=UNIT_CODE_MAX)
    title = serializers.CharField(max_length=200)
    action = serializers.ChoiceField(choices=InstitutionAction.choices, default=InstitutionAction.MADE)
    adopted_on = serializers.DateField()
    summary = _text(required=False)
    problems = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=MAX_LINKS,
    )
    partners = serializers.ListField(
        child=serializers.CharField(max_length=UNIT_CODE_MAX),
        required=False,
        default=list,
        max_length=20,
        help_text="unit codes of the units that made it together",
    )
    document = serializers.FileField(required=False, allow_null=True, default=None)
