"""The staff pages' forms. They only shape the input: the services check everything again (scope, role, the
campaign's taxonomy, lengths, dates) and refuse in Chinese."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from echelon.core.forms import BootstrapFormMixin
from echelon.ledger.models import TEXT_MAX, Channel, Severity

DATE = {"type": "date"}


def _area(rows: int = 3, **attrs: Any) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


class OpinionForm(BootstrapFormMixin, forms.Form):
    """An opinion gathered by staff (a forum, a home visit, a questionnaire, a box), entered one by one."""

    unit = forms.CharField(max_length=32, widget=forms.HiddenInput)
    channel = forms.ChoiceField(
        label=_("渠道"), choices=[c for c in Channel.choices if c[0] != Channel.WEB], initial=Channel.FORUM
    )
    received_on = forms.DateField(label=_("收到日期"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    text = forms.CharField(label=_("意见内容"), max_length=TEXT_MAX, widget=_area(5))
    contact = forms.CharField(
        label=_("联系方式（选填）"),
        max_length=100,
        required=False,
        help_text=_("只有本单位的办公室和联络员能看到。"),
    )


class ReplyForm(BootstrapFormMixin, forms.Form):
    reply = forms.CharField(
        label=_("公开答复"),
        max_length=TEXT_MAX,
        widget=_area(3),
        help_text=_("凭回执号查询的群众都能看到，请勿写入个人信息。"),
    )


class CloseForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("关闭理由"), max_length=500)


class MergeForm(BootstrapFormMixin, forms.Form):
    into = forms.CharField(label=_("合并到（回执号）"), max_length=20)


class ProblemForm(BootstrapFormMixin, forms.Form):
    """A problem's fields; the selects come from the campaign's taxonomy (``LedgerSpec``)."""

    title = forms.CharField(label=_("问题"), max_length=100)
    description = forms.CharField(label=_("具体表现"), max_length=TEXT_MAX, widget=_area(4), required=False)
    source = forms.ChoiceField(label=_("来源"))
    category = forms.ChoiceField(label=_("类别"))
    item = forms.ChoiceField(label=_("专项整治事项"), required=False)
    tags = forms.MultipleChoiceField(
        label=_("载体"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    severity = forms.ChoiceField(label=_("程度"), choices=Severity.choices, initial=Severity.GENERAL)
    owner = forms.CharField(label=_("责任人"), max_length=50, required=False)
    found_on = forms.DateField(
        label=_("查摆日期"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"), required=False
    )
    phase = forms.TypedChoiceField(label=_("查摆环节"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, campaign: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ledger = campaign.spec.ledger
        self._choices("source", [(t.key, t.name) for t in ledger.sources])
        self._choices("category", [(t.key, t.name) for t in ledger.categories])
        self._choices("item", [("", _("（不属于专项整治）")), *((t.key, t.name) for t in ledger.items)])
        self._choices("tags", [(t.key, t.name) for t in ledger.tags])
        phases = [(i, p.name) for i, p in enumerate(campaign.spec.phases)]
        self._choices("phase", [("", "—"), *phases])
        if not ledger.items:
            del self.fields["item"]
        if not ledger.tags:
            del self.fields["tags"]
        if editing:  # the date and phase it was found are history, not corrected here
            del self.fields["found_on"]
            del self.fields["phase"]

    def _choices(self, name: str, choices: list[tuple[Any, Any]]) -> None:
        field = self.fields[name]
        field.choices = choices  # type: ignore[attr-defined]


class TaskForm(BootstrapFormMixin, forms.Form):
    measure = forms.CharField(label=_("整改措施"), max_length=1_000, widget=_area(2))
    responsible = forms.CharField(label=_("责任人"), max_length=50)
    deadline = forms.DateField(label=_("完成时限"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("佐证材料（PDF、Word、Excel、图片）"))


class ClaimForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("完成情况"), max_length=TEXT_MAX, widget=_area(2))


DECISIONS = [
    ("accept", _("验收通过（销号）")),
    ("return", _("退回重新整改")),
    ("defer", _("暂不能解决，另定时限")),
]


class DecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("验收结论"), choices=DECISIONS, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("验收意见（退回或暂缓须写明理由）"), max_length=TEXT_MAX, widget=_area(2), required=False
    )
    new_deadline = forms.DateField(
        label=_("新的完成时限（暂缓时填写）"),
        widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
        required=False,
    )


class ReopenForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("重新打开的理由"), max_length=TEXT_MAX)


class EscalateForm(BootstrapFormMixin, forms.Form):
    to = forms.ChoiceField(label=_("上报给"))
    reason = forms.CharField(label=_("上报理由"), max_length=TEXT_MAX, widget=_area(2))

    def __init__(self, *args: Any, targets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = targets  # type: ignore[attr-defined]


class EscalationAnswerForm(BootstrapFormMixin, forms.Form):
    answer = forms.CharField(
        label=_("意见（退回时必填）"), max_length=TEXT_MAX, widget=_area(2), required=False
    )


class HandoverForm(BootstrapFormMixin, forms.Form):
    to = forms.CharField(label=_("承接单位（组织代码）"), max_length=32)
    receiver = forms.CharField(label=_("承接人（用户名）"), max_length=150)
    note = forms.CharField(label=_("移交说明"), max_length=TEXT_MAX, widget=_area(2), required=False)


class HandoverAcceptForm(BootstrapFormMixin, forms.Form):
    deadline = forms.DateField(
        label=_("完成时限（不填沿用原时限）"),
        widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
        required=False,
    )
