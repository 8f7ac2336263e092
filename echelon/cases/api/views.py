"""Typical cases (典型案例) under /api/v1/cases/: the cases the caller may read (their units' in any state,
the published ones of the libraries they are in), filtered like the library page; nominate (JSON), files
(multipart), edit before publication (PATCH), publish and return (the level above), and the caller's review
queue.

The same services as the pages; their refusals come through ``core.api.exceptions``: bad input 400 with
Chinese messages, the wrong role 403, a case someone else reviewed first 409; a case the caller may not read
404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from echelon.campaigns import selectors as campaign_selectors
from echelon.cases import selectors, services
from echelon.cases.models import Case, CaseFile, CaseStatus
from echelon.core.api.base import ScopedViewSetMixin

ID = r"[0-9]+"


class CaseFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseFile
        fields = ["id", "original_name", "file_type", "size", "uploaded_at"]
        read_only_fields = fields


class CaseSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    library_unit = serializers.CharField(source="library_unit.code", read_only=True, default=None)
    files = CaseFileSerializer(many=True, read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "campaign",
            "unit_code",
            "unit_name",
            "level",
            "category",
            "phase_key",
            "action_key",
            "title",
            "text",
            "status",
            "nominated_at",
            "reviewed_at",
            "review_comment",
            "library_unit",
            "files",
        ]
        read_only_fields = fields


class CaseCreateSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    unit = serializers.CharField(max_length=32, help_text="the nominating unit's code")
    phase_key = serializers.CharField(max_length=64, help_text="a phase key of the campaign's template")
    action_key = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text="an action of that phase"
    )
    title = serializers.CharField(max_length=services.TITLE_MAX)
    text = serializers.CharField(max_length=services.TEXT_MAX)


class CaseUpdateSerializer(serializers.Serializer):
    phase_key = serializers.CharField(max_length=64, required=False)
    action_key = serializers.CharField(max_length=64, required=False, allow_blank=True)
    title = serializers.CharField(max_length=services.TITLE_MAX, required=False)
    text = serializers.CharField(max_length=services.TEXT_MAX, required=False)
    remove_files = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class CaseFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, Word, Excel, PNG or JPG; checked by content and size")


class CaseReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=services.COMMENT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="required to return",
    )


def _input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


FILTERS = [
    OpenApiParameter("campaign", OpenApiTypes.INT),
    OpenApiParameter("status", OpenApiTypes.STR, enum=CaseStatus.values),
    OpenApiParameter("phase", OpenApiTypes.STR, description="phase key"),
    OpenApiParameter("action", OpenApiTypes.STR, description="action key"),
    OpenApiParameter("category", OpenApiTypes.STR, description="the template's unit category"),
    OpenApiParameter("level", OpenApiTypes.INT, description="the nominating unit's level (1-5)"),
    OpenApiParameter("q", OpenApiTypes.STR, description="search in title, text, unit name"),
]


class CaseViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Typical cases: list (the library's filters; ``status``), retrieve, nominate, edit (PATCH), add a file,
    publish, return, and ``queue`` (waiting for the caller's review)."""

    queryset = Case.objects.select_related("unit", "campaign", "library_unit").prefetch_related("files")
    serializer_class = CaseSerializer
    lookup_value_regex = ID
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Case]:
        qs = super().get_queryset()
        if self.action != "list":
            return qs
        params = self.request.query_params
        campaign = params.get("campaign", "").strip()
        if campaign:
            qs = qs.filter(campaign_id=int(campaign)) if campaign.isdigit() else qs.none()
        state = params.get("status", "").strip()
        if state:
            qs = qs.filter(status=state) if state in CaseStatus.values else qs.none()
        f = selectors.Filters.of(params)
        if f.phase:
            qs = qs.filter(phase_key=f.phase)
        if f.action:
            qs = qs.filter(action_key=f.action)
        if f.category:
            qs = qs.filter(category=f.category)
        if f.level:
            qs = qs.filter(level=int(f.level)) if f.level.isdigit() else qs.none()
        if f.q:
            qs = selectors.search(qs, f.q)
        return qs.order_by("-nominated_at", "-id")

    @extend_schema(parameters=FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The cases the caller may read, newest first."""
        return super().list(request, *args, **kwargs)

    def _out(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        case = Case.objects.select_related("unit", "library_unit").prefetch_related("files").get(pk=case.pk)
        return Response(CaseSerializer(case).data, status=code)

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseSerializer})
    def create(self, request: Request) -> Response:
        """Nominate a case of one of the caller's units (files: ``POST /cases/{id}/files/``)."""
        d = _input(CaseCreateSerializer, request)
        campaign = campaign_selectors.campaign_for(request.user, d["campaign"])
        participation = campaign_selectors.participation_for(request.user, campaign, d["unit"])
        case = services.case_nominate(
            actor=request.user,
            participation=participation,
            phase_key=d["phase_key"],
            action_key=d["action_key"],
            title=d["title"],
            text=d["text"],
        )
        return self._out(case, status.HTTP_201_CREATED)

    @extend_schema(request=CaseUpdateSerializer, responses={200: CaseSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        """Edit a case before publication (a returned case is sent again)."""
        case = self.get_object()
        d = _input(CaseUpdateSerializer, request)
        case = services.case_update(
            actor=request.user,
            case=case,
            title=d.get("title", case.title),
            text=d.get("text", case.text),
            phase_key=d.get("phase_key", case.phase_key),
            action_key=d.get("action_key", case.action_key),
            remove_files=d["remove_files"],
        )
        return self._out(case)

    @extend_schema(request={"multipart/form-data": CaseFileUploadSerializer}, responses={200: CaseSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def files(self, request: Request, pk: Any = None) -> Response:
        """Attach a file to a case before publication (checked by its content)."""
        case = self.get_object()
        d = _input(CaseFileUploadSerializer, request)
        upload = d["file"]
        case = services.case_update(
            actor=request.user,
            case=case,
            title=case.title,
            text=case.text,
            phase_key=case.phase_key,
            action_key=case.action_key,
            files=[(upload, upload.name)],
        )
        return self._out(case)

    @extend_schema(request=CaseReviewSerializer, responses={200: CaseSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: Any = None) -> Response:
        """Publish the case to the library of the caller's unit (office rights strictly above it)."""
        case = self.get_object()
        d = _input(CaseReviewSerializer, request)
        return self._out(services.case_publish(actor=request.user, case=case, comment=d["comment"]))

    @extend_schema(request=CaseReviewSerializer, responses={200: CaseSerializer})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: Any = None) -> Response:
        """Return the case to its unit with a comment (required)."""
        case = self.get_object()
        d = _input(CaseReviewSerializer, request)
        return self._out(services.case_return(actor=request.user, case=case, comment=d["comment"]))

    @extend_schema(responses={200: CaseSerializer(many=True)})
    @action(detail=False, methods=["get"], pagination_class=None)  # a plain list, as the schema says
    def queue(self, request: Request) -> Response:
        """The cases waiting for the caller's review, oldest first (at most 500)."""
        rows = selectors.review_queue(request.user).prefetch_related("files").order_by("nominated_at")[:500]
        return Response(CaseSerializer(rows, many=True).data)
