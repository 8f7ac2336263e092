"""Coverage: which group supervises which unit. One assignment at a time (``assign`` refuses an overlap
unless a reason is given; ``unassign``), or in bulk: a default group for each office that has none
(``coverage_default_groups``) and the engine's balanced proposal for every unit without a group
(``coverage_propose_apply``, written in bulk, one event per group)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.accounts.roles import Role
from echelon.campaigns.models import Batch, Campaign, Participation
from echelon.core import audit, db, versions
from echelon.core.actors import Actor
from echelon.core.locks import locked
from echelon.core.permissions import allowed
from echelon.orgs.models import Level, Unit
from echelon.supervision import coverage as engine
from echelon.supervision import selectors, verbs
from echelon.supervision.models import GroupAssignment, GroupKind, SupervisionGroup
from echelon.supervision.services.groups import (
    covered,
    grant_paths,
    group_create,
    locked_group,
    require_dispatch_in,
    require_member_eligible,
)


def _placement_error(group: SupervisionGroup, participation: Participation) -> str | None:
    if participation.campaign_id != group.campaign_id or participation.batch_id != group.batch_id:
        return _("“%(unit)s”不在“%(group)s”的批次中。")
    if participation.level != group.target_level:
        return _("“%(unit)s”不在“%(group)s”督导的层级。")
    if not participation.path.startswith(group.home_path) or participation.path == group.home_path:
        return _("“%(unit)s”不在“%(group)s”派出单位的下级范围内。")
    return None


def assign(
    *, actor: Actor, group: SupervisionGroup, participation: Participation, override_reason: str = ""
) -> GroupAssignment:
    """Make ``group`` responsible for ``participation``. Refused when another group already is, unless
    ``override_reason`` says why both must (the reason is kept and shown)."""
    reason = override_reason.strip()[:200]
    with transaction.atomic():
        participation = locked(Participation, participation.pk, "unit")
        group = locked_group(actor, group)
        names = {"unit": participation.unit.name, "group": group.name}
        if error := _placement_error(group, participation):
            raise ValidationError(error % names)
        require_member_eligible(group, group.members.all(), new_target=participation.path)
        existing = list(GroupAssignment.objects.filter(participation=participation).select_related("group"))
        if any(a.group_id == group.pk for a in existing):
            raise ValidationError(_("“%(group)s”已经负责“%(unit)s”。") % names)
        others = engine.would_overlap(
            participation.unit_id,
            group.pk,
            [engine.Assignment(a.group_id, a.unit_id, a.override_reason) for a in existing],
        )
        if others and not reason:
            taken = "、".join(a.group.name for a in existing if a.group_id in others)
            raise ValidationError(
                _("“%(unit)s”已由“%(taken)s”督导。既不交叉重复：如确需再派“%(group)s”，请填写理由。")
                % {**names, "taken": taken}
            )
        row = GroupAssignment.objects.create(
            group=group,
            campaign_id=group.campaign_id,
            participation=participation,
            unit_id=participation.unit_id,
            path=participation.path,
            level=participation.level,
            override_reason=reason if others else "",
            created_by=user_of(actor),
        )
        SupervisionGroup.objects.filter(pk=group.pk).update(unit_count=F("unit_count") + 1)
        versions.bump(selectors.coverage_version(group.campaign_id))
        audit.record(
            actor=actor,
            verb=verbs.ASSIGNMENT_CREATE,
            obj=row,
            object_repr=f"{group.name} → {participation.unit.name}",
            unit_id=participation.unit_id,
            unit_path=participation.path,
            after={
                "group": group.pk,
                "unit": participation.unit.code,
                "override_reason": row.override_reason,
                "overlaps": others,
            },
        )
        return row


def unassign(*, actor: Actor, assignment: GroupAssignment) -> None:
    with transaction.atomic():
        row = GroupAssignment.objects.select_related("group", "unit").get(pk=assignment.pk)
        group = locked_group(actor, row.group)
        before = {"group": group.pk, "unit": row.unit.code, "override_reason": row.override_reason}
        audit.record(
            actor=actor,
            verb=verbs.ASSIGNMENT_DELETE,
            obj=row,
            object_repr=f"{group.name} → {row.unit.name}",
            unit_id=row.unit_id,
            unit_path=row.path,
            before=before,
        )
        row.delete()
        SupervisionGroup.objects.filter(pk=group.pk).update(unit_count=F("unit_count") - 1)
        versions.bump(selectors.coverage_version(group.campaign_id))


def _campaign_levels(batch: Batch) -> list[int]:
    return sorted(level for level in batch.rules.get("participating_levels", [2, 3, 4, 5]) if level > 1)


def coverage_default_groups(
    *, actor: Actor, campaign: Campaign, batch: Batch | None = None
) -> list[SupervisionGroup]:
    """One group per dispatching office that has participating units at a level below it and no group for
    that level yet (an instructor for a township's villages). Only offices in the actor's change scope."""
    require_dispatch_in(actor, campaign)
    created: list[SupervisionGroup] = []
    batches = [batch] if batch is not None else list(campaign.batches.order_by("ordinal"))
    with transaction.atomic():
        for b in batches:
            data = selectors.coverage_data(campaign, batch=b, context=True)
            existing = data.groups
            specs = engine.default_groups(data.units, existing, _campaign_levels(b))
            homes = {u.pk: u for u in Unit.objects.filter(pk__in=[s.home_unit_id for s in specs])}
            for spec in specs:
                home = homes[spec.home_unit_id]
                if not allowed(actor, "dispatch", home.path):
                    continue
                instructor = spec.target_level == Level.VILLAGE
                name = (
                    _("%(unit)s指导员") % {"unit": home.name}
                    if instructor
                    else _("%(unit)s第1督导组") % {"unit": home.name}
                )
                created.append(
                    group_create(
                        actor=actor,
                        campaign=campaign,
                        batch=b,
                        name=name,
                        home_unit=home,
                        target_level=spec.target_level,
                        kind=GroupKind.INSTRUCTOR if instructor else GroupKind.GROUP,
                    )
                )
    return created


ANALYZE_AFTER = 10_000  # assignments made by one proposal, above which PostgreSQL's statistics are refreshed


@dataclass
class ProposalResult:
    created: int = 0
    per_group: dict[int, int] = field(default_factory=dict)
    unplaceable: list[engine.UnplaceableUnit] = field(default_factory=list)
    skipped_out_of_scope: int = 0
    skipped_uncovered: int = 0  # a member's supervisor grant would not cover the unit


def _member_limits(group_ids: Iterable[int]) -> dict[int, list[list[str]]]:
    """For each group, the supervisor-grant paths of the members whose grants do not cover its home unit
    (members who may only follow targets they cover). Groups without such members are left out."""
    limits: dict[int, list[list[str]]] = {}
    for g in SupervisionGroup.objects.filter(pk__in=list(group_ids)).prefetch_related("members"):
        for m in g.members.all():
            if m.is_superuser:
                continue
            paths = grant_paths(m, (Role.SUPERVISOR, Role.ADMIN))
            if not covered(paths, g.home_path):
                limits.setdefault(g.pk, []).append(paths)
    return limits


def coverage_propose_apply(*, actor: Actor, campaign: Campaign, batch: Batch | None = None) -> ProposalResult:
    """Give every unassigned participating unit one group, balanced by unit count within its league or
    county (the engine's proposal). Never creates an overlap: the proposal only takes units without any
    assignment, and the result is re-checked before commit."""
    require_dispatch_in(actor, campaign)
    result = ProposalResult()
    batches = [batch] if batch is not None else list(campaign.batches.order_by("ordinal"))
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=campaign.pk)  # one proposal at a time per campaign
        for b in batches:
            data = selectors.coverage_data(campaign, batch=b)
            proposal = engine.propose(data.units, data.groups, data.assignments)
            result.unplaceable.extend(proposal.unplaceable)
            homes = dict(SupervisionGroup.objects.filter(batch=b).values_list("pk", "home_path"))
            paths = (
                dict(
                    Participation.objects.filter(
                        pk__in=[data.participation_of[a.unit_id] for a in proposal.assignments]
                    ).values_list("unit_id", "path")
                )
                if len(proposal.assignments) < 900
                else dict(
                    Participation.objects.filter(campaign=campaign, batch=b).values_list("unit_id", "path")
                )
            )
            rows = []
            levels = {u.id: u.level for u in data.units}
            limits = _member_limits({a.group_id for a in proposal.assignments})
            for a in proposal.assignments:
                if not allowed(actor, "dispatch", homes[a.group_id]):
                    result.skipped_out_of_scope += 1
                    continue
                if any(not covered(p, paths[a.unit_id]) for p in limits.get(a.group_id, ())):
                    result.skipped_uncovered += 1
                    continue
                pid = data.participation_of[a.unit_id]
                rows.append(
                    GroupAssignment(
                        group_id=a.group_id,
                        campaign_id=campaign.pk,
                        participation_id=pid,
                        unit_id=a.unit_id,
                        path=paths[a.unit_id],
                        level=levels[a.unit_id],
                        created_by=user_of(actor),
                    )
                )
            GroupAssignment.objects.bulk_create(rows, batch_size=2000)
            versions.bump(selectors.coverage_version(campaign.pk))
            counts = Counter(r.group_id for r in rows)
            for group_id, n in counts.items():
                SupervisionGroup.objects.filter(pk=group_id).update(unit_count=F("unit_count") + n)
                result.per_group[group_id] = result.per_group.get(group_id, 0) + n
            result.created += len(rows)
            touched = [r.participation_id for r in rows]
            for i in range(0, len(touched), 900):
                clash = (
                    GroupAssignment.objects.filter(participation_id__in=touched[i : i + 900])
                    .values("participation_id")
                    .annotate(n=Count("id"))
                    .filter(n__gt=1)
                )
                if clash.exists():
                    raise ValidationError(_("建议方案与同时进行的指派冲突，请重试。"))
            groups = {g.pk: g for g in SupervisionGroup.objects.filter(pk__in=counts)}
            for group_id, n in sorted(counts.items()):
                g = groups[group_id]
                audit.record(
                    actor=actor,
                    verb=verbs.COVERAGE_APPLY,
                    obj=g,
                    unit_id=g.home_unit_id,
                    unit_path=g.home_path,
                    after={"assigned": n, "batch": b.key},
                )
    if result.created >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # Tens of thousands of new assignments: fresh planner statistics, or PostgreSQL plans the next
        # reads of the table (coverage, the workbench) as if it were still empty until autovacuum comes.
        # (SQLite's ANALYZE would go over the whole registry, and its planner does not need it here.)
        db.analyze([GroupAssignment._meta.db_table, SupervisionGroup._meta.db_table])
    return result
