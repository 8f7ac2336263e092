"""Dispatch meetings (调度会) under /api/v1/dispatch/: the meetings held in the caller's part of the tree
(list, retrieve with the frozen figures and the items, create through ``services.dispatch.meeting_record``),
and the action items the caller sees (``mine=true``: assigned to the caller's own units; ``status``;
``overdue``) with done (the assigned unit) and reopen (the meeting's office).

Refusals come from the services through ``core.api.exceptions``: bad input 400 with Chinese messages, the
wrong role 403, an item someone else decided first 409; objects outside the caller's scope 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
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
from echelon.core.tree import UPPER_BOUND
from echelon.dashboards import selectors
from echelon.dashboards.models import DispatchItem, DispatchMeeting, ItemStatus
from echelon.dashboards.services import dispatch as services
from echelon.orgs.models import Unit

ID = r"[0-9]+"
CODE_MAX = 32


# --- rows out --------------------------------------------------------------------------------------------


class DispatchItemSerializer(serializers.ModelSerializer):
    meeting_title = serializers.CharField(source="meeting.title", read_only=True)
    meeting_date = serializers.DateField(source="meeting.date", read_only=True)
    meeting_unit = serializers.CharField(source="meeting.unit.code", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    done_by = serializers.CharField(source="done_by.username", read_only=True, default=None)
    overdue = serializers.SerializerMethodField(help_text="open with the deadline past")

    class Meta:
        model = DispatchItem
        fields = [
            "id",
            "meeting",
            "meeting_title",
            "meeting_date",
            "meeting_unit",
            "unit_code",
            "unit_name",
            "text",
            "deadline",
            "status",
            "overdue",
            "done_note",
            "done_at",
            "done_by",
            "reopen_note",
            "reopened",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, obj: DispatchItem) -> bool:
        return services.overdue(obj, self.context.get("today") or timezone.localdate())


class DispatchMeetingSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)

    class Meta:
        model = DispatchMeeting
        fields = [
            "id",
            "campaign",
            "campaign_name",
            "unit_code",
            "unit_name",
            "level",
            "title",
            "date",
            "place",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields


class DispatchFrozenRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    own = serializers.BooleanField(help_text="the meeting unit's own participation (本级)")
    values = serializers.DictField(child=serializers.IntegerField(), help_text="{measure key: number}")


class DispatchFrozenSerializer(serializers.Serializer):
    batch = serializers.IntegerField()
    batch_name = serializers.CharField()
    today = serializers.DateField(help_text="the day the figures were computed for (the meeting's date)")
    measures = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    total = serializers.DictField(child=serializers.IntegerField())
    rows = DispatchFrozenRowSerializer(many=True)


class DispatchMeetingDetailSerializer(DispatchMeetingSerializer):
    figures = serializers.SerializerMethodField(help_text="the dashboard shown at the meeting, frozen")
    items = DispatchItemSerializer(many=True, read_only=True)

    class Meta(DispatchMeetingSerializer.Meta):
        fields = [
            *DispatchMeetingSerializer.Meta.fields,
            "attendees",
            "findings",
            "decisions",
            "figures",
            "items",
        ]
        read_only_fields = fields

    @extend_schema_field(DispatchFrozenSerializer)
    def get_figures(self, obj: DispatchMeeting) -> dict[str, Any]:
        return dict(obj.figures or {})


# --- input -------------------------------------------------------------------------------------------------


class DispatchItemInSerializer(serializers.Serializer):
    unit = serializers.CharField(
        max_length=CODE_MAX, help_text="the assigned unit's code (in the meeting's subtree)"
    )
    text = serializers.CharField(max_length=services.ITEM_MAX)
    deadline = serializers.DateField(help_text="from the meeting's date to a year after it")


class DispatchMeetingCreateSerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=CODE_MAX, help_text="the code of the unit whose office held it")
    batch = serializers.IntegerField(
        required=False, allow_null=True, help_text="batch id (default: the one running today)"
    )
    title = serializers.CharField(max_length=services.TITLE_MAX)
    date = serializers.DateField()
    place = serializers.CharField(max_length=services.PLACE_MAX, required=False, allow_blank=True, default="")
    attendees = serializers.CharField(max_length=services.TEXT_MAX)
    findings = serializers.CharField(max_length=services.TEXT_MAX)
    decisions = serializers.CharField(
        max_length=services.TEXT_MAX, required=False, allow_blank=True, default=""
    )
    items = serializers.ListField(
        child=DispatchItemInSerializer(), required=False, default=list, max_length=services.MAX_ITEMS
    )


class DispatchNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=services.ITEM_MAX, help_text="how it was done (办理情况)")


class DispatchReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.ITEM_MAX, help_text="why it goes back (退回理由)")


def _input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _refused(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


# --- views -------------------------------------------------------------------------------------------------


class _Scoped(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    lookup_value_regex = ID

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}


class MeetingViewSet(_Scoped):
    """Dispatch meetings held in the caller's part of the tree (``under``: one unit's subtree), newest
    first. Create: an office records the meeting its unit held, with its action items."""

    queryset = DispatchMeeting.objects.select_related("unit", "campaign", "created_by").order_by(
        "-date", "-id"
    )
    serializer_class = DispatchMeetingSerializer

    def get_queryset(self) -> QuerySet[DispatchMeeting]:
        qs = super().get_queryset()
        if self.action == "retrieve":
            return qs.prefetch_related("items__unit", "items__meeting__unit", "items__done_by")
        code = self.request.query_params.get("under", "").strip()[:CODE_MAX]
        if code and self.action == "list":
            unit = selectors.unit_for(self.request.user, code)
            qs = qs.filter(path__gte=unit.path, path__lt=unit.path + UPPER_BOUND)
        return qs

    def get_serializer_class(self) -> Any:
        return DispatchMeetingDetailSerializer if self.action == "retrieve" else DispatchMeetingSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("under", OpenApiTypes.STR, description="unit code: meetings in its subtree")
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DispatchMeetingCreateSerializer, responses={201: DispatchMeetingDetailSerializer})
    def create(self, request: Request) -> Response:
        """Record a meeting (``plan`` at ``unit``: an office; 403 otherwise) with its items; the figures of
        the unit's dashboard on the meeting's date are frozen with it. A bad item row refuses the whole
        meeting (400 naming the row)."""
        require_somewhere(request.user, "plan", _("只有领导小组办公室可以召开和登记调度会。"))
        d = _input(DispatchMeetingCreateSerializer, request)
        unit = scoped_object(
            request.user,
            Unit.objects.filter(is_active=True),
            code=d["unit"].strip(),
            otherwise=_refused(
                "unit", _("找不到组织“%(code)s”，或它不在您的查看范围内。") % {"code": d["unit"][:32]}
            ),
        )
        if d.get("batch") is not None:
            batch = next((b for b in selectors.batches_for(request.user, unit) if b.pk == d["batch"]), None)
            if batch is None:
                raise _refused("batch", _("该批次不属于“%(unit)s”参加的活动。") % {"unit": unit.name})
        else:
            batch = selectors.batch_for(request.user, unit, None, d["date"])
        if batch is None:
            raise _refused("batch", _("“%(unit)s”还没有已排程的活动。") % {"unit": unit.name})
        codes = {row["unit"].strip() for row in d["items"]}
        units = {u.code: u for u in Unit.objects.visible_to(request.user).filter(code__in=codes)}
        rows = []
        for n, row in enumerate(d["items"], start=1):
            code = row["unit"].strip()
            if code not in units:
                raise _refused(
                    "items",
                    _("第 %(n)d 项事项：找不到组织“%(code)s”，或它不在您的范围内。")
                    % {"n": n, "code": code[:32]},
                )
            rows.append(services.ItemData(units[code], row["text"], row["deadline"]))
        meeting = services.meeting_record(
            actor=request.user,
            batch=batch,
            unit=unit,
            title=d["title"],
            date=d["date"],
            place=d["place"],
            attendees=d["attendees"],
            findings=d["findings"],
            decisions=d["decisions"],
            items=rows,
        )
        row = self.get_queryset().prefetch_related("items__unit", "items__meeting__unit").get(pk=meeting.pk)
        data = DispatchMeetingDetailSerializer(row, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


class ItemViewSet(_Scoped):
    """Action items the caller sees (assigned in their part of the tree), open first, by deadline.
    ``mine=true``: assigned to the caller's own units; ``status``: open | done; ``overdue=true``: open
    past the deadline. Writes: done (the assigned unit), reopen (the meeting's office)."""

    queryset = DispatchItem.objects.select_related("unit", "meeting", "meeting__unit", "done_by").order_by(
        "-status", "deadline", "id"
    )
    serializer_class = DispatchItemSerializer

    def get_queryset(self) -> QuerySet[DispatchItem]:
        qs = super().get_queryset()
        if self.action != "list":
            return qs
        params = self.request.query_params
        if params.get("mine") in ("true", "1"):
            q = services.mine_q(self.request.user)
            if q is not None:
                qs = qs.filter(q)
        if params.get("status") in ItemStatus.values:
            qs = qs.filter(status=params["status"])
        if params.get("overdue") in ("true", "1"):
            qs = qs.filter(status=ItemStatus.OPEN, deadline__lt=timezone.localdate())
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "mine", OpenApiTypes.BOOL, description="only items assigned to the caller's units"
            ),
            OpenApiParameter("status", OpenApiTypes.STR, enum=ItemStatus.values),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, description="open with the deadline past"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """An action item: its unit, text, deadline, state, and how it was done (or why it was sent back)."""
        return super().retrieve(request, *args, **kwargs)

    def _item(self, item: DispatchItem) -> Any:
        return DispatchItemSerializer(
            self.queryset.get(pk=item.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(
        request=DispatchNoteSerializer,
        responses={200: DispatchItemSerializer},
    )
    @action(detail=True, methods=["post"])
    def done(self, request: Request, pk: Any = None) -> Response:
        """The assigned unit reports the item done (办结), saying how (``change`` on its unit: 403
        otherwise); 409 when it was done already."""
        item = self.get_object()
        d = _input(DispatchNoteSerializer, request)
        return Response(self._item(services.item_done(actor=request.user, item=item, note=d["note"])))

    @extend_schema(
        request=DispatchReasonSerializer,
        responses={200: DispatchItemSerializer},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: Any = None) -> Response:
        """The meeting's office sends a done item back (退回重办) with a reason (``plan`` at the meeting's
        unit: 403 otherwise); 409 when it is not done (anymore)."""
        item = self.get_object()
        d = _input(DispatchReasonSerializer, request)
        return Response(self._item(services.item_reopen(actor=request.user, item=item, reason=d["reason"])))
