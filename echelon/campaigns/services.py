"""Every change to campaigns goes through these functions: scoped, validated, atomic and audited.

``campaign_create`` (template + root + window → batches and participations), ``campaign_schedule`` (the
engine → the stored plan and its violations), ``campaign_what_if`` (read-only: change a rule, compare),
``campaign_publish`` (freezes a baseline), ``phase_actual_record`` (a unit records an actual start/end), and
the template editor's ``template_save`` / ``template_load_builtin``. Each takes ``actor=`` (a user, or None
for the system: commands, seeds, benches).

Large writes (70,000 participations, 350,000 phase rows) are set-based, never one ORM save per row: new rows
by ``COPY … FROM STDIN`` on PostgreSQL and ``executemany`` of one INSERT on SQLite, ``INSERT … SELECT``, and
the plan's summaries by one ``UPDATE … FROM unnest(arrays)`` on PostgreSQL (``UPDATE … WHERE id IN (…)``
grouped by identical plans on SQLite).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.campaigns import explain, progress, scheduler, specs, verbs
from echelon.campaigns.models import (
    Baseline,
    BaselinePhase,
    Batch,
    Campaign,
    CampaignTemplate,
    Participation,
    PhaseActual,
    PhaseOverride,
    PlanPhase,
    Status,
)
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.locks import locked
from echelon.core.permissions import allowed, require
from echelon.core.querysets import scope_paths
from echelon.core.text import within_length
from echelon.core.tree import SEGMENT_WIDTH, ancestor_ids
from echelon.orgs.models import LeadBy, Unit

# Rules a what-if or a re-plan may change, per batch.
CHANGEABLE_RULES = (
    "window_start",
    "window_end",
    "level_stagger_days",
    "lead_days",
    "min_duration_days",
    "duration_mode",
    "allow_blackout_boundaries",
    "ahead_kinds",
    "kickoff_levels",
    "flexible_levels",
    "flexible_kinds",
)
MAX_VIOLATION_IDS = 200
ID_CHUNK = 500


def _validation(exc: Exception) -> ValidationError:
    errors = getattr(exc, "errors", None)
    return ValidationError(list(errors) if errors else [str(exc)])


# ---------------------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------------------


def can_manage_templates(user: Actor) -> bool:
    """The region office (or an administrator): may change at a root of the tree."""
    if user is None:
        return True
    paths = scope_paths(user, "change")
    return paths is None or any(len(p) == SEGMENT_WIDTH for p in paths)


def _require_template_manager(actor: Actor) -> None:
    if not can_manage_templates(actor):
        raise PermissionDenied(_("只有自治区领导小组办公室可以管理活动模板。"))


TEMPLATE_FIELDS = ["key", "name", "builtin_file"]


def template_save(*, actor: Actor, text: str, template: CampaignTemplate | None = None) -> CampaignTemplate:
    """Create a template from a YAML/JSON text, or replace ``template``'s text. Raises ``ValidationError``
    with every problem (in Chinese) when the text is not a valid template."""
    _require_template_manager(actor)
    try:
        spec = specs.load(text)
    except specs.TemplateError as exc:
        raise _validation(exc) from exc
    with transaction.atomic():
        clash = CampaignTemplate.objects.filter(key=spec.key)
        if template is not None:
            template = CampaignTemplate.objects.select_for_update().get(pk=template.pk)
            clash = clash.exclude(pk=template.pk)
        if clash.exists():
            raise ValidationError(_("已有标识为“%(key)s”的模板。") % {"key": spec.key})
        is_new = template is None
        before = audit.snapshot(template, TEMPLATE_FIELDS) if template is not None else None
        if template is None:
            template = CampaignTemplate()
        template.key, template.name, template.text, template.data = spec.key, spec.name, text, spec.data
        template.updated_by = user_of(actor)
        template.save()
        audit.record(
            actor=actor,
            verb=verbs.TEMPLATE_CREATE if is_new else verbs.TEMPLATE_UPDATE,
            obj=template,
            before=before,
            after={**audit.snapshot(template, TEMPLATE_FIELDS), "phases": len(spec.phases)},
        )
        return template


def template_load_builtin(*, actor: Actor, name: str) -> CampaignTemplate:
    """Load (or reset to) a built-in template from ``templates_data/``, by key, name or file name."""
    _require_template_manager(actor)
    builtin = specs.find_builtin(name)
    if builtin is None:
        raise ValidationError(_("没有名为“%(name)s”的内置模板。") % {"name": name})
    with transaction.atomic():
        template = CampaignTemplate.objects.select_for_update().filter(key=builtin.spec.key).first()
        is_new = template is None
        if template is None:
            template = CampaignTemplate(key=builtin.spec.key)
        template.name, template.text, template.data = builtin.spec.name, builtin.text, builtin.spec.data
        template.builtin_file = builtin.file
        template.updated_by = user_of(actor)
        template.save()
        audit.record(
            actor=actor,
            verb=verbs.TEMPLATE_LOAD,
            obj=template,
            after={**audit.snapshot(template, TEMPLATE_FIELDS), "new": is_new},
        )
        return template


def template_for_use(*, actor: Actor, name: str) -> CampaignTemplate:
    """A stored template by key or name; a built-in one is loaded on first use."""
    template = (
        CampaignTemplate.objects.filter(key=name).first()
        or CampaignTemplate.objects.filter(name=name).first()
    )
    if template is not None:
        return template
    builtin = specs.find_builtin(name)
    if builtin is None:
        raise ValidationError(_("找不到模板“%(name)s”。") % {"name": name})
    template = CampaignTemplate.objects.filter(key=builtin.spec.key).first()
    if template is not None:
        return template
    return template_load_builtin(actor=None, name=name)  # loading a shipped file is the system's act


# ---------------------------------------------------------------------------------------------------------
# Low-level bulk writes (portable: SQLite and PostgreSQL)
# ---------------------------------------------------------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _table(model: Any) -> str:
    return _q(model._meta.db_table)


def _columns(model: Any, names: Sequence[str]) -> str:
    return ", ".join(_q(model._meta.get_field(n).column) for n in names)


class _Dates:
    """Date → database parameter, cached (a plan has a few hundred distinct dates)."""

    def __init__(self) -> None:
        self._cache: dict[date, Any] = {}

    def __call__(self, day: date | None) -> Any:
        if day is None:
            return None
        value = self._cache.get(day)
        if value is None:
            value = self._cache[day] = connection.ops.adapt_datefield_value(day)
        return value


def _chunks(ids: Sequence[int], size: int = ID_CHUNK) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _insert_rows(cursor: Any, model: Any, fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write many rows in one statement: ``COPY … FROM STDIN`` on PostgreSQL (what its bulk loaders use,
    several times faster than a batch of INSERTs), ``executemany`` of one INSERT on SQLite."""
    table, columns = _table(model), _columns(model, fields)
    if _postgresql():
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(rows))  # noqa: S608


