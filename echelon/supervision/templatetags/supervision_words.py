"""``{{ campaign|phase_name:review.phase }}``: a phase by its name in the campaign's template (the review
log says which phase each entry belongs to)."""

from __future__ import annotations

from django import template

from echelon.campaigns.models import Campaign
from echelon.supervision import selectors

register = template.Library()


@register.filter
def phase_name(campaign: Campaign | None, index: int) -> str:
    if campaign is None:
        return ""
    name = selectors.phase_name(campaign, int(index))
    return f"{int(index) + 1}. {name}" if name else ""
