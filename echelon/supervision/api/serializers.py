from __future__ import annotations

from rest_framework import serializers

from echelon.supervision.models import Decision, Review, SupervisionGroup


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
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True, default=None)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, default=None)

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
