"""The command center's forms, one section per feature. They only shape the input: the services check
everything again (scope, role, subtrees, dates, lengths) and refuse in Chinese."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from echelon.core.forms import BootstrapFormMixin
from echelon.core.widgets import LookupFormMixin
from echelon.orgs.fields import UnitField

DATE = {"type": "date"}

# --- dispatch meetings (调度会) and the dispatch report --------------------------------------------------


class MeetingForm(BootstrapFormMixin, forms.Form):
    """A dispatch meeting's own fields; its items are the rows of ``ItemFormSet``."""

    title = forms.CharField(label=_("会议名称"), max_length=200)
    date = forms.DateField(label=_("会议日期"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    attendees = forms.CharField(
        label=_("参加人员"), max_length=5_000, widget=forms.Textarea(attrs={"rows": 2})
    )
    findings = forms.CharField(
        label=_("发现的问题"),
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("会上通报的进展、发现的苗头性、倾向性、潜在性问题。"),
    )
    decisions = forms.CharField(
        label=_("会议部署"), max_length=5_000, widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class DispatchItemForm(LookupFormMixin, BootstrapFormMixin, forms.Form):
    """One action item row: a unit from the select (the meeting's unit and two levels below it) or by its
    code, what to do, by when. An empty row is skipped."""

    unit = forms.ChoiceField(label=_("承办单位"), required=False)
    code = UnitField(
        label=_("或选择其他单位"), required=False, help_text=_("更下级的单位：输入名称、拼音或组织代码")
    )
    text = forms.CharField(label=_("交办事项"), max_length=1_000, required=False)
    deadline = forms.DateField(
        label=_("办结时限"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"), required=False
    )

    def __init__(self, *args: Any, units: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("（请选择）")), *units]  # type: ignore[attr-defined]

    def picked(self) -> str:
        """The code the row names: typed, else selected ("" for an empty row)."""
        data = getattr(self, "cleaned_data", {}) or {}
        return (data.get("code") or "").strip() or (data.get("unit") or "")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not (self.picked() or (data.get("text") or "").strip() or data.get("deadline"))


ItemFormSet = forms.formset_factory(DispatchItemForm, extra=8, max_num=50, absolute_max=50, validate_max=True)


class DoneForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("办理情况"), max_length=1_000, widget=forms.Textarea(attrs={"rows": 2}))


class ReopenItemForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("退回理由"), max_length=1_000, widget=forms.Textarea(attrs={"rows": 2}))


class ReportDateForm(forms.Form):
    """The dispatch report's date (``?date=``, default today within the batch's window)."""

    date = forms.CharField(required=False, max_length=20)

    def __init__(self, *args: Any, batch: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch = batch

    def clean_date(self) -> Any:
        from echelon.dashboards.services.dispatch import report_day

        return report_day(self.batch, self.cleaned_data.get("date"))


# --- information reports (信息报送) ------------------------------------------------------------------------


class InfoReportNewForm(BootstrapFormMixin, forms.Form):
    """A new report's period (and title; empty: "<单位>党的群众路线教育实践活动信息第N期")."""

    period_start = forms.DateField(
        label=_("报告期起始日期"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )
    period_end = forms.DateField(
        label=_("报告期截止日期"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d")
    )
    title = forms.CharField(
        label=_("标题（选填）"),
        max_length=200,
        required=False,
        help_text=_("不填则为“本单位党的群众路线教育实践活动信息第N期”。"),
    )


class InfoReportEditForm(BootstrapFormMixin, forms.Form):
    """A draft's texts; the figures come from the system (``refresh_figures`` reads them again)."""

    title = forms.CharField(label=_("标题"), max_length=200)
    narrative = forms.CharField(
        label=_("一、工作进展"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("数据已由系统自动生成，这里写数据说明不了的情况：做了什么、效果如何。"),
    )
    practice = forms.CharField(
        label=_("二、典型做法"), max_length=20_000, required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    next_steps = forms.CharField(
        label=_("三、下步打算"), max_length=20_000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    refresh_figures = forms.BooleanField(label=_("重新生成数据（并汇总新报送的下级信息）"), required=False)


class InfoReportReturnForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("退回意见"), max_length=2_000, widget=forms.Textarea(attrs={"rows": 2}))
