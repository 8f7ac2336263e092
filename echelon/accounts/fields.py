"""The people picker as a form field: type-ahead on ``/api/v1/accounts/users/lookup/``, checked by
``selectors.resolve_username`` within the form user's scope (``core.widgets``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from echelon.accounts.selectors import resolve_username
from echelon.core.widgets import LookupField, LookupInput


class UserField(LookupField):
    """A user holding a grant (of ``role``, when given, for the type-ahead's list) in the subtrees where the
    form's user may ``action``: the cleaned value is the username (a list of them when ``multiple``)."""

    def __init__(
        self, *, action: str = "view", role: str = "", multiple: bool = False, **kwargs: Any
    ) -> None:
        params = {k: v for k, v in {"action": action if action != "view" else "", "role": role}.items() if v}
        kwargs.setdefault(
            "widget",
            LookupInput(
                reverse_lazy("accounts:user_lookup"),
                params=params,
                value_key="username",
                label_key="name",
                detail_key="grants",
                placeholder=_("输入姓名或用户名"),
                empty=_("没有找到匹配的用户"),
                multiple=multiple,
            ),
        )
        super().__init__(resolve=resolve_username, action=action, multiple=multiple, **kwargs)
