"""The published part of a unit's public page (``/p/<code>/``, the ledger's page): its promises, its
problem list with the progress, its results; frozen copies only. Rendered once per unit, language and day
and cached (``publicity.cache``): the page stays fast at full scale."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import get_language

from echelon.orgs.models import Unit
from echelon.publicity import cache, selectors


def published_part(request: HttpRequest, unit: Unit) -> str:
    language = get_language() or "zh-hans"

    def build() -> str:
        items = selectors.public_items(unit)
        return render_to_string("publicity/public/published.html", {"unit": unit, "items": items})

    return cache.cached(unit.pk, language, build)
