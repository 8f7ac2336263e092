"""The public API (no login, no CSRF: nobody is signed in): give an opinion to a unit by its code, and
follow it by its tracking code. Fixed points other systems rely on (issue 11, item 8):

    POST /api/v1/public/opinions/                  {"unit", "text", "contact"?} → 201 {"tracking_code"}
    GET  /api/v1/public/opinions/<tracking_code>/  status and the public reply; no contact, nothing internal

Public by design: these views read no scoped rows (a unit by its public code, an opinion by its tracking
code), so they are plain ``APIView``s with ``AllowAny`` and no authentication, not scoped viewsets. The
abuse guard's rate limits (``ledger.throttle``) are shared with the page; lengths, the unit code and
duplicates are the service's, whose refusals ``core.api.exceptions`` turns into 400 in Chinese.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from echelon.core.api.schema import DESCRIPTIONS
from echelon.ledger import selectors, services, throttle
from echelon.ledger.models import TEXT_MAX
from echelon.ledger.services.opinions import CONTACT_MAX, TEXT_MIN


class PublicOpinionInputSerializer(serializers.Serializer):
    """Lengths are checked by the service (one Chinese message for the page and the API)."""

    unit = serializers.CharField(help_text="the receiving unit's code, as on its poster (e.g. 150102001001)")
    text = serializers.CharField(
        trim_whitespace=False, help_text=f"the opinion, {TEXT_MIN} to {TEXT_MAX} characters"
    )
    contact = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=f"optional, at most {CONTACT_MAX} characters; seen only by the receiving unit's office",
    )


class PublicReceiptSerializer(serializers.Serializer):
    tracking_code = serializers.CharField(help_text="回执号: 10 characters, follows the opinion")


class PublicStatusSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    unit = serializers.CharField(source="unit_name", help_text="the receiving unit's name")
    received_on = serializers.DateField()
    status = serializers.CharField(
        help_text="received, in_progress (a problem being fixed, or merged), replied, resolved, closed"
    )
    status_label = serializers.CharField(help_text="the status in words (Chinese by default)")
    reply = serializers.CharField(help_text="the public reply, empty until there is one")
    replied_at = serializers.DateTimeField(allow_null=True)


# The hook (echelon.core.api.schema) gives every refusal its body; the 429 it cannot see: these views
# throttle by hand.
THROTTLED = {429: OpenApiResponse(description=DESCRIPTIONS["429"])}


class PublicOpinionCreateView(APIView):
    """Give an opinion to a unit without an account (anonymous; a contact is optional)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="public_opinion_create",
        tags=["public"],
        request=PublicOpinionInputSerializer,
        responses={201: PublicReceiptSerializer, **THROTTLED},
        auth=[],
        description=(
            "No login. Rate limited per address and per unit (429 with Retry-After). Refused with 400 and "
            "a Chinese message: an unknown unit code, a text shorter than 5 or longer than 2000 characters, "
            "a contact longer than 100, the same text sent to the same unit within 30 days."
        ),
    )
    def post(self, request: Request) -> Response:
        code = request.data.get("unit") if isinstance(request.data, dict) else ""
        refusal = throttle.admit_post(request._request, str(code or ""))
        if refusal is not None:
            return throttle.too_many(request._request, refusal)  # type: ignore[return-value]
        data = PublicOpinionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        opinion = services.opinion_submit_public(
            actor=request.user, unit_code=d["unit"], text=d["text"], contact=d["contact"]
        )
        return Response({"tracking_code": opinion.tracking_code}, status=status.HTTP_201_CREATED)


class PublicOpinionStatusView(APIView):
    """What became of an opinion: its status and the public reply (never the contact or anything internal)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        operation_id="public_opinion_status",
        tags=["public"],
        parameters=[
            OpenApiParameter(
                "tracking_code", OpenApiTypes.STR, OpenApiParameter.PATH, description="the 回执号"
            )
        ],
        responses={200: PublicStatusSerializer, **THROTTLED},
        auth=[],
    )
    def get(self, request: Request, tracking_code: str) -> Response:
        refusal = throttle.admit_lookup(request._request)
        if refusal is not None:
            return throttle.too_many(request._request, refusal)  # type: ignore[return-value]
        found = selectors.public_status(tracking_code)
        if found is None:
            return Response(
                {"detail": _("没有找到这个回执号，请核对后再试。")}, status=status.HTTP_404_NOT_FOUND
            )
        return Response(PublicStatusSerializer(found).data)
