"""Publications (公示) under /api/v1/publicity/publications/: the notices the caller may read (their
subtree's), a new draft, a draft's title and content (PATCH), submit (the public copy is frozen), approve
(the level above: published for the template's days), return (with a note) and withdraw (with a reason).

The same services as everywhere; their refusals come through ``core.api.exceptions``: bad input 400 in
Chinese, the wrong role 403 (publication without the level above's approval among them), a notice someone
else handled first 409; a notice out of the caller's scope 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from echelon.core.api.base import ScopedViewSetMixin
from echelon.core.permissions import require_somewhere
from echelon.core.querysets import scoped_object
from echelon.orgs.models import Unit
from echelon.publicity import services
from echelon.publicity.models import Publication, PublicationStatus

ID = r"[0-9]+"


class PublicationSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Publication
        fields = [
            "id",
            "unit_code",
            "unit_name",
            "level",
            "kind",
            "title",
            "content",
            "snapshot",
            "status",
            "days",
            "starts_on",
            "ends_on",
            "return_note",
            "withdraw_reason",
            "created_at",
            "submitted_at",
            "approved_at",
            "withdrawn_at",
        ]
        read_only_fields = fields


class PublicationCreateSerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=32, help_text="the unit's code")
    kind = serializers.CharField(max_length=16, help_text="promises, problems or results")
    title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    content = serializers.DictField(
        required=False, default=dict, help_text='promises: {"items": ["…", "…"]}; the other kinds: {}'
    )


class PublicationUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100, required=False)
    content = serializers.DictField(required=False)


class ReturnNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, help_text="why it is returned")


class WithdrawReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text="why it is taken off the public page")


def _input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class PublicationViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Publicity notices: list (``unit``: its subtree; ``status``; ``kind``), retrieve, create a draft,
    update a draft (PATCH), submit, approve, return, withdraw."""

    queryset = Publication.objects.select_related("unit")
    serializer_class = PublicationSerializer
    lookup_value_regex = ID
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Publication]:
        qs = super().get_queryset()
        if self.action != "list":
            return qs
        params = self.request.query_params
        code = params.get("unit", "").strip()[:32]
        if code:
            unit = scoped_object(self.request.user, Unit.objects.all(), code=code)
            qs = qs.filter(path__startswith=unit.path)
        state = params.get("status", "").strip()
        if state:
            qs = qs.filter(status=state) if state in PublicationStatus.values else qs.none()
        kind = params.get("kind", "").strip()
        if kind:
            qs = qs.filter(kind=kind[:16])
        return qs.order_by("-id")

    def _out(self, publication: Publication, code: int = status.HTTP_200_OK) -> Response:
        return Response(PublicationSerializer(publication).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.STR, description="unit code: its subtree only"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=PublicationStatus.values),
            OpenApiParameter("kind", OpenApiTypes.STR, description="promises, problems, results"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The notices of the caller's subtrees, newest first."""
        return super().list(request, *args, **kwargs)

    @extend_schema(request=PublicationCreateSerializer, responses={201: PublicationSerializer})
    def create(self, request: Request) -> Response:
        """A draft notice of a unit (``change`` at the unit)."""
        require_somewhere(request.user, "change", _("只有本单位的联络员或领导小组办公室可以起草公示。"))
        d = _input(PublicationCreateSerializer, request)
        unit = scoped_object(
            request.user,
            Unit.objects.filter(is_active=True),
            code=d["unit"].strip(),
            otherwise=exceptions.ValidationError(
                {"unit": [_("找不到组织“%(code)s”，或它不在您的查看范围内。") % {"code": d["unit"][:32]}]}
            ),
        )
        publication = services.publication_create(
            actor=request.user, unit=unit, kind=d["kind"], title=d["title"], content=d["content"]
        )
        return self._out(publication, status.HTTP_201_CREATED)

    @extend_schema(request=PublicationUpdateSerializer, responses={200: PublicationSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        """A draft's title and content (refused once submitted)."""
        d = _input(PublicationUpdateSerializer, request)
        publication = services.publication_update(
            actor=request.user, publication=self.get_object(), title=d.get("title"), content=d.get("content")
        )
        return self._out(publication)

    @extend_schema(request=None, responses={200: PublicationSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        """Draft → submitted to the level above; the public copy is frozen now."""
        publication = services.publication_submit(actor=request.user, publication=self.get_object())
        return self._out(publication)

    @extend_schema(request=None, responses={200: PublicationSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        """Submitted → published: ``change`` on a unit strictly above, never who drafted or submitted it."""
        publication = services.publication_approve(actor=request.user, publication=self.get_object())
        return self._out(publication)

    @extend_schema(request=ReturnNoteSerializer, responses={200: PublicationSerializer})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: Any = None) -> Response:
        """Submitted → draft, with the level above's note."""
        d = _input(ReturnNoteSerializer, request)
        publication = services.publication_return(
            actor=request.user, publication=self.get_object(), note=d["note"]
        )
        return self._out(publication)

    @extend_schema(request=WithdrawReasonSerializer, responses={200: PublicationSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        """Published → withdrawn (off the public page at once), with a reason."""
        d = _input(WithdrawReasonSerializer, request)
        publication = services.publication_withdraw(
            actor=request.user, publication=self.get_object(), reason=d["reason"]
        )
        return self._out(publication)


__all__ = ["PublicationViewSet"]
