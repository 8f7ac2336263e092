"""Users and grants change only here: scoped (offices manage their own subtree), validated, audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from echelon.accounts.models import Grant, User
from echelon.accounts.roles import Role
from echelon.core import audit
from echelon.core.permissions import require

# Who may hand out which role: an office cannot create administrators.
GRANTABLE_BY_OFFICE = {Role.OFFICE, Role.SUPERVISOR, Role.OPERATOR, Role.LEADER}


def user_create(
    *, actor: Any, username: str, password: str | None, display_name: str = "", check_password: bool = True
) -> User:
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise ValidationError(_("用户名“%(name)s”已存在。") % {"name": username})
        user = User(username=username, display_name=display_name)
        if password:
            if check_password:
                validate_password(password, user)
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        audit.record(actor=actor, verb="user.create", obj=user, after={"username": username, "display_name": display_name})
        return user


def grant_add(*, actor: Any, user: User, unit: Any, role: str) -> Grant:
    if role not in Role.values:
        raise ValidationError(_("未知角色“%(role)s”。可用角色：%(roles)s") % {"role": role, "roles": ", ".join(Role.values)})
    with transaction.atomic():
        require(actor, "manage_users", unit.path)
        if actor is not None and actor.scope_paths("manage_users") is not None and role not in GRANTABLE_BY_OFFICE:
            raise PermissionDenied(_("只有系统管理员可以授予“%(role)s”角色。") % {"role": Role(role).label})
        grant, created = Grant.objects.get_or_create(
            user=user, unit=unit, role=role, defaults={"created_by": actor if getattr(actor, "pk", None) else None}
        )
        if created:
            audit.record(actor=actor, verb="grant.add", obj=grant, unit_id=unit.pk, unit_path=unit.path,
                         after={"user": user.username, "unit": unit.code, "role": role})
        user.forget_scope()
        return grant


def grant_remove(*, actor: Any, grant: Grant) -> None:
    with transaction.atomic():
        require(actor, "manage_users", grant.unit.path)
        audit.record(actor=actor, verb="grant.remove", obj=grant, unit_id=grant.unit_id, unit_path=grant.unit.path,
                     before={"user": grant.user.username, "unit": grant.unit.code, "role": grant.role})
        grant.delete()
        grant.user.forget_scope()
