"""The audit verbs of supervision (ADR 3): ``<entity>.<verb>``, the strings stored in ``AuditEvent.verb``.
The notices' verbs (``notification.*``) are core's (``core/verbs.py``)."""

from __future__ import annotations

from typing import Final

GROUP_CREATE: Final = "group.create"
"""An office dispatched a group (or appointed an instructor); default groups are one event each."""
GROUP_ADD_MEMBER: Final = "group.add_member"
GROUP_REMOVE_MEMBER: Final = "group.remove_member"

ASSIGNMENT_CREATE: Final = "assignment.create"
"""A group made responsible for one unit (with the reason when it overlaps another group)."""
ASSIGNMENT_DELETE: Final = "assignment.delete"
COVERAGE_APPLY: Final = "coverage.apply"
"""The balanced proposal applied: one event per group, with the number of units it was given."""

ACTION_CONFIRM: Final = "action.confirm"
"""A required action that needs no evidence confirmed done."""
MATERIAL_UPLOAD: Final = "material.upload"
MEETING_RECORD: Final = "meeting.record"
OWN_ACTION_ADD: Final = "own_action.add"
"""A unit added an action of its own (自选动作) to a phase."""
OWN_ACTION_UPDATE: Final = "own_action.update"
OWN_ACTION_REMOVE: Final = "own_action.remove"

REVIEW_SUBMIT: Final = "review.submit"
"""A unit submitted its phase (a phase without a gate closes at once)."""
REVIEW_PASS: Final = "review.pass"
REVIEW_RETURN: Final = "review.return"
REVIEW_INTERVIEW: Final = "review.interview"
REVIEW_REDO: Final = "review.redo"
REVIEW_DECIDE: Final = {
    "pass": REVIEW_PASS,
    "return": REVIEW_RETURN,
    "interview": REVIEW_INTERVIEW,
    "redo": REVIEW_REDO,
}
"""The verb of each decision (``models.Decision``)."""

PATROL_RECORD: Final = "patrol.record"

LIAISON_POINT_ADD: Final = "liaison_point.add"
LIAISON_POINT_REMOVE: Final = "liaison_point.remove"
ATTENDANCE_RECORD: Final = "attendance.record"
"""A leader recorded whether they attended a key meeting at a liaison point."""

APPROVAL_REQUEST: Final = "approval.request"
"""A unit sent a material the template says the group approves first (a version of the meeting plan)."""
APPROVAL_APPROVE: Final = "approval.approve"
APPROVAL_RETURN: Final = "approval.return"
"""The group returned a material sent for approval, with a reason."""
