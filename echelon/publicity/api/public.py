"""The public read API of a unit (no login): ``GET /api/v1/public/units/<code>/`` → its name, its public
page's address (``url``) and what it has published today (the frozen copies, as on the page). An unknown
or inactive code is a 404; nothing unpublished, internal or personal is in the answer."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from echelon.ledger.views.public import public_unit, unit_url
from echelon.publicity import selectors


class PublicItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.CharField(help_text="promises, problems, results (and kinds other apps add)")
    kind_label = serializers.CharField(help_text="the kind in words, in the request's language")
    title = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(help_text="the last day of the publicity period")
    content = serializers.DictField(
        source="snapshot", help_text="the frozen public copy the level above approved (personal data masked)"
    )


class PublicUnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.CharField(  # type: ignore[assignment]
        allow_null=True, help_text="the parent unit's name, for orientation"
    )
    url = serializers.CharField(help_text="the unit's public page (opinions, publicity, tracking)")
    publications = PublicItemSerializer(many=True, help_text="what is published today; may be empty")


class PublicUnitView(APIView):
    """A unit's public side: its name, its page's address and what it publishes today."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        operation_id="public_unit",
        tags=["public"],
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="the unit's code")
        ],
        responses={200: PublicUnitSerializer},
        auth=[],
        description=(
            "No login. Only what is published today (approved by the level above, within its period, not "
            "withdrawn). Follows Accept-Language among zh-hans and mn for the labels. Unknown or inactive "
            "unit: 404."
        ),
    )
    def get(self, request: Request, code: str) -> Response:
        unit = public_unit(code)
        if unit is None:
            return Response({"detail": _("找不到该组织，请核对组织代码。")}, status=status.HTTP_404_NOT_FOUND)
        data = {
            "code": unit.code,
            "name": unit.name,
            "parent": unit.parent.name if unit.parent else None,
            "url": unit_url(request._request, unit),
            "publications": selectors.public_items(unit),
        }
        return Response(PublicUnitSerializer(data).data)
