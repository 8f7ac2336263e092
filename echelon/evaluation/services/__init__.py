"""The evaluation's writes (ADR 3): each in one transaction, checked, with one audit event. By topic:
``sessions`` (sessions, groups, tallies, codes, ballots, closing) and ``redo``."""

from echelon.evaluation.services.redo import redo_decide, redo_record, redo_upload
from echelon.evaluation.services.sessions import (
    ballot_cast,
    check_code,
    codes_generate,
    group_set,
    hash_code,
    normalize_code,
    participation_of,
    results_of,
    session_close,
    session_open,
    tally_record,
    tally_table,
)

__all__ = [
    "ballot_cast",
    "check_code",
    "codes_generate",
    "group_set",
    "hash_code",
    "normalize_code",
    "participation_of",
    "redo_decide",
    "redo_record",
    "redo_upload",
    "results_of",
    "session_close",
    "session_open",
    "tally_record",
    "tally_table",
]
