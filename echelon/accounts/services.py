"""Users and grants change only here: scoped (offices manage their own subtree), validated, audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts import verbs
from echelon.accounts.models import ApiToken, Grant, User, user_of
from echelon.accounts.roles import GRANTABLE_BY_OFFICE, Role
from echelon.accounts.selectors import manages, user_unit_path
from echelon.accounts.tokens import PREFIX_LEN, hash_key, new_key
from echelon.core import audit
from echelon.core.actors import Actor, is_person
from echelon.core.permissions import allowed_everywhere, require
from echelon.core.tree import ancestor_ids


def _record_about(user: User, **kwargs: Any) -> None:
    """An audit event about ``user``, placed at the unit holding all of the user's grants (ADR 11), so the
    offices above see it in their audit search."""
    path = user_unit_path(user)
    audit.record(unit_id=ancestor_ids(path)[-1] if path else None, unit_path=path, **kwargs)


def user_create(
    *,
    actor: Actor,
    username: str,
    password: str | None,
    display_name: str = "",
    check_password: bool = True,
    unit_path: str = "",
) -> User:
    """A new user without grants (``unit_path``: where the creating office placed them, for the audit)."""
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
            verb=verbs.USER_CREATE,
            obj=user,
            unit_id=ancestor_ids(unit_path)[-1] if unit_path else None,
            unit_path=unit_path,
            after={"username": username, "display_name": display_name},
        )
        return user


def user_add(
    *, actor: Actor, username: str, password: str | None, display_name: str, unit: Any, role: str
) -> User:
    """An office's new user with their first grant, both or neither."""
    with transaction.atomic():
        user = user_create(
            actor=actor, username=username, password=password, display_name=display_name, unit_path=unit.path
        )
        grant_add(actor=actor, user=user, unit=unit, role=role)
        return user


def grant_add(*, actor: Actor, user: User, unit: Any, role: str) -> Grant:
    if role not in Role.values:
        raise ValidationError(
            _("未知角色“%(role)s”。可用角色：%(roles)s") % {"role": role, "roles": ", ".join(Role.values)}
        )
    with transaction.atomic():
        require(actor, "manage_users", unit.path)
        restricted = not allowed_everywhere(actor, "manage_users")
        if restricted and is_person(actor) and actor.pk == user.pk:
            raise PermissionDenied(_("不能修改自己的授权，请联系上级办公室。"))
        if restricted and role not in GRANTABLE_BY_OFFICE:
            raise PermissionDenied(_("只有系统管理员可以授予“%(role)s”角色。") % {"role": Role(role).label})
        # A user who already holds grants (or special flags) gets more only from someone who manages them.
        if restricted and (user.is_superuser or user.is_staff or user.grants.exists()):
            _require_manages(actor, user)
        grant, created = Grant.objects.get_or_create(
            user=user,
            unit=unit,
            role=role,
            defaults={"created_by": user_of(actor)},
        )
        if created:
            audit.record(
                actor=actor,
                verb=verbs.GRANT_ADD,
                obj=grant,
                unit_id=unit.pk,
                unit_path=unit.path,
                after={"user": user.username, "unit": unit.code, "role": role},
            )
        user.forget_scope()
        return grant


def grant_remove(*, actor: Actor, grant: Grant) -> None:
    with transaction.atomic():
        require(actor, "manage_users", grant.unit.path)
        restricted = not allowed_everywhere(actor, "manage_users")
        if restricted and is_person(actor) and actor.pk == grant.user_id:
            raise PermissionDenied(_("不能修改自己的授权，请联系上级办公室。"))
        _require_manages(actor, grant.user)
        audit.record(
            actor=actor,
            verb=verbs.GRANT_REMOVE,
            obj=grant,
            unit_id=grant.unit_id,
            unit_path=grant.unit.path,
            before={"user": grant.user.username, "unit": grant.unit.code, "role": grant.role},
        )
        grant.delete()
        grant.user.forget_scope()


def _require_manages(actor: Actor, user: User) -> None:
    if not manages(actor, user):
        raise PermissionDenied(_("该用户不在您的管理范围内：其授权须全部在您的范围内，且角色不高于办公室。"))


def user_set_password(*, actor: Actor, user: User, password: str) -> User:
    """An administrator or office resets a user's password; every session of that user ends."""
    with transaction.atomic():
        _require_manages(actor, user)
        validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        # The old password's API tokens die with it (same transaction as the reset).
        revoked = ApiToken.objects.active().filter(user=user).update(revoked_at=timezone.now())
        _record_about(
            user, actor=actor, verb=verbs.USER_PASSWORD_RESET, obj=user, after={"tokens_revoked": revoked}
        )
        return user


def user_set_active(*, actor: Actor, user: User, active: bool) -> User:
    with transaction.atomic():
        _require_manages(actor, user)
        if user.is_active != active:
            user.is_active = active
            user.save(update_fields=["is_active"])
            _record_about(
                user,
                actor=actor,
                verb=verbs.USER_ACTIVATE if active else verbs.USER_DEACTIVATE,
                obj=user,
                before={"is_active": not active},
                after={"is_active": active},
            )
        return user


def password_changed(*, user: User) -> None:
    """The user changed their own password (the form has saved it)."""
    with transaction.atomic():
        revoked = ApiToken.objects.active().filter(user=user).update(revoked_at=timezone.now())
        _record_about(
            user, actor=user, verb=verbs.USER_PASSWORD_CHANGE, obj=user, after={"tokens_revoked": revoked}
        )


def login_event(*, verb: str, username: str, user: User | None = None) -> None:
    """Logins, logouts and lockouts leave a trace too (lockout: the username may not even exist)."""
    path = user_unit_path(user)
    with transaction.atomic():
        audit.record(
            actor=user,
            verb=verb,
            unit_id=ancestor_ids(path)[-1] if path else None,
            unit_path=path,
            object_type="accounts.user",
            object_id=str(user.pk) if user else "",
            object_repr=username[:150],
            after={"username": username[:150]},
        )


def token_issue(*, actor: Actor, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Returns the token and its key; the key is never stored and cannot be shown again."""
    with transaction.atomic():
        if actor is not None and not (is_person(actor) and actor.pk == user.pk):
            _require_manages(actor, user)
        key = new_key()
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=key[:PREFIX_LEN], key_hash=hash_key(key)
        )
        _record_about(
            user, actor=actor, verb=verbs.TOKEN_ISSUE, obj=token, after={"user": user.username, "name": name}
        )
        return token, key


def token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if actor is not None and not (is_person(actor) and actor.pk == token.user_id):
            _require_manages(actor, token.user)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            _record_about(
                token.user,
                actor=actor,
                verb=verbs.TOKEN_REVOKE,
                obj=token,
                after={"user": token.user.username},
            )
        return token
