"""The public pages (no login, ``/p/``): a unit's opinion page by its short link, the receipt with the
tracking code (回执号), the tracking page, and the unit's printable QR poster.

Nothing of the organization's inside is shown: the unit's name and its parent's (for orientation), the
opinion's own status and public reply; no other unit, no counts, no staff, no contact. The abuse guard is
``ledger.throttle`` (shared with the API); lengths and duplicates are the service's.
"""

from __future__ import annotations

from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from echelon.core.pages import attempt
from echelon.ledger import selectors, services, throttle
from echelon.ledger.models import TEXT_MAX
from echelon.ledger.parts import page_parts  # what other apps add to the page (publicity, evaluation)
from echelon.ledger.services.opinions import CONTACT_MAX, TEXT_MIN, normalize_code
from echelon.orgs.models import Unit


class OpinionForm(forms.Form):
    """The lengths are the service's to judge (one message for the page and the API); the attributes
    only help the browser."""

    text = forms.CharField(
        label=gettext_lazy("您的意见或建议"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 7, "maxlength": TEXT_MAX, "minlength": TEXT_MIN, "required": True}
        ),
    )
    contact = forms.CharField(
        label=gettext_lazy("联系方式（选填）"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": CONTACT_MAX, "autocomplete": "tel"}),
    )


def public_unit(code: str) -> Unit | None:
    """The active unit a short link names (None: the same for an unknown and an inactive unit)."""
    return (
        Unit.objects.filter(code=(code or "").strip()[:32], is_active=True)
        .select_related("parent")
        .only("id", "code", "name", "parent", "parent__name")
        .first()
    )


def unit_url(request: HttpRequest, unit: Unit) -> str:
    """The unit page's absolute address, as printed on the poster: ``ECHELON_PUBLIC_URL`` (the address
    the public reaches, when staff print from an intranet host) or the request's own host."""
    path = reverse("public:unit", args=[unit.code])
    base = str(getattr(settings, "ECHELON_PUBLIC_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG; the quiet zone (four modules) is inside it: a scanner needs
    it, whatever frames the code."""
    return str(segno.make(url, error="m").svg_inline(scale=1, border=4, omitsize=True, dark="#000"))


def _message(request: HttpRequest, status: int, title: str, message: str, icon: str) -> HttpResponse:
    context = {"status": status, "title": title, "message": message, "icon": icon}
    return render(request, "ledger/public/message.html", context, status=status)


def _too_many(request: HttpRequest, refusal: throttle.Refusal) -> HttpResponse:
    response = _message(request, 429, _("请稍后再试"), refusal.message, "bi-hourglass-split")
    response["Retry-After"] = str(refusal.retry_after or 60)
    return response


def _unit_not_found(request: HttpRequest) -> HttpResponse:
    message = _("找不到该组织，请核对二维码或链接上的组织代码。")
    return _message(request, 404, _("页面不存在"), message, "bi-signpost-split")


def _form_page(
    request: HttpRequest, unit: Unit, form: OpinionForm, status: int = 200, retry_after: int | None = None
) -> HttpResponse:
    context = {
        "unit": unit,
        "form": form,
        "started": throttle.form_token(unit.code),
        "honeypot": throttle.HONEYPOT,
        "text_min": TEXT_MIN,
        "text_max": TEXT_MAX,
        "parts": page_parts(request, unit),
    }
    response = render(request, "ledger/public/unit.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def unit(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's opinion page (the short link on its poster): write, optionally leave a contact, send."""
    found = public_unit(code)
    if found is None:
        return _unit_not_found(request)
    if request.method != "POST":
        return _form_page(request, found, OpinionForm())
    form = OpinionForm(request.POST)
    refusal = throttle.admit_post(request, found.code) or throttle.check_form(request.POST, found.code)
    if refusal is not None:
        form.is_valid()
        form.add_error(None, refusal.message)
        return _form_page(request, found, form, refusal.status, refusal.retry_after)
    if form.is_valid():
        data = form.cleaned_data
        outcome = attempt(
            request,
            lambda: services.opinion_submit_public(
                actor=request.user, unit_code=found.code, text=data["text"], contact=data["contact"]
            ),
            form=form,
        )
        if outcome.ok and outcome.value is not None:
            return redirect("public:receipt", code=outcome.value.tracking_code)
    return _form_page(request, found, form, status=400)


@login_not_required
@never_cache
@require_GET
def receipt(request: HttpRequest, code: str) -> HttpResponse:
    """Right after sending: the tracking code, big and easy to copy, and the way to follow it."""
    refusal = throttle.admit_lookup(request)
    if refusal is not None:
        return _too_many(request, refusal)
    status = selectors.public_status(code)
    if status is None:
        return _unknown_code(request, code)
    return render(request, "ledger/public/receipt.html", {"status": status})


def _unknown_code(request: HttpRequest, code: str) -> HttpResponse:
    context = {"code": normalize_code(code), "unknown": True}
    return render(request, "ledger/public/track.html", context, status=404)


@login_not_required
@never_cache
@require_GET
def track_form(request: HttpRequest) -> HttpResponse:
    """Where a tracking code is typed in (``?code=`` goes to its page)."""
    code = normalize_code(request.GET.get("code", ""))
    if code:
        return redirect("public:track", code=code)
    return render(request, "ledger/public/track.html", {"code": ""})


@login_not_required
@never_cache
@require_GET
def track(request: HttpRequest, code: str) -> HttpResponse:
    """What became of an opinion: its status and the public reply; nothing else."""
    refusal = throttle.admit_lookup(request)
    if refusal is not None:
        return _too_many(request, refusal)
    status = selectors.public_status(code)
    if status is None:
        return _unknown_code(request, code)
    return render(request, "ledger/public/track.html", {"status": status, "code": status.tracking_code})


@login_not_required
@require_GET
def poster(request: HttpRequest, code: str) -> HttpResponse:
    """The unit's A4 poster for notice boards, opinion boxes and village meetings: its QR code and short
    link (only what the unit page itself shows)."""
    found = public_unit(code)
    if found is None:
        return _unit_not_found(request)
    url = unit_url(request, found)
    qr = qr_svg(url)
    context: dict[str, Any] = {
        "unit": found,
        "url": url,
        "display_url": url.split("://", 1)[-1],
        "qr": qr,
        "title_size": "sm" if len(found.name) > 12 else ("md" if len(found.name) > 7 else "lg"),
    }
    return render(request, "ledger/public/poster.html", context)
