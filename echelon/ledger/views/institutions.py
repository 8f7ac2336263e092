"""Institutions (建章立制): the register (scoped, filtered by subtree and action), the form that records a
rule made, revised or abolished (linked problems of the unit, partner units of a joint rule, the document
checked by its content) and a rule's page with its document."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from echelon.core import paging
from echelon.core.forms import BootstrapFormMixin
from echelon.core.pages import attempt
from echelon.core.permissions import allowed, require_somewhere
from echelon.core.querysets import scope_paths, scoped_object
from echelon.core.tree import UPPER_BOUND
from echelon.ledger import services
from echelon.ledger.models import Institution, InstitutionAction, Problem
from echelon.ledger.services.institutions import MAX_PARTNERS
from echelon.orgs.models import Unit

PER_PAGE = 30
# Problems offered for linking: the unit's latest (its own and those it raised).
MAX_CHOICES = 300
_CODES = re.compile(r"[\s,，、;；]+")


class InstitutionForm(BootstrapFormMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("制度名称"), max_length=200)
    action = forms.ChoiceField(label=gettext_lazy("类型"), choices=InstitutionAction.choices)
    adopted_on = forms.DateField(
        label=gettext_lazy("印发日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    summary = forms.CharField(
        label=gettext_lazy("主要内容"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=2000,
    )
    problems = forms.MultipleChoiceField(
        label=gettext_lazy("针对的问题"), widget=forms.CheckboxSelectMultiple, required=False
    )
    partners = forms.CharField(
        label=gettext_lazy("联合制定单位（组织代码，多个用逗号或空格分隔）"), max_length=1000, required=False
    )
    document = forms.FileField(label=gettext_lazy("制度文件（PDF、Word，可选）"), required=False)

    def __init__(self, *args: Any, problems: list[Problem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["problems"]
        field.choices = [(str(p.pk), f"{p.number} {p.title}") for p in problems]  # type: ignore[attr-defined]
        field.widget.attrs["class"] = "form-check-input"


def _unit_problems(user: Any, unit: Unit) -> list[Problem]:
    return list(
        Problem.objects.visible_to(user)
        .filter(Q(path=unit.path) | Q(origin_path=unit.path))
        .only("id", "title")
        .order_by("-id")[:MAX_CHOICES]
    )


def _partners(user: Any, text: str, form: forms.Form) -> list[Unit] | None:
    """The partner units named by their codes, among the units the user sees; None after a form error."""
    codes = [c for c in _CODES.split(text or "") if c][: MAX_PARTNERS + 1]
    if not codes:
        return []
    found = {u.code: u for u in Unit.objects.visible_to(user).filter(code__in=codes, is_active=True)}
    missing = [c for c in codes if c not in found]
    if missing:
        form.add_error(
            "partners",
            _("找不到组织代码：%(codes)s（或不在您的管理范围内）。")
            % {"codes": "、".join(c[:32] for c in missing)},
        )
        return None
    return [found[c] for c in dict.fromkeys(codes)]


@require_GET
def institution_list(request: HttpRequest) -> HttpResponse:
    qs = Institution.objects.visible_to(request.user).select_related("unit").order_by("-adopted_on", "-id")
    code = (request.GET.get("under") or "").strip()
    under = scoped_object(request.user, Unit.objects, code=code) if code else None
    if under is not None:
        qs = qs.filter(path__gte=under.path, path__lt=under.path + UPPER_BOUND)
    action = request.GET.get("action") or ""
    if action:
        qs = qs.filter(action=action) if action in InstitutionAction.values else qs.none()
    page = paging.get_page(Paginator(qs, PER_PAGE), request)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ledger/institutions.html",
        {
            "page": page,
            "under": under,
            "action": action,
            "actions": InstitutionAction.choices,
            "query": query.urlencode(),
            "can_record": scope_paths(request.user, "change") != [],
        },
    )


@require_http_methods(["GET", "POST"])
def institution_new(request: HttpRequest) -> HttpResponse:
    """``?unit=<code>`` chooses the unit (default: the user's first); its problems are offered for linking."""
    require_somewhere(request.user, "change", _("您没有登记制度的权限。"))
    code = (request.POST.get("unit") or request.GET.get("unit") or "").strip()
    if code:
        unit = scoped_object(request.user, Unit.objects, "change", code=code)
    else:
        unit = Unit.objects.visible_to(request.user, "change").filter(is_active=True).order_by("path").first()
        if unit is None:
            raise Http404
    problems = _unit_problems(request.user, unit)
    form = InstitutionForm(request.POST or None, request.FILES or None, problems=problems)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        partners = _partners(request.user, data["partners"], form)
        if partners is not None:
            chosen = {int(pk) for pk in data["problems"]}
            linked = [p for p in problems if p.pk in chosen]
            upload = data.get("document")
            outcome = attempt(
                request,
                lambda: services.institution_record(
                    actor=request.user,
                    unit=unit,
                    title=data["title"],
                    action=data["action"],
                    adopted_on=data["adopted_on"],
                    summary=data["summary"],
                    problems=linked,
                    partners=partners,
                    fileobj=upload,
                    name=upload.name if upload else "",
                ),
                success=lambda i: _("已登记制度“%(title)s”。") % {"title": i.title},
                form=form,
            )
            if outcome.ok and outcome.value is not None:
                return redirect("ledger:institution", outcome.value.pk)
    return render(
        request,
        "ledger/institution_form.html",
        {"form": form, "unit": unit, "problem_count": len(problems), "max_choices": MAX_CHOICES},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    institution = scoped_object(request.user, Institution.objects.select_related("unit", "created_by"), pk=pk)
    partners = list(institution.partners.order_by("path"))
    seen = set(
        Unit.objects.visible_to(request.user)
        .filter(pk__in=[u.pk for u in partners])
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "ledger/institution_detail.html",
        {
            "institution": institution,
            "problems": Problem.objects.visible_to(request.user)
            .filter(institutions=institution)
            .select_related("unit")
            .order_by("id"),
            "partners": [u for u in partners if u.pk in seen],
            "other_partners": len(partners) - len(seen),
            "can_change": allowed(request.user, "change", institution.path),
        },
    )


@require_GET
def institution_document(request: HttpRequest, pk: int) -> FileResponse:
    institution = scoped_object(request.user, Institution.objects, pk=pk)
    if not institution.document:
        raise Http404
    return FileResponse(
        institution.document.open("rb"), as_attachment=True, filename=institution.document_name or "document"
    )
