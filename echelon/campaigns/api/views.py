"""The campaigns API: the same services and selectors as the pages, scoped with ``visible_to``."""

from __future__ import annotations

from typing import Any

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from echelon.campaigns import selectors, services
from echelon.campaigns.api.serializers import (
    ActualRequestSerializer,
    BaselineSerializer,
    CampaignCreateSerializer,
    CampaignSerializer,
    CampaignTemplateSerializer,
    LevelProgressSerializer,
    ParticipationSerializer,
    PublishRequestSerializer,
    ScheduleRequestSerializer,
    ScheduleResultSerializer,
    WhatIfRequestSerializer,
    WhatIfResultSerializer,
)
from echelon.campaigns.exports import iter_csv
from echelon.campaigns.filters import ParticipationFilter
from echelon.campaigns.models import Campaign, CampaignTemplate
from echelon.core.api.base import ScopedViewSetMixin, UnscopedViewSetMixin
from echelon.core.permissions import require_somewhere
from echelon.core.querysets import scoped_object
from echelon.orgs.models import Unit


def _violations(items: list[dict[str, Any]], batch: str | None = None) -> list[dict[str, Any]]:
    return [{**v, "batch": v.get("batch", batch)} for v in items]


class CampaignTemplateViewSet(UnscopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Campaign templates (levels, phases, gates, required actions, timing rules). They hold no unit data."""

    queryset = CampaignTemplate.objects.order_by("name")
    serializer_class = CampaignTemplateSerializer
    lookup_field = "key"


UNIT_CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description="the unit's code")
PLAN_FILTERS = [
    OpenApiParameter("under", str, description="unit code: only this unit's subtree"),
    OpenApiParameter("level", int),
    OpenApiParameter("kind", str),
    OpenApiParameter("batch", str),
    OpenApiParameter("state", str, description="not_started, overdue, in_progress, late, done"),
    OpenApiParameter("q", str, description="unit name, code or pinyin"),
]


class CampaignViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Campaigns whose scope overlaps the caller's subtree. Writes (create, schedule, publish) need the
    `change` action at the campaign's root; figures and plans cover only the caller's subtree."""

    queryset = Campaign.objects.select_related("root").prefetch_related("batches")
    serializer_class = CampaignSerializer

    def _manageable(self) -> Campaign:
        campaign: Campaign = self.get_object()
        if not selectors.can_manage(self.request.user, campaign):
            raise exceptions.PermissionDenied("只有活动范围内的领导小组办公室可以排程和发布。")
        return campaign

    @extend_schema(request=CampaignCreateSerializer, responses={201: CampaignSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        require_somewhere(request.user, "plan", _("只有领导小组办公室可以创建活动。"))
        data = CampaignCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        root = scoped_object(
            request.user,
            Unit.objects,
            "plan",
            code=v["root_code"],
            otherwise=exceptions.ValidationError({"root_code": ["组织不存在，或您无权在此范围创建活动。"]}),
        )
        template = services.template_for_use(actor=request.user, name=v["template"])
        campaign = services.campaign_create(
            actor=request.user,
            spec=template.spec,
            root=root,
            start=v["start"],
            end=v["end"],
            name=v.get("name", ""),
            template=template,
        )
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ScheduleRequestSerializer,
        responses=ScheduleResultSerializer,
        summary="Generate (or re-generate) the plan; dry_run only checks",
    )
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, pk: str) -> Response:
        campaign = self._manageable()
        data = ScheduleRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.campaign_schedule(
            actor=request.user,
            campaign=campaign,
            dry_run=data.validated_data["dry_run"],
            rule_changes=data.validated_data.get("rules") or {},
        )
        return Response(
            ScheduleResultSerializer(
                {
                    "feasible": result.feasible,
                    "dry_run": result.dry_run,
                    "planned": result.planned,
                    "violations": result.violations,
                    "comparison": result.comparison,
                    "engine_seconds": result.engine_seconds,
                    "store_seconds": result.store_seconds,
                }
            ).data
        )

    @extend_schema(
        request=WhatIfRequestSerializer,
        responses=WhatIfResultSerializer,
        summary="Re-plan one batch with changed rules in memory and compare (writes nothing)",
    )
    @action(detail=True, methods=["post"], url_path="what-if", url_name="what-if")
    def what_if(self, request: Request, pk: str) -> Response:
        campaign = self._manageable()
        data = WhatIfRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.campaign_what_if(
            actor=request.user,
            campaign=campaign,
            batch_key=data.validated_data["batch"],
            changes=data.validated_data["changes"],
        )
        return Response(
            WhatIfResultSerializer(
                {
                    "batch": result.batch.key,
                    "feasible": result.plan.feasible,
                    "reference": result.reference,
                    "violations": _violations(result.plan.violations, result.batch.key),
                    "comparison": result.comparison,
                }
            ).data
        )

    @extend_schema(
        request=PublishRequestSerializer,
        responses=BaselineSerializer,
        summary="Freeze the plan as the next baseline (only a plan that obeys every rule)",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        campaign = self._manageable()
        data = PublishRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        baseline = services.campaign_publish(
            actor=request.user, campaign=campaign, note=data.validated_data.get("note", "")
        )
        return Response(BaselineSerializer(baseline).data)

    def _participations(self, campaign: Campaign, action: str = "view") -> Any:
        qs = selectors.participations(self.request.user, campaign, action)
        if code := self.request.query_params.get("under"):
            qs = qs.within(scoped_object(self.request.user, Unit.objects, code=code).path)
        params = {k: v for k, v in self.request.query_params.items() if k in ParticipationFilter.base_filters}
        return ParticipationFilter(params, queryset=qs, campaign=campaign).qs

    @extend_schema(
        parameters=PLAN_FILTERS,
        responses=ParticipationSerializer(many=True),
        summary="The plan of the participations the caller sees, with phase dates (paginated)",
    )
    @action(detail=True)
    def plan(self, request: Request, pk: str) -> Response:
        campaign = self.get_object()
        qs = (
            self._participations(campaign)
            .select_related("unit", "batch")
            .prefetch_related("plan")
            .order_by("path")
        )
        page = self.paginate_queryset(qs)
        context = {"phases": campaign.spec.phases, "request": request}
        return self.get_paginated_response(ParticipationSerializer(page, many=True, context=context).data)

    @extend_schema(
        responses=LevelProgressSerializer(many=True),
        summary="Plan vs actual per level: started, late, median and worst delay (caller's subtree)",
    )
    @action(detail=True, pagination_class=None)  # a plain list, as the schema says
    def progress(self, request: Request, pk: str) -> Response:
        campaign = self.get_object()
        rows = selectors.level_progress(campaign, selectors.participations(request.user, campaign))
        return Response(LevelProgressSerializer(rows, many=True).data)

    @extend_schema(parameters=[UNIT_CODE], responses=ParticipationSerializer, summary="One unit's plan")
    @action(detail=True, url_path=r"units/(?P<code>[^/.]+)", url_name="unit")
    def unit(self, request: Request, pk: str, code: str) -> Response:
        campaign = self.get_object()
        participation = selectors.participation_for(request.user, campaign, code)
        return Response(ParticipationSerializer(participation, context={"phases": campaign.spec.phases}).data)

    @extend_schema(
        parameters=[UNIT_CODE],
        request=ActualRequestSerializer,
        responses=ParticipationSerializer,
        summary="Record the actual start (and end) of a phase for one unit",
    )
    @action(detail=True, methods=["post"], url_path=r"units/(?P<code>[^/.]+)/actual", url_name="unit-actual")
    def actual(self, request: Request, pk: str, code: str) -> Response:
        campaign = self.get_object()
        participation = selectors.participation_for(request.user, campaign, code)
        data = ActualRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.phase_actual_record(
            actor=request.user,
            participation=participation,
            phase_key=v["phase"],
            start=v["start"],
            end=v.get("end"),
            note=v.get("note", ""),
        )
        participation.refresh_from_db()
        return Response(ParticipationSerializer(participation, context={"phases": campaign.spec.phases}).data)

    @extend_schema(
        parameters=PLAN_FILTERS,
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY)},
        summary="The plan as CSV (unit_code, unit_name, level, kind, batch, phase, planned_start, …)",
    )
    @action(detail=True)
    def export(self, request: Request, pk: str) -> StreamingHttpResponse:
        campaign = self.get_object()
        qs = self._participations(campaign, "export")
        response = StreamingHttpResponse(iter_csv(campaign, qs), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="plan-{campaign.pk}.csv"'
        return response
