"""Users and grants change only here: scoped (offices manage their own subtree), validated, audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import ApiToken, Grant, User
from echelon.accounts.roles import Role
from echelon.accounts.selectors import managed_users
from echelon.accounts.tokens import PREFIX_LEN, hash_key, new_key
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
        audit.record(
            actor=actor,
            verb="user.create",
            obj=user,
            after={"username": username, "display_name": display_name},
        )
        return user


def grant_add(*, actor: Any, user: User, unit: Any, role: str) -> Grant:
    if role not in Role.values:
        raise ValidationError(
            _("未知角色“%(role)s”。可用角色：%(roles)s") % {"role": role, "roles": ", ".join(Role.values)}
        )
    with transaction.atomic():
        require(actor, "manage_users", unit.path)
        restricted = actor is not None and actor.scope_paths("manage_users") is not None
        if restricted and actor.pk == user.pk:
            raise PermissionDenied(_("不能修改自己的授权，请联系上级办公室。"))
        if restricted and role not in GRANTABLE_BY_OFFICE:
            raise PermissionDenied(_("只有系统管理员可以授予“%(role)s”角色。") % {"role": Role(role).label})
        grant, created = Grant.objects.get_or_create(
            user=user,
            unit=unit,
            role=role,
            defaults={"created_by": actor if getattr(actor, "pk", None) else None},
        )
        if created:
            audit.record(
                actor=actor,
                verb="grant.add",
                obj=grant,
                unit_id=unit.pk,
                unit_path=unit.path,
                after={"user": user.username, "unit": unit.code, "role": role},
            )
        user.forget_scope()
        return grant


def grant_remove(*, actor: Any, grant: Grant) -> None:
    with transaction.atomic():
        require(actor, "manage_users", grant.unit.path)
        if actor is not None and actor.scope_paths("manage_users") is not None and actor.pk == grant.user_id:
            raise PermissionDenied(_("不能修改自己的授权，请联系上级办公室。"))
        audit.record(
            actor=actor,
            verb="grant.remove",
            obj=grant,
            unit_id=grant.unit_id,
            unit_path=grant.unit.path,
            before={"user": grant.user.username, "unit": grant.unit.code, "role": grant.role},
        )
        grant.delete()
        grant.user.forget_scope()


def _require_manages(actor: Any, user: User) -> None:
    if actor is None or getattr(actor, "is_superuser", False):
        return
    if not managed_users(actor).filter(pk=user.pk).exists():
        raise PermissionDenied(_("超出您的管理范围。"))


def user_set_password(*, actor: Any, user: User, password: str) -> User:
    """An administrator or office resets a user's password; every session of that user ends."""
    with transaction.atomic():
        _require_manages(actor, user)
        validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(actor=actor, verb="user.password_reset", obj=user)
        return user


def user_set_active(*, actor: Any, user: User, active: bool) -> User:
    with transaction.atomic():
        _require_manages(actor, user)
        if user.is_active != active:
            user.is_active = active
            user.save(update_fields=["is_active"])
            audit.record(
                actor=actor,
                verb="user.activate" if active else "user.deactivate",
                obj=user,
                before={"is_active": not active},
                after={"is_active": active},
            )
        return user


def password_changed(*, user: User) -> None:
    """The user changed their own password (the form has saved it)."""
    with transaction.atomic():
        audit.record(actor=user, verb="user.password_change", obj=user)


def login_event(*, verb: str, username: str, user: User | None = None) -> None:
    """Logins, logouts and lockouts leave a trace too (lockout: the username may not even exist)."""
    with transaction.atomic():
        audit.record(
            actor=user,
            verb=verb,
            object_type="accounts.user",
            object_id=str(user.pk) if user else "",
            object_repr=username[:150],
            after={"username": username[:150]},
        )


def token_issue(*, actor: Any, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Returns the token and its key; the key is never stored and cannot be shown again."""
    with transaction.atomic():
        if actor is not None and getattr(actor, "pk", None) != user.pk:
            _require_manages(actor, user)
        key = new_key()
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=key[:PREFIX_LEN], key_hash=hash_key(key)
        )
        audit.record(actor=actor, verb="token.issue", obj=token, after={"user": user.username, "name": name})
        return token, key


def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if actor is not None and getattr(actor, "pk", None) != token.user_id:
            _require_manages(actor, token.user)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit.record(actor=actor, verb="token.revoke", obj=token, after={"user": token.user.username})
        return token
