from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from echelon.cases.services import COMMENT_MAX, TEXT_MAX, TITLE_MAX


class CaseForm(forms.Form):
    """A case's unit (when nominating), the phase and action it illustrates (``where``: "phase|action"),
    its title and text; the files come as ``files`` (several) beside the form."""

    unit = forms.ChoiceField(label=_("推荐单位"))
    where = forms.ChoiceField(label=_("示范的环节和动作"))
    title = forms.CharField(label=_("标题"), max_length=TITLE_MAX)
    text = forms.CharField(
        label=_("案例内容（做法、成效、经验）"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
    )

    def __init__(
        self,
        *args: Any,
        units: list[tuple[str, str]],
        wheres: list[tuple[str, Any]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        if units:
            unit_field.choices = units  # type: ignore[attr-defined]
        else:
            del self.fields["unit"]
        self.fields["where"].choices = wheres  # type: ignore[attr-defined]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault(
                "class", "form-select" if name in ("unit", "where") else "form-control"
            )

    def phase_action(self) -> tuple[str, str]:
        phase, _sep, action = self.cleaned_data["where"].partition("|")
        return phase, action


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("审核意见"),
        max_length=COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
