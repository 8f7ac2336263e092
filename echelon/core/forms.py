from __future__ import annotations

from typing import Any

from django import forms


class BootstrapFormMixin:
    """Adds Bootstrap classes to every widget, so templates render forms with one include."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = (
                "form-select"
                if isinstance(widget, forms.Select)
                else "form-check-input"
                if isinstance(widget, forms.CheckboxInput)
                else "form-control"
            )
            widget.attrs.setdefault("class", css)
