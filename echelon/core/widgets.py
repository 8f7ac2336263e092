"""Pickers: a form field that names a unit or a person by what one types, within the user's scope.

Without JavaScript the widget is a plain text input: one types a code (or an exact name, or a username) and
the field resolves it. With JavaScript (``static/echelon/pickers.js``, Tom Select from npm) the same input
becomes a type-ahead that asks a JSON look-up endpoint and shows each hit with its detail (a unit's parent
path), and submits the chosen code. Either way the field checks the value again on the server, scoped to the
form's user, and refuses in Chinese.

Core knows no domain app (ADR 13): the apps build their fields from these (``orgs.fields.UnitField``,
``accounts.fields.UserField``) with their endpoint's URL and a ``resolve(user, value, action)`` function.
A form holding such fields mixes in ``LookupFormMixin`` and is built with ``user=request.user``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

from echelon.core.actors import Actor

Resolve = Callable[[Actor, str, str], str]


class LookupInput(forms.TextInput):
    """A text input carrying what the type-ahead needs: the endpoint (with its fixed parameters), which keys
    of a hit are its value, label and detail, and the texts it shows (translated here, not in the script)."""

    def __init__(
        self,
        url: str | Promise,
        *,
        params: dict[str, str] | None = None,
        value_key: str,
        label_key: str,
        detail_key: str = "",
        placeholder: str | Promise = "",
        empty: str | Promise = "",
        multiple: bool = False,
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs)
        self.url = url
        self.params = params or {}
        self.value_key = value_key
        self.label_key = label_key
        self.detail_key = detail_key
        self.placeholder = placeholder
        self.empty = empty
        self.multiple = multiple

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        url = str(self.url)
        if self.params:
            url += ("&" if "?" in url else "?") + urlencode(self.params)
        lookup = {
            "data-lookup": url,
            "data-lookup-value": self.value_key,
            "data-lookup-label": self.label_key,
            "data-lookup-detail": self.detail_key,
            "data-lookup-empty": str(self.empty),
            "autocomplete": "off",
        }
        if self.multiple:
            lookup["data-lookup-multiple"] = "1"
        widget_attrs = context["widget"]["attrs"]
        for key, val in lookup.items():
            widget_attrs.setdefault(key, val)
        if self.placeholder:
            widget_attrs.setdefault("placeholder", str(self.placeholder))
        widget_attrs.setdefault("class", "form-control")
        return context


class LookupField(forms.CharField):
    """A code (or a username) typed or picked, checked by ``resolve(user, value, action)`` against the
    form's user: the cleaned value is what ``resolve`` returns (a unit's code, a username), or its
    ``ValidationError`` (in Chinese) is the field's error. ``multiple``: several values, separated by
    commas, spaces or 、, cleaned to a list."""

    user: Actor

    def __init__(
        self, *, resolve: Resolve, action: str = "view", multiple: bool = False, **kwargs: Any
    ) -> None:
        kwargs.setdefault("max_length", 2000 if multiple else 150)
        super().__init__(**kwargs)
        self.resolve = resolve
        self.action = action
        self.multiple = multiple
        self.bound = False

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value in self.empty_values:
            return [] if self.multiple else value
        if not self.bound:
            raise ImproperlyConfigured("a LookupField needs its form built with user=request.user")
        if not self.multiple:
            return self.resolve(self.user, value, self.action)
        parts = [p for p in value.replace("，", ",").replace("、", ",").replace(",", " ").split() if p]
        found: list[str] = []
        for part in parts:
            resolved = self.resolve(self.user, part, self.action)
            if resolved not in found:
                found.append(resolved)
        return found


class LookupFormMixin:
    """Hands the form's user to its lookup fields before they are cleaned. The form is built with
    ``user=request.user``, or sets ``self.user`` in its own ``__init__``."""

    fields: dict[str, forms.Field]
    user: Actor

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "user" in kwargs:
            self.user = kwargs.pop("user")
        super().__init__(*args, **kwargs)

    def full_clean(self) -> None:
        if hasattr(self, "user"):
            for field in self.fields.values():
                if isinstance(field, LookupField):
                    field.user = self.user
                    field.bound = True
        super().full_clean()  # type: ignore[misc]
