"""Every change to supervision goes through these functions: scoped, validated, atomic and audited.

Groups and coverage: ``group_create``, ``group_add_member``, ``group_remove_member``, ``assign`` (refuses an
overlap unless overridden with a reason), ``unassign``, ``coverage_default_groups`` and
``coverage_propose_apply`` (the engine's balanced proposal, written in bulk). Work and gates:
``action_confirm``, ``material_upload``, ``meeting_record``, ``gate_submit`` and ``gate_decide`` (pass /
return / interview / redo; a conditional UPDATE makes exactly one of two concurrent decisions win). Patrol
visits (巡查): ``patrol_record``.

Each takes ``actor=`` (a user, or None for the system: commands, seeds, benches).
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import Grant
from echelon.accounts.roles import Role
from echelon.campaigns import services as campaign_services
from echelon.campaigns.models import Batch, Campaign, Participation, PhaseActual, Status
from echelon.core import audit, versions
from echelon.core.errors import Conflict
from echelon.core.permissions import allowed, require
from echelon.core.querysets import scope_paths
from echelon.core.tabular import human_size
from echelon.core.text import within_length
from echelon.orgs.models import Level, Unit
from echelon.supervision import coverage, selectors
from echelon.supervision.models import (
    ActionDone,
    Decision,
    Evidence,
    GroupAssignment,
    GroupKind,
    LiaisonKind,
    LiaisonPoint,
    Material,
    Meeting,
    MeetingAttendance,
    MeetingType,
    Notification,
    NotificationDigest,
    NotificationKind,
    PatrolVisit,
    Review,
    ReviewState,
    SupervisionGroup,
)

GROUP_FIELDS = ["name", "kind", "home_unit_id", "target_level", "leader_id", "batch_id"]


class AlreadyDecided(Conflict):
    """Another reviewer decided this submission first (the API answers 409)."""


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _is_user(value: Any) -> bool:
    return getattr(value, "pk", None) is not None


# ---------------------------------------------------------------------------------------------------------
# Separation of duties (ADR 11)
# ---------------------------------------------------------------------------------------------------------


def _grant_paths(user: Any, roles: Iterable[str]) -> list[str]:
    return list(
        Grant.objects.filter(user=user, role__in=list(roles), unit__is_active=True).values_list(
            "unit__path", flat=True
        )
    )


def _covered(paths: Iterable[str], path: str) -> bool:
    return any(path.startswith(p) for p in paths)


def _require_dispatch_in(actor: Any, campaign: Campaign) -> None:
    """Bulk coverage and liaison proposals act for the offices the actor is: refused outright for a user
    who dispatches nowhere in the campaign (rather than a silent "0 assigned")."""
    paths = scope_paths(actor, "dispatch") if actor is not None else None
    if paths is None:
        return
    if not any(p.startswith(campaign.path) or campaign.path.startswith(p) for p in paths):
        raise PermissionDenied(_("只有活动范围内的领导小组办公室可以派出督导组、确定联系点。"))


def _membership_error(group: SupervisionGroup, user: Any, new_target: str = "") -> str | None:
    """Why ``user`` may not be a member of ``group`` (None: they may). A member holds a supervisor grant
    that covers the group's home unit, or every unit the group is (and, with ``new_target``, will be)
    assigned to: the supervisor and the supervised are never the same people by accident."""
    if getattr(user, "is_superuser", False):
        return None
    paths = _grant_paths(user, (Role.SUPERVISOR, Role.ADMIN))
    if _covered(paths, group.home_path):
        return None
    targets = (
        [*GroupAssignment.objects.filter(group=group).values_list("path", flat=True)] if group.pk else []
    )
    targets += [new_target] if new_target else []
    if targets and all(_covered(paths, t) for t in targets):
        return None
    return _("“%(user)s”没有覆盖“%(group)s”派出单位或督导对象的督导组授权，不能成为其成员。") % {
        "user": user,
        "group": group.name,
    }


def _require_member_eligible(group: SupervisionGroup, users: Iterable[Any], new_target: str = "") -> None:
    for user in users:
        if _is_user(user) and (error := _membership_error(group, user, new_target)):
            raise ValidationError(error)


def _decider_error(actor: Any, review: Review, participation: Participation) -> str | None:
    """Who submitted a phase never decides it, nor does anyone holding an operator grant on the unit."""
    if not _is_user(actor):
        return None
    if review.submitted_by_id == actor.pk:
        return _("提交人不能审核自己提交的环节。")
    if _covered(_grant_paths(actor, (Role.OPERATOR,)), participation.path):
        return _("您是该单位（或其上级）的联络员/书记：提交与审核须由不同的人负责。")
    return None


# ---------------------------------------------------------------------------------------------------------
# Groups
# ---------------------------------------------------------------------------------------------------------


def group_create(
    *,
    actor: Any,
    campaign: Campaign,
    batch: Batch,
    name: str,
    home_unit: Unit,
    target_level: int | None = None,
    kind: str = GroupKind.GROUP,
    leader: Any = None,
    members: Iterable[Any] = (),
) -> SupervisionGroup:
    """A group dispatched by ``home_unit``'s office to units one level down (an instructor: a township
    office's appointee for its villages, a group of one)."""
    name = name.strip()
    if not name:
        raise ValidationError(_("请填写督导组名称。"))
    members = [m for m in members if _is_user(m)]
    with transaction.atomic():
        home_unit = Unit.objects.get(pk=home_unit.pk)
        require(actor, "dispatch", home_unit.path)
        if batch.campaign_id != campaign.pk:
            raise ValidationError(_("批次不属于这项活动。"))
        if not home_unit.is_territorial:
            raise ValidationError(
                _("督导组由区划单位（领导班子）的办公室派出，“%(unit)s”不是。") % {"unit": home_unit.name}
            )
        if not home_unit.path.startswith(campaign.path):
            raise ValidationError(_("“%(unit)s”不在活动范围内。") % {"unit": home_unit.name})
        if home_unit.level >= Level.VILLAGE:
            raise ValidationError(_("嘎查村、社区不派出督导组。"))
        expected = home_unit.level + 1
        target_level = target_level or expected
        if target_level != expected:
            raise ValidationError(
                _("“%(unit)s”只能向下一级（%(level)s）派出督导组。")
                % {"unit": home_unit.name, "level": Level(expected).label}
            )
        if kind == GroupKind.INSTRUCTOR:
            if home_unit.level != Level.TOWNSHIP:
                raise ValidationError(_("指导员由苏木乡镇街道选派到嘎查村社区。"))
            if len({m.pk for m in members} | ({leader.pk} if _is_user(leader) else set())) > 1:
                raise ValidationError(_("指导员是一个人：只能有一名成员。"))
        if SupervisionGroup.objects.filter(batch=batch, home_unit=home_unit, name=name).exists():
            raise ValidationError(
                _("“%(unit)s”在本批次已有名为“%(name)s”的督导组。") % {"unit": home_unit.name, "name": name}
            )
        _require_member_eligible(
            SupervisionGroup(home_path=home_unit.path, name=name),
            [*members, *([leader] if _is_user(leader) else [])],
        )
        group = SupervisionGroup.objects.create(
            campaign=campaign,
            batch=batch,
            name=name,
            kind=kind,
            home_unit=home_unit,
            home_path=home_unit.path,
            target_level=target_level,
            leader=leader if _is_user(leader) else None,
            created_by=_user(actor),
        )
        people = {m.pk for m in members} | ({leader.pk} if _is_user(leader) else set())
        if people:
            group.members.add(*people)
        versions.bump(selectors.coverage_version(campaign.pk))
        audit.record(
            actor=actor,
            verb="supervision.group_create",
            obj=group,
            unit_id=home_unit.pk,
            unit_path=home_unit.path,
            after={**audit.snapshot(group, GROUP_FIELDS), "campaign": campaign.pk, "members": sorted(people)},
        )
        return group


