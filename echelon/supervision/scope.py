"""Group members see their targets through the one scoping mechanism (``register_scope_provider``).

Choice: a member (or the leader) of a supervision group gets the path of every unit the group is assigned
to, for the actions ``view``, ``export`` and ``review``. A path covers a subtree, so the target's subtree is
visible: the target itself and the level below it, which is the group's patrol scope (巡查), and further down
(the villages under a township a county group patrols, read-only). Scoping is by subtree everywhere in
Echelon and cannot stop at a depth; what a group may *decide* is narrower and checked by the gate services:
only reviews of units assigned to one of the reviewer's groups. Nothing outside the targets' subtrees (a
sibling county, the dispatching office itself) is visible through group membership. ``change`` is never
given: a supervisor reads and decides, the unit records.
"""

from __future__ import annotations

from typing import Any

PROVIDED_ACTIONS = frozenset({"view", "export", "review"})


def group_target_paths(user: Any, action: str) -> list[str]:
    if action not in PROVIDED_ACTIONS or user is None or not getattr(user, "is_authenticated", False):
        return []
    from django.db.models import Q

    from echelon.supervision.models import GroupAssignment, SupervisionGroup

    groups = SupervisionGroup.objects.filter(Q(members=user) | Q(leader=user)).values("pk")
    return list(GroupAssignment.objects.filter(group__in=groups).values_list("path", flat=True).distinct())
