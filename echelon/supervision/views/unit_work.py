"""A unit's phase: required actions, materials, meetings and the submission."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from echelon.campaigns import selectors as campaign_selectors
from echelon.core.pages import attempt, attempt_form, flash_form_errors
from echelon.core.permissions import allowed
from echelon.core.tabular import human_size
from echelon.supervision import selectors, services, submit_checks
from echelon.supervision.forms import MaterialForm, MeetingForm, OwnActionForm
from echelon.supervision.models import Evidence, Material, MeetingType, OwnAction
from echelon.supervision.services.unit_work import ATTACHMENT_MAX_COUNT, max_attachment_bytes
from echelon.supervision.views.common import campaign_of


def _participation(request: HttpRequest, pk: int, code: str) -> Any:
    campaign = campaign_of(request, pk)
    return campaign_selectors.participation_for(request.user, campaign, code)


@require_GET
def unit_phase(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    participation = _participation(request, pk, code)
    state = selectors.with_links(participation, selectors.phase_state(participation))
    can_record = allowed(request.user, "change", participation.path)
    phases = participation.campaign.spec.phases
    ready = can_record and not state.finished and state.open_review is None and not state.missing
    return render(
        request,
        "supervision/unit_phase.html",
        {
            "p": participation,
            "campaign": participation.campaign,
            "unit": participation.unit,
            "state": state,
            "can_record": can_record,
            # what the submission must explain item by item (the ledger's unverified tasks, ADR 15)
            "to_explain": submit_checks.pending(participation, state.key) if ready else [],
            "history": selectors.history(participation)[:50],
            "meeting_form": MeetingForm(),
            "attachments_allowed": {
                "size": human_size(max_attachment_bytes()),
                "count": ATTACHMENT_MAX_COUNT,
            },
            "groups": selectors.responsible_groups(participation),
            "phases": phases,
            "meeting_types": MeetingType.choices,
            "evidence_types": Evidence.choices,
            # the own actions of the later phases (those of the current phase are among state.actions)
            "later_own": [
                (phases[o.phase].name, o)
                for o in selectors.own_actions(participation).filter(phase__gt=participation.current_phase)
            ],
            "own_phases": [(k, ph.name) for k, ph in enumerate(phases) if k >= participation.current_phase],
            # targeted guidance (分类指导, ADR 18): the key problems the template lists for the unit's sector
            "guidance": participation.campaign.spec.sector_of(participation.unit.industry),
        },
    )


def _back(participation: Any) -> HttpResponse:
    return redirect("supervision:unit", pk=participation.campaign_id, code=participation.unit.code)


@require_POST
def unit_confirm(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    participation = _participation(request, pk, code)
    attempt(
        request,
        lambda: services.action_confirm(
            actor=request.user,
            participation=participation,
            phase=participation.current_phase,
            action_key=request.POST.get("action", ""),
        ),
    )
    return _back(participation)


@require_POST
def unit_material(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    participation = _participation(request, pk, code)
    form = MaterialForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择要上传的文件。"))
        return _back(participation)
    upload = form.cleaned_data["file"]
    attempt(
        request,
        lambda: services.material_upload(
            actor=request.user,
            participation=participation,
            phase=participation.current_phase,
            action_key=form.cleaned_data["action"],
            fileobj=upload,
            name=upload.name,
        ),
        success=lambda m: _("已上传“%(name)s”（第 %(v)d 版）。") % {"name": m.original_name, "v": m.version},
    )
    return _back(participation)


@require_POST
def unit_meeting(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    participation = _participation(request, pk, code)
    form = MeetingForm(request.POST, request.FILES)
    if not form.is_valid():
        flash_form_errors(request, form)
        return _back(participation)
    data = {k: v for k, v in form.cleaned_data.items() if k not in ("sign_in", "photos")}
    attempt(
        request,
        lambda: services.meeting_record(
            actor=request.user,
            participation=participation,
            phase=participation.current_phase,
            data=data,
            action_key=data.get("action") or "",
            attachments=form.attachments(),
        ),
        success=_("会议记录已保存。"),
    )
    return _back(participation)


@require_POST
def unit_submit(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    participation = _participation(request, pk, code)
    attempt(
        request,
        lambda: services.gate_submit(
            actor=request.user,
            participation=participation,
            note=request.POST.get("note", ""),
            explanations={
                key.removeprefix("explain-"): request.POST.get(key, "")
                for key in request.POST
                if key.startswith("explain-")
            },
        ),
        success=lambda review: (
            _("已提交，等待“%(group)s”审核。") % {"group": review.group}
            if review.state == "open"
            else _("本环节已完成，下一环节已开启。")
        ),
    )
    return _back(participation)


@require_POST
def unit_own_add(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Add an own action (自选动作) to the current or a later phase."""
    participation = _participation(request, pk, code)
    attempt_form(
        request,
        OwnActionForm(request.POST),
        lambda d: services.own_action_add(
            actor=request.user,
            participation=participation,
            phase=participation.current_phase if d["phase"] is None else d["phase"],
            title=d["title"],
            evidence=d["evidence"],
            required=d["required"],
        ),
        success=lambda own: _("已添加自选动作“%(title)s”。") % {"title": own.title},
    )
    return _back(participation)


def _own(participation: Any, own: int) -> OwnAction:
    """One of the unit's own actions (another unit's: 404)."""
    return get_object_or_404(OwnAction.objects.current(), participation=participation, pk=own)


@require_POST
def unit_own_edit(request: HttpRequest, pk: int, code: str, own: int) -> HttpResponse:
    participation = _participation(request, pk, code)
    row = _own(participation, own)
    attempt_form(
        request,
        OwnActionForm(request.POST),
        lambda d: services.own_action_update(
            actor=request.user, own=row, title=d["title"], evidence=d["evidence"], required=d["required"]
        ),
        success=_("自选动作已修改。"),
    )
    return _back(participation)


@require_POST
def unit_own_remove(request: HttpRequest, pk: int, code: str, own: int) -> HttpResponse:
    participation = _participation(request, pk, code)
    row = _own(participation, own)
    attempt(
        request,
        lambda: services.own_action_remove(actor=request.user, own=row),
        success=_("已删除自选动作“%(title)s”。") % {"title": row.title},
    )
    return _back(participation)


@require_GET
def material_download(request: HttpRequest, pk: int) -> FileResponse:
    material = get_object_or_404(Material.objects.visible_to(request.user), pk=pk)
    return FileResponse(material.file.open("rb"), as_attachment=True, filename=material.original_name)
