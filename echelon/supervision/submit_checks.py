"""What a gate submission must explain, contributed by the apps above supervision (ADR 13: they register
from ``AppConfig.ready()``; supervision knows none of them).

A check is ``check(participation, phase_key) -> list[Pending]``: items the unit has not finished and must
explain one by one when it submits that phase (e.g. the ledger's rectification tasks not yet ticked off,
ADR 15). The submission stores each explanation with the review; the group judges them with its decision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Pending:
    key: str  # stable within the unit (e.g. "task-12"): the form field and the stored explanation's key
    label: str  # what it is, for the unit and the group


Check = Callable[[Any, str], list[Pending]]
_checks: list[Check] = []


def register(check: Check) -> Check:
    if check not in _checks:
        _checks.append(check)
    return check


def pending(participation: Any, phase_key: str) -> list[Pending]:
    return [item for check in _checks for item in check(participation, phase_key)]
