"""Who sees individual ratings (民主评议的个人结果): the branch and the level directly responsible for it.

A person sees a branch's individual ratings when one of their grants allowing the action sits on the
branch itself or on the unit directly above it; anyone else whose view covers the branch (a county or
league office) sees its counts only. Supervision groups' extra scope does not extend to ratings.
"""

from __future__ import annotations

from echelon.accounts.models import Grant
from echelon.accounts.roles import roles_with
from echelon.core.actors import Actor, is_person
from echelon.core.tree import SEGMENT_WIDTH


def responsible_paths(user: Actor, action: str = "view") -> list[str] | None:
    """Paths of the units where ``user`` holds a grant allowing ``action``; None: everywhere (superuser)."""
    if not is_person(user) or not user.is_active:
        return []
    if user.is_superuser:
        return None
    cache: dict[str, list[str]] = user.__dict__.setdefault("_appraisal_paths", {})
    if action not in cache:
        cache[action] = list(
            Grant.objects.filter(user_id=user.pk, role__in=roles_with(action), unit__is_active=True)
            .values_list("unit__path", flat=True)
            .distinct()
        )
    return cache[action]


def responsible_for(user: Actor, path: str, action: str = "view") -> bool:
    """True when ``user`` may see (``action``: do) the individual ratings of the branch at ``path``."""
    if user is None:
        return True
    paths = responsible_paths(user, action)
    return paths is None or path in paths or path[:-SEGMENT_WIDTH] in paths


def branch_itself(user: Actor, path: str, action: str = "change") -> bool:
    """True when ``user`` holds a grant allowing ``action`` on the branch itself (follow-ups are the
    branch's own work)."""
    if user is None:
        return True
    paths = responsible_paths(user, action)
    return paths is None or path in paths
