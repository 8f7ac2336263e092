"""Which of a unit's required actions are done: kept by the app that records them (supervision registers its
lookup from its ``ready()``; campaigns sits below it, ADR 13). Without a registered lookup nothing is done."""

from __future__ import annotations

from collections.abc import Callable

from echelon.campaigns.models import Participation

DoneActions = Callable[[Participation], set[tuple[int, str]]]
_lookup: list[DoneActions] = []


def register_done_actions(lookup: DoneActions) -> DoneActions:
    _lookup[:] = [lookup]
    return lookup


def done_actions(participation: Participation) -> set[tuple[int, str]]:
    """(phase index, action key) of every action the unit has done and not had cleared by a redo."""
    return _lookup[0](participation) if _lookup else set()