def _locked_group(actor: Any, group: SupervisionGroup) -> SupervisionGroup:
    group = SupervisionGroup.objects.select_for_update().get(pk=group.pk)
    require(actor, "dispatch", group.home_path)
    return group


def group_add_member(
    *, actor: Any, group: SupervisionGroup, user: Any, leader: bool = False
) -> SupervisionGroup:
    with transaction.atomic():
        group = _locked_group(actor, group)
        current = set(group.members.values_list("pk", flat=True))
        if group.kind == GroupKind.INSTRUCTOR and current - {user.pk}:
            raise ValidationError(_("指导员是一个人：不能再添加成员。"))
        _require_member_eligible(group, [user])
        group.members.add(user)
        before = {"leader_id": group.leader_id}
        if leader:
            group.leader = user
            group.save(update_fields=["leader"])
        audit.record(
            actor=actor,
            verb="supervision.group_add_member",
            obj=group,
            unit_id=group.home_unit_id,
            unit_path=group.home_path,
            before=before,
            after={"member": user.pk, "username": user.get_username(), "leader_id": group.leader_id},
        )
        return group


def group_remove_member(*, actor: Any, group: SupervisionGroup, user: Any) -> SupervisionGroup:
    with transaction.atomic():
        group = _locked_group(actor, group)
        group.members.remove(user)
        if group.leader_id == user.pk:
            group.leader = None
            group.save(update_fields=["leader"])
        audit.record(
            actor=actor,
            verb="supervision.group_remove_member",
            obj=group,
            unit_id=group.home_unit_id,
            unit_path=group.home_path,
            after={"member": user.pk, "username": user.get_username()},
        )
        return group


# ---------------------------------------------------------------------------------------------------------
# Assignments
# ---------------------------------------------------------------------------------------------------------


def _placement_error(group: SupervisionGroup, participation: Participation) -> str | None:
    if participation.campaign_id != group.campaign_id or participation.batch_id != group.batch_id:
        return _("“%(unit)s”不在“%(group)s”的批次中。")
    if participation.level != group.target_level:
        return _("“%(unit)s”不在“%(group)s”督导的层级。")
    if not participation.path.startswith(group.home_path) or participation.path == group.home_path:
        return _("“%(unit)s”不在“%(group)s”派出单位的下级范围内。")
    return None


def assign(
    *, actor: Any, group: SupervisionGroup, participation: Participation, override_reason: str = ""
) -> GroupAssignment:
    """Make ``group`` responsible for ``participation``. Refused when another group already is, unless
    ``override_reason`` says why both must (the reason is kept and shown)."""
    reason = override_reason.strip()[:200]
    with transaction.atomic():
        participation = (
            Participation.objects.select_for_update().select_related("unit").get(pk=participation.pk)
        )
        group = _locked_group(actor, group)
        names = {"unit": participation.unit.name, "group": group.name}
        if error := _placement_error(group, participation):
            raise ValidationError(error % names)
        _require_member_eligible(group, group.members.all(), new_target=participation.path)
        existing = list(GroupAssignment.objects.filter(participation=participation).select_related("group"))
        if any(a.group_id == group.pk for a in existing):
            raise ValidationError(_("“%(group)s”已经负责“%(unit)s”。") % names)
        others = coverage.would_overlap(
            participation.unit_id,
            group.pk,
            [coverage.Assignment(a.group_id, a.unit_id, a.override_reason) for a in existing],
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
            created_by=_user(actor),
        )
        SupervisionGroup.objects.filter(pk=group.pk).update(unit_count=F("unit_count") + 1)
        versions.bump(selectors.coverage_version(group.campaign_id))
        audit.record(
            actor=actor,
            verb="supervision.assign",
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


def unassign(*, actor: Any, assignment: GroupAssignment) -> None:
    with transaction.atomic():
        row = GroupAssignment.objects.select_related("group", "unit").get(pk=assignment.pk)
        group = _locked_group(actor, row.group)
        before = {"group": group.pk, "unit": row.unit.code, "override_reason": row.override_reason}
        audit.record(
            actor=actor,
            verb="supervision.unassign",
            obj=row,
            object_repr=f"{group.name} → {row.unit.name}",
            unit_id=row.unit_id,
            unit_path=row.path,
            before=before,
        )
        row.delete()
        SupervisionGroup.objects.filter(pk=group.pk).update(unit_count=F("unit_count") - 1)
        versions.bump(selectors.coverage_version(group.campaign_id))


# ---------------------------------------------------------------------------------------------------------
# Coverage: default groups and the balanced proposal
# ---------------------------------------------------------------------------------------------------------


def _campaign_levels(batch: Batch) -> list[int]:
    return sorted(level for level in batch.rules.get("participating_levels", [2, 3, 4, 5]) if level > 1)


def coverage_default_groups(
    *, actor: Any, campaign: Campaign, batch: Batch | None = None
) -> list[SupervisionGroup]:
    """One group per dispatching office that has participating units at a level below it and no group for
    that level yet (an instructor for a township's villages). Only offices in the actor's change scope."""
    _require_dispatch_in(actor, campaign)
    created: list[SupervisionGroup] = []
    batches = [batch] if batch is not None else list(campaign.batches.order_by("ordinal"))
    with transaction.atomic():
        for b in batches:
            data = selectors.coverage_data(campaign, batch=b, context=True)
            existing = data.groups
            specs = coverage.default_groups(data.units, existing, _campaign_levels(b))
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


@dataclass
class ProposalResult:
    created: int = 0
    per_group: dict[int, int] = field(default_factory=dict)
    unplaceable: list[coverage.UnplaceableUnit] = field(default_factory=list)
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
            paths = _grant_paths(m, (Role.SUPERVISOR, Role.ADMIN))
            if not _covered(paths, g.home_path):
                limits.setdefault(g.pk, []).append(paths)
    return limits


def coverage_propose_apply(*, actor: Any, campaign: Campaign, batch: Batch | None = None) -> ProposalResult:
    """Give every unassigned participating unit one group, balanced by unit count within its league or
    county (the engine's proposal). Never creates an overlap: the proposal only takes units without any
    assignment, and the result is re-checked before commit."""
    _require_dispatch_in(actor, campaign)
    result = ProposalResult()
    batches = [batch] if batch is not None else list(campaign.batches.order_by("ordinal"))
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=campaign.pk)  # one proposal at a time per campaign
        for b in batches:
            data = selectors.coverage_data(campaign, batch=b)
            proposal = coverage.propose(data.units, data.groups, data.assignments)
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
                if any(not _covered(p, paths[a.unit_id]) for p in limits.get(a.group_id, ())):
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
                        created_by=_user(actor),
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
                    verb="supervision.propose_apply",
                    obj=g,
                    unit_id=g.home_unit_id,
                    unit_path=g.home_path,
                    after={"assigned": n, "batch": b.key},
                )
    return result


