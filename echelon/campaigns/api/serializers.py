from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from echelon.campaigns.models import Baseline, Batch, Campaign, CampaignTemplate, Participation
from echelon.campaigns.services import CHANGEABLE_RULES, RECORD_DAYS_BEFORE_START
from echelon.campaigns.specs import MAX_RULE_ITEMS, RULE_RANGES, PhaseSpec, campaign_window_errors


class CampaignTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignTemplate
        fields = ["key", "name", "builtin_file", "data", "updated_at"]
        read_only_fields = fields


class BatchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Batch
        fields = [
            "key",
            "name",
            "ordinal",
            "window_start",
            "window_end",
            "rules",
            "participations_count",
            "feasible",
            "violations",
            "scheduled_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Batch) -> dict[str, Any]:
        """Stored violations are codes and figures; they are worded here, in the caller's language."""
        from echelon.campaigns import explain

        data = super().to_representation(instance)
        spec = instance.campaign.spec
        data["violations"] = [
            explain.describe(v, level_name=spec.level_name) for v in data["violations"] or []
        ]
        return data


class CampaignSerializer(serializers.ModelSerializer):
    root_code = serializers.CharField(source="root.code", read_only=True)
    root_name = serializers.CharField(source="root.name", read_only=True)
    batches = BatchSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "template_key",
            "root_code",
            "root_name",
            "start",
            "end",
            "status",
            "participations_count",
            "baseline_count",
            "replan_summary",
            "created_at",
            "scheduled_at",
            "published_at",
            "batches",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Campaign) -> dict[str, Any]:
        """Campaign-wide figures only for a caller who sees the whole campaign; others get their part
        (ADR 11: no figure leaks through an aggregate)."""
        from echelon.campaigns import selectors

        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or selectors.sees_whole(request.user, instance):
            return data
        selectors.with_units_seen(request.user, [instance])
        seen = {b.key: b.units_seen for b in instance.batches_seen}  # type: ignore[attr-defined]
        violations = selectors.violations_for(request.user, instance)
        data["participations_count"] = instance.units_seen  # type: ignore[attr-defined]
        data["replan_summary"] = None
        for batch in data["batches"]:
            batch["participations_count"] = seen.get(batch["key"], 0)
            batch["violations"] = [
                {k: v for k, v in row.items() if k not in ("batch", "batch_name")}
                for row in violations
                if row["batch"] == batch["key"]
            ]
        return data


class CampaignCreateSerializer(serializers.Serializer):
    template = serializers.CharField(help_text="template key or name (see /campaign-templates/)")
    root_code = serializers.CharField(help_text="the territorial unit the campaign covers, with its subtree")
    start = serializers.DateField()
    end = serializers.DateField(help_text="window of every batch the template does not date itself")
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = campaign_window_errors(attrs["start"], attrs["end"])
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def _days(rule: str) -> serializers.IntegerField:
    least, most = RULE_RANGES[rule]
    return serializers.IntegerField(required=False, min_value=least, max_value=most)


def _kinds() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, max_length=MAX_RULE_ITEMS
    )


class RulesSerializer(serializers.Serializer):
    """Rule changes of one batch. Ranges as the service checks them (``specs.rule_change_errors``); the
    window dates must lie within the campaign's dates ± ``WINDOW_CHANGE_MARGIN_YEARS`` (checked there)."""

    window_start = serializers.DateField(required=False)
    window_end = serializers.DateField(required=False)
    level_stagger_days = _days("level_stagger_days")
    lead_days = _days("lead_days")
    min_duration_days = _days("min_duration_days")
    duration_mode = serializers.ChoiceField(choices=["fill", "fixed"], required=False)
    allow_blackout_boundaries = serializers.BooleanField(required=False)
    ahead_kinds = _kinds()
    flexible_levels = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=5), required=False, max_length=MAX_RULE_ITEMS
    )
    flexible_kinds = _kinds()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        assert set(attrs) <= set(CHANGEABLE_RULES)
        return attrs


class ScheduleRequestSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False)
    rules = serializers.DictField(
        child=RulesSerializer(), required=False, help_text="{batch key: rule changes}"
    )


