"""``{% for e in events|told %}``: audit events as sentences with the unit and readable values."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from echelon.core import narration
from echelon.core.models import AuditEvent

register = template.Library()


@register.filter
def told(events: Iterable[AuditEvent]) -> list[narration.Told]:
    return narration.told(events)
