"""The generic access test kit: every page and API endpoint, for anonymous, outsider and allowed users.

`iter_routes()` walks the URL configuration; `schema_operations()` walks the OpenAPI schema. A test module
declares, for every route, who is allowed and how to build its URL (`Declared`); the kit then checks:
- anonymous: pages redirect to the login page, API endpoints answer 401;
- the outsider persona (an office of a sibling league): 404 or 403, or an empty answer with none of the
  allowed subtree's data (sentinel strings) for lists;
- an allowed persona: the page or endpoint works.
A route that is not declared fails the suite until it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    is_api: bool


def iter_routes(patterns: list[Any] | None = None, namespace: str = "", prefix: str = "") -> Iterator[Route]:
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from iter_routes(p.url_patterns, ns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            is_api = getattr(p.callback, "cls", None) is not None and prefix.startswith("api/v1/")
            yield Route(
                name=name or f"<unnamed {prefix}{p.pattern}>", pattern=prefix + str(p.pattern), is_api=is_api
            )


def schema_operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the OpenAPI schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = []
    for path, item in schema["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.append((method.upper(), path))
    return sorted(ops)


@dataclass
class Declared:
    """How the kit exercises one route.

    kwargs: builds the URL kwargs from the fixture context (tree, personas, objects).
    allowed: persona that must be able to use it; None for public routes.
    method: GET, or POST with `data` (a callable of the context) for write-only routes.
    ok: statuses that count as "works" for the allowed persona.
    multipart: for API uploads, post `data` as multipart (files as SimpleUploadedFile) instead of JSON.
    outsider: "deny" (403/404 expected) or "empty" (works but shows none of the sentinel data).
    public: no login needed.
    """

    kwargs: Callable[[Any], dict[str, Any]] = lambda ctx: {}
    allowed: str | None = "village_secretary"
    method: str = "GET"
    data: Callable[[Any], dict[str, Any]] = lambda ctx: {}
    ok: tuple[int, ...] = (200,)
    outsider: str = "deny"
    public: bool = False
    multipart: bool = False  # POST as a form with files (uploads) rather than JSON
    query: str = ""
    note: str = ""
    schema_methods: tuple[str, ...] = field(default_factory=tuple)
