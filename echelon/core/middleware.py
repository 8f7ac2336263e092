from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.middleware import LoginRequiredMiddleware as _LoginRequired
from django.http import HttpRequest, HttpResponse
from rest_framework.views import APIView

from echelon.core import context


class RequestContextMiddleware:
    """Binds a request id and the client address for the audit trail; echoes the id in a header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = "api" if request.path.startswith("/api/") else "web"
        ctx = context.new_context(channel, client_ip=request.META.get("REMOTE_ADDR"))
        request.request_id = ctx.request_id  # type: ignore[attr-defined]
        with context.bind(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = ctx.request_id
        return response


class LanguageMiddleware:
    """Chinese first: the interface is zh-hans unless the user chose another language (cookie).

    The browser's Accept-Language is deliberately ignored: an office PC set to English still gets Chinese.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


API_PATHS = ("/api/v1/", "/api/schema/")


class LoginRequiredMiddleware(_LoginRequired):
    """Django's login-required-by-default, except for API views, which authenticate themselves
    (session or token) and answer 401 rather than redirecting to the login page."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        is_api_view = getattr(view_func, "cls", None) is not None and issubclass(view_func.cls, APIView)
        if is_api_view and request.path_info.startswith(API_PATHS):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
