"""The ledger's staff API: the same services and selectors as the pages, scoped with ``visible_to``.

Every write calls one service of ``echelon.ledger.services`` (which checks scope and role and writes the
audit event); its refusals become answers in ``core.api.exceptions``: a ``ValidationError`` 400 with its
Chinese messages, ``PermissionDenied`` 403 (the wrong role), a decision someone else made first 409.
Objects outside the caller's scope are 404. A unit code in a request body that names no unit the caller
sees is a 400 on that field.

Lists are paginated with the project's limit/offset pagination, counting at most ``COUNT_AHEAD`` rows
past the requested offset (``count_exact`` says whether the count is the whole list's): the region's
200,000 problems are never counted for a page of 50, while paging on goes as far as there are rows.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Max, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from echelon.accounts.models import User
from echelon.core.api.base import ScopedViewSetMixin
from echelon.core.api.pagination import LimitOffsetPagination
from echelon.core.permissions import require_somewhere
from echelon.core.querysets import scoped_object
from echelon.ledger import selectors, services
from echelon.ledger.api.filters import (
    EscalationFilter,
    HandoverFilter,
    InstitutionFilter,
    OpinionFilter,
    ProblemFilter,
    TaskFilter,
    under_unit,
)
from echelon.ledger.api.serializers import (
    ClaimSerializer,
    EscalateSerializer,
    EscalationDecideSerializer,
    EscalationSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    HandoverAcceptSerializer,
    HandoverCreateSerializer,
    HandoverSerializer,
    InstitutionCreateSerializer,
    InstitutionSerializer,
    MergeSerializer,
    OpinionCreateSerializer,
    OpinionSerializer,
    ProblemCreateSerializer,
    ProblemDetailSerializer,
    ProblemFieldsSerializer,
    ProblemSerializer,
    ReasonSerializer,
    ReplySerializer,
    SummarySerializer,
    TargetSerializer,
    TaskCreateSerializer,
    TaskDecideSerializer,
    TaskDetailSerializer,
    TaskSerializer,
)
from echelon.ledger.models import Escalation, Evidence, Handover, Institution, Opinion, Problem, Task
from echelon.ledger.services.common import campaign_of
from echelon.ledger.services.opinions import TRACKING_LENGTH, normalize_code
from echelon.orgs.models import Unit
from echelon.orgs.selectors import top_units

COUNT_AHEAD = 10_000
IDS_AHEAD = 1_000
WIDE_MIN = 20_000  # below this many rows a table is read through its indexes whatever the scope
ID = r"[0-9]+"
ID_RE = re.compile(ID)


def _newest_first(queryset: Any) -> bool:
    return tuple(queryset.query.order_by) in (("-id",), ("-pk",))


def _top_id(queryset: Any) -> int:
    """The table's largest id (an upper bound of its rows; one look at the primary key's end)."""
    return int(queryset.model._default_manager.aggregate(top=Max("pk"))["top"] or 0)


def _wide(base: Any, top: int) -> bool:
    """Whether the caller's scoped rows are a large part of the table (at least a quarter of its ids, and the
    table has ``WIDE_MIN`` rows or more): counted on the scope's index, never past that quarter."""
    if top < WIDE_MIN:
        return False
    quarter = top // 4
    return int(base.order_by()[:quarter].count()) >= quarter


def _breadth(view: Any) -> Any:
    """The rows a list is drawn from before the filters no index serves: the caller's scope, narrowed by
    ``under`` when the list has it (a region office's list of one county is narrow)."""
    qs = view.get_queryset()
    code = view.request.query_params.get("under", "").strip()
    filterset = getattr(view, "filterset_class", None)
    if code and filterset is not None and "under" in filterset.base_filters:
        _unit, where = under_unit(view.request.user, code)
        qs = qs.filter(where)
    return qs


