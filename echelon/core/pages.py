"""From a page's request to a service, once (the API's counterpart is ``core.api.exceptions``).

A service refuses in two ways. ``ValidationError`` means "not like this": the page shows the messages (on
the form when there is one, as field errors where the service named fields) and the user tries again.
``PermissionDenied`` means "not you": it is not caught here, so the user gets the 403 page and nothing was
written. Views never write their own ``try/except`` around a service.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    ok: bool
    value: T | None = None
    errors: list[str] = dataclasses.field(default_factory=list)  # the refusal's messages (``ok`` is False)


def attempt(
    request: HttpRequest,
    call: Callable[[], T],
    *,
    success: str | Callable[[T], str] = "",
    form: forms.BaseForm | None = None,
    show: bool = True,
) -> Outcome[T]:
    """Run ``call`` (a service) for a POST. On success flash ``success`` (text, or built from the result);
    on a ``ValidationError`` show its messages on ``form`` or as messages (``show=False``: the page lists
    ``Outcome.errors`` itself) and return ``ok=False``."""
    try:
        value = call()
    except ValidationError as exc:
        if show:
            show_errors(request, exc, form)
        return Outcome(False, errors=list(exc.messages))
    text = success(value) if callable(success) else success
    if text:
        messages.success(request, text)
    return Outcome(True, value)


def attempt_form(
    request: HttpRequest,
    form: forms.BaseForm,
    call: Callable[[dict[str, Any]], T],
    *,
    success: str | Callable[[T], str] = "",
) -> Outcome[T]:
    """A form posted from a panel of another page, then its service: invalid input becomes messages on that
    page and nothing is called; valid input goes to ``call(cleaned_data)`` through ``attempt``. The view
    goes back to the page either way."""
    if not form.is_valid():
        flash_form_errors(request, form)
        return Outcome(False, errors=[str(e) for errors in form.errors.values() for e in errors])
    return attempt(request, lambda: call(form.cleaned_data), success=success)


def show_errors(request: HttpRequest, exc: ValidationError, form: forms.BaseForm | None = None) -> None:
    if form is None:
        for message in exc.messages:
            messages.error(request, message)
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def flash_form_errors(request: HttpRequest, form: forms.BaseForm) -> None:
    """A form posted from a panel of another page: its errors become messages on that page."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        text = "；".join(str(e) for e in errors)
        messages.error(request, f"{label}：{text}" if label else text)


def messages_of(exc: Any) -> list[str]:
    """The messages of a service's refusal (for the few places that collect them, e.g. a job's result)."""
    return list(exc.messages) if isinstance(exc, ValidationError) else [str(exc)]
