from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware as _LoginRequired
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from rest_framework.views import APIView

from echelon.core import context

# A request id passed in by a proxy or a client (``X-Request-ID``) is kept when it is a plain token; anything
# else (too long, spaces, control characters, quotes) is replaced by a new one, so it is safe in a log line.
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def incoming_request_id(request: HttpRequest) -> str:
    value = request.META.get("HTTP_X_REQUEST_ID", "")
    return value if REQUEST_ID_RE.fullmatch(value) else ""


class RequestContextMiddleware:
    """Binds a request id and the client address for the audit trail and the log lines (``core.logs``);
    echoes the id in ``X-Request-ID``. The id is the caller's ``X-Request-ID`` when it is a plain token (a
    load balancer's, so one request is followed through both logs), else a new uuid."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        ctx = context.new_context(
            channel, client_ip=request.META.get("REMOTE_ADDR"), request_id=incoming_request_id(request)
        )
        request.request_id = ctx.request_id  # type: ignore[attr-defined]
        with context.bind(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = ctx.request_id
        return response


class LanguageMiddleware:
    """Chinese first: the interface is zh-hans unless the user chose another language (cookie).

    Staff pages ignore the browser's Accept-Language (an office PC set to English still gets Chinese) and
    know Chinese and English only. The public pages (``/p/…``, ``/api/v1/public/…``), read by the public
    on their own phones, follow the cookie (the page's switch) or else the browser's Accept-Language among
    Chinese and Mongolian (``Accept-Language: mn`` gives the traditional script), and say that they vary.
    """

    PUBLIC_PATHS = ("/p/", "/api/v1/public/")
    PUBLIC_LANGUAGES = ("zh-hans", "mn")
    STAFF_ONLY_NOT = ("mn",)  # languages only the public pages speak

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation
        from django.utils.cache import patch_vary_headers

        public = request.path_info.startswith(self.PUBLIC_PATHS)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        known = dict(settings.LANGUAGES)
        if chosen in known and (public or chosen not in self.STAFF_ONLY_NOT):
            language = chosen
        elif public:
            accepted = _accepted(request.META.get("HTTP_ACCEPT_LANGUAGE", ""), self.PUBLIC_LANGUAGES)
            language = accepted or settings.LANGUAGE_CODE
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if public:
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


def _accepted(header: str, offered: tuple[str, ...]) -> str | None:
    """The first of ``offered`` the browser accepts, by its weights (``mn``, ``mn-MN``, ``mn-Mong`` give
    ``mn``; ``zh``, ``zh-CN``, ``zh-Hans`` give ``zh-hans``); None when it accepts none of them."""
    from django.utils.translation.trans_real import parse_accept_lang_header

    for tag, _quality in parse_accept_lang_header(header[:500]):
        tag = tag.lower()
        base = tag.split("-")[0]
        for code in offered:
            if tag == code or base == code.split("-")[0]:
                if base == "zh" and tag not in ("zh", "zh-cn", "zh-hans", "zh-sg", "zh-hans-cn"):
                    continue  # zh-TW, zh-Hant: traditional characters, not offered
                return code
    return None


API_PATHS = ("/api/v1/", "/api/schema/")


class LoginRequiredMiddleware(_LoginRequired):
    """Django's login-required-by-default, except for API views, which authenticate themselves
    (session or token) and answer 401 rather than redirecting to the login page."""

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[Any, Any],
    ) -> HttpResponseBase | None:
        view_class = getattr(view_func, "cls", None)  # set by DRF's as_view()
        is_api_view = isinstance(view_class, type) and issubclass(view_class, APIView)
        if is_api_view and request.path_info.startswith(API_PATHS):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class NoStoreMiddleware:
    """Nothing a signed-in user sees may be kept by a browser or a proxy cache: pages, API answers and
    downloads (exports, reports) all carry personal data, so every response to an authenticated request
    (session or API token) is `Cache-Control: no-store` (and `Pragma: no-cache` for HTTP/1.0 caches).
    Static files never get here: WhiteNoise answers them earlier in the chain."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.utils.cache import add_never_cache_headers

        response = self.get_response(request)
        # Read the user after the view: DRF's token authentication sets it on the request only then.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private, Expires
            response["Pragma"] = "no-cache"
        return response


class ForbiddenTextMiddleware:
    """Refuses control characters and bidi overrides (``core.text``) in any submitted text before a view
    runs: every value of a form (not uploaded files: Django drops non-printable characters from their
    names, and the importers judge their cells one by one), and every string, keys included, anywhere in a
    JSON body; for POST, PUT and PATCH. The answer is a 400 naming the field: JSON ``{"detail": ...}``
    under /api/, the error page otherwise. Nothing is written.

    It checks in ``process_view``, so that the CSRF check and the login requirement (earlier in the list)
    answer first."""

    METHODS = frozenset({"POST", "PUT", "PATCH"})

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if request.method not in self.METHODS:
            return None
        from django.core.exceptions import RequestDataTooBig
        from django.utils.translation import gettext as _

        from echelon.core.text import FORBIDDEN_RE, forbidden_characters, forbidden_message

        try:
            strings = _submitted_strings(request)
            for field, value in strings:
                if FORBIDDEN_RE.search(value) or FORBIDDEN_RE.search(field):
                    chars = forbidden_characters(field + value)
                    name = FORBIDDEN_RE.sub("", field) or "-"
                    return _bad_request(request, forbidden_message(name, chars))
        except RequestDataTooBig:
            return _bad_request(request, _("提交的内容过大。"))
        return None


def _submitted_strings(request: HttpRequest) -> Iterator[tuple[str, str]]:
    """(field, text) of everything submitted as text; JSON paths as `a.b[2].c`."""
    import json

    from django.http import QueryDict

    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if request.method == "POST":
            data = request.POST
        elif content_type == "application/x-www-form-urlencoded":
            data = QueryDict(request.body, encoding=request.encoding)
        else:
            return  # multipart PUT/PATCH: parsed by the view itself, if at all
        for field, values in data.lists():
            for value in values:
                yield field, value
        return
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            document = json.loads(request.body)
        except (ValueError, RecursionError):
            return  # not JSON: the API answers its own parse error
        stack: list[tuple[str, object]] = [("", document)]
        while stack:
            path, node = stack.pop()
            if isinstance(node, str):
                yield path, node
            elif isinstance(node, dict):
                for key, value in node.items():
                    child = f"{path}.{key}" if path else str(key)
                    yield child, ""
                    stack.append((child, value))
            elif isinstance(node, list):
                stack.extend((f"{path}[{i}]", value) for i, value in enumerate(node))


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    from django.http import JsonResponse
    from django.shortcuts import render

    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400, json_dumps_params={"ensure_ascii": False})
    return render(request, "400.html", {"message": message}, status=400)
