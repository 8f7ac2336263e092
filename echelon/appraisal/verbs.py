"""The audit verbs of the democratic appraisal of members (ADR 3): ``<entity>.<verb>``."""

from __future__ import annotations

from typing import Final

APPRAISAL_CREATE: Final = "appraisal.create"
"""A branch's appraisal meeting opened (its date and the members present)."""
APPRAISAL_UPDATE: Final = "appraisal.update"
APPRAISAL_CONFIRM: Final = "appraisal.confirm"
"""The ratings finalised (draft → recorded): they no longer change."""
RATING_RECORD: Final = "rating.record"
"""Members' grades entered or amended (one event for a sheet of grades)."""
FOLLOWUP_RECORD: Final = "followup.record"
"""The talk with a member rated lowest, and the deadline to improve."""
FOLLOWUP_CLOSE: Final = "followup.close"
"""The outcome of a follow-up, which closes it."""
APPRAISAL_SEED: Final = "appraisal.seed"
"""The demo's appraisals generated in bulk: one summary event (branches, ratings, follow-ups)."""