# ---------------------------------------------------------------------------------------------------------
# Required actions, materials and meetings
# ---------------------------------------------------------------------------------------------------------


def _unit_participation(actor: Any, participation: Participation) -> Participation:
    participation = (
        Participation.objects.select_for_update().select_related("campaign", "unit").get(pk=participation.pk)
    )
    require(actor, "change", participation.path)
    if participation.campaign.status == Status.DRAFT:
        raise ValidationError(_("活动还没有排程。"))
    return participation


def _action(participation: Participation, phase: int, action_key: str) -> dict[str, str]:
    spec = participation.campaign.spec
    phases = spec.phases
    if phase != participation.current_phase or phase >= len(phases):
        raise ValidationError(_("只能办理当前环节的规定动作。"))
    for a in spec.actions(phases[phase]["key"], participation.kind):
        if a["key"] == action_key:
            return a
    raise ValidationError(_("本环节没有规定动作“%(key)s”。") % {"key": action_key})


def _no_open_review(participation: Participation, phase: int) -> None:
    if Review.objects.filter(participation=participation, phase=phase, state=ReviewState.OPEN).exists():
        raise ValidationError(_("本环节已提交审核，审核结束前不能修改。"))


def _mark_done(
    actor: Any, participation: Participation, phase: int, action: Mapping[str, str], note: str = ""
) -> bool:
    if ActionDone.objects.filter(
        participation=participation, phase=phase, action_key=action["key"], cleared_at=None
    ).exists():
        return False
    ActionDone.objects.create(
        participation=participation,
        phase=phase,
        action_key=action["key"],
        evidence=action["evidence"],
        note=note[:200],
        done_by=_user(actor),
    )
    return True


def action_confirm(
    *, actor: Any, participation: Participation, phase: int, action_key: str, note: str = ""
) -> None:
    """Confirm a required action that needs no evidence (确认完成)."""
    note = within_length(note, 200, _("说明"))
    with transaction.atomic():
        participation = _unit_participation(actor, participation)
        action = _action(participation, phase, action_key)
        if action["evidence"] != Evidence.CONFIRM:
            raise ValidationError(
                _("“%(name)s”需要%(what)s，不能只确认。")
                % {"name": action["name"], "what": Evidence(action["evidence"]).label}
            )
        _no_open_review(participation, phase)
        if _mark_done(actor, participation, phase, action, note):
            audit.record(
                actor=actor,
                verb="supervision.action_confirm",
                obj=participation.unit,
                object_type="campaigns.participation",
                object_id=str(participation.pk),
                object_repr=f"{participation.unit.name} · {action['name']}",
                unit_id=participation.unit_id,
                unit_path=participation.path,
                after={"phase": phase, "action": action_key, "note": note[:200]},
            )


# Accepted material types: what the content says, and the suffixes that may carry it.
MATERIAL_TYPES = {
    "pdf": (".pdf",),
    "docx": (".docx",),
    "xlsx": (".xlsx",),
    "doc": (".doc",),
    "xls": (".xls",),
    "png": (".png",),
    "jpg": (".jpg", ".jpeg"),
}


def max_material_bytes() -> int:
    return int(getattr(settings, "ECHELON_MAX_MATERIAL_BYTES", 20 * 1024 * 1024))


def sniff_material(fileobj: IO[bytes], name: str) -> str:
    """The material's type from its content (not its name), or a ValidationError in plain Chinese."""
    limit = max_material_bytes()
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    if size == 0:
        raise ValidationError(_("文件是空的。"))
    if size > limit:
        raise ValidationError(
            _("文件过大（%(size)s），材料上限为 %(limit)s。")
            % {"size": human_size(size), "limit": human_size(limit)}
        )
    head = fileobj.read(8)
    fileobj.seek(0)
    kind = ""
    if head.startswith(b"%PDF-"):
        kind = "pdf"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif head.startswith(b"\xff\xd8\xff"):
        kind = "jpg"
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        kind = "xls" if Path(name).suffix.lower() == ".xls" else "doc"
    elif head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(fileobj) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            names = set()
        fileobj.seek(0)
        kind = "docx" if "word/document.xml" in names else "xlsx" if "xl/workbook.xml" in names else ""
    if not kind:
        raise ValidationError(
            _("不支持的文件类型：材料只能是 PDF、Word、Excel 或图片（PNG、JPG），文件内容与之不符。")
        )
    suffix = Path(name).suffix.lower()
    if suffix not in MATERIAL_TYPES[kind]:
        raise ValidationError(
            _("文件内容是 %(kind)s，但扩展名是“%(suffix)s”，请改正后再上传。")
            % {"kind": kind.upper(), "suffix": suffix or "-"}
        )
    return kind