class LedgerPagination(LimitOffsetPagination):
    """The project's limit/offset pagination, made for tables of hundreds of thousands of rows:

    - the page is found on ids alone (read up to ``IDS_AHEAD`` past it), then its rows are read with their
      joins: a sort never carries the joined columns of the whole list;
    - the count stops ``COUNT_AHEAD`` rows past the offset (``count_exact: false`` when more rows match;
      ``next`` is right either way); when the ids read for the page are all there is, they are the count;
    - a newest-first list whose scope is a large part of the table (a region's office) is read backwards
      along the primary key (``id > 0`` keeps SQLite's planner there): a subtree's rows are dense in it, so
      the ids come in order without sorting the whole scope, and a filter no index serves (a substring
      search, "has overdue tasks") scans the table once. A narrow scope keeps its subtree's index.

    The answer's ``count_exact`` and its schema are the parent's, and so are cursor pages (``keyset_pages``:
    the opinions and problems, newest first along the primary key).
    """

    def paginate_by_offset(self, queryset: Any, request: Any, view: Any) -> list[Any] | None:
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.offset = self.get_offset(request)
        along_ids = _newest_first(queryset) and view is not None and _wide(_breadth(view), _top_id(queryset))
        if along_ids:
            queryset = queryset.filter(pk__gt=0)
        # the page's ids and a few more: when the list ends among them they give the count (a rare match
        # costs one scan); otherwise the database counts on, up to COUNT_AHEAD past the offset
        reach = self.limit + IDS_AHEAD
        ids = list(queryset.values_list("pk", flat=True)[self.offset : self.offset + reach])
        if 0 < len(ids) < reach:
            self.count, self.count_exact = self.offset + len(ids), True
        else:
            cap = self.offset + COUNT_AHEAD
            # a wide scope counts along the ids too (the ordering keeps it there); others on their index
            counted = int((queryset if along_ids else queryset.order_by())[: cap + 1].count())
            self.count, self.count_exact = min(counted, cap), counted <= cap
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        page = ids[: self.limit]
        if not page:
            return []
        rows = {row.pk: row for row in queryset.filter(pk__in=page)}
        return self.page_ends([rows[pk] for pk in page if pk in rows], more=len(ids) > self.limit)


def _input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _refused(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


def _seen_unit(request: Request, code: str, field: str = "unit") -> Unit:
    """A unit the caller sees, named by its code in a request body (400 on ``field`` otherwise); whether
    they may change it is the service's to say (403)."""
    return scoped_object(
        request.user,
        Unit.objects.filter(is_active=True),
        code=code.strip(),
        otherwise=_refused(field, _("找不到组织“%(code)s”，或它不在您的查看范围内。") % {"code": code[:32]}),
    )


def _any_unit(code: str, field: str) -> Unit:
    """A unit named as a destination (an escalation's receiver, a hand-over's unit): it may lie outside the
    caller's scope; the service decides whether it may receive."""
    unit = Unit.objects.filter(code=code.strip(), is_active=True).first()
    if unit is None:
        raise _refused(field, _("找不到组织“%(code)s”。") % {"code": code[:32]})
    return unit


def _opinion_id(value: str) -> int | None:
    """The id a value names: ASCII digits, shorter than a tracking code (which may be all digits)."""
    value = value.strip()
    return int(value) if ID_RE.fullmatch(value) and len(value) < TRACKING_LENGTH else None


def _opinion_q(value: str) -> Q:
    """An opinion named by its tracking code (as typed) or its id."""
    pk = _opinion_id(value)
    return Q(pk=pk) if pk is not None else Q(tracking_code=normalize_code(value))


def _matches(opinion: Opinion, value: str) -> bool:
    pk = _opinion_id(value)
    return opinion.pk == pk if pk is not None else opinion.tracking_code == normalize_code(value)


def _opinions(request: Request, values: list[str]) -> list[Opinion]:
    if not values:
        return []
    cond = Q(pk__in=[])
    for value in values:
        cond |= _opinion_q(value)
    found = list(Opinion.objects.visible_to(request.user, "view").filter(cond))
    chosen: list[Opinion] = []
    missing: list[str] = []
    for value in values:
        row = next((o for o in found if _matches(o, value)), None)
        if row is None:
            missing.append(value.strip()[:20])
        elif row not in chosen:
            chosen.append(row)
    if missing:
        raise _refused("opinions", _("找不到这些意见：%(codes)s。") % {"codes": "、".join(missing)})
    return chosen


class _LedgerViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Scoped (``visible_to(user, "view")``), read only, paginated with the bounded count; rows get the
    caller's ``today`` (overdue) in their serializer's context."""

    pagination_class = LedgerPagination
    lookup_value_regex = ID

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def _out(self, serializer_class: type[serializers.Serializer], row: Any) -> Any:
        return serializer_class(row, context=self.get_serializer_context()).data


# ---------------------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------------------


class SummaryViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """Problem, task and opinion counts for the caller's part of a subtree (``selectors.summary``)."""

    queryset = Problem.objects.all()

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "under",
                OpenApiTypes.STR,
                description="unit code (default: the caller's top unit); 404 when unknown or nothing of it "
                "is the caller's",
            )
        ],
        responses={200: SummarySerializer},
    )
    def summary(self, request: Request) -> Response:
        """Problems by category × status, tasks by category × status with the overdue ones, and opinions by
        status, in the caller's part of the subtree. A write anywhere below shows at once."""
        code = request.query_params.get("under", "").strip()
        if code:
            unit, _where = under_unit(request.user, code)
        else:
            top = top_units(request.user).first()
            if top is None:
                raise Http404
            unit = top
        data = selectors.summary(request.user, unit).as_dict()
        return Response({"under": {"code": unit.code, "name": unit.name}, **data})


