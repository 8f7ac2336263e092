"""The supervision API: the same services and selectors as the pages, scoped with ``visible_to``.

Every write is a POST that calls one service; its refusals become answers in ``core.api.exceptions`` (a
``ValidationError`` 400 with its Chinese messages, ``PermissionDenied`` 403, a decision someone else made
first 409); objects outside the caller's scope are 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from echelon.accounts.models import User
from echelon.campaigns import selectors as campaign_selectors
from echelon.campaigns.models import Campaign
from echelon.core.api.base import ScopedViewSetMixin
from echelon.core.permissions import require_somewhere
from echelon.core.querysets import scoped_object
from echelon.orgs.models import Unit
from echelon.supervision import selectors, services
from echelon.supervision.api.serializers import (
    ActionDoneSerializer,
    ApprovalReturnSerializer,
    ApprovalSerializer,
    AssignmentSerializer,
    AssignSerializer,
    BatchCoverageSerializer,
    ConfirmSerializer,
    DecideSerializer,
    GroupCreateSerializer,
    GroupMemberSerializer,
    GroupSerializer,
    MaterialSerializer,
    MaterialUploadSerializer,
    MeetingInputSerializer,
    MeetingSerializer,
    MeetingUploadSerializer,
    OwnActionInputSerializer,
    OwnActionSerializer,
    OwnActionUpdateSerializer,
    PatrolInputSerializer,
    PatrolVisitSerializer,
    ProposalResultSerializer,
    ProposeSerializer,
    ReviewSerializer,
    SubmitSerializer,
    UnassignSerializer,
)
from echelon.supervision.models import (
    ActionDone,
    GroupAssignment,
    MaterialApproval,
    Meeting,
    OwnAction,
    Review,
    SupervisionGroup,
)

MAX_LISTED = 500
UNIT_CODE = OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="the unit's code")
OWN_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="the own action's id")


def _input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _refused(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


def _active_users(names: list[str]) -> list[User]:
    found = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    unknown = [n for n in names if n not in found]
    if unknown:
        raise _refused("members", _("没有这些用户：%(names)s。") % {"names": "、".join(unknown)})
    return [found[n] for n in names]


class GroupViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Supervision groups: those dispatched from the caller's subtree, and the caller's own groups.
    `?campaign=ID` filters by campaign. Writes: create, members, assign / unassign, patrol visits."""

    queryset = SupervisionGroup.objects.select_related("home_unit", "leader", "batch").order_by("id")
    serializer_class = GroupSerializer

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
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
        from echelon.supervision.views.reports import report_period, report_response

        group = self.get_object()
        period = report_period(request.query_params)
        if period is None:
            raise exceptions.ValidationError({"detail": ["start/end: invalid period"]})
        return report_response(group, *period)

    @extend_schema(request=GroupCreateSerializer, responses={201: GroupSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Dispatch a group from an office (`home_unit_code`) to the level below it; an instructor
        (`kind=instructor`) is one person appointed by a township office to its villages."""
        require_somewhere(request.user, "dispatch", _("只有领导小组办公室可以派出督导组。"))
        d = _input(GroupCreateSerializer, request)
        campaign = scoped_object(
            request.user,
            Campaign.objects,
            pk=d["campaign"],
            otherwise=_refused("campaign", _("找不到这项活动。")),
        )
        batch = campaign.batches.filter(key=d["batch"]).first()
        if batch is None:
            raise _refused("batch", _("这项活动没有这个批次。"))
        home = scoped_object(
            request.user,
            Unit.objects,
            "dispatch",
            code=d["home_unit_code"],
            otherwise=_refused("home_unit_code", _("找不到该组织，或它不在您的管理范围内。")),
        )
        members = _active_users(d["members"])
        leader = _active_users([d["leader"]])[0] if d["leader"] else None
        group = services.group_create(
            actor=request.user,
            campaign=campaign,
            batch=batch,
            name=d["name"],
            home_unit=home,
            kind=d["kind"],
            leader=leader,
            members=members,
        )
        return Response(GroupSerializer(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GroupMemberSerializer, responses={200: GroupSerializer})
    @action(detail=True, methods=["post"], url_path="members", url_name="add-member")
    def add_member(self, request: Request, pk: Any = None) -> Response:
        """Add a member (optionally as the leader). The dispatching office only."""
        group = self.get_object()
        d = _input(GroupMemberSerializer, request)
        user = _active_users([d["username"]])[0]
        group = services.group_add_member(actor=request.user, group=group, user=user, leader=d["leader"])
        return Response(GroupSerializer(group).data)

    @extend_schema(request=GroupMemberSerializer, responses={200: GroupSerializer})
    @action(detail=True, methods=["post"], url_path="members/remove", url_name="remove-member")
    def remove_member(self, request: Request, pk: Any = None) -> Response:
        """Remove a member (`leader` is ignored). The dispatching office only."""
        group = self.get_object()
        d = _input(GroupMemberSerializer, request)
        user = _active_users([d["username"]])[0]
        group = services.group_remove_member(actor=request.user, group=group, user=user)
        return Response(GroupSerializer(group).data)

    @extend_schema(request=AssignSerializer, responses={201: AssignmentSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: Any = None) -> Response:
        """Make the group responsible for a participating unit. A unit another group already supervises
        is refused (400) unless `override_reason` says why both must."""
        group = self.get_object()
        d = _input(AssignSerializer, request)
        participation = scoped_object(
            request.user,
            group.campaign.participations,
            unit__code=d["unit_code"],
            otherwise=_refused("unit_code", _("该单位不在这项活动中，或不在您的管理范围内。")),
        )
        row = services.assign(
            actor=request.user,
            group=group,
            participation=participation,
            override_reason=d["override_reason"],
        )
        return Response(AssignmentSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UnassignSerializer, responses={204: None})
    @action(detail=True, methods=["post"])
    def unassign(self, request: Request, pk: Any = None) -> Response:
        """Withdraw the group from a unit."""
        group = self.get_object()
        d = _input(UnassignSerializer, request)
        row = scoped_object(
            request.user,
            GroupAssignment.objects.filter(group=group),
            unit__code=d["unit_code"],
            otherwise=_refused("unit_code", _("该单位不是这个督导组的督导对象。")),
        )
        services.unassign(actor=request.user, assignment=row)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PatrolInputSerializer, responses={201: PatrolVisitSerializer})
    @action(detail=True, methods=["post"])
    def patrol(self, request: Request, pk: Any = None) -> Response:
        """Record a patrol visit (巡查) to a target of the group or a unit one level below a target. Group
        members only; the date may not be in the future."""
        group = self.get_object()
        d = _input(PatrolInputSerializer, request)
        unit = scoped_object(
            request.user,
            Unit.objects,
            code=d["unit_code"],
            otherwise=_refused("unit_code", _("找不到该组织，或它不在您的查看范围内。")),
        )
        visit = services.patrol_record(
            actor=request.user, group=group, unit=unit, date=d["date"], findings=d["findings"]
        )
        return Response(PatrolVisitSerializer(visit).data, status=status.HTTP_201_CREATED)


class ReviewViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Submissions and decisions of the units in the caller's scope (a group member: their targets).
    `?state=open` lists the pending ones."""

    queryset = Review.objects.select_related(
        "unit", "group", "campaign", "submitted_by", "decided_by"
    ).order_by("-submitted_at", "-id")
    serializer_class = ReviewSerializer

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
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
        return Response(ReviewSerializer(review).data)


class ApprovalViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Materials the template says the supervision group approves first (the democratic life meeting's
    plan, ADR 18), of the units in the caller's scope (a group member: their targets). `?state=pending`
    lists those waiting. A member of the responsible group approves or returns one (409 when someone else
    decided first); the unit records the action after it only once the latest version is approved."""

    queryset = MaterialApproval.objects.select_related(
        "unit", "material", "requested_by", "decided_by"
    ).order_by("-requested_at", "-id")
    serializer_class = ApprovalSerializer

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
        state = self.request.query_params.get("state")
        return qs.filter(state=state) if state else qs

    @extend_schema(request=None, responses={200: ApprovalSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        """Approve the material: the unit may record the action after it."""
        approval = services.approval_decide(actor=request.user, approval=self.get_object(), approve=True)
        return Response(ApprovalSerializer(approval).data)

    @extend_schema(request=ApprovalReturnSerializer, responses={200: ApprovalSerializer})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: Any = None) -> Response:
        """Return the material with a reason: the unit uploads a new version, which is sent again."""
        d = _input(ApprovalReturnSerializer, request)
        approval = services.approval_decide(
            actor=request.user, approval=self.get_object(), approve=False, reason=d["reason"]
        )
        return Response(ApprovalSerializer(approval).data)


class CampaignCoverageViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Coverage of a campaign per batch and level over the caller's subtree: gaps and overlaps; the balanced
    proposal; a unit's work in its current phase (confirm, material, meeting, submit)."""

    queryset = Campaign.objects.select_related("root").prefetch_related("batches")

    @extend_schema(responses={200: BatchCoverageSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)  # a plain list, as the schema says
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

    @extend_schema(request=ProposeSerializer, responses={200: ProposalResultSerializer})
    @action(detail=True, methods=["post"])
    def propose(self, request: Request, pk: Any = None) -> Response:
        """Apply the balanced proposal: every unassigned participating unit gets one group of its league or
        county (only groups the caller's office may change; never an overlap)."""
        campaign = self.get_object()
        d = _input(ProposeSerializer, request)
        batch = None
        if d["batch"]:
            batch = campaign.batches.filter(key=d["batch"]).first()
            if batch is None:
                raise _refused("batch", _("这项活动没有这个批次。"))
        result = services.coverage_propose_apply(actor=request.user, campaign=campaign, batch=batch)
        out = {
            "created": result.created,
            "per_group": {str(k): v for k, v in result.per_group.items()},
            "unplaceable": len(result.unplaceable),
            "skipped_out_of_scope": result.skipped_out_of_scope,
        }
        return Response(ProposalResultSerializer(out).data)

    def _participation(self, code: str) -> Any:
        return campaign_selectors.participation_for(self.request.user, self.get_object(), code)

    @extend_schema(parameters=[UNIT_CODE], request=ConfirmSerializer, responses={200: ActionDoneSerializer})
    @action(
        detail=True, methods=["post"], url_path=r"units/(?P<code>[^/.]+)/confirm", url_name="unit-confirm"
    )
    def unit_confirm(self, request: Request, pk: Any = None, code: str = "") -> Response:
        """Confirm a required action of the unit's current phase that needs no evidence (确认完成)."""
        participation = self._participation(code)
        d = _input(ConfirmSerializer, request)
        phase = participation.current_phase
        services.action_confirm(
            actor=request.user,
            participation=participation,
            phase=phase,
            action_key=d["action"],
            note=d["note"],
        )
        done = ActionDone.objects.filter(
            participation=participation, phase=phase, action_key=d["action"], cleared_at=None
        ).exists()
        return Response(ActionDoneSerializer({"phase": phase, "action": d["action"], "done": done}).data)

    @extend_schema(
        parameters=[UNIT_CODE],
        request={"multipart/form-data": MaterialUploadSerializer},
        responses={201: MaterialSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"units/(?P<code>[^/.]+)/material",
        url_name="unit-material",
        parser_classes=[MultiPartParser, FormParser],
    )
    def unit_material(self, request: Request, pk: Any = None, code: str = "") -> Response:
        """Upload a new version of a required action's material (multipart: `action`, `file`)."""
        participation = self._participation(code)
        d = _input(MaterialUploadSerializer, request)
        upload = d["file"]
        material = services.material_upload(
            actor=request.user,
            participation=participation,
            phase=participation.current_phase,
            action_key=d["action"],
            fileobj=upload,
            name=upload.name,
        )
        return Response(MaterialSerializer(material).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        parameters=[UNIT_CODE],
        responses={200: MeetingSerializer(many=True)},
        description="The unit's meeting records in this campaign, newest first, with their typed fields and "
        "attachments.",
    )
    @extend_schema(
        methods=["POST"],
        parameters=[UNIT_CODE],
        request={"application/json": MeetingInputSerializer, "multipart/form-data": MeetingUploadSerializer},
        responses={201: MeetingSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path=r"units/(?P<code>[^/.]+)/meeting",
        url_name="unit-meeting",
        parser_classes=[JSONParser, MultiPartParser, FormParser],
        pagination_class=None,  # a plain list (at most 500), as the schema says
    )
    def unit_meeting(self, request: Request, pk: Any = None, code: str = "") -> Response:
        """Record a meeting in the unit's current phase (with `action`: the required action it evidences,
        which fixes the meeting's type). As multipart, with sign-in sheets (`sign_in`) and photos (`photos`):
        images or PDF."""
        participation = self._participation(code)
        if request.method == "GET":
            rows = Meeting.objects.filter(participation=participation).prefetch_related("attachments")
            return Response(MeetingSerializer(rows[:500], many=True).data)
        d = _input(MeetingUploadSerializer, request)
        action_key = d.pop("action")
        files = [("sign_in", f) for f in d.pop("sign_in")] + [("photo", f) for f in d.pop("photos")]
        meeting = services.meeting_record(
            actor=request.user,
            participation=participation,
            phase=participation.current_phase,
            data=d,
            action_key=action_key,
            attachments=[(kind, f, f.name) for kind, f in files],
        )
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[UNIT_CODE], request=SubmitSerializer, responses={201: ReviewSerializer})
    @action(detail=True, methods=["post"], url_path=r"units/(?P<code>[^/.]+)/submit", url_name="unit-submit")
    def unit_submit(self, request: Request, pk: Any = None, code: str = "") -> Response:
        """Submit the unit's current phase: to the responsible group (a gated phase), or closed at once.
        400 names the required actions still missing."""
        participation = self._participation(code)
        d = _input(SubmitSerializer, request)
        review = services.gate_submit(
            actor=request.user, participation=participation, note=d["note"], explanations=d["explanations"]
        )
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], parameters=[UNIT_CODE], responses={200: OwnActionSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        parameters=[UNIT_CODE],
        request=OwnActionInputSerializer,
        responses={201: OwnActionSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path=r"units/(?P<code>[^/.]+)/own-actions",
        url_name="unit-own-actions",
        pagination_class=None,  # a plain list, as the schema says
    )
    def unit_own_actions(self, request: Request, pk: Any = None, code: str = "") -> Response:
        """The unit's own actions (自选动作) in every phase (GET); add one to the current or a later phase
        (POST: `title`, `evidence`, `required`: whether it must be done before the phase is submitted)."""
        participation = self._participation(code)
        if request.method == "GET":
            rows = selectors.own_actions(participation)
            return Response(OwnActionSerializer(rows, many=True).data)
        d = _input(OwnActionInputSerializer, request)
        own = services.own_action_add(
            actor=request.user,
            participation=participation,
            phase=participation.current_phase if d["phase"] is None else d["phase"],
            title=d["title"],
            evidence=d["evidence"],
            required=d["required"],
        )
        return Response(OwnActionSerializer(own).data, status=status.HTTP_201_CREATED)

    def _own(self, code: str, own_id: Any) -> OwnAction:
        participation = self._participation(code)
        own = OwnAction.objects.current().filter(participation=participation, pk=own_id).first()
        if own is None:
            raise exceptions.NotFound(_("找不到这项自选动作。"))
        return own

    @extend_schema(
        methods=["PATCH"],
        parameters=[UNIT_CODE, OWN_ID],
        request=OwnActionUpdateSerializer,
        responses={200: OwnActionSerializer},
    )
    @extend_schema(methods=["DELETE"], parameters=[UNIT_CODE, OWN_ID], responses={204: None})
    @action(
        detail=True,
        methods=["patch", "delete"],
        url_path=r"units/(?P<code>[^/.]+)/own-actions/(?P<id>[0-9]+)",
        url_name="unit-own-action",
    )
    def unit_own_action(self, request: Request, pk: Any = None, code: str = "", id: Any = None) -> Response:
        """Change (PATCH) or remove (DELETE) one of the unit's own actions, until its phase is submitted."""
        own = self._own(code, id)
        if request.method == "DELETE":
            services.own_action_remove(actor=request.user, own=own)
            return Response(status=status.HTTP_204_NO_CONTENT)
        d = _input(OwnActionUpdateSerializer, request)
        own = services.own_action_update(
            actor=request.user,
            own=own,
            title=d.get("title", own.title),
            evidence=d.get("evidence", own.evidence),
            required=d.get("required", own.required),
        )
        return Response(OwnActionSerializer(own).data)