class ViolationSerializer(serializers.Serializer):
    batch = serializers.CharField()
    rule = serializers.CharField()
    rule_name = serializers.CharField()
    level = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()
    suggestion = serializers.CharField()
    days = serializers.IntegerField()
    units = serializers.IntegerField()
    facts = serializers.DictField(required=False, help_text="the rule's own figure, e.g. stagger_days")
    options = serializers.ListField(
        child=serializers.ListField(), required=False, help_text="ways to fix it: [code, value] pairs"
    )


class ScheduleResultSerializer(serializers.Serializer):
    feasible = serializers.BooleanField()
    dry_run = serializers.BooleanField()
    planned = serializers.IntegerField()
    violations = ViolationSerializer(many=True)
    comparison = serializers.DictField(
        allow_null=True, help_text="against the baseline (re-plan after publish)"
    )
    engine_seconds = serializers.FloatField()
    store_seconds = serializers.FloatField()


class WhatIfRequestSerializer(serializers.Serializer):
    batch = serializers.CharField()
    changes = RulesSerializer()


class WhatIfResultSerializer(serializers.Serializer):
    batch = serializers.CharField()
    feasible = serializers.BooleanField()
    reference = serializers.CharField(help_text='"baseline", "plan" or "" (nothing to compare with)')
    violations = ViolationSerializer(many=True)
    comparison = serializers.DictField(allow_null=True)


class PublishRequestSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class BaselineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Baseline
        fields = ["number", "created_at", "note", "units"]
        read_only_fields = fields


class PhaseDatesSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()


class ParticipationSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    batch = serializers.CharField(source="batch.key", read_only=True)
    current_phase = serializers.SerializerMethodField()
    phases = serializers.SerializerMethodField()

    class Meta:
        model = Participation
        fields = [
            "unit_code",
            "unit_name",
            "level",
            "kind",
            "batch",
            "planned_start",
            "planned_end",
            "milestone_date",
            "baseline_start",
            "baseline_end",
            "actual_start",
            "actual_end",
            "current_phase",
            "start_delay",
            "phases",
        ]
        read_only_fields = fields

    def _phases(self) -> Sequence[PhaseSpec]:
        phases: Sequence[PhaseSpec] = self.context["phases"]
        return phases

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="null before the unit starts"))
    def get_current_phase(self, obj: Participation) -> str | None:
        phases = self._phases()
        if obj.actual_start is None or obj.current_phase >= len(phases):
            return None
        return phases[obj.current_phase].key

    @extend_schema_field(PhaseDatesSerializer(many=True))
    def get_phases(self, obj: Participation) -> list[dict[str, Any]]:
        phases = self._phases()
        return PhaseDatesSerializer(  # type: ignore[return-value]
            [
                {
                    "key": phases[p.phase].key,
                    "name": phases[p.phase].name,
                    "start": p.start,
                    "end": p.end,
                }
                for p in sorted(obj.plan.all(), key=lambda p: p.phase)
                if p.phase < len(phases)
            ],
            many=True,
        ).data


WITHIN_WINDOW = f"from {RECORD_DAYS_BEFORE_START} days before the campaign's (or its batch's) start to today"


class ActualRequestSerializer(serializers.Serializer):
    phase = serializers.CharField(help_text="phase key, e.g. study")
    start = serializers.DateField(help_text=WITHIN_WINDOW)
    end = serializers.DateField(required=False, allow_null=True, help_text=WITHIN_WINDOW)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class LevelProgressSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    level_name = serializers.CharField(source="label")
    units = serializers.IntegerField()
    planned = serializers.IntegerField()
    started = serializers.IntegerField()
    late = serializers.IntegerField(help_text="units that started after their baseline (or planned) start")
    median = serializers.FloatField(allow_null=True, help_text="median delay of the late units, days")
    worst = serializers.IntegerField(allow_null=True, help_text="largest delay, days")
    finished = serializers.IntegerField()
    overdue = serializers.IntegerField(help_text="not started although the reference start has passed")