# ---------------------------------------------------------------------------------------------------------
# Campaigns
# ---------------------------------------------------------------------------------------------------------


CAMPAIGN_FIELDS = ["name", "template_key", "start", "end", "status"]


@dataclass(frozen=True)
class _UnitRow:
    id: int
    parent_id: int | None
    path: str
    level: int
    kind: str
    lv2: int | None
    lv3: int | None
    lv4: int | None
    lv5: int | None
    industry: str = ""
    sector_led: bool = False


def _units_under(root: Unit, *, max_level: int = 5, include: Iterable[int] = ()) -> list[_UnitRow]:
    """Active units of the subtree (and the units in ``include``) down to ``max_level``."""
    extra = set(include)
    qs = Unit.objects.within(root.path).filter(level__lte=max_level)
    rows = qs.values_list(
        "id", "parent_id", "path", "level", "kind", "lv2_id", "lv3_id", "lv4_id", "lv5_id", "is_active",
        "industry", "lead_by",
    )  # fmt: skip
    return [
        _UnitRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[10], r[11] == LeadBy.SECTOR)
        for r in rows.iterator(chunk_size=5000)
        if r[9] or r[0] in extra
    ]


def campaign_create(
    *,
    actor: Actor,
    spec: specs.Spec,
    root: Unit,
    start: date,
    end: date,
    name: str = "",
    template: CampaignTemplate | None = None,
    windows: Mapping[str, tuple[date, date]] | None = None,
) -> Campaign:
    """A campaign from a template for ``root``'s subtree: a batch per template batch that has units here,
    and a participation for every participating unit. ``start..end`` is the window of every batch that
    neither ``windows`` nor the template dates."""
    windows = dict(windows or {})
    with transaction.atomic():
        root = Unit.objects.get(pk=root.pk)
        require(actor, "plan", root.path)
        if not root.is_active:
            raise ValidationError(_("“%(unit)s”已合并或撤销，不能作为活动范围。") % {"unit": root.name})
        if not root.is_territorial:
            raise ValidationError(
                _("活动范围必须是区划单位（党委领导班子、嘎查村或社区），不能是“%(unit)s”。")
                % {"unit": root.name}
            )
        if errors := specs.campaign_window_errors(start, end):
            raise ValidationError([m for messages in errors.values() for m in messages])
        unknown = sorted(set(windows) - {b.key for b in spec.batches})
        if unknown:
            raise ValidationError(_("模板中没有批次：%(keys)s。") % {"keys": "、".join(unknown)})

        units = _units_under(root)
        taken: set[int] = set()
        planned: list[tuple[specs.BatchSpec, list[_UnitRow], date, date, dict[str, Any]]] = []
        for batch in spec.batches:
            members = [u for u in units if u.id not in taken and spec.batch_selects(batch, u.level, u.kind)]
            if not members:
                continue
            taken.update(u.id for u in members)
            if batch.key in windows:
                first, last = windows[batch.key]
            elif batch.window is not None:
                first, last = batch.window
            else:
                first, last = start, end
            try:
                timing = spec.batch_timing(batch, first, last)
                specs.rules_from(timing, first, last)
            except (specs.TemplateError, scheduler.RulesError) as exc:
                raise _validation(exc) from exc
            planned.append((batch, members, first, last, timing))
        if not planned:
            raise ValidationError(_("“%(unit)s”范围内没有参加这项活动的单位。") % {"unit": root.name})

        campaign = Campaign.objects.create(
            name=name.strip() or spec.name,
            template=template,
            template_key=spec.key,
            template_data=spec.data,
            root=root,
            path=root.path,
            start=start,
            end=end,
            created_by=user_of(actor),
        )
        columns = [
            "campaign",
            "batch",
            "unit",
            "path",
            "level",
            "kind",
            "lv2",
            "lv3",
            "lv4",
            "lv5",
            "current_phase",
            "gate",
        ]
        total = 0
        for ordinal, (batch, members, first, last, timing) in enumerate(planned, start=1):
            row = Batch.objects.create(
                campaign=campaign,
                key=batch.key,
                name=batch.name,
                ordinal=ordinal,
                window_start=first,
                window_end=last,
                rules=timing,
                participations_count=len(members),
            )
            with connection.cursor() as cursor:
                _insert_rows(
                    cursor,
                    Participation,
                    columns,
                    (
                        (
                            campaign.pk,
                            row.pk,
                            u.id,
                            u.path,
                            u.level,
                            u.kind,
                            u.lv2,
                            u.lv3,
                            u.lv4,
                            u.lv5,
                            0,
                            "",
                        )
                        for u in members
                    ),
                )
            total += len(members)
        campaign.participations_count = total
        campaign.save(update_fields=["participations_count"])
        progress.rebuild_campaign(campaign.pk, progress.NEW_PARTS)
        audit.record(
            actor=actor,
            verb=verbs.CAMPAIGN_CREATE,
            obj=campaign,
            unit_id=root.pk,
            unit_path=root.path,
            after={
                **audit.snapshot(campaign, CAMPAIGN_FIELDS),
                "root": root.code,
                "batches": {
                    b.key: [first.isoformat(), last.isoformat(), len(m)] for b, m, first, last, _t in planned
                },
            },
        )
        return campaign


# ---------------------------------------------------------------------------------------------------------
# New units join the campaigns running over them
# ---------------------------------------------------------------------------------------------------------


