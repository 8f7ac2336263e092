"""民主评议党员 under /api/v1/appraisal/: the counts of a subtree (``summary/<code>/``), the appraisals the
caller sees (counts only), a new appraisal, its meeting (PATCH) and finalising; the individual ratings of a
branch (``appraisals/<id>/ratings/``: only for the branch and the level directly above it, else 404), new
ratings, a grade amended; the follow-ups of the members rated lowest (recorded and closed by the branch).

The same services as the pages: bad input 400 with Chinese messages, the wrong role 403, out of sight 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from echelon.appraisal import selectors, services
from echelon.appraisal.models import Appraisal, FollowUp, Rating
from echelon.core.api.base import ScopedViewSetMixin
from echelon.core.querysets import scoped_object
from echelon.orgs.models import Unit

ID = r"[0-9]+"


class AppraisalSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    counts = serializers.SerializerMethodField(help_text="{grade: members rated so}")

    class Meta:
        model = Appraisal
        fields = [
            "id",
            "campaign",
            "unit_code",
            "unit_name",
            "level",
            "phase",
            "meeting_date",
            "present",
            "rated",
            "lowest",
            "state",
            "note",
            "recorded_at",
            "counts",
        ]
        read_only_fields = fields

    def get_counts(self, appraisal: Appraisal) -> dict[str, int]:
        scale = services.settings_of(appraisal.campaign)["scale"]
        listed = self.context.get("counts")  # a list's page: read at once
        if listed is not None:
            return selectors.in_scale(listed.get(appraisal.pk, {}), scale)
        return selectors.counts_of(appraisal, scale)


class AppraisalCreateSerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=32, help_text="the branch's unit code")
    meeting_date = serializers.DateField()
    present = serializers.IntegerField(help_text="members present at the meeting")
    note = serializers.CharField(max_length=2_000, required=False, allow_blank=True, default="")


class AppraisalUpdateSerializer(serializers.Serializer):
    meeting_date = serializers.DateField(required=False)
    present = serializers.IntegerField(required=False)
    note = serializers.CharField(max_length=2_000, required=False, allow_blank=True)


class AppraisalFollowUpSerializer(serializers.ModelSerializer):
    rating = serializers.IntegerField(source="rating_id", read_only=True)
    member_code = serializers.CharField(source="rating.member.code", read_only=True)
    member_name = serializers.CharField(source="rating.member.name", read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "rating",
            "member_code",
            "member_name",
            "talk_date",
            "talk",
            "deadline",
            "outcome",
            "state",
            "closed_at",
        ]
        read_only_fields = fields


class AppraisalRatingSerializer(serializers.ModelSerializer):
    member_code = serializers.CharField(source="member.code", read_only=True)
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = Rating
        fields = ["id", "appraisal", "member_code", "member_name", "grade"]
        read_only_fields = fields


class AppraisalRatingEntrySerializer(serializers.Serializer):
    member = serializers.CharField(max_length=32, help_text="the member's code")
    grade = serializers.CharField(max_length=20, help_text="a grade of the campaign's scale")


class AppraisalRatingsInputSerializer(serializers.Serializer):
    ratings = AppraisalRatingEntrySerializer(many=True)


class AppraisalGradeSerializer(serializers.Serializer):
    grade = serializers.CharField(max_length=20)


class AppraisalFollowUpCreateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(help_text="the rating (a member rated in a lowest grade)")
    talk_date = serializers.DateField()
    talk = serializers.CharField(max_length=2_000)
    deadline = serializers.DateField()


class AppraisalFollowUpCloseSerializer(serializers.Serializer):
    outcome = serializers.CharField(max_length=2_000)


class AppraisalSummaryRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    own = serializers.BooleanField(help_text="the unit itself (本级), not a child's subtree")
    branches = serializers.IntegerField(help_text="branches taking part with members (the denominator)")
    recorded = serializers.IntegerField()
    draft = serializers.IntegerField()
    not_yet = serializers.IntegerField()
    members = serializers.IntegerField()
    rated = serializers.IntegerField()
    grades = serializers.DictField(child=serializers.IntegerField(), help_text="{grade: members}")


class AppraisalSummarySerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    scale = serializers.ListField(child=serializers.CharField())
    total = AppraisalSummaryRowSerializer()
    rows = AppraisalSummaryRowSerializer(many=True)


def _input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _row(r: selectors.Row) -> dict[str, Any]:
    return {
        "code": r.unit.code,
        "name": r.unit.name,
        "own": r.own,
        "branches": r.branches,
        "recorded": r.recorded,
        "draft": r.draft,
        "not_yet": r.not_yet,
        "members": r.members,
        "rated": r.rated,
        "grades": r.grades,
    }


class SummaryView(APIView):
    """Counts of a unit's subtree (per child, and the total): never a name."""

    @extend_schema(responses={200: AppraisalSummarySerializer})
    def get(self, request: Request, code: str) -> Response:
        unit = selectors.unit_for(request.user, code)
        campaign = selectors.campaign_of(unit)
        if campaign is None:
            raise exceptions.NotFound(_("这个组织还没有已排程的活动。"))
        scale = services.settings_of(campaign)["scale"]
        total, rows = selectors.summary(campaign, unit, scale)
        return Response(
            {"campaign": campaign.pk, "scale": scale, "total": _row(total), "rows": [_row(r) for r in rows]}
        )


class AppraisalViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Appraisals the caller sees (counts only), create, update the meeting (PATCH), confirm; the
    individual ratings (``ratings``) for the branch and the level directly responsible."""

    queryset = Appraisal.objects.select_related("unit", "campaign")
    serializer_class = AppraisalSerializer
    lookup_value_regex = ID
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Appraisal]:
        qs = super().get_queryset()
        code = self.request.query_params.get("unit", "").strip()
        if code and self.action == "list":
            qs = qs.within(selectors.unit_for(self.request.user, code[:32]).path)
        return qs.order_by("path")

    @extend_schema(
        parameters=[OpenApiParameter("unit", OpenApiTypes.STR, description="unit code: its subtree only")]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The appraisals the caller sees, by path: counts per grade, never a name."""
        rows = self.paginate_queryset(self.get_queryset())
        listed = list(rows) if rows is not None else list(self.get_queryset()[:1000])
        context = {
            **self.get_serializer_context(),
            "counts": selectors.counts_by_appraisal([a.pk for a in listed]),
        }
        data = AppraisalSerializer(listed, many=True, context=context).data
        return self.get_paginated_response(data) if rows is not None else Response(data)

    def _individual(self, pk: Any) -> Appraisal:
        return selectors.appraisal_for(self.request.user, int(pk), individual=True)

    @extend_schema(request=AppraisalCreateSerializer, responses={201: AppraisalSerializer})
    def create(self, request: Request) -> Response:
        """Open a branch's appraisal in the campaign covering it: the meeting's date and members present."""
        d = _input(AppraisalCreateSerializer, request)
        unit = scoped_object(
            request.user,
            Unit.objects.filter(is_active=True),
            code=d["unit"].strip(),
            otherwise=exceptions.ValidationError(
                {"unit": [_("找不到组织“%(code)s”，或它不在您的查看范围内。") % {"code": d["unit"][:32]}]}
            ),
        )
        campaign = selectors.campaign_of(unit)
        if campaign is None:
            raise exceptions.ValidationError({"unit": [_("这个组织还没有已排程的活动。")]})
        appraisal = services.appraisal_create(
            actor=request.user,
            campaign=campaign,
            unit=unit,
            meeting_date=d["meeting_date"],
            present=d["present"],
            note=d["note"],
        )
        return Response(AppraisalSerializer(appraisal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AppraisalUpdateSerializer, responses={200: AppraisalSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        """The meeting's date, members present, note (while a draft)."""
        appraisal = self._individual(pk)
        d = _input(AppraisalUpdateSerializer, request)
        appraisal = services.appraisal_update(
            actor=request.user,
            appraisal=appraisal,
            meeting_date=d.get("meeting_date", appraisal.meeting_date),
            present=d.get("present", appraisal.present),
            note=d.get("note", appraisal.note),
        )
        return Response(AppraisalSerializer(appraisal).data)

    @extend_schema(request=None, responses={200: AppraisalSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: Any = None) -> Response:
        """Draft → recorded: every member present rated; the ratings no longer change."""
        appraisal = services.appraisal_confirm(actor=request.user, appraisal=self._individual(pk))
        return Response(AppraisalSerializer(appraisal).data)

    @extend_schema(methods=["GET"], responses={200: AppraisalRatingSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request=AppraisalRatingsInputSerializer,
        responses={200: AppraisalRatingSerializer(many=True)},
    )
    @action(detail=True, methods=["get", "post"])
    def ratings(self, request: Request, pk: Any = None) -> Response:
        """The members' grades (GET), or new grades (POST: a member already rated is refused; amend one
        with PATCH ``ratings/<id>/``). 404 for anyone but the branch and the level directly above it."""
        appraisal = self._individual(pk)
        if request.method == "POST":
            d = _input(AppraisalRatingsInputSerializer, request)
            services.ratings_record(
                actor=request.user,
                appraisal=appraisal,
                entries=[(e["member"], e["grade"]) for e in d["ratings"]],
            )
        return Response(
            AppraisalRatingSerializer(selectors.ratings_of(request.user, appraisal), many=True).data
        )


class RatingViewSet(ScopedViewSetMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """One member's grade amended before the appraisal is finalised (PATCH)."""

    queryset = Rating.objects.select_related("member", "appraisal")
    serializer_class = AppraisalRatingSerializer
    lookup_value_regex = ID
    http_method_names = ["patch", "options"]
    scope_action = "view"

    @extend_schema(request=AppraisalGradeSerializer, responses={200: AppraisalRatingSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        rating = get_object_or_404(self.get_queryset(), pk=pk)
        d = _input(AppraisalGradeSerializer, request)
        rating = services.rating_amend(actor=request.user, rating=rating, grade=d["grade"])
        return Response(AppraisalRatingSerializer(rating).data)


class FollowUpViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Follow-ups (帮助谈话) the caller may see (the branch and the level directly above it); recorded and
    closed by the branch."""

    queryset = FollowUp.objects.select_related("rating__member")
    serializer_class = AppraisalFollowUpSerializer
    lookup_value_regex = ID
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(request=AppraisalFollowUpCreateSerializer, responses={201: AppraisalFollowUpSerializer})
    def create(self, request: Request) -> Response:
        d = _input(AppraisalFollowUpCreateSerializer, request)
        rating = get_object_or_404(
            Rating.objects.visible_to(request.user).select_related("member"), pk=d["rating"]
        )
        found = services.followup_record(
            actor=request.user,
            rating=rating,
            talk_date=d["talk_date"],
            talk=d["talk"],
            deadline=d["deadline"],
        )
        return Response(AppraisalFollowUpSerializer(found).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AppraisalFollowUpCloseSerializer, responses={200: AppraisalFollowUpSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        d = _input(AppraisalFollowUpCloseSerializer, request)
        found = services.followup_close(actor=request.user, followup=self.get_object(), outcome=d["outcome"])
        return Response(AppraisalFollowUpSerializer(found).data)
