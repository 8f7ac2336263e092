"""Information reports (信息报送) under /api/v1/info-reports/: the reports the caller may read (their own
units' in any state, the submitted ones they may approve, the approved ones below them: drafts stay home),
a new draft (its figures and its children's reports from the system), the texts of a draft, and submit,
approve and return.

The same services as the pages; their refusals come through ``core.api.exceptions``: bad input 400 with
Chinese messages, the wrong role 403, a report someone else handled first 409; a report the caller may not
read 404. (Not under ``dashboard/``: ``dashboard/<code>/`` is the dashboard of a unit.)
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from echelon.core.api.base import ScopedViewSetMixin
from echelon.core.permissions import require_somewhere
from echelon.core.querysets import scoped_object
from echelon.dashboards import selectors
from echelon.dashboards.models import InfoReport, ReportStatus
from echelon.dashboards.services import reports as services
from echelon.orgs.models import Unit

ID = r"[0-9]+"


class InfoReportSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, default=None)

    class Meta:
        model = InfoReport
        fields = [
            "id",
            "campaign",
            "unit_code",
            "unit_name",
            "level",
            "number",
            "title",
            "period_start",
            "period_end",
            "status",
            "created_at",
            "created_by",
            "submitted_at",
            "approved_at",
            "approved_by",
            "return_note",
        ]
        read_only_fields = fields


class InfoReportSourceSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = InfoReport
        fields = ["id", "unit_code", "unit_name", "number", "title", "period_start", "period_end"]
        read_only_fields = fields


class InfoReportFigureRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    own = serializers.BooleanField(help_text="the unit's own participation (本级), not a child's subtree")
    values = serializers.DictField(child=serializers.IntegerField(), help_text="{measure key: number}")


class InfoReportFiguresSerializer(serializers.Serializer):
    batch = serializers.IntegerField()
    as_of = serializers.DateField(help_text="the period's end: the day the figures are read for")
    computed_on = serializers.DateField(required=False)
    total = serializers.DictField(child=serializers.IntegerField(), help_text="{measure key: number}")
    rows = InfoReportFigureRowSerializer(many=True, help_text="per child unit taking part (本级 first)")


class InfoReportMeasureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class InfoReportDetailSerializer(InfoReportSerializer):
    narrative = serializers.CharField(read_only=True)
    practice = serializers.CharField(read_only=True)
    next_steps = serializers.CharField(read_only=True)
    figures = InfoReportFiguresSerializer(read_only=True)
    measures = serializers.SerializerMethodField(help_text="the figures' keys and their Chinese labels")
    sources = serializers.SerializerMethodField(help_text="the children's reports it compiles (those seen)")

    class Meta(InfoReportSerializer.Meta):
        fields = [*InfoReportSerializer.Meta.fields, "narrative", "practice", "next_steps", "figures"]
        fields += ["measures", "sources"]
        read_only_fields = fields

    @extend_schema_field(InfoReportMeasureSerializer(many=True))
    def get_measures(self, report: InfoReport) -> list[dict[str, str]]:
        return [{"key": k, "label": label} for k, label in services.figure_table(report)["measures"]]

    @extend_schema_field(InfoReportSourceSerializer(many=True))
    def get_sources(self, report: InfoReport) -> Any:
        seen = services.visible(self.context["request"].user).filter(used_by=report).select_related("unit")
        return InfoReportSourceSerializer(seen.order_by("path", "number"), many=True).data


class InfoReportCreateSerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=32, help_text="the unit's code")
    batch = serializers.IntegerField(required=False, help_text="batch id (default: the one running today)")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class InfoReportUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    narrative = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    practice = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    next_steps = serializers.CharField(max_length=20_000, required=False, allow_blank=True)
    refresh_figures = serializers.BooleanField(
        required=False, default=False, help_text="read the figures again and attach newly approved children"
    )


class InfoReportReturnSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2_000, help_text="the head's note to the drafter")


def _input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


class ReportViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Information reports: list (``unit``: one unit's subtree; ``status``), retrieve (with the texts, the
    figures and the children's reports it compiles), create a draft, update a draft's texts (PATCH),
    submit, approve, return."""

    queryset = InfoReport.objects.select_related("unit", "created_by", "approved_by", "campaign")
    serializer_class = InfoReportSerializer
    lookup_value_regex = ID
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[InfoReport]:
        """Scoped by the reports' own rule (``services.visible``), not by subtrees alone."""
        qs = services.visible(self.request.user).select_related(
            "unit", "created_by", "approved_by", "campaign"
        )
        if self.action != "list":
            return qs
        code = self.request.query_params.get("unit", "").strip()
        if code:
            qs = services.under(qs, selectors.unit_for(self.request.user, code[:32]))
        state = self.request.query_params.get("status", "").strip()
        if state:
            qs = qs.filter(status=state) if state in ReportStatus.values else qs.none()
        return qs.order_by("-period_end", "-id")

    def get_serializer_class(self) -> Any:
        return InfoReportDetailSerializer if self.action != "list" else InfoReportSerializer

    def _out(self, report: InfoReport, code: int = status.HTTP_200_OK) -> Response:
        """The report as the service left it (a report returned by an office above is no longer theirs
        to read, yet they are told what they did)."""
        return Response(
            InfoReportDetailSerializer(report, context=self.get_serializer_context()).data, status=code
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.STR, description="unit code: its subtree only"),
            OpenApiParameter("status", OpenApiTypes.STR, enum=ReportStatus.values),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The reports the caller may read, latest period first."""
        return super().list(request, *args, **kwargs)

    @extend_schema(request=InfoReportCreateSerializer, responses={201: InfoReportDetailSerializer})
    def create(self, request: Request) -> Response:
        """A new draft of a unit for a period: numbered, its figures read from the system, its children's
        approved reports of an overlapping period attached and their typical practice pre-filled."""
        require_somewhere(request.user, "change", _("只有联络员或领导小组办公室可以起草信息。"))
        d = _input(InfoReportCreateSerializer, request)
        unit = scoped_object(
            request.user,
            Unit.objects.filter(is_active=True),
            code=d["unit"].strip(),
            otherwise=exceptions.ValidationError(
                {"unit": [_("找不到组织“%(code)s”，或它不在您的查看范围内。") % {"code": d["unit"][:32]}]}
            ),
        )
        batch = selectors.batch_for(request.user, unit, d.get("batch"))
        if batch is None:
            raise exceptions.ValidationError({"batch": [_("这个单位还没有已排程的活动。")]})
        report = services.report_draft(
            actor=request.user,
            batch=batch,
            unit=unit,
            period_start=d["period_start"],
            period_end=d["period_end"],
            title=d["title"],
        )
        return self._out(report, status.HTTP_201_CREATED)

    @extend_schema(request=InfoReportUpdateSerializer, responses={200: InfoReportDetailSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        """A draft's texts (the fields left out stay as they are); ``refresh_figures`` reads its figures
        again. Refused once submitted or approved."""
        report = self.get_object()
        d = _input(InfoReportUpdateSerializer, request)
        report = services.report_update(
            actor=request.user,
            report=report,
            narrative=d.get("narrative", report.narrative),
            practice=d.get("practice", report.practice),
            next_steps=d.get("next_steps", report.next_steps),
            title=d.get("title", report.title),
            refresh_figures=d.get("refresh_figures", False),
        )
        return self._out(report)

    @extend_schema(request=None, responses={200: InfoReportDetailSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        """Draft → submitted to the unit's head (the narrative is required)."""
        report = services.report_submit(actor=request.user, report=self.get_object())
        return self._out(report)

    @extend_schema(request=None, responses={200: InfoReportDetailSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        """Submitted → approved and sent up: an office of the unit or above, never who submitted or
        drafted it."""
        report = services.report_approve(actor=request.user, report=self.get_object())
        return self._out(report)

    @extend_schema(request=InfoReportReturnSerializer, responses={200: InfoReportDetailSerializer})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: Any = None) -> Response:
        """Submitted → draft, with the head's note."""
        d = _input(InfoReportReturnSerializer, request)
        report = services.report_return(actor=request.user, report=self.get_object(), note=d["note"])
        return self._out(report)
