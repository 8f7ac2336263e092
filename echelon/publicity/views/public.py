"""A published notice (公示) on its own page, styled for printing on the notice board (公示栏): the unit's
name, the frozen copy the level above approved, the period, and the unit's QR code (its public page).

Anything not published today (a draft, a notice waiting for approval, withdrawn, over, of another unit, or
an unknown unit) is the same 404, revealing nothing."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from echelon.ledger.views.public import public_unit, qr_svg, unit_url
from echelon.publicity import selectors


def _not_found(request: HttpRequest) -> HttpResponse:
    context = {
        "status": 404,
        "title": _("页面不存在"),
        "message": _("没有找到这项公示：它可能已经结束或撤回，请核对链接。"),
        "icon": "bi-signpost-split",
    }
    return render(request, "ledger/public/message.html", context, status=404)


@login_not_required
@require_GET
def notice_docx(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """The same notice as a Word file (official-document layout) with the unit's QR code."""
    from echelon.publicity.exports import notice_docx as build

    unit = public_unit(code)
    item = selectors.public_item(unit, pk) if unit is not None else None
    if unit is None or item is None:
        return _not_found(request)
    response = HttpResponse(
        build(unit, item, unit_url(request, unit)),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    name = quote(f"{unit.name}{item.kind_label}公示.docx")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


@login_not_required
@require_GET
def notice(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """One published notice, on screen and on A4 paper, with the unit's QR code."""
    unit = public_unit(code)
    item = selectors.public_item(unit, pk) if unit is not None else None
    if unit is None or item is None:
        return _not_found(request)
    url = unit_url(request, unit)
    context = {
        "unit": unit,
        "item": item,
        "url": url,
        "display_url": url.split("://", 1)[-1],
        "qr": qr_svg(url),
    }
    return render(request, "publicity/public/notice.html", context)
