from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from echelon.core.api.base import ScopedReadOnlyViewSet
from echelon.orgs.api.serializers import MemberSerializer, UnitSerializer
from echelon.orgs.filters import MemberFilter, UnitFilter
from echelon.orgs.models import Member, Unit


class UnitViewSet(ScopedReadOnlyViewSet):
    """Units the caller may see. `q` searches name, code and pinyin (e.g. `hhht`)."""

    queryset = Unit.objects.filter(is_active=True).select_related("parent").order_by("path")
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    lookup_field = "code"

    @extend_schema(summary="Children of a unit")
    @action(detail=True)
    def children(self, request: Request, code: str) -> Response:
        unit = self.get_object()
        qs = self.filter_queryset(self.get_queryset().filter(parent=unit).order_by("kind", "code"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary="The whole subtree of a unit (itself included), in tree order")
    @action(detail=True)
    def subtree(self, request: Request, code: str) -> Response:
        unit = self.get_object()
        qs = self.filter_queryset(self.get_queryset().within(unit.path))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class MemberViewSet(ScopedReadOnlyViewSet):
    """Members the caller may see; `under=CODE` limits to a subtree (home unit), `participating_under=CODE`
    to members counted there (inflow unit when mobile)."""

    queryset = Member.objects.select_related("unit", "inflow_unit").order_by("path", "id")
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    lookup_field = "code"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "under", str, description="unit code: members whose home unit is in its subtree"
            ),
            OpenApiParameter("participating_under", str, description="unit code: members taking part there"),
        ]
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        qs = super().get_queryset()
        units = Unit.objects.visible_to(self.request.user)
        if code := self.request.query_params.get("under"):
            qs = qs.within(get_object_or_404(units, code=code).path)
        if code := self.request.query_params.get("participating_under"):
            qs = qs.participating_in(get_object_or_404(units, code=code).path)
        return qs
