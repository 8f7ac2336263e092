"""The supervision API: the same services and selectors as the pages, scoped with ``visible_to``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from echelon.campaigns import selectors as campaign_selectors
from echelon.campaigns.models import Campaign
from echelon.supervision import selectors, services
from echelon.supervision.api.serializers import (
    BatchCoverageSerializer,
    DecideSerializer,
    GroupSerializer,
    ReviewSerializer,
)
from echelon.supervision.models import Review
from echelon.supervision.services import AlreadyDecided

MAX_LISTED = 500


class GroupViewSet(viewsets.ReadOnlyModelViewSet):
    """Supervision groups: those dispatched from the caller's subtree, and the caller's own groups.
    `?campaign=ID` filters by campaign."""

    serializer_class = GroupSerializer

    def get_queryset(self) -> Any:
        qs = selectors.groups_for(self.request.user).order_by("id")
        campaign = self.request.query_params.get("campaign")
        return qs.filter(campaign_id=campaign) if campaign and campaign.isdigit() else qs

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "start", OpenApiTypes.DATE, description="first day (default: this month's first)"
            ),
            OpenApiParameter("end", OpenApiTypes.DATE, description="last day (default: today)"),
        ],
        responses={
            (
                200,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ): OpenApiTypes.BINARY
        },
    )
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: Any = None) -> HttpResponse:
        """The group's supervision report (督导工作报告) for the period, as a Word document."""
        from echelon.supervision.views import report_period, report_response

        group = self.get_object()
        period = report_period(request.query_params)
        if period is None:
            raise exceptions.ValidationError({"detail": ["start/end: invalid period"]})
        return report_response(group, *period)


class ReviewViewSet(viewsets.ReadOnlyModelViewSet):
    """Submissions and decisions of the units in the caller's scope (a group member: their targets).
    `?state=open` lists the pending ones."""

    serializer_class = ReviewSerializer

    def get_queryset(self) -> Any:
        qs = selectors.reviews_for(self.request.user).order_by("-submitted_at", "-id")
        state = self.request.query_params.get("state")
        return qs.filter(state=state) if state else qs

    @extend_schema(request=DecideSerializer, responses={200: ReviewSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: Any = None) -> Response:
        """Pass, return (with a deadline), interview or redo. 409 when someone else decided first."""
        review: Review = self.get_object()
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        checks = {c["key"]: services.CheckResult(c["passed"], c.get("comment", "")) for c in d["checks"]}
        try:
            review = services.gate_decide(
                actor=request.user,
                review=review,
                decision=d["decision"],
                checks=checks,
                comment=d["comment"],
                deadline=d["deadline"],
                interview_who=d["interview_who"],
                interview_at=d["interview_at"],
                interview_required=d["interview_required"],
            )
        except AlreadyDecided as exc:
            return Response({"detail": exc.messages}, status=status.HTTP_409_CONFLICT)
        except ValidationError as exc:
            raise exceptions.ValidationError({"detail": exc.messages}) from exc
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(ReviewSerializer(review).data)


class CampaignCoverageViewSet(viewsets.GenericViewSet):
    """Coverage of a campaign per batch and level over the caller's subtree: gaps and overlaps."""

    queryset = Campaign.objects.none()

    def get_queryset(self) -> Any:
        return campaign_selectors.campaigns_for(self.request.user)

    @extend_schema(responses={200: BatchCoverageSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def coverage(self, request: Request, pk: Any = None) -> Response:
        """Per batch: totals per level, the gap units (code, level) and the overlaps (code, level, groups)."""
        campaign = self.get_object()
        out = []
        for item in selectors.coverage_report(campaign, user=request.user):
            report = item.report
            ids = [g.unit_id for g in report.gaps[:MAX_LISTED]] + [
                o.unit_id for o in report.overlaps[:MAX_LISTED]
            ]
            labels = selectors.unit_labels(ids)
            totals = [
                {
                    "level": t.level,
                    "units": t.units,
                    "covered": t.covered,
                    "gaps": t.gaps,
                    "overlaps": t.overlaps,
                    "accepted_overlaps": t.accepted_overlaps,
                }
                for t in report.totals
            ]
            out.append(
                {
                    "batch": item.batch.key,
                    "complete": report.complete,
                    "totals": totals,
                    "gaps": [
                        {"unit": labels[g.unit_id].code, "level": g.level} for g in report.gaps[:MAX_LISTED]
                    ],
                    "overlaps": [
                        {"unit": labels[o.unit_id].code, "level": o.level, "groups": list(o.group_ids)}
                        for o in report.overlaps[:MAX_LISTED]
                    ],
                }
            )
        return Response(BatchCoverageSerializer(out, many=True).data)