def units_join(*, actor: Actor, units: Sequence[Unit]) -> list[Participation]:
    """New units (created on screen, by the API or by an import) join every campaign running over them, by
    the campaign's own rules, as if they had been there when it was created.

    Registered with ``orgs.services.on_units_created`` (orgs does not know campaigns, ADR 13) and called in
    the transaction that creates the units. For each campaign whose root holds a unit:

    - the batch is the first of the template's batches that takes the unit's level and kind
      (``Spec.batch_selects``, as ``campaign_create``), provided the campaign has that batch and its window
      has not ended (a unit does not join a finished batch);
    - once the campaign is scheduled, the unit's plan is the engine's (``scheduler.plan``) for the unit
      under its chain of ancestors in the campaign, with the batch's current rules: the same dates a re-plan
      gives it (its start follows its leadership body's, its parent level's, by the stagger and lead
      rules). The plans of the other units do not move; a published baseline is not changed (the new unit
      has none: its delays count against its plan). A draft campaign plans it when it is scheduled.

    One ``participation.join`` audit event per participation, by whoever created the unit.
    """
    fresh = [u for u in units if u.is_active]
    if not fresh or not Campaign.objects.exists():
        return []
    today = timezone.localdate()
    roots = {pk for u in fresh for pk in ancestor_ids(u.path)}
    joined: list[Participation] = []
    for campaign in Campaign.objects.filter(root_id__in=roots).select_related("root").order_by("pk"):
        spec = campaign.spec
        batches = {b.key: b for b in campaign.batches.all()}
        for unit in fresh:
            if not unit.path.startswith(campaign.path):
                continue
            key = next((b.key for b in spec.batches if spec.batch_selects(b, unit.level, unit.kind)), None)
            batch = batches.get(key) if key else None
            if batch is None or batch.window_end < today:
                continue
            if Participation.objects.filter(campaign=campaign, unit=unit).exists():
                continue
            joined.append(_join(actor, campaign, batch, unit))
    return joined


def _join(actor: Actor, campaign: Campaign, batch: Batch, unit: Unit) -> Participation:
    participation = Participation.objects.create(
        campaign=campaign,
        batch=batch,
        unit=unit,
        path=unit.path,
        level=unit.level,
        kind=unit.kind,
        lv2=unit.lv2_id,
        lv3=unit.lv3_id,
        lv4=unit.lv4_id,
        lv5=unit.lv5_id,
    )
    Batch.objects.filter(pk=batch.pk).update(participations_count=F("participations_count") + 1)
    Campaign.objects.filter(pk=campaign.pk).update(participations_count=F("participations_count") + 1)
    planned = None
    if campaign.status != Status.DRAFT and batch.scheduled_at is not None:
        planned = _plan_one(campaign, batch, participation)
    # the dashboards' counters (ADR 16): one more participation, as planned
    progress.moved(None, {f: getattr(participation, f) for f in progress.TRACKED}, len(campaign.spec.phases))
    audit.record(
        actor=actor,
        verb=verbs.PARTICIPATION_JOIN,
        obj=participation,
        unit_id=unit.pk,
        unit_path=unit.path,
        after={
            "campaign": campaign.name,
            "batch": batch.name,
            "planned_start": planned.start.isoformat() if planned else None,
            "planned_end": planned.end.isoformat() if planned else None,
        },
    )
    return participation


def _plan_one(campaign: Campaign, batch: Batch, participation: Participation) -> scheduler.UnitPlan | None:
    """The engine's plan of one new participation under its ancestors (the units its dates follow)."""
    spec = campaign.spec
    try:
        rules = batch.scheduler_rules()
    except (scheduler.RulesError, specs.TemplateError) as exc:
        raise _validation(exc) from exc
    chain = Unit.objects.within(campaign.path).filter(
        pk__in=ancestor_ids(participation.path),
        level__lte=max(rules.participating_levels),
        is_active=True,
    )
    rows = chain.values_list(
        "id", "parent_id", "path", "level", "kind", "lv2_id", "lv3_id", "lv4_id", "lv5_id"
    )
    try:
        result = scheduler.plan(_nodes([_UnitRow(*r) for r in rows]), spec.scheduler_phases(), rules)
    except scheduler.TreeError as exc:
        raise _validation(exc) from exc
    unit_plan = result.items.get(participation.unit_id)
    if unit_plan is None:  # not a participating level of this batch: as a full re-plan leaves it
        return None
    PlanPhase.objects.bulk_create(
        PlanPhase(participation=participation, phase=k, start=ph.start, end=ph.end)
        for k, ph in enumerate(unit_plan.phases)
    )
    mark = None
    if (milestone := spec.milestone()) is not None:
        phase = unit_plan.phases[milestone[0]]
        mark = phase.start if milestone[1].at == "start" else phase.end
    Participation.objects.filter(pk=participation.pk).update(
        planned_start=unit_plan.start,
        planned_end=unit_plan.end,
        milestone_date=mark,
        current_due=unit_plan.phases[0].end,
    )
    participation.refresh_from_db()
    return unit_plan


# ---------------------------------------------------------------------------------------------------------
# Scheduling
# ---------------------------------------------------------------------------------------------------------


@dataclass
class BatchPlan:
    """The engine's output for one batch, limited to the batch's participants (by participation id)."""

    batch: Batch
    items: dict[int, scheduler.UnitPlan]  # participation id -> plan
    violations: list[dict[str, Any]]
    level_of: dict[int, int]  # participation id -> level
    missing: list[int] = field(default_factory=list)  # participations the engine did not plan

    @property
    def feasible(self) -> bool:
        return not self.violations


@dataclass
class ScheduleResult:
    campaign: Campaign
    batches: list[BatchPlan]
    dry_run: bool
    comparison: dict[str, Any] | None  # against the baseline, after a re-plan of a published campaign
    engine_seconds: float = 0.0
    store_seconds: float = 0.0

    @property
    def feasible(self) -> bool:
        return all(b.feasible for b in self.batches)

    @property
    def violations(self) -> list[dict[str, Any]]:
        return [
            {**v, "batch": b.batch.key, "batch_name": b.batch.name}
            for b in self.batches
            for v in b.violations
        ]

    @property
    def planned(self) -> int:
        return sum(len(b.items) for b in self.batches)


