"""The home page's to-do (``core.todo``): notices of units below waiting for the user's approval."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from echelon.core.actors import Person
from echelon.core.todo import Item
from echelon.publicity import selectors, services
from echelon.publicity.models import PublicationStatus


def items(user: Person) -> list[Item]:
    submitted = (
        selectors.publications_for(user, "change")
        .filter(status=PublicationStatus.SUBMITTED)
        .order_by("id")[:200]
    )
    waiting = sum(1 for p in submitted if services.approver_error(user, p) is None)
    if not waiting:
        return []
    return [Item(_("待您审核的公示"), reverse("publicity:waiting"), waiting, tone="warning")]
