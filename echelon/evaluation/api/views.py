"""The evaluation's API under /api/v1/evaluation/ (and the public ballot under /api/v1/public/ballots/):

    GET  evaluation/sessions/                 the sessions the caller sees (``unit``: one unit's subtree)
    POST evaluation/sessions/                 {"unit", "held_on"} → a new session (round 1, or after a redo)
    GET  evaluation/sessions/<id>/            with its groups, paper tallies and results so far
    POST evaluation/sessions/<id>/groups/     {"kind", "present"}
    POST evaluation/sessions/<id>/tallies/    {"kind", "votes": [[votes per option] per item]}
    POST evaluation/sessions/<id>/codes/      {"kind", "count"} → the codes, this one time
    POST evaluation/sessions/<id>/close/      {"note"?} → the result (a redo opens below the threshold)
    GET  evaluation/redos/, evaluation/redos/<id>/
    POST evaluation/redos/<id>/work/          {"work"}
    POST evaluation/redos/<id>/files/         multipart ``file``: the redo's material
    POST evaluation/redos/<id>/decide/        {"done", "comment"?} (the responsible supervision group)
    GET  evaluation/rollup/<code>/            a subtree's figures per child unit
    POST public/ballots/                      {"code", "choices"} no login, throttled per address

The same services as the pages: bad input 400 in Chinese, the wrong role 403, a state someone else changed
first 409, a row the caller may not read 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from echelon.core.api.base import ScopedViewSetMixin
from echelon.core.api.schema import DESCRIPTIONS
from echelon.core.querysets import scoped_object
from echelon.evaluation import selectors, services, throttle
from echelon.evaluation.models import NOTE_MAX, WORK_MAX, EvaluatorKind, Redo, Session
from echelon.evaluation.services.sessions import CODES_MAX, PRESENT_MAX
from echelon.ledger.throttle import too_many
from echelon.orgs import selectors as org_selectors
from echelon.orgs.models import Unit

ID = r"[0-9]+"


class EvaluationOptionSerializer(serializers.Serializer):
    name = serializers.CharField()
    votes = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)


class EvaluationItemSerializer(serializers.Serializer):
    name = serializers.CharField()
    total = serializers.IntegerField()
    options = EvaluationOptionSerializer(many=True)


class EvaluatorGroupSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EvaluatorKind.choices)
    present = serializers.IntegerField()
    codes_issued = serializers.IntegerField()
    online = serializers.IntegerField(help_text="online ballots cast")
    paper = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), help_text="[item][option] paper votes"
    )


class EvaluationSessionSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "campaign",
            "unit_code",
            "unit_name",
            "level",
            "phase",
            "round",
            "status",
            "held_on",
            "items",
            "scale",
            "satisfied",
            "redo_below",
            "redo",
            "satisfied_votes",
            "total_votes",
            "satisfied_share",
            "passed",
            "close_note",
            "closed_at",
        ]
        read_only_fields = fields


class EvaluationSessionDetailSerializer(EvaluationSessionSerializer):
    groups = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField()

    class Meta(EvaluationSessionSerializer.Meta):
        fields = [*EvaluationSessionSerializer.Meta.fields, "groups", "results"]
        read_only_fields = fields

    @extend_schema_field(EvaluatorGroupSerializer(many=True))
    def get_groups(self, session: Session) -> list[dict[str, Any]]:
        return [
            {
                "kind": g.group.kind,
                "present": g.group.present,
                "codes_issued": g.group.codes_issued,
                "online": g.online,
                "paper": g.paper,
            }
            for g in selectors.group_rows(session)
        ]

    @extend_schema_field(EvaluationItemSerializer(many=True))
    def get_results(self, session: Session) -> list[dict[str, Any]]:
        table = session.results if not session.is_open else services.results_of(session)
        return selectors.result_table(session, table)


class EvaluationRedoSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Redo
        fields = [
            "id",
            "campaign",
            "unit_code",
            "unit_name",
            "level",
            "session",
            "phase",
            "reasons",
            "deadline",
            "status",
            "work",
            "work_at",
            "comment",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class RedoFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()


class RedoFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, Word, Excel, PNG or JPG; checked by content and size")


class EvaluationSessionCreateSerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=32, help_text="the unit's code")
    held_on = serializers.DateField(help_text="the day of the evaluation meeting")


class EvaluatorGroupInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EvaluatorKind.choices)
    present = serializers.IntegerField(min_value=1, max_value=PRESENT_MAX, help_text="the number present")


class EvaluationTallyInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EvaluatorKind.choices)
    votes = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(min_value=0)),
        help_text="paper votes [item][option], in the order of the session's items and scale",
    )


class BallotCodesInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EvaluatorKind.choices)
    count = serializers.IntegerField(min_value=1, max_value=CODES_MAX)


class BallotCodesSerializer(serializers.Serializer):
    codes = serializers.ListField(child=serializers.CharField(), help_text="shown this one time only")


class EvaluationCloseInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class RedoWorkInputSerializer(serializers.Serializer):
    work = serializers.CharField(max_length=WORK_MAX)


class RedoDecideInputSerializer(serializers.Serializer):
    done = serializers.BooleanField(help_text="true: the redo is done; false: kept open (comment required)")
    comment = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


def _input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


CREATED = {201: EvaluationSessionDetailSerializer}
SESSION_OUT = {200: EvaluationSessionDetailSerializer}
REDO_OUT = {200: EvaluationRedoSerializer}
FILE_OUT = {201: RedoFileSerializer}


class SessionViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Evaluation sessions: list, retrieve (groups, tallies, results), create, and per session its groups,
    paper tallies, ballot codes and closing."""

    queryset = Session.objects.select_related("unit")
    serializer_class = EvaluationSessionSerializer
    lookup_value_regex = ID
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Session]:
        qs = super().get_queryset()
        if self.action == "list":
            code = self.request.query_params.get("unit", "").strip()
            if code:
                unit = org_selectors.unit_for(self.request.user, code[:32])
                qs = qs.filter(path__startswith=unit.path)
            return qs.order_by("path", "-round")
        return qs

    def get_serializer_class(self) -> Any:
        return EvaluationSessionSerializer if self.action == "list" else EvaluationSessionDetailSerializer

    def _out(self, session: Session, code: int = status.HTTP_200_OK) -> Response:
        session = Session.objects.select_related("unit").get(pk=session.pk)
        return Response(
            EvaluationSessionDetailSerializer(session, context=self.get_serializer_context()).data,
            status=code,
        )

    @extend_schema(
        parameters=[OpenApiParameter("unit", OpenApiTypes.STR, description="unit code: its subtree")]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=EvaluationSessionCreateSerializer,
        responses=CREATED,
    )
    def create(self, request: Request) -> Response:
        """A new session of a unit (round 1 in the evaluation phase, or the next round of an open redo)."""
        d = _input(EvaluationSessionCreateSerializer, request)
        unit = scoped_object(
            request.user,
            Unit.objects.filter(is_active=True),
            code=d["unit"].strip(),
            otherwise=exceptions.ValidationError(
                {"unit": [_("找不到组织“%(code)s”，或它不在您的查看范围内。") % {"code": d["unit"][:32]}]}
            ),
        )
        session = services.session_open(actor=request.user, unit=unit, held_on=d["held_on"])
        return self._out(session, status.HTTP_201_CREATED)

    @extend_schema(
        request=EvaluatorGroupInputSerializer,
        responses=SESSION_OUT,
    )
    @action(detail=True, methods=["post"])
    def groups(self, request: Request, pk: Any = None) -> Response:
        """Set an evaluator group and the number present."""
        session = self.get_object()
        d = _input(EvaluatorGroupInputSerializer, request)
        services.group_set(actor=request.user, session=session, kind=d["kind"], present=d["present"])
        return self._out(session)

    @extend_schema(
        request=EvaluationTallyInputSerializer,
        responses=SESSION_OUT,
    )
    @action(detail=True, methods=["post"])
    def tallies(self, request: Request, pk: Any = None) -> Response:
        """A group's paper votes (replacing those entered before); never more than the number present."""
        session = self.get_object()
        d = _input(EvaluationTallyInputSerializer, request)
        services.tally_record(actor=request.user, session=session, kind=d["kind"], votes=d["votes"])
        return self._out(session)

    @extend_schema(request=BallotCodesInputSerializer, responses={201: BallotCodesSerializer})
    @action(detail=True, methods=["post"])
    def codes(self, request: Request, pk: Any = None) -> Response:
        """One-time ballot codes for a group, returned this one time (only their hashes are kept)."""
        session = self.get_object()
        d = _input(BallotCodesInputSerializer, request)
        codes = services.codes_generate(actor=request.user, session=session, kind=d["kind"], count=d["count"])
        return Response({"codes": codes}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=EvaluationCloseInputSerializer,
        responses=SESSION_OUT,
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        """Close: the result; below the threshold a redo opens (the unit or its supervision group)."""
        session = self.get_object()
        d = _input(EvaluationCloseInputSerializer, request)
        services.session_close(actor=request.user, session=session, note=d["note"])
        return self._out(session)


class RedoViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Redos (补课): list, retrieve, the unit's work, the supervision group's decision."""

    queryset = Redo.objects.select_related("unit")
    serializer_class = EvaluationRedoSerializer
    lookup_value_regex = ID
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(request=RedoWorkInputSerializer, responses=REDO_OUT)
    @action(detail=True, methods=["post"])
    def work(self, request: Request, pk: Any = None) -> Response:
        """What the unit did (replaces the text recorded before)."""
        d = _input(RedoWorkInputSerializer, request)
        redo = services.redo_record(actor=request.user, redo=self.get_object(), work=d["work"])
        return Response(EvaluationRedoSerializer(redo).data)

    @extend_schema(
        request={"multipart/form-data": RedoFileUploadSerializer},
        responses={201: RedoFileSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def files(self, request: Request, pk: Any = None) -> Response:
        """A file of the redo's material (multipart: ``file``), checked by its content."""
        redo = self.get_object()
        d = _input(RedoFileUploadSerializer, request)
        upload = d["file"]
        row = services.redo_upload(actor=request.user, redo=redo, fileobj=upload, name=upload.name)
        data = {
            "id": row.pk,
            "name": row.name,
            "kind": row.kind,
            "size": row.size,
            "uploaded_at": row.uploaded_at,
        }
        return Response(RedoFileSerializer(data).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RedoDecideInputSerializer, responses=REDO_OUT)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: Any = None) -> Response:
        """The responsible supervision group: done, or kept open with a comment."""
        d = _input(RedoDecideInputSerializer, request)
        redo = services.redo_decide(
            actor=request.user, redo=self.get_object(), done=d["done"], comment=d["comment"]
        )
        return Response(EvaluationRedoSerializer(redo).data)


