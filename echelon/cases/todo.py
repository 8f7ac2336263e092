"""Typical cases in 我的待办 (``core.todo``), registered from ``CasesConfig.ready()``: the cases waiting for
the user's review (an office strictly above their units), and the user's units' cases that were returned."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from echelon.cases import selectors
from echelon.cases.models import CaseStatus
from echelon.core.actors import Person
from echelon.core.todo import Item, capped_count


def items(user: Person) -> list[Item]:
    out: list[Item] = []
    if waiting := capped_count(selectors.review_queue(user)):
        out.append(Item(_("待您审核的典型案例"), reverse("cases:queue"), waiting, tone="warning"))
    returned = selectors.own_cases(user).filter(status=CaseStatus.RETURNED)
    if count := capped_count(returned):
        out.append(Item(_("被退回、待修改的典型案例"), reverse("cases:mine"), count, tone="danger"))
    return out