def _nodes(units: Sequence[_UnitRow], batch_units: AbstractSet[int] | None = None) -> list[scheduler.Node]:
    """Engine nodes; a node's parent is its nearest ancestor among ``units`` (skipping inactive ones). The
    sector systems are given for the units of ``batch_units`` only: a sector department counts when it takes
    part in the same batch (the region's own departments finished in batch one, ADR 18)."""
    present = {u.id for u in units}
    nodes = []
    for u in units:
        parent = u.parent_id
        if parent is not None and parent not in present:
            parent = next((a for a in reversed(ancestor_ids(u.path)[:-1]) if a in present), None)
        if batch_units is not None and u.id in batch_units and u.industry:
            nodes.append(scheduler.Node(u.id, parent, u.level, u.kind, u.industry, u.sector_led))
        else:
            nodes.append(scheduler.Node(u.id, parent, u.level, u.kind))
    return nodes


def _described(raw: dict[str, Any], spec: specs.Spec) -> dict[str, Any]:
    return explain.describe(raw, level_name=spec.level_name)


def plan_batch(batch: Batch, *, units: Sequence[_UnitRow] | None = None, **changes: Any) -> BatchPlan:
    """Run the engine for one batch (with rule ``changes`` for a what-if) — no writes."""
    campaign = batch.campaign
    spec = campaign.spec
    participants = dict(
        Participation.objects.filter(batch=batch).values_list("unit_id", "id").iterator(chunk_size=10000)
    )
    level_of_unit: dict[int, int] = {}
    try:
        rules = batch.scheduler_rules(**changes)
    except (scheduler.RulesError, specs.TemplateError) as exc:
        raise _validation(exc) from exc
    max_level = max(rules.participating_levels)
    if units is None:
        units = _units_under(campaign.root, max_level=max_level, include=participants)
    else:
        units = [u for u in units if u.level <= max_level]
    for u in units:
        level_of_unit[u.id] = u.level
    try:
        result = scheduler.plan(_nodes(units, participants.keys()), spec.scheduler_phases(), rules)
    except scheduler.TreeError as exc:
        raise _validation(exc) from exc
    items = {pid: result.items[uid] for uid, pid in participants.items() if uid in result.items}
    missing = sorted(pid for uid, pid in participants.items() if uid not in result.items)
    violations = []
    for v in result.violations:
        ids = [participants[u] for u in v.unit_ids if u in participants]
        if ids:  # the engine also counts structural units that are not in this batch: only ours count
            violations.append(_described(explain.raw(v, ids, limit=MAX_VIOLATION_IDS), spec))
    if missing:
        gone = scheduler.Violation(rule="coverage", unit_ids=(), days=0, facts={"missing": True})
        violations.insert(0, _described(explain.raw(gone, missing, limit=MAX_VIOLATION_IDS), spec))
    level_of = {pid: level_of_unit.get(uid, 0) for uid, pid in participants.items()}
    return BatchPlan(batch=batch, items=items, violations=violations, level_of=level_of, missing=missing)


def _store(batch_plan: BatchPlan, spec: specs.Spec) -> None:
    """Replace the batch's stored plan: its phase rows (deleted, then written in one statement) and the
    participations' summaries (planned start and end, milestone, the current phase's due date), then the
    delays and the plan's counters. On PostgreSQL the summaries of the whole batch are one
    ``UPDATE … FROM unnest(arrays)``, each row rewritten once; on SQLite one UPDATE per distinct plan."""
    batch = batch_plan.batch
    dates = _Dates()
    milestone = spec.milestone()

    def mark(unit: scheduler.UnitPlan) -> date | None:
        if milestone is None:
            return None
        phase = unit.phases[milestone[0]]
        return phase.start if milestone[1].at == "start" else phase.end

    pp, pa = _table(PlanPhase), _table(Participation)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {pp} WHERE {_q('participation_id')} IN "  # noqa: S608
            f"(SELECT {_q('id')} FROM {pa} WHERE {_q('batch_id')} = %s)",
            [batch.pk],
        )
        _insert_rows(
            cursor,
            PlanPhase,
            ["participation", "phase", "start", "end"],
            (
                (pid, k, dates(ph.start), dates(ph.end))
                for pid, unit in batch_plan.items.items()
                for k, ph in enumerate(unit.phases)
            ),
        )
        if _postgresql():
            _summaries_postgresql(cursor, batch_plan, mark)
        else:
            by_plan: dict[scheduler.UnitPlan, list[int]] = defaultdict(list)
            for pid, unit in batch_plan.items.items():
                by_plan[unit].append(pid)
            columns = ("planned_start", "planned_end", "milestone_date")
            assignments = ", ".join(f"{_q(c)} = %s" for c in columns)
            for unit, pids in by_plan.items():
                values = [dates(unit.start), dates(unit.end), dates(mark(unit))]
                for chunk in _chunks(sorted(pids)):
                    marks = ", ".join(["%s"] * len(chunk))
                    cursor.execute(
                        f"UPDATE {pa} SET {assignments} WHERE {_q('id')} IN ({marks})",  # noqa: S608
                        [*values, *chunk],
                    )
            if batch_plan.missing:
                Participation.objects.filter(pk__in=batch_plan.missing).update(
                    planned_start=None, planned_end=None, milestone_date=None
                )
            refresh_current_due(Participation.objects.filter(batch=batch))
    _refresh_delays(Participation.objects.filter(batch=batch))
    progress.rebuild([batch.pk], progress.PLAN_PARTS)


def _summaries_postgresql(
    cursor: Any, batch_plan: BatchPlan, mark: Callable[[scheduler.UnitPlan], date | None]
) -> None:
    """Every participation of the batch in one UPDATE joined with arrays of (id, start, end, milestone) —
    the unplanned ones with nulls — and its current phase's due date read from the phase rows just
    written, so each row is rewritten once (not once per column group) and the statement stays one
    whatever the batch's size (arrays are single parameters)."""
    ids: list[int] = []
    starts: list[date | None] = []
    ends: list[date | None] = []
    marks: list[date | None] = []
    for pid, unit in batch_plan.items.items():
        ids.append(pid)
        starts.append(unit.start)
        ends.append(unit.end)
        marks.append(mark(unit))
    for pid in batch_plan.missing:
        ids.append(pid)
        starts.append(None)
        ends.append(None)
        marks.append(None)
    pp, pa = _table(PlanPhase), _table(Participation)
    cursor.execute(
        f"UPDATE {pa} SET {_q('planned_start')} = v.first, {_q('planned_end')} = v.last, "  # noqa: S608
        f"{_q('milestone_date')} = v.mark, {_q('current_due')} = ("
        f"SELECT pp.{_q('end')} FROM {pp} pp WHERE pp.{_q('participation_id')} = {pa}.{_q('id')} "
        f"AND pp.{_q('phase')} = {pa}.{_q('current_phase')}) "
        "FROM unnest(%s::bigint[], %s::date[], %s::date[], %s::date[]) AS v(id, first, last, mark) "
        f"WHERE {pa}.{_q('id')} = v.id",
        [ids, starts, ends, marks],
    )


