"""The pickers' look-ups for core's access kit (echelon/core/tests/test_access.py): units
(``orgs:autocomplete`` for the pages, ``api:unit-lookup`` for API clients) and people
(``accounts:user_lookup``, ``api:user-lookup``). Each answers the caller's own part of the tree: the
village secretary finds 东土城村 by its initials and itself by its username; the outsider (an office of
包头市) gets an empty list, with nothing of 武川县 in it."""

from __future__ import annotations

from typing import Any


def declarations(D: Any) -> dict[str, Any]:
    return {
        "api:unit-lookup": D(query="q=dtc", outsider="empty"),
        "api:user-lookup": D(query="q=village", outsider="empty"),
        "accounts:user_lookup": D(query="q=village", outsider="empty"),
    }
