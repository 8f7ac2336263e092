"""The unit picker's endpoint: ``GET /api/v1/units/lookup/?q=…[&action=…]`` (``orgs.lookup``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from echelon.core.api.throttling import LookupThrottle
from echelon.orgs.lookup import QUERY_MAX, lookup_units


class UnitLookupQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=QUERY_MAX, allow_blank=True, required=False, default="")
    # An action the accounts app's roles name (view, change, plan, dispatch, …): one that none names finds
    # nothing (the orgs layer knows no roles, ADR 13).
    action = serializers.RegexField(r"^[a-z_]{1,20}$", required=False, default="view")


class UnitHitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.IntegerField()
    level_label = serializers.CharField()
    parents = serializers.CharField(help_text="the ancestors the caller sees, top down, joined by ' › '")
    url = serializers.CharField(help_text="the unit's page")


class UnitLookupSerializer(serializers.Serializer):
    results = UnitHitSerializer(many=True)


class UnitLookupView(APIView):
    """Type-ahead for units: at most 20 active units the caller may `action` (default view) whose code,
    name, pinyin or pinyin initials start with `q` (else contain it; else `q` without a party-body suffix
    such as 党委 or 党支部), exact matches first, each with its parent path."""

    throttle_classes = [LookupThrottle]

    @extend_schema(
        operation_id="units_lookup",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="name, pinyin, initials or code"),
            OpenApiParameter(
                "action", OpenApiTypes.STR, description="view (default), change, plan, dispatch, …"
            ),
        ],
        responses={200: UnitLookupSerializer},
    )
    def get(self, request: Request) -> Response:
        query = UnitLookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        v = query.validated_data
        return Response({"results": lookup_units(request.user, v["q"], v["action"])})
