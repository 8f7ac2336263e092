"""Reads for supervision; every page-facing read goes through ``visible_to``. By topic: ``groups``,
``coverage`` (through the pure engine), ``unit_work`` (a unit's phase), ``gates`` (reviews, the workbench),
``patrol``, ``liaison`` (key meetings) and ``reports`` (a group's report). Re-exported here: callers write
``selectors.phase_state``.
"""

from echelon.supervision.selectors.approvals import (
    approval_queue,
    approvals_for,
    latest_approval,
    lock_reason,
)
from echelon.supervision.selectors.coverage import (
    ID_CHUNK,
    BatchCoverage,
    CoverageData,
    coverage_data,
    coverage_report,
    coverage_version,
    gap_rows,
    unit_labels,
)
from echelon.supervision.selectors.gates import (
    Workbench,
    open_counts,
    pending_q,
    review_due_days,
    review_for,
    reviews_for,
    workbench,
)
from echelon.supervision.selectors.groups import (
    group_for,
    group_to_dispatch,
    groups_for,
    is_group_member,
    may_review,
    responsible_groups,
)
from echelon.supervision.selectors.liaison import (
    KEY_MEETING_TYPES,
    KeyMeeting,
    PointStatus,
    key_meeting_of,
    key_meetings,
    leader_points,
    point_statuses,
    points_for,
)
from echelon.supervision.selectors.patrol import in_patrol_scope, patrol_visits
from echelon.supervision.selectors.reports import ReportData, report_data
from echelon.supervision.selectors.unit_work import (
    ActionState,
    PhaseState,
    done_action_keys,
    history,
    own_actions,
    phase_name,
    phase_state,
    with_links,
)

__all__ = [
    "ID_CHUNK",
    "KEY_MEETING_TYPES",
    "ActionState",
    "BatchCoverage",
    "CoverageData",
    "KeyMeeting",
    "PhaseState",
    "PointStatus",
    "ReportData",
    "Workbench",
    "approval_queue",
    "approvals_for",
    "coverage_data",
    "coverage_report",
    "coverage_version",
    "done_action_keys",
    "gap_rows",
    "group_for",
    "group_to_dispatch",
    "groups_for",
    "history",
    "in_patrol_scope",
    "is_group_member",
    "key_meeting_of",
    "key_meetings",
    "latest_approval",
    "leader_points",
    "lock_reason",
    "may_review",
    "open_counts",
    "own_actions",
    "patrol_visits",
    "pending_q",
    "phase_name",
    "phase_state",
    "point_statuses",
    "points_for",
    "report_data",
    "responsible_groups",
    "review_due_days",
    "review_for",
    "reviews_for",
    "unit_labels",
    "with_links",
    "workbench",
]
