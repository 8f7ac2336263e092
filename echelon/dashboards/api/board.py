"""``GET /api/v1/dashboard/<unit code>/``: the dashboard's figures for the caller's part of that subtree."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from echelon.core.replica import replica_eligible
from echelon.dashboards import figures, selectors


class MeasureSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField(help_text="the measure's name, in the request's language")
    group = serializers.CharField(
        help_text="progress, gate, supervision, evaluation, ledger, members or phase"
    )
    units = serializers.BooleanField(help_text="a count of units (it drills down to them)")
    percent_of = serializers.CharField(help_text="the measure it is a share of, or empty")


class RowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    own = serializers.BooleanField(help_text="the unit's own participation (本级), not a child's subtree")
    values = serializers.DictField(child=serializers.IntegerField(), help_text="{measure key: number}")


class DashboardSerializer(serializers.Serializer):
    unit = serializers.DictField(child=serializers.CharField(), help_text="code and name")
    campaign = serializers.DictField(child=serializers.CharField(), help_text="id and name")
    batch = serializers.DictField(child=serializers.CharField(), help_text="id, key and name")
    today = serializers.DateField()
    phases = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    measures = MeasureSerializer(many=True)
    total = serializers.DictField(child=serializers.IntegerField())
    rows = RowSerializer(many=True)


@method_decorator(replica_eligible, name="dispatch")  # a read-only figure: the replica may serve it
class DashboardView(APIView):
    """The units by state, phase and gate, plan against actual, coverage, reviews overdue, the satisfaction
    evaluation (units that reached it, evaluated, below the threshold, in a remedial round; satisfied votes
    of all votes), the ledger's problems and tasks, members and warnings for each child unit of ``code``
    taking part in the batch, and the total. Read live: a write anywhere below shows in the next request."""

    @extend_schema(
        operation_id="dashboard_retrieve",
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="unit code"),
            OpenApiParameter(
                "batch", OpenApiTypes.INT, description="batch id (default: the one running today)"
            ),
        ],
        responses={200: DashboardSerializer},
    )
    def get(self, request: Request, code: str) -> Response:
        unit = selectors.unit_for(request.user, code)
        today = timezone.localdate()
        batch = selectors.batch_for(request.user, unit, request.query_params.get("batch"), today)
        if batch is None:
            raise Http404
        board = figures.board(batch, unit, today)
        data: dict[str, Any] = {
            "unit": {"code": unit.code, "name": unit.name},
            "campaign": {"id": str(batch.campaign_id), "name": batch.campaign.name},
            "batch": {"id": str(batch.pk), "key": batch.key, "name": batch.name},
            "today": today,
            "phases": [{"key": k, "name": str(n)} for k, n in board.phases],
            "measures": [
                {
                    "key": m.key,
                    "name": str(m.label),
                    "group": m.group,
                    "units": m.units,
                    "percent_of": m.percent_of,
                }
                for m in board.measures
            ],
            "total": dict(board.total.values),
            "rows": [
                {
                    "code": (r.unit or unit).code,
                    "name": (r.unit or unit).name,
                    "own": r.unit is None,
                    "values": dict(r.values),
                }
                for r in board.rows
            ],
        }
        return Response(DashboardSerializer(data).data)
