"""The generic access test kit: every page and API endpoint, for anonymous, outsider, allowed and wrong-role
users.

`iter_routes()` walks the URL configuration; `schema_operations()` walks the OpenAPI schema. A test module
declares, for every route, who is allowed and how to build its URL (`Declared`); the kit then checks:
- anonymous: pages redirect to the login page, API endpoints answer 401;
- the outsider persona (an office of a sibling league): 404 or 403, or an empty answer with none of the
  allowed subtree's data (sentinel strings) for lists;
- an allowed persona: the page or endpoint works;
- every write route (a page POST, an API POST/PUT/PATCH/DELETE) also declares its *effect* (a reading of
  the database that the allowed persona's request must change), the audit *verb* it writes (exactly one
  event of it, by that user) and the *refused* personas: the wrong role at the right place (ADR 11), each
  of whom gets 404 (or the statuses the route declares, e.g. 403) with the effect unchanged and no audit
  event written.
A route that is not declared fails the suite until it is; so does a write route without effect, verb and
refused personas (`write_declaration_problems`), unless it says why in plain words (`no_effect`,
`unaudited`, `personal`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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

    # drf-spectacular's generator is not annotated.
    schema = SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-untyped-call]
    ops = []
    for path, item in schema["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                ops.append((method.upper(), path))
    return sorted(ops)


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Declared:
    """How the kit exercises one route.

    kwargs: builds the URL kwargs from the fixture context (tree, personas, objects).
    allowed: persona that must be able to use it; None for public routes. A name that is not a persona is a
      user the route's objects created (e.g. the kit's instructor), looked up by username.
    method: GET, or POST/PUT/PATCH/DELETE with `data` (a callable of the context) for writes.
    ok: statuses that count as "works" for the allowed persona.
    multipart: for API uploads, post `data` as multipart (files as SimpleUploadedFile) instead of JSON.
    outsider: "deny" (403/404 expected) or "empty" (works but shows none of the sentinel data).
    public: no login needed.

    For write routes:
    effect: reads the database (a value, a count, a tuple) and must change with the allowed request.
    verb: the audit verb the allowed request writes, exactly once, with the user as actor.
    refused: personas with the wrong role at the right place; each gets a status in `refusal` (404 unless
      the route declares 403) and changes nothing (effect unchanged, no audit event).
    bystanders: personas whose request (any status) must leave the allowed persona's effect unchanged
      (someone else's notifications, tokens).
    personal: the route acts on the caller's own things (logout, own tokens, own password): nobody has a
      wrong role there, so `refused` may be empty.
    no_effect: why the write changes nothing in the database (a cookie; a what-if computed in memory).
    unaudited: why the effect writes no audit event (said in plain words, and counted in the summary).
    anonymous: the write is the public's (a public route): its audit event has no actor.
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
    effect: Callable[[Any], Any] | None = None
    verb: str | None = None
    refused: tuple[str, ...] = ()
    refusal: tuple[int, ...] = (404,)
    bystanders: tuple[str, ...] = ()
    personal: bool = False
    no_effect: str = ""
    unaudited: str = ""
    anonymous: bool = False

    @property
    def writes(self) -> bool:
        return self.method in WRITE_METHODS


def route_name(key: str) -> str:
    """A declaration's key is the route name, then the method for writes of a route that also answers
    GET, then a variant (`accounts:user_detail POST reset`)."""
    return key.split(" ")[0]


def write_declaration_problems(declared: dict[str, Declared], personas: Iterable[str]) -> list[str]:
    """What a write declaration lacks: an effect, a verb, refused personas (or the reason it has none)."""
    known = set(personas) | {"admin"}
    problems = []
    for key, d in sorted(declared.items()):
        if not d.writes:
            for attr in ("effect", "verb"):
                if getattr(d, attr):
                    problems.append(f"{key}: a GET route declares {attr}")
            continue
        if d.no_effect:
            if d.effect is not None or d.verb:
                problems.append(f"{key}: no_effect, yet an effect or a verb")
        else:
            if d.effect is None:
                problems.append(f"{key}: no effect declared (a reading of the database the write changes)")
            if not d.verb and not d.unaudited:
                problems.append(f"{key}: no audit verb declared (or `unaudited` with the reason)")
            if d.verb and d.unaudited:
                problems.append(f"{key}: both a verb and `unaudited`")
        if not d.public and not d.personal and not d.refused:
            problems.append(f"{key}: no refused personas (the wrong role at the right place)")
        if d.allowed in d.refused:
            problems.append(f"{key}: the allowed persona is also refused")
        unknown = [p for p in (*d.refused, *d.bystanders) if p not in known and not p.startswith("kit_")]
        if unknown:
            problems.append(f"{key}: unknown personas {unknown}")
        if set(d.refusal) - {403, 404}:
            problems.append(f"{key}: a refusal is 403 or 404, not {d.refusal}")
    return problems


@dataclass(frozen=True)
class KitCounts:
    routes: int  # distinct URL patterns declared (the admin counted once)
    declarations: int  # route x method x variant
    personas: int
    writes: int  # write declarations
    effects_checked: int  # writes whose effect (and verb) the allowed request must produce
    verbs_checked: int
    refusals_checked: int  # (write, wrong persona) pairs that must be refused with nothing written
    bystanders_checked: int
    unaudited: int
    no_effect: int


def kit_counts(declared: dict[str, Declared], personas: Iterable[str]) -> KitCounts:
    writes = [d for d in declared.values() if d.writes]
    return KitCounts(
        routes=len({route_name(k) for k in declared}),
        declarations=len(declared),
        personas=len(list(personas)),
        writes=len(writes),
        effects_checked=sum(1 for d in writes if d.effect is not None),
        verbs_checked=sum(1 for d in writes if d.verb),
        refusals_checked=sum(len(d.refused) for d in writes),
        bystanders_checked=sum(len(d.bystanders) for d in writes),
        unaudited=sum(1 for d in writes if d.unaudited),
        no_effect=sum(1 for d in writes if d.no_effect),
    )
