from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from echelon.accounts.fields import UserField
from echelon.core.widgets import LookupFormMixin
from echelon.orgs.fields import UnitField
from echelon.supervision.models import Decision, Evidence, GroupKind, HalfDay, LiaisonKind, MeetingType
from echelon.supervision.services import MEETING_MAX_PEOPLE, MEETING_TEXT_LIMITS


class GroupForm(LookupFormMixin, forms.Form):
    batch = forms.ChoiceField(label=_("批次"))
    home = UnitField(label=_("派出单位"), action="dispatch")
    name = forms.CharField(label=_("名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=GroupKind.choices, initial=GroupKind.GROUP)
    leader = UserField(label=_("组长"), action="dispatch", role="supervisor", required=False)
    members = UserField(label=_("成员"), action="dispatch", role="supervisor", multiple=True, required=False)

    def __init__(self, *args: Any, batches: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["batch"].choices = batches  # type: ignore[attr-defined]


class MemberForm(LookupFormMixin, forms.Form):
    username = UserField(label=_("成员"), action="dispatch", role="supervisor")
    leader = forms.BooleanField(label=_("设为组长"), required=False)


class AssignForm(LookupFormMixin, forms.Form):
    code = UnitField(label=_("督导对象"), action="dispatch")
    override_reason = forms.CharField(
        label=_("重复督导理由（仅在该单位已有督导组时填写）"), max_length=200, required=False
    )


class PatrolForm(LookupFormMixin, forms.Form):
    code = UnitField(label=_("巡查单位"))
    date = forms.DateField(label=_("巡查日期"), widget=forms.DateInput(attrs={"type": "date"}))
    findings = forms.CharField(label=_("发现的情况和问题"), widget=forms.Textarea(attrs={"rows": 3}))


class MaterialForm(forms.Form):
    action = forms.CharField(max_length=64, widget=forms.HiddenInput)
    file = forms.FileField(label=_("材料文件（PDF、Word、Excel、图片）"))


class OwnActionForm(forms.Form):
    """An own action (自选动作): its name, its evidence and whether the unit requires it before submitting;
    ``phase`` only when adding."""

    phase = forms.IntegerField(label=_("环节"), min_value=0, required=False)
    title = forms.CharField(label=_("自选动作"), max_length=100)
    evidence = forms.ChoiceField(label=_("佐证"), choices=Evidence.choices, initial=Evidence.MATERIAL)
    required = forms.BooleanField(label=_("提交前必须完成"), required=False)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (sign-in sheets, photos); each is checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class MeetingForm(forms.Form):
    """A meeting record: its type follows from the action it evidences (the service fills it in when the
    action names one type); the counts only for the democratic appraisal; sign-in sheets and photos."""

    action = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    type = forms.ChoiceField(label=_("会议类型"), choices=[("", "—"), *MeetingType.choices], required=False)
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    half_day = forms.ChoiceField(label=_("时段"), choices=HalfDay.choices)
    # Limits mirrored from the service (MEETING_TEXT_LIMITS, MEETING_MAX_PEOPLE), which checks them again.
    place = forms.CharField(label=_("地点"), max_length=MEETING_TEXT_LIMITS["place"])
    attendees = forms.CharField(
        label=_("参加人员"),
        max_length=MEETING_TEXT_LIMITS["attendees"],
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    minutes = forms.CharField(
        label=_("会议纪要"),
        max_length=MEETING_TEXT_LIMITS["minutes"],
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    rated_good = forms.IntegerField(
        label=_("评为“好”"), min_value=0, max_value=MEETING_MAX_PEOPLE, required=False
    )
    rated_fair = forms.IntegerField(
        label=_("评为“一般”"), min_value=0, max_value=MEETING_MAX_PEOPLE, required=False
    )
    rated_poor = forms.IntegerField(
        label=_("评为“差”"), min_value=0, max_value=MEETING_MAX_PEOPLE, required=False
    )
    present = forms.IntegerField(
        label=_("实到人数"), min_value=0, max_value=MEETING_MAX_PEOPLE, required=False
    )
    sign_in = MultipleFileField(label=_("签到表（图片或 PDF）"), required=False)
    photos = MultipleFileField(label=_("现场照片（图片或 PDF）"), required=False)

    def attachments(self) -> list[tuple[str, Any, str]]:
        """(kind, file, name) of the uploaded sign-in sheets and photos, for ``meeting_record``."""
        return [
            (kind, f, f.name)
            for kind, key in (("sign_in", "sign_in"), ("photo", "photos"))
            for f in self.cleaned_data[key]
        ]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("决定"), choices=Decision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    deadline = forms.DateField(
        label=_("整改期限（打回、返工）"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    interview_who = forms.CharField(label=_("约谈对象"), max_length=200, required=False)
    interview_at = forms.DateField(
        label=_("约谈日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    interview_required = forms.CharField(
        label=_("约谈提出的要求"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, checks: list[dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.check_keys = [c["key"] for c in checks]
        for c in checks:
            self.fields[f"check_{c['key']}"] = forms.ChoiceField(
                label=c["name"],
                choices=[("pass", _("通过")), ("fail", _("未通过"))],
                widget=forms.RadioSelect,
            )
            self.fields[f"note_{c['key']}"] = forms.CharField(label=_("意见"), max_length=500, required=False)

    def check_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"check_{k}"], self[f"note_{k}"]) for k in self.check_keys]


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError(_("截止日期不能早于起始日期。"))
            if (end - start).days > 366:
                raise forms.ValidationError(_("报告期不能超过一年。"))
        return data


class LiaisonForm(LookupFormMixin, forms.Form):
    leader = UserField(label=_("联系点领导"), action="dispatch", role="leader")
    code = UnitField(label=_("联系点"), action="dispatch")
    kind = forms.ChoiceField(label=_("方式"), choices=LiaisonKind.choices, initial=LiaisonKind.LINK)
    campaign = forms.IntegerField(label=_("活动"), required=False)


class AttendanceForm(forms.Form):
    participation = forms.IntegerField(widget=forms.HiddenInput)
    meeting_type = forms.CharField(max_length=20, widget=forms.HiddenInput)
    attended = forms.TypedChoiceField(
        label=_("出席"),
        choices=[("1", _("出席")), ("0", _("未出席"))],
        coerce=lambda v: v == "1",
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
