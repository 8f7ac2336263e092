"""The API's one error body in the OpenAPI schema, on every operation: a drf-spectacular postprocessing hook
(``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``), so that no view declares its refusals by hand.

Every refusal of the API has one shape (``echelon.core.api.exceptions`` and the JSON error answers of
``echelon.core.views`` under /api/), the ``Error`` component:

    {"detail": "未找到。"}                      401, 403, 404, 405, 415, 429; a 400 of the JSON parser or of a
                                               middleware (forbidden characters, a body too large)
    {"detail": ["…", …]}                       a service's refusal (400) or conflict (409)
    {"unit_code": ["…"], "detail": ["…"]}      a serializer's or a service's messages by field (400); a
                                               nested object's messages by its fields (or a list's by index)

Which refusals an operation lists follows from the operation and its view, in one place (``refusals``):
400 when it takes a body or query parameters (or changes something), 401 when it authenticates, 403 unless
anyone may call it, 404 when its path, a filter or its body names something (a unit, a user, a task), 409 for
a change (someone else decided first, the object changed meanwhile), 415 when it takes a body, 429 when it is
throttled. A refusal a view documents
itself keeps its description and gets this body. ``test_fuzz_api`` holds every answer, refusals included,
to the schema.
"""

from __future__ import annotations

from typing import Any

ERROR = "Error"
REF = {"$ref": f"#/components/schemas/{ERROR}"}

MESSAGES = {"type": "array", "items": {"type": "string"}}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "A refusal, in Chinese: `detail` (one message, or a list of them), and for a refused input the "
        "messages by field name (a nested object's by its fields, a list's by position)."
    ),
    "properties": {
        "detail": {
            "oneOf": [{"type": "string"}, MESSAGES],
            "description": "what was refused and why",
        },
    },
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ],
        "description": "a field's messages",
    },
}

DESCRIPTIONS = {
    "400": "The request is refused: its body, a parameter or the state it asks for (messages by field).",
    "401": "No credentials, or an invalid or revoked token.",
    "403": "The caller may not do this here (or a session call without its CSRF token).",
    "404": "Not found, or not in the caller's subtree.",
    "409": "The object's state forbids it now: someone else decided first, or it changed meanwhile.",
    "415": "The body is not in a format the operation takes.",
    "429": "Too many requests: wait and retry (Retry-After).",
}

# Query parameters that name nothing: any other (``under``, ``unit``, ``campaign`` …) may name a unit or a row
# that is not there or not the caller's, and that is a 404 as in a path; so may a body (a grant's user, a new
# unit's parent).
PAGING = frozenset({"limit", "offset", "page", "q", "ordering", "cursor"})
UNSAFE = frozenset({"post", "put", "patch", "delete"})


def refusals(method: str, operation: dict[str, Any], view: Any) -> set[str]:
    """The status codes of the refusals this operation may answer."""
    parameters = operation.get("parameters", [])
    codes = {code for code in operation.get("responses", {}) if code.startswith("4")}
    if "requestBody" in operation:
        codes |= {"400", "415"}
    if any(p.get("in") == "query" for p in parameters):
        codes.add("400")
    names = any(
        p.get("in") == "path" or (p.get("in") == "query" and p["name"] not in PAGING) for p in parameters
    )
    if names or "requestBody" in operation:
        codes.add("404")
    if method in UNSAFE:
        codes |= {"400", "409"}
    if view is not None:
        if view.authentication_classes:
            codes.add("401")
        permissions = [p.__name__ for p in view.permission_classes]
        if view.authentication_classes or any(name != "AllowAny" for name in permissions):
            codes.add("403")
        if view.throttle_classes:
            codes.add("429")
    else:
        codes |= {"401", "403"}
    return codes


def _views(generator: Any) -> dict[tuple[str, str], Any]:
    """(path, method) -> the view instance, as the generator made them."""
    views = {}
    for path, _regex, method, callback in generator.endpoints or []:
        view = generator.create_view(callback, method)
        views[generator.coerce_path(path, method, view), method.lower()] = view
    return views


def error_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Every operation's refusals answer the ``Error`` body."""
    views = _views(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            responses = operation.setdefault("responses", {})
            for code in sorted(refusals(method, operation, views.get((path, method)))):
                response = responses.setdefault(code, {})
                response["description"] = response.get("description") or DESCRIPTIONS.get(code, "")
                response["content"] = {"application/json": {"schema": dict(REF)}}
            operation["responses"] = dict(sorted(responses.items()))
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR] = ERROR_SCHEMA
    _drop_unused(result)
    return result


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                found.add(ref.rsplit("/", 1)[1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _drop_unused(result: dict[str, Any]) -> None:
    """Drop the component schemas nothing refers to any more (the views' own error serializers)."""
    schemas = result["components"]["schemas"]
    used = _refs(result.get("paths", {})) | _refs(result.get("webhooks", {}))
    todo = list(used)
    while todo:
        for name in _refs(schemas.get(todo.pop(), {})) - used:
            used.add(name)
            todo.append(name)
    for name in set(schemas) - used:
        del schemas[name]
