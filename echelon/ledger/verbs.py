"""The audit verbs of the ledger (ADR 3): ``<entity>.<verb>``, the strings stored in ``AuditEvent.verb``."""

from __future__ import annotations

from typing import Final

OPINION_SUBMIT: Final = "opinion.submit"
"""An opinion from the public, without an account (the actor is anonymous)."""
OPINION_RECORD: Final = "opinion.record"
"""An opinion entered by staff (a forum, a home visit, a questionnaire, a box), one by one or by Excel."""
OPINION_IMPORT: Final = "opinion.import"
OPINION_MERGE: Final = "opinion.merge"
OPINION_REPLY: Final = "opinion.reply"
OPINION_CLOSE: Final = "opinion.close"
OPINION_TO_PROBLEM: Final = "opinion.to_problem"
"""An opinion turned into a problem of the unit's list (one problem may answer several opinions)."""

PROBLEM_CREATE: Final = "problem.create"
PROBLEM_UPDATE: Final = "problem.update"
PROBLEM_ESCALATE: Final = "problem.escalate"
PROBLEM_ACCEPT: Final = "problem.accept"
"""An escalated problem accepted by the receiving unit: it becomes theirs."""
PROBLEM_RETURN: Final = "problem.return"
"""An escalated problem returned to the sender with a reason."""

TASK_CREATE: Final = "task.create"
TASK_EVIDENCE: Final = "task.evidence"
TASK_CLAIM: Final = "task.claim"
TASK_VERIFY: Final = "task.verify"
"""销号: the level above or the unit's supervision group accepted the claim."""
TASK_RETURN: Final = "task.return"
TASK_DEFER: Final = "task.defer"
TASK_REOPEN: Final = "task.reopen"
TASK_DECIDE: Final = {"accept": TASK_VERIFY, "return": TASK_RETURN, "defer": TASK_DEFER}

HANDOVER_OFFER: Final = "handover.offer"
HANDOVER_ACCEPT: Final = "handover.accept"

INSTITUTION_RECORD: Final = "institution.record"
