"""The audit verbs of the command center (ADR 3): ``<entity>.<verb>``, the strings stored in
``AuditEvent.verb``."""

from __future__ import annotations

from typing import Final

# --- trends and early warnings ---
SNAPSHOT_TAKE: Final = "snapshot.take"
"""The day's snapshot of a batch (every unit with units below it taking part): that day's rows replaced."""
SNAPSHOT_BACKFILL: Final = "snapshot.backfill"
"""Past days' progress rebuilt "as of" each day from the phase actuals (partial rows, ``as_of_backfill``)."""
ALERT_REFRESH: Final = "alert.refresh"
"""The batch's early warnings found again by the template's rules (the set replaced; counts per rule)."""
ALERT_NOTIFY: Final = "alert.notify"
"""The offices whose part of the tree got new warnings today were told (one notice per user and day)."""

# --- dispatch meetings ---
DISPATCH_RECORD: Final = "dispatch.record"
"""A dispatch meeting (调度会) recorded by the office that held it, with its action items and the figures
shown at it (frozen)."""
DISPATCH_ITEM_DONE: Final = "dispatch.item_done"
"""An action item reported done (办结) by its unit, with how."""
DISPATCH_ITEM_REOPEN: Final = "dispatch.item_reopen"
"""A done item sent back (退回重办) by the meeting's office, with the reason."""

# --- information reports ---
REPORT_DRAFT: Final = "report.draft"
"""An information report (信息报送) drafted for a unit and a period, its figures pre-filled from the system
and, above the bottom level, the children's approved reports attached as its sources."""
REPORT_UPDATE: Final = "report.update"
REPORT_SUBMIT: Final = "report.submit"
"""Sent to the unit's head (its leadership group office, or the office above) for approval."""
REPORT_APPROVE: Final = "report.approve"
"""Approved by the head and sent up: the levels above see it from now on."""
REPORT_RETURN: Final = "report.return"