def refresh_current_due(qs: Any) -> None:
    """current_due = the planned end of each participation's current phase (None when all are closed), in
    one UPDATE with a correlated subquery (after the plan is replaced)."""
    due = PlanPhase.objects.filter(participation=OuterRef("pk"), phase=OuterRef("current_phase")).values(
        "end"
    )[:1]
    qs.update(current_due=Subquery(due))


def _refresh_delays(qs: Any) -> None:
    """start_delay = actual start − baseline start (or planned start before a baseline), for started units;
    one UPDATE per distinct delay (a few hundred at most), only where it changed."""
    rows = qs.filter(actual_start__isnull=False).values_list(
        "id", "actual_start", "baseline_start", "planned_start", "start_delay"
    )
    changed: dict[int | None, list[int]] = defaultdict(list)
    for pid, actual, baseline, planned, current in rows.iterator(chunk_size=10000):
        reference = baseline or planned
        delay = (actual - reference).days if reference else None
        if delay != current:
            changed[delay].append(pid)
    for delay, ids in changed.items():
        for chunk in _chunks(ids):
            Participation.objects.filter(pk__in=chunk).update(start_delay=delay)


def _reference_plans(campaign: Campaign, *, baseline: bool) -> dict[int, scheduler.UnitPlan]:
    """The stored plan (or baseline) of every participation as start/end-only unit plans, for compare()."""
    start, end = ("baseline_start", "baseline_end") if baseline else ("planned_start", "planned_end")
    rows = Participation.objects.filter(campaign=campaign, **{f"{start}__isnull": False}).values_list(
        "id", start, end
    )
    shared: dict[tuple[date, date], scheduler.UnitPlan] = {}
    items = {}
    for pid, first, last in rows.iterator(chunk_size=10000):
        key = (first, last)
        if key not in shared:
            shared[key] = scheduler.UnitPlan(first, last, ())
        items[pid] = shared[key]
    return items


def _comparison(reference: Mapping[int, scheduler.UnitPlan], plans: Sequence[BatchPlan]) -> dict[str, Any]:
    """scheduler.compare restricted to the given batches; JSON-ready, with the largest moves."""
    new_items = {pid: unit for b in plans for pid, unit in b.items.items()}
    level_of = {pid: level for b in plans for pid, level in b.level_of.items()}
    scope = set(level_of)
    base = scheduler.Plan(items={pid: u for pid, u in reference.items() if pid in scope})
    result = scheduler.compare(base, scheduler.Plan(items=new_items), level_of=level_of)
    moved = [(pid, s) for pid, s in result["shifts"].items() if s.moved]
    moved.sort(key=lambda item: (-max(abs(item[1].start_days), abs(item[1].end_days)), item[0]))
    return {
        "by_level": {str(level): dict(row) for level, row in result["by_level"].items()},
        "units": len(result["shifts"]),
        "moved": len(moved),
        "added": len(result["added"]),
        "removed": len(result["removed"]),
        "largest": [
            {"participation": pid, "start_days": s.start_days, "end_days": s.end_days}
            for pid, s in moved[:20]
        ],
    }


def _check_changes(changes: Mapping[str, Mapping[str, Any]], campaign: Campaign) -> dict[str, dict[str, Any]]:
    """The rule changes ({batch key: {rule: value}}) of a re-plan or a what-if, checked: known batches and
    rules, and every value within its range (``specs.rule_change_errors``: a ValidationError in Chinese)."""
    windows = list(campaign.batches.values_list("key", "window_start", "window_end"))
    keys = {k for k, _first, _last in windows}
    earliest = min([campaign.start, *(first for _k, first, _l in windows if first)])
    latest = max([campaign.end, *(last for _k, _f, last in windows if last)])
    clean: dict[str, dict[str, Any]] = {}
    for batch_key, rules in changes.items():
        if batch_key not in keys:
            raise ValidationError(_("活动中没有批次“%(key)s”。") % {"key": batch_key})
        unknown = sorted(set(rules) - set(CHANGEABLE_RULES))
        if unknown:
            raise ValidationError(_("不能修改的规则：%(keys)s。") % {"keys": "、".join(unknown)})
        errors = specs.rule_change_errors(rules, earliest=earliest, latest=latest)
        if errors:
            raise ValidationError(errors)
        values = dict(rules)
        for key in ("ahead_kinds", "flexible_kinds", "flexible_levels", "kickoff_levels"):
            if key in values:
                values[key] = sorted(values[key])
        clean[batch_key] = values
    return clean


