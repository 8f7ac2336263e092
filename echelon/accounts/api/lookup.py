"""The people picker's endpoint: ``GET /api/v1/users/lookup/?q=…[&action=…][&role=…]``
(``accounts.selectors.lookup_users``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from echelon.accounts.roles import Action, Role
from echelon.accounts.selectors import lookup_users
from echelon.core.api.throttling import LookupThrottle


class UserLookupQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=50, allow_blank=True, required=False, default="")
    action = serializers.ChoiceField(choices=Action.choices, required=False, default=Action.VIEW)
    role = serializers.ChoiceField(choices=Role.choices, required=False, default="")


class UserHitSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    grants = serializers.CharField(help_text="the user's grants inside the caller's scope")


class UserLookupSerializer(serializers.Serializer):
    results = UserHitSerializer(many=True)


class UserLookupView(APIView):
    """Type-ahead for people: at most 20 active users holding a grant (of `role`, when given) inside the
    subtrees where the caller may `action` (default view), whose username or name starts with `q` (else
    contains it)."""

    throttle_classes = [LookupThrottle]

    @extend_schema(
        operation_id="users_lookup",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="name or username"),
            OpenApiParameter("action", OpenApiTypes.STR, enum=Action.values, description="default view"),
            OpenApiParameter("role", OpenApiTypes.STR, enum=Role.values, description="only this role"),
        ],
        responses={200: UserLookupSerializer},
    )
    def get(self, request: Request) -> Response:
        query = UserLookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        v = query.validated_data
        return Response({"results": lookup_users(request.user, v["q"], v["action"], v["role"])})
