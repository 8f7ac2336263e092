"""The public ballot (no login, ``/p/ballot/``): a person types the one-time code from their slip (or the
slip's QR code opens the page with it), sees the ballot (the unit's name, each item with the scale),
votes once, and is thanked. Every look-up and every ballot counts against the address (``throttle``); an
unknown, used or expired code, or a closed evaluation, is refused in Chinese and nothing is written.

Nothing is shown but the unit's name and the items: no counts, no other voters, no results."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from echelon.core.pages import attempt
from echelon.evaluation import services, throttle
from echelon.evaluation.models import BallotCode, Session, SessionStatus
from echelon.ledger.throttle import Refusal


def ballot_entry(request: HttpRequest, unit: Any) -> str:
    """The ballot-code entry on the unit's public page (the ledger's "ballot" slot), while the unit has an
    evaluation open for ballots; nothing otherwise."""
    if not Session.objects.filter(unit=unit, status=SessionStatus.OPEN).exists():
        return ""
    return render_to_string("evaluation/public/_entry.html", request=request)


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _entry(
    request: HttpRequest, code: str, error: str = "", status: int = 200, retry: int | None = None
) -> HttpResponse:
    response = _page(request, "evaluation/public/enter.html", {"code": code, "error": error}, status)
    if retry:
        response["Retry-After"] = str(retry)
    return response


def _refused(request: HttpRequest, code: str, refusal: Refusal) -> HttpResponse:
    return _entry(request, code, refusal.message, refusal.status, refusal.retry_after)


def _ballot(
    request: HttpRequest,
    row: BallotCode,
    code: str,
    error: str = "",
    chosen: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    session: Session = row.group.session
    chosen = chosen or [""] * len(session.items)
    items = [
        {"n": i, "name": name, "chosen": chosen[i] if i < len(chosen) else ""}
        for i, name in enumerate(session.items)
    ]
    context = {
        "unit": session.unit,
        "items": items,
        "scale": list(enumerate(session.scale)),
        "code": services.normalize_code(code),
        "error": error,
    }
    return _page(request, "evaluation/public/ballot.html", context, status)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest) -> HttpResponse:
    """Type the code (or come from the slip's QR with ``?code=``): a valid code shows the ballot."""
    source = request.POST if request.method == "POST" else request.GET
    code = services.normalize_code(source.get("code", ""))
    if not code:
        return _entry(request, "")
    refusal = throttle.admit(request)
    if refusal is not None:
        return _refused(request, code, refusal)
    found = attempt(request, lambda: services.check_code(code), show=False)
    if not found.ok or found.value is None:
        return _entry(request, code, " ".join(found.errors), 400)
    return _ballot(request, found.value, code)


@login_not_required
@never_cache
@require_POST
def cast(request: HttpRequest) -> HttpResponse:
    """Vote: one option per item (``item_<n>``); the code is spent, the ballot kept without it."""
    code = services.normalize_code(request.POST.get("code", ""))
    refusal = throttle.admit(request)
    if refusal is not None:
        return _refused(request, code, refusal)
    found = attempt(request, lambda: services.check_code(code), show=False)
    if not found.ok or found.value is None:
        return _entry(request, code, " ".join(found.errors), 400)
    row = found.value
    n = len(row.group.session.items)
    chosen = [request.POST.get(f"item_{i}", "") for i in range(n)]
    if any(c == "" for c in chosen):
        return _ballot(request, row, code, error=_("请对每个测评项目作出选择。"), chosen=chosen, status=400)
    outcome = attempt(
        request, lambda: services.ballot_cast(actor=request.user, code=code, choices=chosen), show=False
    )
    if outcome.ok:
        return redirect("ballot:thanks")
    return _entry(request, code, " ".join(outcome.errors), 400)


@login_not_required
@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    return _page(request, "evaluation/public/thanks.html", {})
