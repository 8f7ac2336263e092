"""Groups and their members, and who may be one: the separation of duties of ADR 11 that every topic
checks (a member holds a supervisor grant over the group's home unit or its targets; only the office that
dispatched a group changes it)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from echelon.accounts.models import Grant, User, user_of
from echelon.accounts.roles import Role
from echelon.campaigns.models import Batch, Campaign
from echelon.core import audit, versions
from echelon.core.actors import Actor
from echelon.core.permissions import require
from echelon.core.querysets import scope_paths
from echelon.orgs.models import Level, Unit
from echelon.supervision import selectors, verbs
from echelon.supervision.models import GroupAssignment, GroupKind, SupervisionGroup

GROUP_FIELDS = ["name", "kind", "home_unit_id", "target_level", "leader_id", "batch_id"]


def is_user(value: User | None) -> bool:
    """A saved user (a member or a leader named in a call), not None or an unsaved one."""
    return getattr(value, "pk", None) is not None


def grant_paths(user: User, roles: Iterable[str]) -> list[str]:
    return list(
        Grant.objects.filter(user=user, role__in=list(roles), unit__is_active=True).values_list(
            "unit__path", flat=True
        )
    )


def covered(paths: Iterable[str], path: str) -> bool:
    return any(path.startswith(p) for p in paths)


def require_dispatch_in(actor: Actor, campaign: Campaign) -> None:
    """Bulk coverage and liaison proposals act for the offices the actor is: refused outright for a user
    who dispatches nowhere in the campaign (rather than a silent "0 assigned")."""
    paths = scope_paths(actor, "dispatch") if actor is not None else None
    if paths is None:
        return
    if not any(p.startswith(campaign.path) or campaign.path.startswith(p) for p in paths):
        raise PermissionDenied(_("只有活动范围内的领导小组办公室可以派出督导组、确定联系点。"))


def _membership_error(group: SupervisionGroup, user: User, new_target: str = "") -> str | None:
    """Why ``user`` may not be a member of ``group`` (None: they may). A member holds a supervisor grant
    that covers the group's home unit, or every unit the group is (and, with ``new_target``, will be)
    assigned to: the supervisor and the supervised are never the same people by accident."""
    if user.is_superuser:
        return None
    paths = grant_paths(user, (Role.SUPERVISOR, Role.ADMIN))
    if covered(paths, group.home_path):
        return None
    targets = (
        [*GroupAssignment.objects.filter(group=group).values_list("path", flat=True)] if group.pk else []
    )
    targets += [new_target] if new_target else []
    if targets and all(covered(paths, t) for t in targets):
        return None
    return _("“%(user)s”没有覆盖“%(group)s”派出单位或督导对象的督导组授权，不能成为其成员。") % {
        "user": user,
        "group": group.name,
    }


def require_member_eligible(group: SupervisionGroup, users: Iterable[User], new_target: str = "") -> None:
    for user in users:
        if is_user(user) and (error := _membership_error(group, user, new_target)):
            raise ValidationError(error)


def group_create(
    *,
    actor: Actor,
    campaign: Campaign,
    batch: Batch,
    name: str,
    home_unit: Unit,
    target_level: int | None = None,
    kind: str = GroupKind.GROUP,
    leader: User | None = None,
    members: Iterable[User] = (),
) -> SupervisionGroup:
    """A group dispatched by ``home_unit``'s office to units one level down (an instructor: a township
    office's appointee for its villages, a group of one)."""
    name = name.strip()
    if not name:
        raise ValidationError(_("请填写督导组名称。"))
    members = [m for m in members if is_user(m)]
    lead = leader if leader is not None and is_user(leader) else None
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
        people = {m.pk for m in members} | ({lead.pk} if lead is not None else set())
        if kind == GroupKind.INSTRUCTOR:
            if home_unit.level != Level.TOWNSHIP:
                raise ValidationError(_("指导员由苏木乡镇街道选派到嘎查村社区。"))
            if len(people) > 1:
                raise ValidationError(_("指导员是一个人：只能有一名成员。"))
        if SupervisionGroup.objects.filter(batch=batch, home_unit=home_unit, name=name).exists():
            raise ValidationError(
                _("“%(unit)s”在本批次已有名为“%(name)s”的督导组。") % {"unit": home_unit.name, "name": name}
            )
        require_member_eligible(
            SupervisionGroup(home_path=home_unit.path, name=name),
            [*members, *([lead] if lead is not None else [])],
        )
        group = SupervisionGroup.objects.create(
            campaign=campaign,
            batch=batch,
            name=name,
            kind=kind,
            home_unit=home_unit,
            home_path=home_unit.path,
            target_level=target_level,
            leader=lead,
            created_by=user_of(actor),
        )
        if people:
            group.members.add(*people)
        versions.bump(selectors.coverage_version(campaign.pk))
        audit.record(
            actor=actor,
            verb=verbs.GROUP_CREATE,
            obj=group,
            unit_id=home_unit.pk,
            unit_path=home_unit.path,
            after={**audit.snapshot(group, GROUP_FIELDS), "campaign": campaign.pk, "members": sorted(people)},
        )
        return group


def locked_group(actor: Actor, group: SupervisionGroup) -> SupervisionGroup:
    """The group, locked for the change, once ``actor`` is known to dispatch from its home unit."""
    group = SupervisionGroup.objects.select_for_update().get(pk=group.pk)
    require(actor, "dispatch", group.home_path)
    return group


def group_add_member(
    *, actor: Actor, group: SupervisionGroup, user: User, leader: bool = False
) -> SupervisionGroup:
    with transaction.atomic():
        group = locked_group(actor, group)
        current = set(group.members.values_list("pk", flat=True))
        if group.kind == GroupKind.INSTRUCTOR and current - {user.pk}:
            raise ValidationError(_("指导员是一个人：不能再添加成员。"))
        require_member_eligible(group, [user])
        group.members.add(user)
        before = {"leader_id": group.leader_id}
        if leader:
            group.leader = user
            group.save(update_fields=["leader"])
        audit.record(
            actor=actor,
            verb=verbs.GROUP_ADD_MEMBER,
            obj=group,
            unit_id=group.home_unit_id,
            unit_path=group.home_path,
            before=before,
            after={"member": user.pk, "username": user.get_username(), "leader_id": group.leader_id},
        )
        return group


def group_remove_member(*, actor: Actor, group: SupervisionGroup, user: User) -> SupervisionGroup:
    with transaction.atomic():
        group = locked_group(actor, group)
        group.members.remove(user)
        if group.leader_id == user.pk:
            group.leader = None
            group.save(update_fields=["leader"])
        audit.record(
            actor=actor,
            verb=verbs.GROUP_REMOVE_MEMBER,
            obj=group,
            unit_id=group.home_unit_id,
            unit_path=group.home_path,
            after={"member": user.pk, "username": user.get_username()},
        )
        return group
