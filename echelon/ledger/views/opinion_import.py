"""Opinions gathered by staff, imported from Excel (or CSV): the template and the upload page with the row
errors. For users with the ``import`` action (offices and operators); a unit outside it is 404."""

from __future__ import annotations

from tempfile import TemporaryFile
from typing import Any

from django import forms
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from echelon.core import tabular
from echelon.core.forms import BootstrapFormMixin
from echelon.core.pages import attempt
from echelon.core.permissions import require_somewhere
from echelon.core.querysets import scoped_object
from echelon.core.widgets import LookupFormMixin
from echelon.ledger import services
from echelon.ledger.services import imports
from echelon.orgs.fields import UnitField
from echelon.orgs.models import Unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ERRORS = 300


class OpinionImportForm(LookupFormMixin, BootstrapFormMixin, forms.Form):
    unit = UnitField(label=gettext_lazy("登记单位"), action="import")
    file = forms.FileField(label=gettext_lazy("文件（.xlsx 或 .csv）"))


def _default_unit(user: Any) -> Unit | None:
    return Unit.objects.visible_to(user, "import").filter(is_active=True).order_by("path").first()


def help_rows() -> list[list[str]]:
    """The template's 说明 sheet."""
    channels = "、".join(imports.channel_labels().values())
    return [
        [_("列名"), _("是否必填"), _("说明")],
        [
            imports.UNIT_CODE,
            _("选填"),
            _("意见所属单位的组织代码；不填即为导入时选择的单位，也可以填写其下级单位。"),
        ],
        [imports.CHANNEL, _("必填"), _("可选：%(channels)s。") % {"channels": channels}],
        [imports.RECEIVED, _("必填"), _("如 2014-05-20，不能晚于导入当天。")],
        [imports.TEXT, _("必填"), _("至少 5 个字，最多 2000 个字。")],
        [imports.CONTACT, _("选填"), _("只有接收意见的单位办公室能看到。")],
        [],
        [
            _("导入规则"),
            "",
            _(
                "全部行都正确才会写入，有任何错误都不写入；同一单位、同一内容、同一收到日期的意见只导入一次，"
                "重复导入同一文件不会产生重复数据。第 2 行是示例，请删除后再填写。"
            ),
        ],
    ]


@require_GET
def opinion_template(request: HttpRequest) -> FileResponse:
    """The import template: the header, one example row, the channel drop-down and a 说明 sheet."""
    require_somewhere(request.user, "import", _("您没有导入意见的权限。"))
    code = (request.GET.get("unit") or "").strip()
    unit = (
        scoped_object(request.user, Unit.objects, "import", code=code)
        if code
        else _default_unit(request.user)
    )
    example = [
        unit.code if unit is not None else "",
        imports.channel_labels()["forum"],
        timezone.localdate(),
        imports.EXAMPLE_MARK + _("村务公开栏很久没有更新，希望按月公开低保和补贴名单。"),
        "",
    ]
    tmp = TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
    tabular.write_xlsx(
        tmp,
        list(imports.HEADER),
        [example],
        title=_("意见"),
        extra_sheets=[(_("说明"), help_rows())],
        validations=[(imports.HEADER.index(imports.CHANNEL), list(imports.channel_labels().values()))],
    )
    tmp.seek(0)
    return FileResponse(tmp, as_attachment=True, filename=_("意见导入模板.xlsx"), content_type=XLSX)


@require_http_methods(["GET", "POST"])
def opinion_import(request: HttpRequest) -> HttpResponse:
    """Upload: checked and, when every row is right, written at once; otherwise every error is listed."""
    require_somewhere(request.user, "import", _("您没有导入意见的权限。"))
    unit = _default_unit(request.user)
    initial = {"unit": (request.GET.get("unit") or (unit.code if unit else ""))[:32]}
    form = OpinionImportForm(request.POST or None, request.FILES or None, initial=initial, user=request.user)
    result = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            unit = scoped_object(request.user, Unit.objects, "import", code=form.cleaned_data["unit"].strip())
            upload = form.cleaned_data["file"]
            outcome = attempt(
                request,
                lambda: services.opinion_import(
                    actor=request.user, unit=unit, fileobj=upload, name=upload.name
                ),
                form=form,
            )
            result = outcome.value
            if result is not None and result.ok:
                status = 200
    errors = result.sorted_errors()[:SHOWN_ERRORS] if result is not None else []
    return render_page(request, form, result, errors, status)


def render_page(
    request: HttpRequest, form: forms.Form, result: Any, errors: list[Any], status: int
) -> HttpResponse:
    return render(
        request,
        "ledger/opinion_import.html",
        {
            "form": form,
            "result": result,
            "errors": errors,
            "hidden_errors": (result.error_count - len(errors)) if result is not None else 0,
            "max_rows": imports.MAX_ROWS,
            "max_size": tabular.human_size(imports.MAX_BYTES),
        },
        status=status,
    )