def material_upload(
    *, actor: Any, participation: Participation, phase: int, action_key: str, fileobj: IO[bytes], name: str
) -> Material:
    """A new version of the material of one required action (earlier versions are kept)."""
    kind = sniff_material(fileobj, name)
    clean_name = Path(name).name[-150:] or f"material.{kind}"
    with transaction.atomic():
        participation = _unit_participation(actor, participation)
        action = _action(participation, phase, action_key)
        if action["evidence"] != Evidence.MATERIAL:
            raise ValidationError(_("“%(name)s”不需要上传材料。") % {"name": action["name"]})
        _no_open_review(participation, phase)
        latest = (
            Material.objects.filter(
                participation=participation, phase=phase, action_key=action_key
            ).aggregate(v=Max("version"))["v"]
            or 0
        )
        fileobj.seek(0, io.SEEK_END)
        size = fileobj.tell()
        fileobj.seek(0)
        material = Material(
            participation=participation,
            path=participation.path,
            phase=phase,
            action_key=action_key,
            version=latest + 1,
            original_name=clean_name,
            file_type=kind,
            size=size,
            uploaded_by=_user(actor),
        )
        material.file.save(clean_name, File(fileobj, name=clean_name), save=False)
        try:
            material.save()
        except Exception:
            material.file.delete(save=False)
            raise
        _mark_done(actor, participation, phase, action)
        audit.record(
            actor=actor,
            verb="supervision.material_upload",
            obj=material,
            unit_id=participation.unit_id,
            unit_path=participation.path,
            after={
                "phase": phase,
                "action": action_key,
                "version": material.version,
                "name": clean_name,
                "type": kind,
                "size": size,
            },
        )
        return material


MEETING_FIELDS = [
    "type",
    "date",
    "half_day",
    "place",
    "attendees",
    "minutes",
    "rated_good",
    "rated_fair",
    "rated_poor",
]
# The ranges of what a meeting record holds (meeting_record is their single home; the form and the API
# serializer mirror the lengths so the schema shows them). A meeting has no head count: each rating and
# the number of members rated (好 + 一般 + 差) is at most MEETING_MAX_PEOPLE.
MEETING_TEXT_LIMITS = {"place": 200, "attendees": 5_000, "minutes": 20_000}
MEETING_MAX_PEOPLE = 100_000
MEETING_COUNTS = ("rated_good", "rated_fair", "rated_poor")


