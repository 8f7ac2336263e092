"""The ledger's services: every change to opinions, problems, tasks, escalations, hand-overs and
institutions goes through one of these and writes an audit event in its transaction."""

from echelon.ledger.services.imports import ImportResult, opinion_import
from echelon.ledger.services.institutions import institution_record
from echelon.ledger.services.opinions import (
    opinion_close,
    opinion_merge,
    opinion_record,
    opinion_reply,
    opinion_submit_public,
)
from echelon.ledger.services.problems import problem_create, problem_update
from echelon.ledger.services.routing import (
    escalation_decide,
    escalation_targets,
    handover_accept,
    handover_offer,
    problem_escalate,
)
from echelon.ledger.services.tasks import (
    AlreadyDecided,
    evidence_upload,
    task_add,
    task_claim,
    task_decide,
    task_reopen,
    verifier_error,
)

__all__ = [
    "AlreadyDecided",
    "ImportResult",
    "escalation_decide",
    "escalation_targets",
    "evidence_upload",
    "handover_accept",
    "handover_offer",
    "institution_record",
    "opinion_close",
    "opinion_import",
    "opinion_merge",
    "opinion_record",
    "opinion_reply",
    "opinion_submit_public",
    "problem_create",
    "problem_escalate",
    "problem_update",
    "task_add",
    "task_claim",
    "task_decide",
    "task_reopen",
    "verifier_error",
]
