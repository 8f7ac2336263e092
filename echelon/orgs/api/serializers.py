from __future__ import annotations

from rest_framework import serializers

from echelon.orgs.models import Member, Unit


class UnitSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Unit
        fields = [
            "code",
            "name",
            "parent_code",
            "level",
            "level_display",
            "kind",
            "kind_display",
            "division",
            "area_type",
            "industry",
            "lead_by",
            "is_active",
            "depth",
            "sub_units",
            "sub_members",
            "sub_participants",
            "sub_mobile",
            "sub_blind",
        ]
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    inflow_unit_code = serializers.CharField(source="inflow_unit.code", read_only=True, default=None)

    class Meta:
        model = Member
        fields = [
            "code",
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "joined_date",
            "status",
            "phone",
            "unit_code",
            "is_mobile",
            "inflow_unit_code",
        ]
        read_only_fields = fields