def _meeting_errors(meeting: Meeting, participation: Participation, today: date) -> None:
    """Refuse an absurd meeting record (ValidationError in Chinese): a date outside the campaign's recording
    window (``campaign_services.check_recorded_date``), a count that is not a whole number within range,
    a text over its length."""
    names = {key: str(getattr(Meeting._meta.get_field(key), "verbose_name", key)) for key in MEETING_FIELDS}
    for key, limit in MEETING_TEXT_LIMITS.items():
        value = getattr(meeting, key)
        if not isinstance(value, str):
            raise ValidationError(_("%(field)s须是文字。") % {"field": names[key]})
        if len(value) > limit:
            raise ValidationError(
                _("%(field)s最多 %(limit)d 个字（现有 %(n)d 个）。")
                % {"field": names[key], "limit": limit, "n": len(value)}
            )
    total = 0
    for key in MEETING_COUNTS:
        value = getattr(meeting, key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MEETING_MAX_PEOPLE:
            raise ValidationError(
                _("%(field)s须是 0～%(most)d 之间的整数。")
                % {"field": names[key], "most": MEETING_MAX_PEOPLE}
            )
        total += value
    if total > MEETING_MAX_PEOPLE:
        raise ValidationError(
            _("评议人数合计（%(n)d）超过 %(most)d 人。") % {"n": total, "most": MEETING_MAX_PEOPLE}
        )
    if isinstance(meeting.date, date):
        campaign_services.check_recorded_date(participation, meeting.date, what=_("会议日期"), today=today)


def meeting_record(
    *, actor: Any, participation: Participation, phase: int, data: Mapping[str, Any], action_key: str = ""
) -> Meeting:
    """Record a meeting (mobilization, special democratic life meeting, organizational life meeting with
    democratic appraisal 好/一般/差, ...); marks a required action that needs a meeting record done."""
    with transaction.atomic():
        participation = _unit_participation(actor, participation)
        action = _action(participation, phase, action_key) if action_key else None
        if action is not None and action["evidence"] != Evidence.MEETING:
            raise ValidationError(_("“%(name)s”不需要会议记录。") % {"name": action["name"]})
        if action is not None:
            _no_open_review(participation, phase)
        meeting = Meeting(
            participation=participation,
            path=participation.path,
            phase=phase,
            action_key=action_key,
            recorded_by=_user(actor),
        )
        for key in MEETING_FIELDS:
            if key in data:
                setattr(meeting, key, data[key])
        if meeting.type not in MeetingType.values:
            raise ValidationError(_("请选择会议类型。"))
        ratings = [meeting.rated_good, meeting.rated_fair, meeting.rated_poor]
        if meeting.type == MeetingType.APPRAISAL and any(r is None for r in ratings):
            raise ValidationError(_("民主评议党员：请填写评为“好”“一般”“差”的人数。"))
        today = timezone.localdate()
        if isinstance(meeting.date, date) and meeting.date > today:
            raise ValidationError(_("会议日期不能晚于今天：会议开过后再记录。"))
        _meeting_errors(meeting, participation, today)
        meeting.full_clean(exclude=["participation", "recorded_by", "path"])
        meeting.save()
        if action is not None:
            _mark_done(actor, participation, phase, action)
        audit.record(
            actor=actor,
            verb="supervision.meeting_record",
            obj=meeting,
            unit_id=participation.unit_id,
            unit_path=participation.path,
            after={"phase": phase, "action": action_key, **audit.snapshot(meeting, MEETING_FIELDS)},
        )
        return meeting


# ---------------------------------------------------------------------------------------------------------
# Gates
# ---------------------------------------------------------------------------------------------------------


def _ensure_started(participation: Participation, phase: int, today: date, *, actor: Any) -> None:
    """The phase's actual start, set by the first submission when nothing was recorded: written on behalf
    of the submitting ``actor`` (audited as them), already authorized by ``gate_submit``."""
    if PhaseActual.objects.filter(participation=participation, phase=phase).exists():
        return
    key = participation.campaign.spec.phases[phase]["key"]
    campaign_services.phase_actual_record(
        actor=actor,
        participation=participation,
        phase_key=key,
        start=today,
        today=today,
        note=_("首次提交审核"),
        by_gate=True,
    )


def _require_children_done(participation: Participation, phase: int) -> None:
    """A phase marked ``requires_children`` in the template (e.g. the summary) closes only when every
    participating unit directly below has passed it."""
    spec_phase = participation.campaign.spec.phases[phase]
    if not spec_phase.get("requires_children"):
        return
    pending = Participation.objects.filter(
        campaign_id=participation.campaign_id, unit__parent_id=participation.unit_id, current_phase__lte=phase
    )
    n = pending.count()
    if n:
        names = "、".join(pending.order_by("path").values_list("unit__name", flat=True)[:5])
        raise ValidationError(
            _("下级单位还有 %(n)d 个没有通过“%(phase)s”（%(names)s等），本单位的这一环节暂不能结束。")
            % {"n": n, "phase": spec_phase["name"], "names": names}
        )


def _close_phase(participation: Participation, phase: int, today: date, *, actor: Any) -> None:
    """Close ``phase`` today and open the next one today, through the campaigns service, on behalf of
    ``actor`` (the reviewer who passed it, or the submitter of a phase without a gate): the phase actuals
    are audited as them; the caller has authorized the act."""
    _require_children_done(participation, phase)
    phases = participation.campaign.spec.phases
    actual = PhaseActual.objects.get(participation=participation, phase=phase)
    campaign_services.phase_actual_record(
        actor=actor,
        participation=participation,
        phase_key=phases[phase]["key"],
        start=actual.start,
        end=today,
        today=today,
        note=_("督导组审核通过"),
        by_gate=True,
    )
    if phase + 1 < len(phases):
        campaign_services.phase_actual_record(
            actor=actor,
            participation=participation,
            phase_key=phases[phase + 1]["key"],
            start=today,
            today=today,
            note=_("上一环节通过后开启"),
            by_gate=True,
        )


def gate_submit(
    *, actor: Any, participation: Participation, note: str = "", today: date | None = None
) -> Review:
    """Submit the unit's current phase. Every required action must be done (the error names what is
    missing). A gated phase goes to the responsible group; a phase without a gate closes at once."""
    today = today or timezone.localdate()
    with transaction.atomic():
        participation = _unit_participation(actor, participation)
        state = selectors.phase_state(participation)
        if state.finished:
            raise ValidationError(_("所有环节均已完成。"))
        if state.open_review is not None:
            raise ValidationError(_("本环节已提交，正在等待督导组审核。"))
        if state.missing:
            raise ValidationError(
                _("还有 %(n)d 项规定动作未完成：%(names)s。")
                % {"n": len(state.missing), "names": "；".join(a.name for a in state.missing)}
            )
        _require_children_done(participation, state.index)
        groups = selectors.responsible_groups(participation) if state.gate else []
        if state.gate and not groups:
            raise ValidationError(
                _("“%(unit)s”还没有负责的督导组（或指导员），请联系上级领导小组办公室指派。")
                % {"unit": participation.unit.name}
            )
        _ensure_started(participation, state.index, today, actor=actor)
        now = timezone.now()
        review = Review(
            campaign_id=participation.campaign_id,
            participation=participation,
            unit_id=participation.unit_id,
            path=participation.path,
            level=participation.level,
            phase=state.index,
            group=groups[0] if groups else None,
            submitted_at=now,
            submitted_by=_user(actor),
            note=within_length(note, 2_000, _("提交说明")),
        )
        if not state.gate:
            review.state, review.decision, review.decided_at = ReviewState.DECIDED, Decision.PASS, now
            review.comment = _("本环节不设关口，规定动作完成即结束。")
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError as exc:
            raise ValidationError(_("本环节已提交，正在等待督导组审核。")) from exc
        if not state.gate:
            _close_phase(participation, state.index, today, actor=actor)
        else:
            _notify_submission(actor, review, participation, state.name)
        audit.record(
            actor=actor,
            verb="gate.submit",
            obj=review,
            object_repr=f"{participation.unit.name} · {state.name}",
            unit_id=participation.unit_id,
            unit_path=participation.path,
            after={
                "phase": state.key,
                "group": review.group_id,
                "gate": state.gate,
                "closed": not state.gate,
            },
        )
        return review


@dataclass
class CheckResult:
    passed: bool
    comment: str = ""


def gate_decide(
    *,
    actor: Any,
    review: Review,
    decision: str,
    checks: Mapping[str, CheckResult],
    comment: str = "",
    deadline: date | None = None,
    interview_who: str = "",
    interview_at: date | None = None,
    interview_required: str = "",
    today: date | None = None,
) -> Review:
    """The responsible group's decision on an open submission: pass (the phase closes, the next opens),
    return (打回, fix by ``deadline``), interview (约谈: who, when, what was required) or redo (返工: the
    phase's actions are cleared and must be done again; materials stay as versions).

    Two reviewers at once: the decision is written by one conditional UPDATE (``state = open``); the
    loser's UPDATE matches no row and gets ``AlreadyDecided`` ("已被其他人处理")."""
    today = today or timezone.localdate()
    if decision not in Decision.values:
        raise ValidationError(_("请选择审核决定。"))
    comment = within_length(comment, 5_000, _("审核意见"))
    interview_who = within_length(interview_who, 200, _("约谈对象"))
    interview_required = within_length(interview_required, 5_000, _("约谈要求"))
    for result in checks.values():
        within_length(result.comment, 2_000, _("检查意见"))
    uses_deadline = decision in (Decision.RETURN, Decision.REDO)
    if uses_deadline and deadline is not None and not today <= deadline <= today + timedelta(days=366):
        raise ValidationError(_("整改期限须在今天至一年之内。"))
    if interview_at is not None and abs((interview_at - today).days) > 366:
        raise ValidationError(_("约谈日期须在今天前后一年之内。"))
    with transaction.atomic():
        review = Review.objects.select_related("participation__campaign", "unit").get(pk=review.pk)
        participation = review.participation
        require(actor, "review", participation.path)
        if not selectors.may_review(actor, participation):
            raise PermissionDenied(_("只有负责该单位的督导组成员可以审核。"))
        if error := _decider_error(actor, review, participation):
            raise PermissionDenied(error)
        if review.state != ReviewState.OPEN:
            raise AlreadyDecided(
                _("该提交已被其他人处理（%(decision)s）。") % {"decision": review.get_decision_display()}
            )
        state = selectors.phase_state(participation, review.phase)
        names = {c["key"]: c["name"] for c in state.checks}
        missing = [names[k] for k in names if k not in checks]
        if missing:
            raise ValidationError(_("请逐项给出检查结论：%(names)s。") % {"names": "、".join(missing)})
        results = [
            {
                "key": k,
                "name": names[k],
                "passed": bool(checks[k].passed),
                "comment": checks[k].comment.strip(),
            }
            for k in names
        ]
        failed = [str(r["name"]) for r in results if not r["passed"]]
        if decision == Decision.PASS and failed:
            raise ValidationError(
                _("不达目的不过关：%(names)s未通过，不能审核通过。") % {"names": "、".join(failed)}
            )
        if decision != Decision.PASS and not comment and not any(r["comment"] for r in results):
            raise ValidationError(_("打回、约谈或返工时，请写明意见。"))
        if decision == Decision.RETURN and (deadline is None or deadline < today):
            raise ValidationError(_("打回修改须给出不早于今天的整改期限。"))
        if decision == Decision.INTERVIEW and not (
            interview_who.strip() and interview_at and interview_required.strip()
        ):
            raise ValidationError(_("约谈须写明约谈对象、日期和提出的要求。"))
        now = timezone.now()
        won = Review.objects.filter(pk=review.pk, state=ReviewState.OPEN).update(
            state=ReviewState.DECIDED,
            decision=decision,
            decided_at=now,
            decided_by=_user(actor),
            comment=comment,
            checks=results,
            deadline=deadline if decision in (Decision.RETURN, Decision.REDO) else None,
            interview_who=interview_who.strip()[:200] if decision == Decision.INTERVIEW else "",
            interview_at=interview_at if decision == Decision.INTERVIEW else None,
            interview_required=interview_required.strip() if decision == Decision.INTERVIEW else "",
        )
        if not won:
            raise AlreadyDecided(_("该提交已被其他人处理，您的决定未保存。请刷新查看结果。"))
        if decision == Decision.PASS:
            _close_phase(participation, review.phase, today, actor=actor)
        elif decision == Decision.REDO:
            ActionDone.objects.filter(
                participation=participation, phase=review.phase, cleared_at=None
            ).update(cleared_at=now)
        review.refresh_from_db()
        if decision != Decision.PASS:
            _notify_returned(actor, review, participation, state.name)
        audit.record(
            actor=actor,
            verb=f"gate.{decision}",
            obj=review,
            object_repr=f"{review.unit.name} · {state.name}",
            unit_id=review.unit_id,
            unit_path=review.path,
            before={"state": ReviewState.OPEN},
            after={
                "state": review.state,
                "decision": decision,
                "phase": state.key,
                "checks": results,
                "comment": comment,
                "deadline": review.deadline,
                "interview_who": review.interview_who,
                "interview_at": review.interview_at,
                "interview_required": review.interview_required,
            },
        )
        return review


# ---------------------------------------------------------------------------------------------------------
# Patrol visits (巡查)
# ---------------------------------------------------------------------------------------------------------

PATROL_FIELDS = ["group_id", "unit_id", "date", "findings"]


def patrol_record(
    *, actor: Any, group: SupervisionGroup, unit: Unit, date: date, findings: str
) -> PatrolVisit:
    """A group member records a patrol visit (巡查) to a unit of the group's patrol scope: one of its
    targets, or a unit one level below a target. The date may not be in the future."""
    findings = within_length(findings, 5_000, _("巡查发现"))
    with transaction.atomic():
        group = SupervisionGroup.objects.select_related("campaign").get(pk=group.pk)
        unit = Unit.objects.get(pk=unit.pk)
        if actor is not None and not selectors.is_group_member(actor, group):
            raise PermissionDenied(_("只有督导组成员可以记录巡查。"))
        if not selectors.in_patrol_scope(group, unit):
            raise ValidationError(
                _("“%(unit)s”不在“%(group)s”的巡查范围内：只能巡查督导对象及其下一级单位。")
                % {"unit": unit.name, "group": group.name}
            )
        if date > timezone.localdate():
            raise ValidationError(_("巡查日期不能晚于今天：巡查过后再记录。"))
        if not findings:
            raise ValidationError(_("请填写巡查发现的情况和问题。"))
        visit = PatrolVisit.objects.create(
            group=group,
            campaign_id=group.campaign_id,
            unit=unit,
            path=unit.path,
            date=date,
            findings=findings[:5000],
            created_by=_user(actor),
        )
        audit.record(
            actor=actor,
            verb="supervision.patrol_record",
            obj=visit,
            object_repr=f"{group.name} → {unit.name} {date.isoformat()}",
            unit_id=unit.pk,
            unit_path=unit.path,
            after=audit.snapshot(visit, PATROL_FIELDS),
        )
        return visit


# ---------------------------------------------------------------------------------------------------------
# Notifications (written by the services above, in their transaction; a daily digest, not a flood)
# ---------------------------------------------------------------------------------------------------------


def _group_people(group_id: int | None) -> set[int]:
    if group_id is None:
        return set()
    group = SupervisionGroup.objects.filter(pk=group_id).values_list("leader_id", flat=True).first()
    people = set(
        SupervisionGroup.members.through.objects.filter(supervisiongroup_id=group_id).values_list(
            "user_id", flat=True
        )
    )
    return people | ({group} if group else set())


def unit_operators(unit_id: int) -> set[int]:
    """Users holding an ``operator`` grant at the unit itself (its secretary or liaison clerk)."""
    return set(Grant.objects.filter(unit_id=unit_id, role=Role.OPERATOR).values_list("user_id", flat=True))


def _notify(
    user_ids: Iterable[int], *, kind: str, text: str, link: str = "", key: str = "", exclude: Any = None
) -> int:
    """Write one notification per user (a keyed one at most once per user). Returns how many were new."""
    ids = {u for u in user_ids if u is not None} - ({exclude.pk} if _is_user(exclude) else set())
    if key and ids:
        ids -= set(Notification.objects.filter(user_id__in=ids, key=key).values_list("user_id", flat=True))
    rows = [
        Notification(user_id=u, kind=kind, text=text[:500], link=link[:300], key=key) for u in sorted(ids)
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _review_link(review: Review) -> str:
    from django.urls import reverse

    return reverse("supervision:review", args=[review.pk])


def _unit_link(participation: Participation) -> str:
    from django.urls import reverse

    return reverse("supervision:unit", args=[participation.campaign_id, participation.unit.code])


def _notify_submission(actor: Any, review: Review, participation: Participation, phase_name: str) -> None:
    """A submission awaits review: the responsible group's members."""
    _notify(
        _group_people(review.group_id),
        kind=NotificationKind.REVIEW_WAITING,
        text=_("“%(unit)s”提交了“%(phase)s”，等待您所在的督导组审核。")
        % {"unit": participation.unit.name, "phase": phase_name},
        link=_review_link(review),
        exclude=actor,
    )


def _notify_returned(actor: Any, review: Review, participation: Participation, phase_name: str) -> None:
    """Returned, interview or redo: the unit's operators (and whoever submitted)."""
    what = {
        Decision.RETURN: _("被打回修改，期限 %(deadline)s"),
        Decision.REDO: _("需要返工，期限 %(deadline)s"),
        Decision.INTERVIEW: _("督导组提出约谈"),
    }[Decision(review.decision)] % {"deadline": review.deadline.isoformat() if review.deadline else "-"}
    _notify(
        unit_operators(participation.unit_id)
        | ({review.submitted_by_id} if review.submitted_by_id else set()),
        kind=NotificationKind.RETURNED,
        text=_("“%(unit)s”的“%(phase)s”%(what)s。意见：%(comment)s")
        % {
            "unit": participation.unit.name,
            "phase": phase_name,
            "what": what,
            "comment": review.comment or "；".join(c["comment"] for c in review.checks if c.get("comment")),
        },
        link=_unit_link(participation),
        exclude=actor,
    )


@dataclass
class DueResult:
    deadlines: int = 0
    overdue: int = 0


def notify_due(*, actor: Any = None, today: date | None = None) -> DueResult:
    """The daily run's notices, each made once per item and person: a return or redo deadline three days
    (or fewer) away and not resubmitted yet → the unit's operators; a submission waiting longer than the
    review due days → the group's members."""
    from django.db.models import Exists, OuterRef

    today = today or timezone.localdate()
    result = DueResult()
    with transaction.atomic():
        newer = Review.objects.filter(
            participation=OuterRef("participation"),
            phase=OuterRef("phase"),
            submitted_at__gt=OuterRef("submitted_at"),
        )
        due = (
            Review.objects.filter(
                state=ReviewState.DECIDED,
                decision__in=[Decision.RETURN, Decision.REDO],
                deadline__gte=today,
                deadline__lte=today + timedelta(days=3),
            )
            .filter(~Exists(newer))
            .select_related("participation__campaign", "unit")
        )
        for r in due.iterator(chunk_size=500):
            p = r.participation
            result.deadlines += _notify(
                unit_operators(r.unit_id) | ({r.submitted_by_id} if r.submitted_by_id else set()),
                kind=NotificationKind.DEADLINE,
                text=_("“%(unit)s”的“%(phase)s”整改期限是 %(deadline)s（还有 %(n)d 天），请修改后重新提交。")
                % {
                    "unit": r.unit.name,
                    "phase": selectors.phase_name(p.campaign, r.phase),
                    "deadline": r.deadline.isoformat() if r.deadline else "",
                    "n": (r.deadline - today).days if r.deadline else 0,
                },
                link=_unit_link(p),
                key=f"deadline:{r.pk}",
            )
        late = timezone.now() - timedelta(days=selectors.review_due_days())
        overdue = Review.objects.filter(
            state=ReviewState.OPEN, submitted_at__lt=late, group__isnull=False
        ).select_related("campaign", "unit")
        for r in overdue.iterator(chunk_size=500):
            result.overdue += _notify(
                _group_people(r.group_id),
                kind=NotificationKind.OVERDUE,
                text=_("“%(unit)s”于 %(when)s 提交的“%(phase)s”已超过 %(days)d 天未审核。")
                % {
                    "unit": r.unit.name,
                    "when": timezone.localtime(r.submitted_at).date().isoformat(),
                    "phase": selectors.phase_name(r.campaign, r.phase),
                    "days": selectors.review_due_days(),
                },
                link=_review_link(r),
                key=f"overdue:{r.pk}",
            )
        if result.deadlines or result.overdue:
            audit.record(
                actor=actor,
                verb="notify.generate",
                object_type="supervision.notification",
                object_repr=str(today),
                after={"deadlines": result.deadlines, "overdue": result.overdue, "day": today},
            )
    return result


def notification_mark_read(*, actor: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own notifications read (``ids``, or all of them)."""
    with transaction.atomic():
        qs = Notification.objects.visible_to(actor).unread()
        if ids is not None:
            qs = qs.filter(pk__in=list(ids))
        n = qs.update(read_at=timezone.now())
        if n:
            audit.record(
                actor=actor,
                verb="notify.read",
                object_type="supervision.notification",
                object_repr=_("%(n)d 条通知") % {"n": n},
                after={"count": n, "ids": sorted(ids) if ids is not None else "all"},
            )
        return n


def email_configured() -> bool:
    """An e-mail backend was chosen on purpose (not Django's default SMTP to localhost)."""
    backend = getattr(settings, "EMAIL_BACKEND", "")
    if backend and backend != "django.core.mail.backends.smtp.EmailBackend":
        return True
    return getattr(settings, "EMAIL_HOST", "localhost") not in ("", "localhost")


@dataclass
class DigestResult:
    users: int = 0
    emails: int = 0
    skipped_no_email: int = 0


def notify_digest_send(*, actor: Any = None, today: date | None = None) -> DigestResult:
    """One e-mail per user per day listing their unread notifications (when e-mail is configured and
    the user has an address). A second run on the same day sends nothing more (``NotificationDigest``)."""
    from django.core.mail import EmailMessage

    from echelon.accounts.models import User

    today = today or timezone.localdate()
    result = DigestResult()
    if not email_configured():
        return result
    user_ids = (
        Notification.objects.unread()
        .exclude(user_id__in=NotificationDigest.objects.filter(day=today).values("user_id"))
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user in User.objects.filter(pk__in=list(user_ids), is_active=True).order_by("pk"):
        if not user.email:
            result.skipped_no_email += 1
            continue
        items = list(Notification.objects.filter(user=user).unread().order_by("created", "id")[:100])
        if not items:
            continue
        result.users += 1
        lines = [
            f"· {n.created.astimezone(timezone.get_current_timezone()):%m-%d %H:%M} {n.text}" for n in items
        ]
        body = "\n".join(
            [
                _("%(name)s，您好：") % {"name": user},
                _("您有 %(n)d 条未读通知：") % {"n": len(items)},
                "",
                *lines,
                "",
                _("请登录梯次查看和处理。本邮件每天最多发送一次。"),
            ]
        )
        message = EmailMessage(
            subject=_("梯次：您有 %(n)d 条未读通知（%(day)s）") % {"n": len(items), "day": today.isoformat()},
            body=body,
            to=[user.email],
        )
        try:
            with transaction.atomic():
                NotificationDigest.objects.create(user=user, day=today, count=len(items))
                audit.record(
                    actor=actor,
                    verb="notify.digest",
                    obj=user,
                    object_repr=user.get_username(),
                    after={"day": today, "count": len(items)},
                )
                transaction.on_commit(partial(message.send, fail_silently=True))
        except IntegrityError:
            continue  # another run sent today's digest
        result.emails += 1
    return result


# ---------------------------------------------------------------------------------------------------------
# Liaison points and attendance at key meetings
# ---------------------------------------------------------------------------------------------------------

LIAISON_FIELDS = ["leader_id", "unit_id", "campaign_id", "kind"]


def _is_leader_at(user: Any, path: str) -> bool:
    """The user holds the liaison-leader role (``attend``) over ``path``."""
    grants = Grant.objects.filter(user=user, role=Role.LEADER, unit__is_active=True).values_list(
        "unit__path", flat=True
    )
    return any(path.startswith(p) for p in grants)


def liaison_add(
    *, actor: Any, leader: Any, unit: Unit, kind: str = LiaisonKind.LINK, campaign: Campaign | None = None
) -> LiaisonPoint:
    """Give a leader a liaison point. An office may do this within its subtree; the leader must hold the
    liaison-leader role over the unit (so they may record attendance there)."""
    if kind not in LiaisonKind.values:
        raise ValidationError(_("请选择联系方式（指导或联系）。"))
    with transaction.atomic():
        unit = Unit.objects.get(pk=unit.pk)
        require(actor, "dispatch", unit.path)
        if not _is_leader_at(leader, unit.path):
            raise ValidationError(
                _("“%(user)s”没有覆盖“%(unit)s”的联系点领导授权。") % {"user": leader, "unit": unit.name}
            )
        if campaign is not None and not unit.path.startswith(campaign.path):
            raise ValidationError(_("“%(unit)s”不在活动范围内。") % {"unit": unit.name})
        if LiaisonPoint.objects.filter(leader=leader, unit=unit, campaign=campaign).exists():
            raise ValidationError(
                _("“%(unit)s”已经是“%(user)s”的联系点。") % {"unit": unit.name, "user": leader}
            )
        point = LiaisonPoint.objects.create(
            leader=leader, unit=unit, path=unit.path, campaign=campaign, kind=kind, created_by=_user(actor)
        )
        audit.record(
            actor=actor,
            verb="liaison.add",
            obj=point,
            object_repr=f"{leader} · {point.get_kind_display()} · {unit.name}",
            unit_id=unit.pk,
            unit_path=unit.path,
            after=audit.snapshot(point, LIAISON_FIELDS),
        )
        return point


def liaison_remove(*, actor: Any, point: LiaisonPoint) -> None:
    with transaction.atomic():
        point = LiaisonPoint.objects.select_for_update().select_related("unit", "leader").get(pk=point.pk)
        require(actor, "dispatch", point.path)
        audit.record(
            actor=actor,
            verb="liaison.remove",
            obj=point,
            object_repr=f"{point.leader} · {point.get_kind_display()} · {point.unit.name}",
            unit_id=point.unit_id,
            unit_path=point.path,
            before=audit.snapshot(point, LIAISON_FIELDS),
        )
        point.delete()


def liaison_defaults(*, actor: Any, campaign: Campaign) -> list[LiaisonPoint]:
    """The default proposal: each user holding the ``leader`` role at the campaign's root who has no
    point in this campaign yet guides one league (level below the root) and links one county (two levels
    below), taken in code order and round-robin so that leaders are spread: leader *i* (by username)
    guides league *i*, and links the first free county of the next league. Only units within the actor's
    change scope; deterministic."""
    _require_dispatch_in(actor, campaign)
    root = campaign.root
    created: list[LiaisonPoint] = []
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=campaign.pk)
        leader_ids = Grant.objects.filter(unit=root, role=Role.LEADER).values_list("user_id", flat=True)
        from echelon.accounts.models import User

        leaders = [
            u
            for u in User.objects.filter(pk__in=list(leader_ids), is_active=True).order_by("username")
            if not LiaisonPoint.objects.filter(leader=u, campaign=campaign).exists()
        ]
        if not leaders:
            return created
        below = Unit.objects.filter(path__startswith=root.path, is_active=True, kind__in=["leadership"])
        leagues = list(below.filter(level=root.level + 1).order_by("code"))
        counties = list(below.filter(level=root.level + 2).order_by("code"))
        if not leagues:
            return created
        taken = set(
            LiaisonPoint.objects.filter(campaign=campaign, kind=LiaisonKind.LINK).values_list(
                "unit_id", flat=True
            )
        )
        guided = set(
            LiaisonPoint.objects.filter(campaign=campaign, kind=LiaisonKind.GUIDE).values_list(
                "unit_id", flat=True
            )
        )
        free_leagues = [u for u in leagues if u.pk not in guided] or leagues
        for i, leader in enumerate(leaders):
            league = free_leagues[i % len(free_leagues)]
            if allowed(actor, "dispatch", league.path):
                created.append(
                    liaison_add(
                        actor=actor, leader=leader, unit=league, kind=LiaisonKind.GUIDE, campaign=campaign
                    )
                )
            nxt = free_leagues[(i + 1) % len(free_leagues)]
            free = [c for c in counties if c.pk not in taken]
            county = next((c for c in free if c.path.startswith(nxt.path)), free[0] if free else None)
            if county is not None and allowed(actor, "dispatch", county.path):
                taken.add(county.pk)
                created.append(
                    liaison_add(
                        actor=actor, leader=leader, unit=county, kind=LiaisonKind.LINK, campaign=campaign
                    )
                )
    return created


def attendance_record(
    *,
    actor: Any,
    participation: Participation,
    meeting_type: str,
    attended: bool,
    note: str = "",
    leader: Any = None,
    today: date | None = None,
) -> MeetingAttendance:
    """A leader records whether they attended a key meeting at one of their liaison points (action
    ``attend``). ``leader`` defaults to the actor; only the system or a superuser records for another."""
    today = today or timezone.localdate()
    leader = leader if leader is not None else actor
    if not _is_user(leader):
        raise ValidationError(_("请指定联系点领导。"))
    if meeting_type not in selectors.KEY_MEETING_TYPES:
        raise ValidationError(_("只记录动员大会和专题民主（组织）生活会的出席情况。"))
    with transaction.atomic():
        participation = Participation.objects.select_related("unit", "campaign").get(pk=participation.pk)
        require(actor, "attend", participation.path)
        if _is_user(actor) and actor.pk != leader.pk and not actor.is_superuser:
            raise PermissionDenied(_("只能记录本人的出席情况。"))
        point = LiaisonPoint.objects.filter(leader=leader, unit_id=participation.unit_id).filter(
            Q(campaign__isnull=True) | Q(campaign_id=participation.campaign_id)
        )
        if not point.exists():
            raise ValidationError(
                _("“%(unit)s”不是“%(user)s”的联系点。") % {"unit": participation.unit.name, "user": leader}
            )
        found = selectors.key_meeting_of(participation, meeting_type)
        if found is None:
            raise ValidationError(_("这个会议还没有日期：计划或会议记录出来后再记录出席。"))
        day, _half, _place, meeting = found
        if attended and day > today:
            raise ValidationError(
                _("会议还没有召开（%(day)s），开过后再记录出席。") % {"day": day.isoformat()}
            )
        row = (
            MeetingAttendance.objects.select_for_update()
            .filter(leader=leader, participation=participation, meeting_type=meeting_type)
            .first()
        )
        before = audit.snapshot(row, ["attended", "note", "date"]) if row is not None else None
        if row is None:
            row = MeetingAttendance(
                leader=leader, participation=participation, path=participation.path, meeting_type=meeting_type
            )
        row.meeting, row.date, row.attended = meeting, day, bool(attended)
        row.note = within_length(note, 200, _("说明"))
        row.recorded_by = _user(actor)
        row.save()
        audit.record(
            actor=actor,
            verb="liaison.attendance",
            obj=row,
            object_repr=f"{leader} · {participation.unit.name} · {MeetingType(meeting_type).label}",
            unit_id=participation.unit_id,
            unit_path=participation.path,
            before=before,
            after={**audit.snapshot(row, ["attended", "note", "date"]), "meeting": row.meeting_id},
        )
        return row
