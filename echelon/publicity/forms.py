from django import forms
from django.utils.translation import gettext_lazy as _

from echelon.publicity import kinds
from echelon.publicity.models import TITLE_MAX


class PublicationForm(forms.Form):
    """A new notice: its kind, an optional title, and for promises one promise per line (the service
    checks them)."""

    kind = forms.ChoiceField(label=_("公示内容"), choices=())
    title = forms.CharField(label=_("标题（选填）"), max_length=TITLE_MAX, required=False)
    promises = forms.CharField(
        label=_("承诺事项（每行一条，仅“承诺事项”需要）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = kinds.choices()  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("退回意见"), max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("撤回理由"), max_length=500)
