"""Checks that services make before and after a write: is this path inside the actor's scope?"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from echelon.core.actors import Actor, is_person
from echelon.core.querysets import scope_paths


def allowed(actor: Actor, action: str, path: str) -> bool:
    """True when `actor` may do `action` at the node with `path`. `actor=None` is the system (commands)."""
    if actor is None:
        return True
    paths = scope_paths(actor, action)
    return paths is None or any(path.startswith(p) for p in paths)


def allowed_everywhere(actor: Actor, action: str) -> bool:
    """True when `actor` may do `action` in the whole tree: the system, or a person whose grants do not
    restrict the action (a superuser). An anonymous visitor may do nothing anywhere."""
    return actor is None or (is_person(actor) and actor.scope_paths(action) is None)


def require(actor: Actor, action: str, path: str) -> None:
    if not allowed(actor, action, path):
        raise PermissionDenied(_("超出您的管理范围。"))


def require_somewhere(actor: Actor, action: str, message: str = "") -> None:
    """Refuse (403) a user who may do ``action`` nowhere: checked before a request names a unit, so a
    wrong role is told so rather than "unit not found"."""
    if actor is not None and scope_paths(actor, action) == []:
        raise PermissionDenied(message or _("您没有执行该操作的权限。"))