def campaign_schedule(
    *,
    actor: Actor,
    campaign: Campaign,
    dry_run: bool = False,
    rule_changes: Mapping[str, Mapping[str, Any]] | None = None,
) -> ScheduleResult:
    """Plan every batch with the engine and (unless ``dry_run``) store the plan and its violations.

    ``rule_changes`` ({batch key: {rule: value}}) are applied to the batches' rules first (and kept when
    not a dry run). An infeasible plan is stored too (it shows where the rules break) but cannot be
    published. After a re-plan of a published campaign the result compares the new plan with the baseline.
    """
    changes = _check_changes(rule_changes or {}, campaign)
    with transaction.atomic():
        campaign = locked(Campaign, campaign.pk, "root")  # one plan at a time per campaign (not its root)
        require(actor, "plan", campaign.path)
        spec = campaign.spec
        batches = list(campaign.batches.order_by("ordinal"))
        began = time.perf_counter()
        max_level = max(max(b.rules["participating_levels"]) for b in batches)
        participants = Participation.objects.filter(campaign=campaign).values_list("unit_id", flat=True)
        units = _units_under(campaign.root, max_level=max_level, include=participants)
        for b in batches:
            b.campaign = campaign
        plans = [plan_batch(b, units=units, **changes.get(b.key, {})) for b in batches]
        engine_seconds = time.perf_counter() - began
        comparison = None
        if campaign.status == Status.PUBLISHED:
            comparison = _comparison(_reference_plans(campaign, baseline=True), plans)
        result = ScheduleResult(campaign, plans, dry_run, comparison, engine_seconds=engine_seconds)
        if dry_run:
            return result

        began = time.perf_counter()
        now = timezone.now()
        for batch_plan in plans:
            batch = batch_plan.batch
            batch_changes = changes.get(batch.key, {})
            if batch_changes:
                batch.rules = batch.timing_with(**batch_changes)
                batch.window_start = batch_changes.get("window_start", batch.window_start)
                batch.window_end = batch_changes.get("window_end", batch.window_end)
            _store(batch_plan, spec)
            batch.feasible = batch_plan.feasible
            batch.violations = [explain.stored(v) for v in batch_plan.violations]
            batch.scheduled_at = now
            batch.save()
        before = audit.snapshot(campaign, ["status"])
        if campaign.status == Status.DRAFT:
            campaign.status = Status.SCHEDULED
        campaign.scheduled_at = now
        campaign.replan_summary = comparison
        campaign.save(update_fields=["status", "scheduled_at", "replan_summary"])
        result.store_seconds = time.perf_counter() - began
        result.campaign = campaign
        audit.record(
            actor=actor,
            verb=verbs.CAMPAIGN_SCHEDULE,
            obj=campaign,
            unit_id=campaign.root_id,
            unit_path=campaign.path,
            before=before,
            after={
                "status": campaign.status,
                "feasible": result.feasible,
                "planned": result.planned,
                "violations": [f"{v['batch']}:{v['rule']}:{v['level']}" for v in result.violations],
                "rule_changes": changes,
                "moved_from_baseline": comparison["moved"] if comparison else None,
            },
        )
        return result


@dataclass
class WhatIf:
    campaign: Campaign
    batch: Batch
    changes: dict[str, Any]
    plan: BatchPlan
    reference: str  # "baseline", "plan" or "" (nothing stored to compare with)
    comparison: dict[str, Any] | None


def campaign_what_if(
    *, actor: Actor, campaign: Campaign, batch_key: str, changes: Mapping[str, Any]
) -> WhatIf:
    """Re-plan one batch in memory with changed rules and compare it with the baseline (after publication)
    or the stored plan. Writes nothing."""
    clean = _check_changes({batch_key: changes}, campaign)[batch_key]
    require(actor, "plan", campaign.path)
    batch = campaign.batches.get(key=batch_key)
    batch.campaign = campaign
    batch_plan = plan_batch(batch, **clean)
    reference = "baseline" if campaign.status == Status.PUBLISHED else "plan" if campaign.is_scheduled else ""
    comparison = None
    if reference:
        comparison = _comparison(_reference_plans(campaign, baseline=reference == "baseline"), [batch_plan])
    return WhatIf(campaign, batch, clean, batch_plan, reference, comparison)


# ---------------------------------------------------------------------------------------------------------
# Publication
# ---------------------------------------------------------------------------------------------------------