class EvaluationRollupRowSerializer(serializers.Serializer):
    unit = serializers.CharField(allow_null=True, help_text="unit code")
    name = serializers.CharField()
    own = serializers.BooleanField(help_text="the unit's own participation (本级), not a child's subtree")
    units = serializers.IntegerField(help_text="units taking part (the denominator)")
    evaluated = serializers.IntegerField()
    not_evaluated = serializers.IntegerField()
    satisfied_votes = serializers.IntegerField()
    total_votes = serializers.IntegerField()
    satisfied_share = serializers.FloatField(allow_null=True)
    below = serializers.IntegerField(help_text="units whose latest result is below the threshold")
    redo_open = serializers.IntegerField()
    redo_done = serializers.IntegerField()


class EvaluationRollupSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    redo_below = serializers.FloatField()
    total = EvaluationRollupRowSerializer()
    rows = EvaluationRollupRowSerializer(many=True)


class RollupView(APIView):
    """A subtree's evaluation figures per child unit (and the unit's own row), with honest denominators."""

    @extend_schema(
        operation_id="evaluation_rollup",
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="unit code")
        ],
        responses={200: EvaluationRollupSerializer},
    )
    def get(self, request: Request, code: str) -> Response:
        unit = org_selectors.unit_for(request.user, code)
        campaign = selectors.campaign_for(unit)
        if campaign is None:
            raise Http404
        board = selectors.rollup(campaign, unit)
        return Response(
            {
                "campaign": campaign.pk,
                "redo_below": campaign.spec.evaluation["redo_below"],
                "total": board.total.as_dict(),
                "rows": [r.as_dict() for r in board.rows],
            }
        )


class PublicBallotInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="the one-time code printed on the slip")
    choices = serializers.ListField(
        child=serializers.IntegerField(min_value=0), help_text="the option index chosen, one per item"
    )


class BallotDoneSerializer(serializers.Serializer):
    detail = serializers.CharField()


class PublicBallotView(APIView):
    """Cast an online ballot with a one-time code (no login; anonymous)."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="public_ballot_create",
        tags=["public"],
        request=PublicBallotInputSerializer,
        # The hook gives every refusal its body; the 429 it cannot see (the view throttles by hand).
        responses={201: BallotDoneSerializer, 429: OpenApiResponse(description=DESCRIPTIONS["429"])},
        auth=[],
        description=(
            "No login. Rate limited per address (429 with Retry-After). Refused with 400 in Chinese: an "
            "unknown, used or expired code, a closed evaluation, a missing or out-of-range choice."
        ),
    )
    def post(self, request: Request) -> Response:
        refusal = throttle.admit(request._request)
        if refusal is not None:
            return too_many(request._request, refusal)  # type: ignore[return-value]
        d = _input(PublicBallotInputSerializer, request)
        services.ballot_cast(actor=request.user, code=d["code"], choices=d["choices"])
        return Response({"detail": _("测评已提交，谢谢您！")}, status=status.HTTP_201_CREATED)
