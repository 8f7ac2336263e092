"""The unit picker as a form field: type-ahead on ``/api/v1/orgs/units/lookup/``, checked by
``lookup.resolve_code`` within the form user's scope for the field's action (``core.widgets``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from echelon.core.widgets import LookupField, LookupInput
from echelon.orgs.lookup import resolve_code


class UnitField(LookupField):
    """A unit the form's user may ``action``: the cleaned value is its code."""

    def __init__(self, *, action: str = "view", **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            LookupInput(
                reverse_lazy("orgs:autocomplete"),
                params={"action": action} if action != "view" else None,
                value_key="code",
                label_key="name",
                detail_key="parents",
                placeholder=_("输入名称、拼音或组织代码"),
                empty=_("没有找到匹配的组织"),
            ),
        )
        kwargs.setdefault("max_length", 100)
        super().__init__(resolve=resolve_code, action=action, **kwargs)