def campaign_publish(*, actor: Actor, campaign: Campaign, note: str = "") -> Baseline:
    """Freeze the current plan as the next baseline. Only a plan that obeys every rule is published."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        require(actor, "plan", campaign.path)
        if campaign.status == Status.DRAFT:
            raise ValidationError(_("活动还没有排程，不能发布。"))
        infeasible = list(campaign.batches.exclude(feasible=True).values_list("name", flat=True))
        if infeasible:
            raise ValidationError(
                _("计划不满足全部规则（%(batches)s），请先调整规则并重新排程。")
                % {"batches": "、".join(infeasible)}
            )
        number = campaign.baseline_count + 1
        baseline = Baseline.objects.create(
            campaign=campaign,
            number=number,
            note=note[:200],
            created_by=user_of(actor),
            rules={
                b.key: {
                    **b.rules,
                    "window_start": b.window_start.isoformat(),
                    "window_end": b.window_end.isoformat(),
                }
                for b in campaign.batches.all()
            },
            units=campaign.participations_count,
        )
        bp, pp, pa = _table(BaselinePhase), _table(PlanPhase), _table(Participation)
        columns = _columns(BaselinePhase, ["baseline", "participation", "phase", "start", "end"])
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {bp} ({columns}) "  # noqa: S608
                f"SELECT %s, pp.{_q('participation_id')}, pp.{_q('phase')}, pp.{_q('start')}, pp.{_q('end')} "
                f"FROM {pp} pp JOIN {pa} pa ON pa.{_q('id')} = pp.{_q('participation_id')} "
                f"WHERE pa.{_q('campaign_id')} = %s",
                [baseline.pk, campaign.pk],
            )
        Participation.objects.filter(campaign=campaign).update(
            baseline_start=F("planned_start"), baseline_end=F("planned_end")
        )
        _refresh_delays(Participation.objects.filter(campaign=campaign))
        before = audit.snapshot(campaign, ["status"])
        campaign.status = Status.PUBLISHED
        campaign.published_at = timezone.now()
        campaign.baseline_count = number
        campaign.replan_summary = None
        campaign.save(update_fields=["status", "published_at", "baseline_count", "replan_summary"])
        audit.record(
            actor=actor,
            verb=verbs.CAMPAIGN_PUBLISH,
            obj=campaign,
            unit_id=campaign.root_id,
            unit_path=campaign.path,
            before=before,
            after={"status": campaign.status, "baseline": number, "units": baseline.units},
        )
        return baseline


# ---------------------------------------------------------------------------------------------------------
# Actuals
# ---------------------------------------------------------------------------------------------------------


def can_record(user: Actor, participation: Participation) -> bool:
    return allowed(user, "change", participation.path)


# A date a unit records for a campaign (a phase actual, a meeting) lies from this many days before the start
# of the campaign (or of the unit's batch, when earlier) up to today. (No upper margin after the campaign's
# end: a late unit's dates are real, and nothing after today is accepted anyway.)
RECORD_DAYS_BEFORE_START = 60


def record_window_start(participation: Participation) -> date:
    """The earliest date a unit may record for its campaign (``RECORD_DAYS_BEFORE_START``)."""
    campaign, batch = participation.campaign, participation.batch
    first = min(d for d in (campaign.start, batch.window_start) if d is not None)
    return first - timedelta(days=RECORD_DAYS_BEFORE_START)


def check_recorded_date(participation: Participation, day: date, *, what: str, today: date) -> None:
    """A ValidationError in Chinese unless ``day`` lies within ``record_window_start`` .. ``today``. (The
    single home of the rule: phase actuals here, meetings in the supervision services.)"""
    first = record_window_start(participation)
    if not first <= day <= today:
        raise ValidationError(
            _("%(what)s须在 %(first)s（活动开始前 %(days)d 天）至今天（%(today)s）之间，现为 %(day)s。")
            % {
                "what": what,
                "first": first.isoformat(),
                "days": RECORD_DAYS_BEFORE_START,
                "today": today.isoformat(),
                "day": day.isoformat(),
            }
        )


def phase_actual_record(
    *,
    actor: Actor,
    participation: Participation,
    phase_key: str,
    start: date,
    end: date | None = None,
    note: str = "",
    today: date | None = None,
    by_gate: bool = False,
) -> PhaseActual:
    """Record when a unit actually started (and ended) a phase; the unit's summary follows.

    Phases are done in order: a phase starts only after the previous one was closed, and not before it
    ended. Dates lie within the campaign's recording window (``check_recorded_date``).

    ``by_gate``: written by a supervision gate act (a submit opens the phase, a pass closes it) on behalf of
    ``actor``, whom the gate service has authorized for that act (a reviewer holds no "change" grant): the
    scope check and the recording window (of the date the user gave for the act) are the gate's; the audit
    event still names ``actor``.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        participation = locked(Participation, participation.pk, "campaign", "unit", "batch")
        if not by_gate:
            require(actor, "change", participation.path)
        campaign = participation.campaign
        spec = campaign.spec
        if campaign.status == Status.DRAFT:
            raise ValidationError(_("活动还没有排程，不能记录实际进度。"))
        try:
            k = spec.phase_index(phase_key)
        except KeyError as exc:
            raise ValidationError(_("没有环节“%(key)s”。") % {"key": phase_key}) from exc
        phase_name = spec.phases[k].name
        if end is not None and end < start:
            raise ValidationError(_("结束日期不能早于开始日期。"))
        if start > today or (end is not None and end > today):
            raise ValidationError(_("不能记录今天以后的日期。"))
        if not by_gate:
            check_recorded_date(participation, start, what=_("实际开始日期"), today=today)
            if end is not None:
                check_recorded_date(participation, end, what=_("实际结束日期"), today=today)
        actuals = {a.phase: a for a in PhaseActual.objects.filter(participation=participation)}
        row = actuals.get(k)
        if end is not None and (row is None or row.end != end):
            # The campaign's rules on actual progress (a gate act has already been checked the same way).
            check_progress(
                participation, k, end, act=_("通过") if by_gate else _("结束"), actuals=actuals, start=start
            )
        if k > 0:
            previous = actuals.get(k - 1)
            if previous is None or previous.end is None:
                raise ValidationError(
                    _("请先记录上一环节“%(name)s”的结束日期。") % {"name": spec.phases[k - 1].name}
                )
            if start < previous.end:
                raise ValidationError(
                    _("“%(name)s”的开始日期不能早于上一环节的结束日期（%(day)s）。")
                    % {"name": phase_name, "day": previous.end.isoformat()}
                )
        following = actuals.get(k + 1)
        if following is not None and (end is None or end > following.start):
            raise ValidationError(
                _("下一环节已经开始：本环节的结束日期必须不晚于 %(day)s。") % {"day": following.start}
            )
        before = {"start": row.start, "end": row.end} if row is not None else None
        if row is None:
            row = PhaseActual(participation=participation, phase=k)
        row.start, row.end, row.note = start, end, note[:200]
        row.recorded_by = user_of(actor)
        row.full_clean(
            exclude=["participation", "recorded_by"], validate_unique=False, validate_constraints=False
        )
        row.save()
        actuals[k] = row
        _summarise_actuals(participation, actuals, len(spec.phases))
        if not by_gate:
            require(actor, "change", participation.path)
        audit.record(
            actor=actor,
            verb=verbs.PHASE_ACTUAL_RECORD,
            obj=participation.unit,
            object_type="campaigns.participation",
            object_id=str(participation.pk),
            object_repr=f"{participation.unit.name} · {phase_name}",
            unit_id=participation.unit_id,
            unit_path=participation.path,
            before=before,
            after={"campaign": campaign.pk, "phase": phase_key, "start": start, "end": end},
        )
        return row


def _summarise_actuals(participation: Participation, actuals: Mapping[int, PhaseActual], count: int) -> None:
    first = actuals.get(0)
    current = 0
    while current < count and current in actuals and actuals[current].end is not None:
        current += 1
    last = actuals.get(count - 1)
    participation.actual_start = first.start if first else None
    participation.actual_end = last.end if last is not None and current == count else None
    participation.current_phase = current
    reference = participation.baseline_start or participation.planned_start
    participation.start_delay = (
        (participation.actual_start - reference).days if participation.actual_start and reference else None
    )
    plan = PlanPhase.objects.filter(participation=participation, phase=current).values_list("end", flat=True)
    participation.current_due = plan.first() if current < count else None
    progress.save(
        participation,
        ["actual_start", "actual_end", "current_phase", "start_delay", "current_due"],
        phases=count,
    )


# ---------------------------------------------------------------------------------------------------------
# Rules on actual progress (the template's, applied to what really happens)
# ---------------------------------------------------------------------------------------------------------


def leader_of(participation: Participation) -> Participation | None:
    """The unit's leadership body in its batch, the unit the scheduler treats as leading it: the nearest
    territorial unit above it taking part in the same batch (a county's own organs and direct units: the
    county's leadership body; a township: its county's; a village: its township's)."""
    above = ancestor_ids(participation.path)[:-1]
    if not above:
        return None
    rows = Participation.objects.filter(
        batch_id=participation.batch_id, unit_id__in=above, kind__in=sorted(scheduler.TERRITORIAL_KINDS)
    ).select_related("unit")
    return max(rows, key=lambda p: len(p.path), default=None)


