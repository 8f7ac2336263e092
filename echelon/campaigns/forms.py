from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from echelon.campaigns import specs
from echelon.campaigns.models import Campaign, CampaignTemplate
from echelon.core.actors import Actor
from echelon.core.forms import BootstrapFormMixin
from echelon.core.widgets import LookupFormMixin
from echelon.orgs.fields import UnitField
from echelon.orgs.models import Unit

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def template_choices() -> list[tuple[str, str]]:
    """Stored templates, then the built-in ones not loaded yet (loaded on first use)."""
    stored = list(CampaignTemplate.objects.order_by("name").values_list("key", "name"))
    keys = {k for k, _n in stored}
    shipped = [
        (b.spec.key, f"{b.spec.name}（{_('内置')}）") for b in specs.builtins() if b.spec.key not in keys
    ]
    return stored + shipped


class CampaignCreateForm(LookupFormMixin, BootstrapFormMixin, forms.Form):
    template = forms.ChoiceField(label=gettext_lazy("模板"))
    root = UnitField(
        label=gettext_lazy("范围"),
        action="plan",
        help_text=gettext_lazy("活动覆盖这个区划单位及其全部下级：输入名称、拼音或组织代码，例如 150000。"),
    )
    start = forms.DateField(label=gettext_lazy("开始日期"), widget=DATE)
    end = forms.DateField(
        label=gettext_lazy("结束日期"),
        widget=DATE,
        help_text=gettext_lazy("模板中没有固定日期的批次使用这个时间窗口。"),
    )
    name = forms.CharField(
        label=gettext_lazy("活动名称"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("留空则使用模板名称。"),
    )

    def __init__(self, *args: Any, user: Actor = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        cast(forms.ChoiceField, self.fields["template"]).choices = template_choices()

    def clean_root(self) -> Unit:
        code = self.cleaned_data["root"].strip()
        unit = Unit.objects.visible_to(self.user, "plan").filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("找不到该组织，或您无权在此范围创建活动。"))
        return unit

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end"):
            for field, messages in specs.campaign_window_errors(data["start"], data["end"]).items():
                for message in messages:
                    self.add_error(field, message)
        return data


class TemplateForm(BootstrapFormMixin, forms.Form):
    text = forms.CharField(
        label=gettext_lazy("模板内容（YAML 或 JSON）"),
        widget=forms.Textarea(
            attrs={"rows": 30, "spellcheck": "false", "class": "form-control font-monospace small"}
        ),
    )


class WhatIfForm(BootstrapFormMixin, forms.Form):
    """Rule changes for one batch; empty fields keep the current rule."""

    batch = forms.ChoiceField(label=gettext_lazy("批次"))
    window_start = forms.DateField(label=gettext_lazy("批次开始日期"), widget=DATE, required=False)
    window_end = forms.DateField(label=gettext_lazy("批次结束日期"), widget=DATE, required=False)
    # Ranges from specs.RULE_RANGES (the service checks them again, with the window dates).
    level_stagger_days = forms.IntegerField(
        label=gettext_lazy("层级间隔（天）"),
        required=False,
        min_value=specs.RULE_RANGES["level_stagger_days"][0],
        max_value=specs.RULE_RANGES["level_stagger_days"][1],
    )
    lead_days = forms.IntegerField(
        label=gettext_lazy("班子和机关先行（天）"),
        required=False,
        min_value=specs.RULE_RANGES["lead_days"][0],
        max_value=specs.RULE_RANGES["lead_days"][1],
    )
    min_duration_days = forms.IntegerField(
        label=gettext_lazy("最短集中时长（天）"),
        required=False,
        min_value=specs.RULE_RANGES["min_duration_days"][0],
        max_value=specs.RULE_RANGES["min_duration_days"][1],
    )
    duration_mode = forms.ChoiceField(
        label=gettext_lazy("时长方式"),
        required=False,
        choices=[
            ("", gettext_lazy("不变")),
            ("fill", gettext_lazy("延续到批次结束")),
            ("fixed", gettext_lazy("固定为最短集中时长")),
        ],
    )
    allow_blackout_boundaries = forms.ChoiceField(
        label=gettext_lazy("停歇期内起止"),
        required=False,
        choices=[("", gettext_lazy("不变")), ("no", gettext_lazy("不允许")), ("yes", gettext_lazy("允许"))],
    )

    RULES = (
        "window_start",
        "window_end",
        "level_stagger_days",
        "lead_days",
        "min_duration_days",
        "duration_mode",
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        cast(forms.ChoiceField, self.fields["batch"]).choices = list(
            campaign.batches.order_by("ordinal").values_list("key", "name")
        )

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes = {k: data[k] for k in self.RULES if data.get(k) not in (None, "")}
        if data.get("allow_blackout_boundaries"):
            changes["allow_blackout_boundaries"] = data["allow_blackout_boundaries"] == "yes"
        return changes


class ActualForm(BootstrapFormMixin, forms.Form):
    phase = forms.ChoiceField(label=gettext_lazy("环节"))
    start = forms.DateField(label=gettext_lazy("实际开始"), widget=DATE)
    end = forms.DateField(
        label=gettext_lazy("实际结束"),
        widget=DATE,
        required=False,
        help_text=gettext_lazy("环节完成后填写。"),
    )
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["phase"]).choices = [
            (p.key, p.name) for p in campaign.spec.phases
        ]
