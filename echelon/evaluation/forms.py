"""The evaluation's forms (pages). Lengths and rules are the services' to judge."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from echelon.evaluation.models import NOTE_MAX, WORK_MAX, EvaluatorKind
from echelon.evaluation.services.sessions import CODES_MAX, PRESENT_MAX


class OpenForm(forms.Form):
    held_on = forms.DateField(
        label=_("测评日期"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
    )


class GroupForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("测评人员"),
        choices=EvaluatorKind.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    present = forms.IntegerField(
        label=_("到会人数"),
        min_value=1,
        max_value=PRESENT_MAX,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
    )


class CodesForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("测评人员"),
        choices=EvaluatorKind.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    count = forms.IntegerField(label=_("生成数量"), min_value=1, max_value=CODES_MAX)


class CloseForm(forms.Form):
    note = forms.CharField(
        label=_("说明（选填）"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class WorkForm(forms.Form):
    work = forms.CharField(
        label=_("补课情况"),
        max_length=WORK_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "class": "form-control"}),
    )


class FileForm(forms.Form):
    file = forms.FileField(
        label=_("补课材料"), widget=forms.ClearableFileInput(attrs={"class": "form-control form-control-sm"})
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("认定"), choices=[("done", _("补课完成")), ("open", _("继续补课"))], widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("督导组意见"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
