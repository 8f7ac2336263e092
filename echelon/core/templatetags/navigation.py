"""`{% unit_tabs unit.code as tabs %}`: the tabs other apps registered for a unit's page (ADR 13)."""

from __future__ import annotations

from typing import Any

from django import template

from echelon.core import navigation

register = template.Library()


@register.simple_tag(takes_context=True)
def unit_tabs(context: template.Context, code: str) -> list[dict[str, Any]]:
    request = context.get("request")
    user = getattr(request, "user", None)
    return navigation.unit_tabs(user, code) if user is not None else []