# ---------------------------------------------------------------------------------------------------------
# Opinions
# ---------------------------------------------------------------------------------------------------------


class OpinionViewSet(_LedgerViewSet):
    """Opinions received by the units in the caller's scope. The contact is shown only to who may change
    the receiving unit. Writes: staff intake (create), reply, close, merge; turning opinions into a problem
    is part of creating the problem (`opinions`)."""

    queryset = Opinion.objects.select_related("unit").order_by("-id")
    keyset_pages = True  # ?cursor=: newest first along the primary key (core.api.pagination)
    serializer_class = OpinionSerializer
    filterset_class = OpinionFilter

    @extend_schema(request=OpinionCreateSerializer, responses={201: OpinionSerializer})
    def create(self, request: Request) -> Response:
        """Record an opinion gathered by staff (a forum, a home visit, a questionnaire, a box)."""
        require_somewhere(request.user, "change", _("只有联络员或领导小组办公室可以登记意见。"))
        d = _input(OpinionCreateSerializer, request)
        unit = _seen_unit(request, d["unit"])
        opinion = services.opinion_record(
            actor=request.user,
            unit=unit,
            text=d["text"],
            channel=d["channel"],
            received_on=d["received_on"],
            contact=d["contact"],
        )
        return Response(self._out(OpinionSerializer, opinion), status=status.HTTP_201_CREATED)

    @extend_schema(request=ReplySerializer, responses={200: OpinionSerializer})
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: Any = None) -> Response:
        """A public reply, shown to whoever holds the tracking code."""
        opinion = self.get_object()
        d = _input(ReplySerializer, request)
        opinion = services.opinion_reply(actor=request.user, opinion=opinion, reply=d["reply"])
        return Response(self._out(OpinionSerializer, opinion))

    @extend_schema(request=ReasonSerializer, responses={200: OpinionSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        """Close with a reason (a new or replied opinion)."""
        opinion = self.get_object()
        d = _input(ReasonSerializer, request)
        opinion = services.opinion_close(actor=request.user, opinion=opinion, reason=d["reason"])
        return Response(self._out(OpinionSerializer, opinion))

    @extend_schema(request=MergeSerializer, responses={200: OpinionSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request: Request, pk: Any = None) -> Response:
        """Merge a duplicate into another opinion of the same unit (`into`: tracking code or id)."""
        opinion = self.get_object()
        d = _input(MergeSerializer, request)
        into = self._into(request, d["into"])
        opinion = services.opinion_merge(actor=request.user, opinion=opinion, into=into)
        return Response(self._out(OpinionSerializer, opinion))

    def _into(self, request: Request, value: str) -> Opinion:
        row = Opinion.objects.visible_to(request.user, "view").filter(_opinion_q(value)).first()
        if row is None:
            raise _refused("into", _("找不到要合并到的意见“%(code)s”。") % {"code": value.strip()[:20]})
        return row


# ---------------------------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------------------------


def _task_rows() -> Any:
    return Task.objects.select_related("unit", "claimed_by", "verified_by").order_by("deadline", "id")


class ProblemViewSet(_LedgerViewSet):
    """Problems the caller sees: owned in their subtree, raised there (an escalated problem stays visible
    below), or pending escalation to them. `under` narrows by the current owner. Writes: create (with the
    opinions it answers), partial update, escalate."""

    queryset = Problem.objects.select_related("unit", "origin_unit").order_by("-id")
    keyset_pages = True  # ?cursor=: newest first along the primary key (core.api.pagination)
    serializer_class = ProblemSerializer
    filterset_class = ProblemFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
        if self.action == "retrieve":
            qs = qs.prefetch_related(Prefetch("tasks", queryset=_task_rows()), "opinions")
        return qs

    def get_serializer_class(self) -> Any:
        return ProblemDetailSerializer if self.action == "retrieve" else ProblemSerializer

    @extend_schema(request=ProblemCreateSerializer, responses={201: ProblemSerializer})
    def create(self, request: Request) -> Response:
        """A problem of a unit's list; `opinions` (tracking codes or ids, of the same unit) become it."""
        require_somewhere(request.user, "change", _("只有联络员或领导小组办公室可以登记问题。"))
        d = _input(ProblemCreateSerializer, request)
        unit = _seen_unit(request, d["unit"])
        opinions = _opinions(request, d["opinions"])
        phase = None
        if d["phase"]:
            campaign = campaign_of(unit)
            keys = [p.key for p in campaign.spec.phases] if campaign is not None else []
            if d["phase"] not in keys:
                raise _refused("phase", _("环节“%(key)s”不存在。") % {"key": d["phase"]})
            phase = keys.index(d["phase"])
        problem = services.problem_create(
            actor=request.user,
            unit=unit,
            title=d["title"],
            category=d["category"],
            source=d["source"],
            description=d["description"],
            item=d["item"],
            tags=d["tags"],
            severity=d["severity"],
            owner=d["owner"],
            found_on=d["found_on"],
            phase=phase,
            opinions=opinions,
        )
        return Response(self._out(ProblemSerializer, problem), status=status.HTTP_201_CREATED)

    @extend_schema(request=ProblemFieldsSerializer, responses={200: ProblemSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        """Correct the description and classification (the unit changes only by escalation)."""
        problem = self.get_object()
        editable = set(ProblemFieldsSerializer().fields)
        unknown = sorted(set(request.data) - editable)
        if unknown:
            raise _refused("detail", _("不能修改：%(fields)s。") % {"fields": "、".join(unknown)[:200]})
        data = ProblemFieldsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        problem = services.problem_update(actor=request.user, problem=problem, **data.validated_data)
        return Response(self._out(ProblemSerializer, problem))

    @extend_schema(request=EscalateSerializer, responses={201: EscalationSerializer})
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: Any = None) -> Response:
        """Send the problem up its chain (an ancestor, or the sector department leading the unit; see
        `targets`). Anything else is refused (400)."""
        problem = self.get_object()
        d = _input(EscalateSerializer, request)
        to_unit = _any_unit(d["to"], "to")
        escalation = services.problem_escalate(
            actor=request.user, problem=problem, to_unit=to_unit, reason=d["reason"]
        )
        escalation = Escalation.objects.select_related(
            "problem", "from_unit", "to_unit", "sent_by", "decided_by"
        ).get(pk=escalation.pk)
        return Response(self._out(EscalationSerializer, escalation), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: TargetSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def targets(self, request: Request, pk: Any = None) -> Response:
        """Where the problem may be escalated: the owner's ancestors and sector departments, nearest first."""
        problem = self.get_object()
        units = services.escalation_targets(problem.unit).only("code", "name", "level")
        return Response(TargetSerializer(units, many=True).data)


# ---------------------------------------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------------------------------------


class TaskViewSet(_LedgerViewSet):
    """Rectification tasks in the caller's scope (`overdue=true`: open or deferred past the deadline).
    Writes: create, claim (the unit), decide and reopen (the level above or the unit's supervision group),
    evidence (multipart)."""

    queryset = Task.objects.select_related("unit", "problem", "claimed_by", "verified_by").order_by(
        "deadline", "id"
    )
    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
        if self.action == "retrieve":
            qs = qs.prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("-version")))
        return qs

    def get_serializer_class(self) -> Any:
        return TaskDetailSerializer if self.action == "retrieve" else TaskSerializer

    def _task(self, task: Task) -> Any:
        row = self.queryset.get(pk=task.pk)
        return self._out(TaskSerializer, row)

    @extend_schema(request=TaskCreateSerializer, responses={201: TaskSerializer})
    def create(self, request: Request) -> Response:
        """A measure of a problem, done by the problem's (current) unit."""
        require_somewhere(request.user, "change", _("只有联络员或领导小组办公室可以制定整改措施。"))
        d = _input(TaskCreateSerializer, request)
        problem = scoped_object(
            request.user,
            Problem.objects,
            pk=d["problem"],
            otherwise=_refused("problem", _("找不到该问题，或它不在您的查看范围内。")),
        )
        task = services.task_add(
            actor=request.user,
            problem=problem,
            measure=d["measure"],
            responsible=d["responsible"],
            deadline=d["deadline"],
        )
        return Response(self._task(task), status=status.HTTP_201_CREATED)

    @extend_schema(request=ClaimSerializer, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: Any = None) -> Response:
        """The unit says it is done (申请销号); the level above or its group verifies."""
        task = self.get_object()
        d = _input(ClaimSerializer, request)
        task = services.task_claim(actor=request.user, task=task, note=d["note"])
        return Response(self._task(task))

    @extend_schema(request=TaskDecideSerializer, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: Any = None) -> Response:
        """Accept (销号), return with a reason, or defer with a reason and `new_deadline`. Only the level
        above or the unit's supervision group (403 otherwise); 409 when the claim was decided already."""
        task = self.get_object()
        d = _input(TaskDecideSerializer, request)
        task = services.task_decide(
            actor=request.user,
            task=task,
            decision=d["decision"],
            note=d["note"],
            new_deadline=d["new_deadline"],
        )
        return Response(self._task(task))

    @extend_schema(request=ReasonSerializer, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: Any = None) -> Response:
        """Open a ticked-off task again, with a reason (the same people as verify)."""
        task = self.get_object()
        d = _input(ReasonSerializer, request)
        task = services.task_reopen(actor=request.user, task=task, reason=d["reason"])
        return Response(self._task(task))

    @extend_schema(
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def evidence(self, request: Request, pk: Any = None) -> Response:
        """Upload a new version of the task's evidence (multipart: `file`), checked by its content."""
        task = self.get_object()
        d = _input(EvidenceUploadSerializer, request)
        upload = d["file"]
        evidence = services.evidence_upload(actor=request.user, task=task, fileobj=upload, name=upload.name)
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------------------------------------------------
# Escalations and hand-overs
# ---------------------------------------------------------------------------------------------------------


class EscalationViewSet(_LedgerViewSet):
    """Escalations sent to or from the caller's units (`direction=in` / `out`). Write: decide (the
    receiving unit accepts or returns)."""

    queryset = Escalation.objects.select_related(
        "problem", "from_unit", "to_unit", "sent_by", "decided_by"
    ).order_by("-id")
    serializer_class = EscalationSerializer
    filterset_class = EscalationFilter

    @extend_schema(
        request=EscalationDecideSerializer,
        responses={200: EscalationSerializer},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: Any = None) -> Response:
        """Accept (the problem becomes the receiver's) or return with an `answer`. 409 when decided."""
        escalation = self.get_object()
        d = _input(EscalationDecideSerializer, request)
        escalation = services.escalation_decide(
            actor=request.user, escalation=escalation, accept=d["accept"], answer=d["answer"]
        )
        return Response(self._out(EscalationSerializer, self.queryset.get(pk=escalation.pk)))


class HandoverViewSet(_LedgerViewSet):
    """Hand-overs of batch-one tasks to units of a later batch (`direction=in`: to the caller's units).
    Writes: create (the batch-one unit), accept (the named receiver)."""

    queryset = Handover.objects.select_related(
        "task", "from_unit", "to_unit", "receiver", "offered_by"
    ).order_by("-id")
    serializer_class = HandoverSerializer
    filterset_class = HandoverFilter

    @extend_schema(request=HandoverCreateSerializer, responses={201: HandoverSerializer})
    def create(self, request: Request) -> Response:
        """Link a task to a unit of a later batch, naming who there takes it over."""
        require_somewhere(request.user, "change", _("只有联络员或领导小组办公室可以移交任务。"))
        d = _input(HandoverCreateSerializer, request)
        task = scoped_object(
            request.user,
            Task.objects,
            pk=d["task"],
            otherwise=_refused("task", _("找不到该任务，或它不在您的查看范围内。")),
        )
        to_unit = _any_unit(d["to_unit"], "to_unit")
        receiver = User.objects.filter(username=d["receiver"].strip(), is_active=True).first()
        if receiver is None:
            raise _refused("receiver", _("没有用户“%(name)s”。") % {"name": d["receiver"][:150]})
        handover = services.handover_offer(
            actor=request.user, task=task, to_unit=to_unit, receiver=receiver, note=d["note"]
        )
        return Response(
            self._out(HandoverSerializer, self.queryset.get(pk=handover.pk)), status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=HandoverAcceptSerializer,
        responses={200: HandoverSerializer},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: Any = None) -> Response:
        """The named receiver takes the task over: their unit gets a problem and a task that follow it."""
        handover = self.get_object()
        d = _input(HandoverAcceptSerializer, request)
        handover = services.handover_accept(actor=request.user, handover=handover, deadline=d["deadline"])
        return Response(self._out(HandoverSerializer, self.queryset.get(pk=handover.pk)))


# ---------------------------------------------------------------------------------------------------------
# Institutions
# ---------------------------------------------------------------------------------------------------------


class InstitutionViewSet(_LedgerViewSet):
    """Rules made, revised or abolished (建章立制) by the units in the caller's scope, with the problems they
    answer and their joint makers. Write: create (JSON, or multipart with a `document`)."""

    queryset = (
        Institution.objects.select_related("unit")
        .prefetch_related(
            Prefetch("problems", queryset=Problem.objects.only("id")),
            Prefetch("partners", queryset=Unit.objects.only("id", "code")),
        )
        .order_by("-adopted_on", "-id")
    )
    serializer_class = InstitutionSerializer
    filterset_class = InstitutionFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={
            "application/json": InstitutionCreateSerializer,
            "multipart/form-data": InstitutionCreateSerializer,
        },
        responses={201: InstitutionSerializer},
    )
    def create(self, request: Request) -> Response:
        """Record a rule; `problems` (ids the caller sees), `partners` (unit codes in the caller's scope),
        an optional `document` (PDF, Word…, checked by content)."""
        require_somewhere(request.user, "change", _("只有联络员或领导小组办公室可以登记制度。"))
        d = _input(InstitutionCreateSerializer, request)
        unit = _seen_unit(request, d["unit"])
        ids = list(dict.fromkeys(d["problems"]))
        problems = list(Problem.objects.visible_to(request.user, "view").filter(pk__in=ids))
        if len(problems) != len(ids):
            missing = sorted(set(ids) - {p.pk for p in problems})
            raise _refused("problems", _("找不到这些问题：%(ids)s。") % {"ids": "、".join(map(str, missing))})
        codes = list(dict.fromkeys(c.strip() for c in d["partners"]))
        partners = list(Unit.objects.filter(code__in=codes, is_active=True))
        if len(partners) != len(codes):
            missing_codes = sorted(set(codes) - {u.code for u in partners})
            raise _refused("partners", _("找不到组织：%(codes)s。") % {"codes": "、".join(missing_codes)})
        document = d["document"]
        institution = services.institution_record(
            actor=request.user,
            unit=unit,
            title=d["title"],
            action=d["action"],
            adopted_on=d["adopted_on"],
            summary=d["summary"],
            problems=problems,
            partners=partners,
            fileobj=document,
            name=document.name if document is not None else "",
        )
        return Response(
            self._out(InstitutionSerializer, self.queryset.get(pk=institution.pk)),
            status=status.HTTP_201_CREATED,
        )
