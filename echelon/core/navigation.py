"""The menus, assembled from what the apps register: core names no app's URLs (ADR 13).

Each app registers its own entries in its `AppConfig.ready()`; the page header (`base.html`) and the unit
page's tabs render only what is registered and visible to the user, so an app that does not exist yet has
no entry, and an app that is added brings its entries with it.

Sections:
- ``main``: the navbar's areas (组织, 活动安排, 督导, …); an entry is active on every page under its URL.
- ``user``: the user's dropdown (通知, 我的后台任务, 用户与授权, …); an entry with ``method="post"`` is a
  button in a form (退出登录), shown after a divider. Entry badges (unread notifications) are added up on the
  dropdown's toggle.
- ``search``: the navbar's search box; ``hint`` is its placeholder; ``lookup`` names a JSON endpoint for
  its type-ahead (``?q=``; hits with ``name``, ``code``, ``parents`` and ``url``, opened when chosen).
- ``unit``: tabs on a unit's page contributed by the apps above the tree (活动安排); the URL takes the
  unit's code.

A key is unique within its section (a unit tab's key is the ``tab`` its view names); entries are ordered by
``order`` then ``key``; registering a key again replaces the entry. URLs are reversed
when a page is rendered (the URLconf is not loaded yet when apps are ready), and an entry whose URL does not
resolve is a bug, not a hidden entry (the navigation tests reverse every registered entry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse

from echelon.core.actors import Actor
from echelon.core.querysets import scope_paths

Section = Literal["main", "user", "search", "unit"]
SECTIONS: tuple[Section, ...] = ("main", "user", "search", "unit")
Visible = Callable[[Actor], bool]
Badge = Callable[[Actor], int]


@dataclass(frozen=True)
class Entry:
    key: str
    label: Any  # a string or a lazy translation
    icon: str  # a Bootstrap icon class, e.g. "bi-people"
    url_name: str
    order: int = 100
    section: Section = "main"
    visible: Visible | None = None  # None: every signed-in user
    badge: Badge | None = None  # a count shown beside the entry (0: none)
    method: Literal["get", "post"] = "get"
    hint: str | Any = ""
    lookup: str = ""  # search: the URL name of the type-ahead's endpoint

    def url(self, *args: Any) -> str:
        return reverse(self.url_name, args=args)

    def shown_to(self, user: Actor) -> bool:
        return self.visible is None or bool(self.visible(user))


_entries: dict[tuple[Section, str], Entry] = {}


def register(
    key: str,
    label: Any,
    icon: str,
    url_name: str,
    *,
    order: int = 100,
    section: Section = "main",
    visible: Visible | None = None,
    badge: Badge | None = None,
    method: Literal["get", "post"] = "get",
    hint: Any = "",
    lookup: str = "",
) -> Entry:
    """Add (or replace) a menu entry. Called from an app's `AppConfig.ready()`."""
    if section not in SECTIONS:
        raise ValueError(f"unknown navigation section {section!r}")
    entry = Entry(key, label, icon, url_name, order, section, visible, badge, method, hint, lookup)
    _entries[section, key] = entry
    return entry


def unregister(section: Section, key: str) -> None:
    _entries.pop((section, key), None)


def entries(section: Section | None = None) -> list[Entry]:
    """Every registered entry (of one section), in menu order."""
    found = [e for e in _entries.values() if section is None or e.section == section]
    return sorted(found, key=lambda e: (e.order, e.key))


def allowed_somewhere(action: str) -> Visible:
    """Visible to users whose grants allow `action` in some subtree (ADR 2, 11)."""

    def visible(user: Actor) -> bool:
        return scope_paths(user, action) != []

    visible.__name__ = f"allowed_somewhere_{action}"
    return visible


def shown(section: Section, user: Actor) -> list[Entry]:
    return [e for e in entries(section) if e.shown_to(user)]


def home_url(user: Actor) -> str:
    """Where a signed-in user lands: the first area of the main menu they may see."""
    for section in ("main", "user"):
        for entry in shown(section, user):
            if entry.method == "get":
                return entry.url()
    return "/"


class Menu:
    """The header's menus for one request, each computed only when a template reads it (HTMX fragments render
    with the same context processors and never pay for the counts)."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._user = request.user

    def _items(self, section: Section) -> list[dict[str, Any]]:
        items = []
        for entry in shown(section, self._user):
            url = entry.url()
            items.append(
                {
                    "key": entry.key,
                    "label": entry.label,
                    "icon": entry.icon,
                    "url": url,
                    "hint": entry.hint,
                    "lookup": reverse(entry.lookup) if entry.lookup else "",
                    "post": entry.method == "post",
                    "badge": entry.badge(self._user) if entry.badge else 0,
                    "active": section == "main" and url != "/" and self._request.path.startswith(url),
                }
            )
        return items

    @cached_property
    def main(self) -> list[dict[str, Any]]:
        return self._items("main")

    @cached_property
    def user(self) -> list[dict[str, Any]]:
        return self._items("user")

    @cached_property
    def search(self) -> list[dict[str, Any]]:
        return self._items("search")

    @cached_property
    def badge(self) -> int:
        """The dropdown toggle's count: every badge of the user's entries."""
        return sum(item["badge"] for item in self.user)


def unit_tabs(user: Actor, code: str) -> list[dict[str, Any]]:
    """The tabs other apps add to a unit's page, with their URLs for the unit `code`."""
    return [{"key": e.key, "label": e.label, "icon": e.icon, "url": e.url(code)} for e in shown("unit", user)]
