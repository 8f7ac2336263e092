from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from echelon.accounts.roles import Role
from echelon.core.forms import BootstrapFormMixin
from echelon.core.widgets import LookupFormMixin
from echelon.orgs.fields import UnitField


class UserCreateForm(LookupFormMixin, BootstrapFormMixin, forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    password = forms.CharField(
        label=_("初始密码"), widget=forms.PasswordInput(render_value=False), min_length=10
    )
    unit_code = UnitField(
        label=_("授权组织"), action="manage_users", help_text=_("授权覆盖该组织及其全部下级组织。")
    )
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)


class GrantForm(LookupFormMixin, BootstrapFormMixin, forms.Form):
    unit_code = UnitField(label=_("授权组织"), action="manage_users")
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)


class PasswordResetForm(BootstrapFormMixin, forms.Form):
    password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput, min_length=10)


class TokenForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(
        label=_("用途"), max_length=100, required=False, help_text=_("例如：省级数据交换平台")
    )


class UserImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("用户表（.xlsx 或 .csv）"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.csv"
