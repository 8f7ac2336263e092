"""``{{ campaign|phase_name:review.phase }}``: a phase by its name in the campaign's template (the review
log says which phase each entry belongs to); ``{% review_badge review %}``: a review's state, the same colour
everywhere."""

from __future__ import annotations

from typing import Any

from django import template

from echelon.campaigns.models import Campaign
from echelon.supervision import selectors
from echelon.supervision.models import Review

register = template.Library()


@register.filter
def phase_name(campaign: Campaign | None, index: int) -> str:
    if campaign is None:
        return ""
    name = selectors.phase_name(campaign, int(index))
    return f"{int(index) + 1}. {name}" if name else ""


# One colour per review state wherever it is shown (the review page, the log, the lists): waiting amber,
# passed green, every other decision (returned, interview, redo) red.
DECISION_TONES = {"pass": "success", "return": "danger", "interview": "danger", "redo": "danger"}


@register.inclusion_tag("supervision/_review_badge.html")
def review_badge(review: Review) -> dict[str, Any]:
    return {"review": review, "tone": DECISION_TONES.get(review.decision or "", "secondary")}
