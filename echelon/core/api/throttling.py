"""Rate limits for the API endpoints a page calls as one types (the pickers' look-ups)."""

from __future__ import annotations

from rest_framework.throttling import UserRateThrottle


class LookupThrottle(UserRateThrottle):
    """Per signed-in user (per address for a caller without one): a type-ahead asks once per pause in
    typing, so a person stays far below this; a script walking the tree through it does not."""

    scope = "lookup"
    rate = "240/min"
