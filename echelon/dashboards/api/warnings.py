"""Trends and early warnings under /api/v1/:

- ``GET dashboard/<code>/trends/?keys=done,overdue&days=90&batch=``: a unit's trend lines from its daily
  snapshots (a unit the caller does not see: 404);
- ``GET warnings/?under=<code>&rule=&batch=&new=1``: the early warnings in the caller's part of the tree
  (scoped like the pages; ``under`` narrows it to a unit's subtree, 404 for a unit the caller does not see),
  paged with limit/offset, each with the sentence the pages show.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from echelon.campaigns.specs import WARNING_RULES
from echelon.core.tree import UPPER_BOUND
from echelon.dashboards import selectors, trends
from echelon.dashboards.models import Alert
from echelon.dashboards.services.warnings import NEW_DAYS, describe

ID_HELP = "a positive integer"


def _positive(value: str | None, name: str) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if not text.isdigit() or len(text) > 9 or int(text) < 1:
        raise exceptions.ValidationError({name: [_("须是正整数。")]})
    return int(text)


class TrendSeriesSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="a dashboard measure (see GET /api/v1/dashboard/<code>/)")
    label = serializers.CharField()  # type: ignore[assignment]
    values = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        help_text="one per day; null: not known that day (a backfilled day has the progress measures only)",
    )


class TrendSerializer(serializers.Serializer):
    unit = serializers.DictField(child=serializers.CharField(), help_text="code and name")
    batch = serializers.DictField(child=serializers.CharField(), help_text="id, key and name")
    days = serializers.ListField(child=serializers.DateField(), help_text="the days that have a snapshot")
    backfilled = serializers.ListField(
        child=serializers.DateField(),
        help_text="the days rebuilt from the phase actuals (progress measures only)",
    )
    series = TrendSeriesSerializer(many=True)
    note = serializers.CharField(
        help_text="why there is nothing to draw (a leaf is never snapshotted), or empty"
    )


class TrendView(APIView):
    """The trend lines of a unit's dashboard measures, one value per day, from the daily snapshots of the
    units that have units below them taking part (a leaf has none: ``note`` says so)."""

    @extend_schema(
        operation_id="dashboard_trends",
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="unit code"),
            OpenApiParameter(
                "keys",
                OpenApiTypes.STR,
                description="comma-separated measure keys (default: started, done, overdue, return, "
                "reviews_overdue, tasks_overdue, alerts); unknown keys are refused",
            ),
            OpenApiParameter(
                "days",
                OpenApiTypes.INT,
                description=f"how many days back (default 90, at most {trends.MAX_DAYS})",
            ),
            OpenApiParameter(
                "batch", OpenApiTypes.INT, description="batch id (default: the one running today)"
            ),
        ],
        responses={200: TrendSerializer},
    )
    def get(self, request: Request, code: str) -> Response:
        unit = selectors.unit_for(request.user, code)
        today = timezone.localdate()
        batch = selectors.batch_for(request.user, unit, request.query_params.get("batch"), today)
        if batch is None:
            raise Http404
        known = trends.keys_for(batch)
        raw = request.query_params.get("keys", "")
        keys = [k.strip() for k in raw.split(",") if k.strip()] if raw.strip() else list(trends.DEFAULT_KEYS)
        unknown = [k for k in keys if k not in known]
        if unknown or len(keys) > len(known):
            raise exceptions.ValidationError(
                {"keys": [_("未知的指标：%(keys)s。") % {"keys": "、".join(unknown[:10])}]}
            )
        days = _positive(request.query_params.get("days"), "days") or trends.DEFAULT_DAYS
        data = trends.chart(batch, unit, keys, min(days, trends.MAX_DAYS), today)
        body = {
            "unit": {"code": unit.code, "name": unit.name},
            "batch": {"id": str(batch.pk), "key": batch.key, "name": batch.name},
            "days": data["days"],
            "backfilled": data["partial"],
            "series": [{"key": s["key"], "label": s["label"], "values": s["values"]} for s in data["series"]],
            "note": data["note"],
        }
        return Response(TrendSerializer(body).data)


class AlertSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    rule_name = serializers.SerializerMethodField(help_text="the rule's name in the campaign's template")
    text = serializers.SerializerMethodField(help_text="what was found, in words (the pages' sentence)")
    detail = serializers.JSONField(read_only=True, help_text="the figures behind it, by rule")

    class Meta:
        model = Alert
        fields = [
            "id",
            "campaign",
            "batch",
            "unit_code",
            "unit_name",
            "level",
            "rule",
            "rule_name",
            "text",
            "since",
            "detail",
            "found_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_rule_name(self, alert: Alert) -> str:
        names: dict[int, dict[str, str]] = self.context.setdefault("rule_names", {})
        if alert.batch_id not in names:
            spec = alert.batch.campaign.spec
            names[alert.batch_id] = {w.key: str(w.name) for w in spec.warnings}
        return names[alert.batch_id].get(
            alert.rule, str(WARNING_RULES[alert.rule].name) if alert.rule in WARNING_RULES else alert.rule
        )

    @extend_schema_field(serializers.CharField())
    def get_text(self, alert: Alert) -> str:
        return describe(alert.rule, alert.detail, self.context.get("today"))


class AlertList(generics.ListAPIView):
    """The early warnings (预警) in the caller's part of the tree, by batch and unit path: each is a unit one
    of the campaign's template rules found by the daily check (``rule``: phase_overdue, stalled,
    too_fast, ahead_of_leader, returned_twice, no_opinions, tasks_overdue, satisfaction_low, blind_spots)."""

    serializer_class = AlertSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def get_queryset(self) -> QuerySet[Alert]:
        params = self.request.query_params
        qs = Alert.objects.visible_to(self.request.user).select_related("unit", "batch__campaign")
        code = params.get("under", "").strip()
        if code:
            unit = selectors.unit_for(self.request.user, code[:32])
            qs = qs.filter(path__gte=unit.path, path__lt=unit.path + UPPER_BOUND)
        rule = params.get("rule", "").strip()
        if rule:
            if rule not in WARNING_RULES:
                raise exceptions.ValidationError(
                    {"rule": [_("未知的预警规则（可选：%(known)s）。") % {"known": "、".join(WARNING_RULES)}]}
                )
            qs = qs.filter(rule=rule)
        batch = _positive(params.get("batch"), "batch")
        if batch is not None:
            qs = qs.filter(batch_id=batch)
        if params.get("new") == "1":
            qs = qs.filter(since__gte=timezone.localdate() - timedelta(days=NEW_DAYS))
        return qs.order_by("batch_id", "path", "rule")  # the (batch, path, rule) index

    @extend_schema(
        operation_id="warnings_list",
        parameters=[
            OpenApiParameter(
                "under", OpenApiTypes.STR, description="a unit code: only its subtree (404 if unseen)"
            ),
            OpenApiParameter("rule", OpenApiTypes.STR, enum=list(WARNING_RULES), description="one rule"),
            OpenApiParameter("batch", OpenApiTypes.INT, description="one batch id"),
            OpenApiParameter(
                "new", OpenApiTypes.STR, enum=["1"], description="1: found today or yesterday only"
            ),
        ],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
