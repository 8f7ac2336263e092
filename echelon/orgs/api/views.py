from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from echelon.core.api.base import ScopedReadOnlyViewSet
from echelon.orgs import editing, selectors
from echelon.orgs.api.serializers import (
    MemberRowSerializer,
    MemberSerializer,
    UnitRowSerializer,
    UnitSerializer,
)
from echelon.orgs.filters import MemberFilter, UnitFilter
from echelon.orgs.models import Member, Unit


def _cells(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return {k: ("是" if v else "否") if isinstance(v, bool) else v for k, v in data.validated_data.items()}


class UnitErrorSerializer(serializers.Serializer):
    """A refusal: the importer's messages by field (``{"parent": ["找不到上级组织代码…"]}``) or ``detail``."""

    detail = serializers.ListField(child=serializers.CharField(), required=False)


ERRORS = {400: UnitErrorSerializer, 403: UnitErrorSerializer, 404: UnitErrorSerializer}


class UnitViewSet(ScopedReadOnlyViewSet):
    """Units the caller may see. `q` searches name, code and pinyin (e.g. `hhht`)."""

    queryset = Unit.objects.filter(is_active=True).select_related("parent").order_by("path")
    keyset_pages = True  # ?cursor=: along the unique path (children: kind, code) (core.api.pagination)
    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    lookup_field = "code"

    @extend_schema(request=UnitRowSerializer, responses={201: UnitSerializer, **ERRORS})
    def create(self, request: Request) -> Response:
        """Create a unit under a parent in the caller's subtree (``change``; another parent: 404), checked as
        an import row is; audited; the new unit joins the campaigns running over it by their templates'
        rules."""
        cells = _cells(UnitRowSerializer, request)
        if parent := str(cells.get("parent") or "").strip():  # a parent the caller may not change: 404
            get_object_or_404(Unit.objects.visible_to(request.user, "change"), code=parent)
        unit = editing.unit_save(actor=request.user, cells=cells)
        return Response(UnitSerializer(unit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UnitRowSerializer, responses={200: UnitSerializer, **ERRORS})
    def partial_update(self, request: Request, code: str) -> Response:
        """Change a unit the caller may change: the given cells, checked as an import row is; a new
        ``parent`` moves it with its subtree (a cycle is refused)."""
        unit = get_object_or_404(Unit.objects.visible_to(request.user, "change"), code=code, is_active=True)
        cells = {**editing.unit_cells(unit), **_cells(UnitRowSerializer, request)}
        unit = editing.unit_save(actor=request.user, cells=cells, unit=unit)
        return Response(UnitSerializer(unit).data)

    @extend_schema(summary="Children of a unit", responses=UnitSerializer(many=True))
    @action(detail=True)
    def children(self, request: Request, code: str) -> Response:
        unit = self.get_object()
        qs = self.filter_queryset(self.get_queryset().filter(parent=unit).order_by("kind", "code"))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="The whole subtree of a unit (itself included), in tree order",
        responses=UnitSerializer(many=True),
    )
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
    keyset_pages = True  # ?cursor=: along (path, id), the member_path_idx index (core.api.pagination)
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

    @extend_schema(request=MemberRowSerializer, responses={201: MemberSerializer, **ERRORS})
    def create(self, request: Request) -> Response:
        """Register a member in a unit of the caller's subtree (``change``; another unit: 404), checked as an
        import row is; audited."""
        cells = _cells(MemberRowSerializer, request)
        if unit := str(cells.get("unit") or "").strip():  # a unit the caller may not change: 404
            get_object_or_404(Unit.objects.visible_to(request.user, "change"), code=unit)
        member = editing.member_save(actor=request.user, cells=cells)
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberRowSerializer, responses={200: MemberSerializer, **ERRORS})
    def partial_update(self, request: Request, code: str) -> Response:
        """Change a member the caller may change: edit, transfer (``unit``), mark mobile (``is_mobile``,
        ``inflow_unit``). An inflow unit outside the caller's subtree is kept, never newly set."""
        member = get_object_or_404(
            Member.objects.visible_to(request.user, "change").select_related("unit", "inflow_unit"), code=code
        )
        cells = {**editing.member_cells(member), **_cells(MemberRowSerializer, request)}
        member = editing.member_save(actor=request.user, cells=cells, member=member)
        return Response(MemberSerializer(member).data)

    def get_queryset(self):
        qs = super().get_queryset()
        units = Unit.objects.visible_to(self.request.user)
        self.under = self.participating_under = None
        if code := self.request.query_params.get("under"):
            self.under = get_object_or_404(units, code=code)
            qs = qs.within(self.under.path)
        if code := self.request.query_params.get("participating_under"):
            self.participating_under = get_object_or_404(units, code=code)
            qs = qs.participating_in(self.participating_under.path)
        return qs

    def known_count(self, queryset: Any) -> int | None:
        """The length of an unfiltered list from the units' member rollups (``sub_members``,
        ``sub_participants``), which the registry keeps with every write: a page of a region's 1.3 million
        members counts nothing (``core.api.pagination``). None when a filter narrows the list."""
        params = self.request.query_params
        if any(params.get(name) for name in self.filterset_class.base_filters):
            return None
        if self.under is not None and self.participating_under is not None:
            return None
        if self.under is not None:
            return self.under.sub_members
        if self.participating_under is not None:
            return self.participating_under.sub_participants
        return selectors.members_in_scope(self.request.user)
