"""The API's error answers: Chinese, and never a model name or a stack trace.

Registered as ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``. Services raise Django's exceptions; this turns them
into API answers, so a view that forgets its try/except still answers 400/403/404/409 instead of 500:

    echelon.core.errors.Conflict   409 {"detail": [messages]}
    django ValidationError         400 {"detail": [messages]}, or {field: [messages]} for a message_dict
    django PermissionDenied        403 {"detail": message}  ("您没有执行该操作的权限。" when it has none)
    Http404, Model.DoesNotExist    404 {"detail": "未找到。"}  (never "No Review matches the given query.")

Then DRF's own exceptions, whose messages DRF translates; the few it leaves in English (parse errors, the
CSRF refusal of session authentication) are replaced by Chinese ones.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from echelon.core.errors import Conflict
from echelon.core.text import CJK_RE

PARAMETERISED = (exceptions.MethodNotAllowed, exceptions.UnsupportedMediaType, exceptions.Throttled)


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("操作与当前状态冲突，请刷新后重试。")
    default_code = "conflict"


def _messages(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        return {
            ("detail" if field == NON_FIELD_ERRORS else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"detail": exc.messages}


def _from_django(exc: Exception) -> Exception:
    if isinstance(exc, Conflict):
        return ConflictError(_messages(exc))
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(_messages(exc))
    if isinstance(exc, PermissionDenied):
        message = str(exc)
        return exceptions.PermissionDenied(message if message and CJK_RE.search(message) else None)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return exceptions.NotFound()
    return exc


def _in_chinese(exc: exceptions.APIException) -> None:
    """Replace the English details DRF leaves untranslated (they are plain strings, never field errors)."""
    detail = exc.detail
    if not isinstance(detail, str) or CJK_RE.search(detail):
        return
    if isinstance(exc, exceptions.ParseError):
        if detail.startswith("JSON parse error"):
            message = _("请求内容不是有效的 JSON。")
        else:
            message = _("请求内容无法解析。")
    elif isinstance(exc, exceptions.PermissionDenied) and detail.startswith("CSRF Failed"):
        message = _("CSRF 校验失败，请刷新页面后重试；用令牌调用 API 时请使用 Authorization 请求头。")
    elif isinstance(exc, PARAMETERISED):
        return  # DRF's translation of these carries a parameter; they are Chinese already
    else:
        message = str(type(exc).default_detail)
    exc.detail = exceptions.ErrorDetail(message, code=getattr(detail, "code", None) or exc.default_code)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _from_django(exc)
    if isinstance(exc, exceptions.APIException):
        _in_chinese(exc)
    return drf_exception_handler(exc, context)
