"""Every change to supervision goes through these functions: scoped, validated, atomic and audited (the
verbs: ``supervision/verbs.py``). Each takes ``actor=``: a person, or None for the system (commands, seeds,
benches).

By topic: ``groups`` (groups, members, who may be one), ``coverage`` (assignments, default groups, the
balanced proposal), ``unit_work`` (required actions, materials, meetings), ``gates`` (submit, decide),
``patrol``, ``liaison`` (points, defaults, attendance) and ``notices`` (who is told what). The services are
re-exported here: callers write ``services.gate_decide``.
"""

from echelon.supervision.services.approvals import AlreadyApproved, approval_decide
from echelon.supervision.services.coverage import (
    ProposalResult,
    assign,
    coverage_default_groups,
    coverage_propose_apply,
    unassign,
)
from echelon.supervision.services.gates import AlreadyDecided, CheckResult, gate_decide, gate_submit
from echelon.supervision.services.groups import group_add_member, group_create, group_remove_member
from echelon.supervision.services.liaison import (
    attendance_record,
    liaison_add,
    liaison_defaults,
    liaison_remove,
)
from echelon.supervision.services.notices import DueResult, notify_due
from echelon.supervision.services.patrol import patrol_record
from echelon.supervision.services.unit_work import (
    MEETING_MAX_PEOPLE,
    MEETING_TEXT_LIMITS,
    action_confirm,
    material_upload,
    meeting_record,
    own_action_add,
    own_action_remove,
    own_action_update,
)

__all__ = [
    "MEETING_MAX_PEOPLE",
    "MEETING_TEXT_LIMITS",
    "AlreadyApproved",
    "AlreadyDecided",
    "CheckResult",
    "DueResult",
    "ProposalResult",
    "action_confirm",
    "approval_decide",
    "assign",
    "attendance_record",
    "coverage_default_groups",
    "coverage_propose_apply",
    "gate_decide",
    "gate_submit",
    "group_add_member",
    "group_create",
    "group_remove_member",
    "liaison_add",
    "liaison_defaults",
    "liaison_remove",
    "material_upload",
    "meeting_record",
    "notify_due",
    "own_action_add",
    "own_action_remove",
    "own_action_update",
    "patrol_record",
    "unassign",
]