def _flexible(participation: Participation) -> bool:
    rules = participation.batch.rules
    return participation.level in rules.get("flexible_levels", []) or participation.kind in rules.get(
        "flexible_kinds", []
    )


def progress_problems(
    participation: Participation,
    phase: int,
    day: date,
    *,
    act: str,
    leader: bool = True,
    actuals: Mapping[int, PhaseActual] | None = None,
    start: date | None = None,
) -> list[str]:
    """What the template's rules on actual progress say against submitting or closing ``phase`` on ``day``
    (``act``: 提交, 通过, 结束), in Chinese; [] when nothing. The phase's ``min_days`` counted from its
    actual start (``start`` when given, else the recorded one, else ``day``: a first submission starts it),
    both ends included; closing the last phase, the unit's minimum duration (``min_duration_days``) from
    its actual start unless it is flexible (villages); with ``leader``, a ``leader_first`` phase only after
    the unit's leadership body (``leader_of``) passed it, on that day or before."""
    spec = participation.campaign.spec
    spec_phase = spec.phases[phase]
    if actuals is None:
        actuals = {a.phase: a for a in PhaseActual.objects.filter(participation=participation)}
    began = start or (actuals[phase].start if phase in actuals else day)
    problems: list[str] = []
    if day < began:
        return problems  # a day before the phase's start: the recording itself is refused for that
    elapsed = (day - began).days + 1
    if spec_phase.min_days and elapsed < spec_phase.min_days:
        problems.append(
            _("本环节至少需要 %(n)d 天，%(day)s 才能%(act)s（已开始 %(elapsed)d 天）。")
            % {
                "n": spec_phase.min_days,
                "day": (began + timedelta(days=spec_phase.min_days - 1)).isoformat(),
                "act": act,
                "elapsed": max(elapsed, 0),
            }
        )
    least = participation.batch.rules.get("min_duration_days") or 0
    if phase == len(spec.phases) - 1 and least and not _flexible(participation):
        first = began if phase == 0 else (actuals[0].start if 0 in actuals else None)
        if first is not None and (day - first).days + 1 < least:
            problems.append(
                _(
                    "集中开展活动的时间一般不少于 %(n)d 天：本单位 %(start)s 开始，%(day)s 才能%(act)s"
                    "最后一个环节（已开展 %(elapsed)d 天）。"
                )
                % {
                    "n": least,
                    "start": first.isoformat(),
                    "day": (first + timedelta(days=least - 1)).isoformat(),
                    "act": act,
                    "elapsed": (day - first).days + 1,
                }
            )
    if leader and spec_phase.leader_first:
        body = leader_of(participation)
        if body is not None:
            closed = PhaseActual.objects.filter(participation=body, phase=phase).values_list("end", flat=True)
            passed = next(iter(closed), None)
            names = {"leader": body.unit.name, "phase": spec_phase.name}
            if passed is None:
                problems.append(_("上级领导班子“%(leader)s”尚未通过“%(phase)s”，本单位暂不能通过。") % names)
            elif passed > day:
                problems.append(
                    _("上级领导班子“%(leader)s”于 %(day)s 通过“%(phase)s”，本单位不能早于这一天通过。")
                    % {**names, "day": passed.isoformat()}
                )
    return problems


def check_progress(
    participation: Participation,
    phase: int,
    day: date,
    *,
    act: str,
    leader: bool = True,
    actuals: Mapping[int, PhaseActual] | None = None,
    start: date | None = None,
) -> PhaseOverride | None:
    """Raise a ValidationError with ``progress_problems`` unless an office overrode the rules for this
    phase (``phase_rules_override``); returns the override that let the act through, if one was needed."""
    problems = progress_problems(
        participation, phase, day, act=act, leader=leader, actuals=actuals, start=start
    )
    if not problems:
        return None
    override = PhaseOverride.objects.filter(participation=participation, phase=phase).first()
    if override is None:
        raise ValidationError([*problems, _("确有特殊情况的，可由上级领导小组办公室写明理由后准予先行。")])
    return override


def phase_rules_override(
    *, actor: Actor, participation: Participation, reason: str, phase_key: str | None = None
) -> PhaseOverride:
    """An office (``plan`` over the unit) lets the unit submit and close a phase (its current one by
    default) although the rules on actual progress say not yet: minimum days, minimum duration, the
    leadership body first. The reason is kept, shown on the unit's phase page and audited."""
    reason = within_length(reason, 500, _("理由")).strip()
    if not reason:
        raise ValidationError(_("请写明准予先行的理由。"))
    with transaction.atomic():
        participation = locked(Participation, participation.pk, "campaign", "unit", "batch")
        require(actor, "plan", participation.path)
        spec = participation.campaign.spec
        if phase_key is None:
            k = participation.current_phase
            if k >= len(spec.phases):
                raise ValidationError(_("所有环节均已完成。"))
        else:
            try:
                k = spec.phase_index(phase_key)
            except KeyError as exc:
                raise ValidationError(_("没有环节“%(key)s”。") % {"key": phase_key}) from exc
        if k < participation.current_phase:
            raise ValidationError(_("“%(name)s”已经结束。") % {"name": spec.phases[k].name})
        if PhaseOverride.objects.filter(participation=participation, phase=k).exists():
            raise ValidationError(_("“%(name)s”已准予先行。") % {"name": spec.phases[k].name})
        today = timezone.localdate()
        problems = progress_problems(participation, k, today, act=_("通过"))
        row = PhaseOverride.objects.create(
            participation=participation,
            path=participation.path,
            phase=k,
            reason=reason,
            problems=problems,
            created_by=user_of(actor),
        )
        audit.record(
            actor=actor,
            verb=verbs.PHASE_RULES_OVERRIDE,
            obj=participation.unit,
            object_type="campaigns.participation",
            object_id=str(participation.pk),
            object_repr=f"{participation.unit.name} · {spec.phases[k].name}",
            unit_id=participation.unit_id,
            unit_path=participation.path,
            after={
                "campaign": participation.campaign_id,
                "phase": spec.phases[k].key,
                "reason": reason,
                "problems": problems,
            },
        )
        return row
