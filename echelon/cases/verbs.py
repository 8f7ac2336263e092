"""The audit verbs of typical cases (ADR 3): ``<entity>.<verb>``, the strings stored in
``AuditEvent.verb``."""

from __future__ import annotations

from typing import Final

CASE_CREATE: Final = "case.create"
"""A unit nominated a case (推荐典型案例): it waits for the level above."""
CASE_UPDATE: Final = "case.update"
"""The unit changed its case before publication (a returned case is sent again)."""
CASE_PUBLISH: Final = "case.publish"
"""The level above published the case to its subtree's library."""
CASE_RETURN: Final = "case.return"
"""The level above returned the case with its comment."""
CASE_SEED: Final = "case.seed"
"""The demo's typical cases and own actions generated in bulk: one summary event (counts, day, seed)."""
