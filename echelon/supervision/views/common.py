"""What the supervision pages share."""

from __future__ import annotations

from django.http import HttpRequest

from echelon.campaigns import selectors as campaign_selectors
from echelon.campaigns.models import Campaign
from echelon.orgs.models import Level

PER_PAGE = 100


def level_label(level: int) -> str:
    return str(Level(level).label) if level in Level.values else str(level)


def campaign_of(request: HttpRequest, pk: int) -> Campaign:
    """The campaign of the page's URL, when the user sees it (else 404)."""
    return campaign_selectors.campaign_for(request.user, pk)
