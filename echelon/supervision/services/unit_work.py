"""A unit's own work in its current phase: required actions confirmed (``action_confirm``), materials
uploaded as versions (``material_upload``, the type read from the content) and meetings recorded
(``meeting_record``). A required action's evidence does not change while the phase waits for its review.

The unit's own actions (自选动作: ``own_action_add``, ``own_action_update``, ``own_action_remove``) sit beside
the template's in the current or a later phase, until that phase is submitted; they are done with the same
evidence under their key ``own:<id>``."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.campaigns import services as campaign_services
from echelon.campaigns.models import Participation, Status
from echelon.campaigns.specs import ActionSpec
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.permissions import require
from echelon.core.tabular import human_size
from echelon.core.text import listing, within_length
from echelon.supervision import verbs
from echelon.supervision.models import (
    MEETING_TYPE_FIELDS,
    OWN_KEY_PREFIX,
    ActionDone,
    AttachmentKind,
    Evidence,
    Material,
    Meeting,
    MeetingAttachment,
    MeetingType,
    OwnAction,
    Review,
    ReviewState,
    attachment_path,
)
from echelon.supervision.services import approvals


def unit_participation(actor: Actor, participation: Participation) -> Participation:
    """The participation, locked for the change, once ``actor`` may change the unit (``change``) and the
    campaign is scheduled. Only the participation's row is locked (``of``): a plain FOR UPDATE would lock
    the joined campaign and unit rows too, so every unit's write in the campaign would queue behind the
    others and every insert naming the campaign (its foreign key check) would wait (found by `make load`)."""
    participation = (
        Participation.objects.select_for_update(of=("self",))
        .select_related("campaign", "unit")
        .get(pk=participation.pk)
    )
    require(actor, "change", participation.path)
    if participation.campaign.status == Status.DRAFT:
        raise ValidationError(_("活动还没有排程。"))
    return participation


def _action(participation: Participation, phase: int, action_key: str) -> ActionSpec:
    spec = participation.campaign.spec
    phases = spec.phases
    if phase != participation.current_phase or phase >= len(phases):
        raise ValidationError(_("只能办理当前环节的规定动作。"))
    for a in spec.actions(phases[phase].key, participation.kind):
        if a.key == action_key:
            return a
    if action_key.startswith(OWN_KEY_PREFIX):
        own_id = action_key.removeprefix(OWN_KEY_PREFIX)
        own = (
            OwnAction.objects.current()
            .filter(participation=participation, phase=phase, pk=int(own_id))
            .first()
            if own_id.isdigit()
            else None
        )
        if own is not None:
            return ActionSpec(own.key, own.title, own.evidence)
    raise ValidationError(_("本环节没有规定动作“%(key)s”。") % {"key": action_key})


def no_open_review(participation: Participation, phase: int) -> None:
    if Review.objects.filter(participation=participation, phase=phase, state=ReviewState.OPEN).exists():
        raise ValidationError(_("本环节已提交审核，审核结束前不能修改。"))


def _mark_done(
    actor: Actor, participation: Participation, phase: int, action: ActionSpec, note: str = ""
) -> bool:
    if ActionDone.objects.filter(
        participation=participation, phase=phase, action_key=action.key, cleared_at=None
    ).exists():
        return False
    ActionDone.objects.create(
        participation=participation,
        phase=phase,
        action_key=action.key,
        evidence=action.evidence,
        note=note[:200],
        done_by=user_of(actor),
    )
    return True


def action_confirm(
    *, actor: Actor, participation: Participation, phase: int, action_key: str, note: str = ""
) -> None:
    """Confirm a required action that needs no evidence (确认完成)."""
    note = within_length(note, 200, _("说明"))
    with transaction.atomic():
        participation = unit_participation(actor, participation)
        action = _action(participation, phase, action_key)
        if action.evidence != Evidence.CONFIRM:
            raise ValidationError(
                _("“%(name)s”需要%(what)s，不能只确认。")
                % {"name": action.name, "what": Evidence(action.evidence).label}
            )
        no_open_review(participation, phase)
        approvals.check_after(participation, phase, action)
        if _mark_done(actor, participation, phase, action, note):
            audit.record(
                actor=actor,
                verb=verbs.ACTION_CONFIRM,
                obj=participation.unit,
                object_type="campaigns.participation",
                object_id=str(participation.pk),
                object_repr=f"{participation.unit.name} · {action.name}",
                unit_id=participation.unit_id,
                unit_path=participation.path,
                after={"phase": phase, "action": action_key, "note": note[:200]},
            )


# Accepted material types: what the content says, and the suffixes that may carry it.
MATERIAL_TYPES = {
    "pdf": (".pdf",),
    "docx": (".docx",),
    "xlsx": (".xlsx",),
    "doc": (".doc",),
    "xls": (".xls",),
    "png": (".png",),
    "jpg": (".jpg", ".jpeg"),
}


def max_material_bytes() -> int:
    return int(getattr(settings, "ECHELON_MAX_MATERIAL_BYTES", 20 * 1024 * 1024))


def sniff_material(fileobj: IO[bytes], name: str) -> str:
    """The material's type from its content (not its name), or a ValidationError in plain Chinese."""
    limit = max_material_bytes()
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    if size == 0:
        raise ValidationError(_("文件是空的。"))
    if size > limit:
        raise ValidationError(
            _("文件过大（%(size)s），材料上限为 %(limit)s。")
            % {"size": human_size(size), "limit": human_size(limit)}
        )
    head = fileobj.read(8)
    fileobj.seek(0)
    kind = ""
    if head.startswith(b"%PDF-"):
        kind = "pdf"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "png"
    elif head.startswith(b"\xff\xd8\xff"):
        kind = "jpg"
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        kind = "xls" if Path(name).suffix.lower() == ".xls" else "doc"
    elif head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(fileobj) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            names = set()
        fileobj.seek(0)
        kind = "docx" if "word/document.xml" in names else "xlsx" if "xl/workbook.xml" in names else ""
    if not kind:
        raise ValidationError(
            _("不支持的文件类型：材料只能是 PDF、Word、Excel 或图片（PNG、JPG），文件内容与之不符。")
        )
    suffix = Path(name).suffix.lower()
    if suffix not in MATERIAL_TYPES[kind]:
        raise ValidationError(
            _("文件内容是 %(kind)s，但扩展名是“%(suffix)s”，请改正后再上传。")
            % {"kind": kind.upper(), "suffix": suffix or "-"}
        )
    return kind


def material_upload(
    *, actor: Actor, participation: Participation, phase: int, action_key: str, fileobj: IO[bytes], name: str
) -> Material:
    """A new version of the material of one required action (earlier versions are kept)."""
    kind = sniff_material(fileobj, name)
    clean_name = Path(name).name[-150:] or f"material.{kind}"
    with transaction.atomic():
        participation = unit_participation(actor, participation)
        action = _action(participation, phase, action_key)
        if action.evidence != Evidence.MATERIAL:
            raise ValidationError(_("“%(name)s”不需要上传材料。") % {"name": action.name})
        no_open_review(participation, phase)
        approvals.check_after(participation, phase, action)
        latest = (
            Material.objects.filter(
                participation=participation, phase=phase, action_key=action_key
            ).aggregate(v=Max("version"))["v"]
            or 0
        )
        fileobj.seek(0, io.SEEK_END)
        size = fileobj.tell()
        fileobj.seek(0)
        material = Material(
            participation=participation,
            path=participation.path,
            phase=phase,
            action_key=action_key,
            version=latest + 1,
            original_name=clean_name,
            file_type=kind,
            size=size,
            uploaded_by=user_of(actor),
        )
        material.file.save(clean_name, File(fileobj, name=clean_name), save=False)
        try:
            material.save()
        except Exception:
            material.file.delete(save=False)
            raise
        _mark_done(actor, participation, phase, action)
        approvals.approval_request(actor, participation, phase, action, material)
        audit.record(
            actor=actor,
            verb=verbs.MATERIAL_UPLOAD,
            obj=material,
            unit_id=participation.unit_id,
            unit_path=participation.path,
            after={
                "phase": phase,
                "action": action_key,
                "version": material.version,
                "name": clean_name,
                "type": kind,
                "size": size,
            },
        )
        return material


MEETING_FIELDS = [
    "type",
    "date",
    "half_day",
    "place",
    "attendees",
    "present",
    "minutes",
    "rated_good",
    "rated_fair",
    "rated_poor",
]
# The ranges of what a meeting record holds (meeting_record is their single home; the form and the API
# serializer mirror the lengths so the schema shows them). A meeting has no head count: each rating and
# the number of members rated (好 + 一般 + 差) is at most MEETING_MAX_PEOPLE.
MEETING_TEXT_LIMITS = {"place": 200, "attendees": 5_000, "minutes": 20_000}
MEETING_MAX_PEOPLE = 100_000
MEETING_COUNTS = ("rated_good", "rated_fair", "rated_poor")


def _meeting_errors(meeting: Meeting, participation: Participation, today: date) -> None:
    """Refuse an absurd meeting record (ValidationError in Chinese): a date outside the campaign's recording
    window (``campaign_services.check_recorded_date``), a count that is not a whole number within range,
    a text over its length."""
    names = {key: str(getattr(Meeting._meta.get_field(key), "verbose_name", key)) for key in MEETING_FIELDS}
    for key, limit in MEETING_TEXT_LIMITS.items():
        value = getattr(meeting, key)
        if not isinstance(value, str):
            raise ValidationError(_("%(field)s须是文字。") % {"field": names[key]})
        if len(value) > limit:
            raise ValidationError(
                _("%(field)s最多 %(limit)d 个字（现有 %(n)d 个）。")
                % {"field": names[key], "limit": limit, "n": len(value)}
            )
    present = meeting.present
    if present is not None and (
        not isinstance(present, int) or isinstance(present, bool) or not 0 <= present <= MEETING_MAX_PEOPLE
    ):
        raise ValidationError(
            _("%(field)s须是 0～%(most)d 之间的整数。")
            % {"field": names["present"], "most": MEETING_MAX_PEOPLE}
        )
    total = 0
    for key in MEETING_COUNTS:
        value = getattr(meeting, key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MEETING_MAX_PEOPLE:
            raise ValidationError(
                _("%(field)s须是 0～%(most)d 之间的整数。")
                % {"field": names[key], "most": MEETING_MAX_PEOPLE}
            )
        total += value
    if total > MEETING_MAX_PEOPLE:
        raise ValidationError(
            _("评议人数合计（%(n)d）超过 %(most)d 人。") % {"n": total, "most": MEETING_MAX_PEOPLE}
        )
    if isinstance(meeting.date, date):
        campaign_services.check_recorded_date(participation, meeting.date, what=_("会议日期"), today=today)


def _meeting_type(meeting: Meeting, action: ActionSpec | None) -> None:
    """The meeting's type as its action fixes it (the template's ``meeting:``): taken from the action when
    it names one type and none was given; refused when it is not one of the action's types."""
    fixed = action.meeting_types if action is not None else ()
    labels = dict(MeetingType.choices)
    if not meeting.type and len(fixed) == 1:
        meeting.type = fixed[0]
    if meeting.type not in MeetingType.values:
        raise ValidationError(_("请选择会议类型。"))
    if action is not None and fixed and meeting.type not in fixed:
        raise ValidationError(
            _("“%(name)s”要的是%(wanted)s的记录，不能用%(given)s。")
            % {
                "name": action.name,
                "wanted": listing((labels.get(t, t) for t in fixed), alternatives=True),
                "given": labels[meeting.type],
            }
        )


def _typed_fields(meeting: Meeting) -> None:
    """Each type asks only its own fields: the counts 好/一般/差 belong to the democratic appraisal alone and
    are needed there, each and together at most the people present."""
    own = MEETING_TYPE_FIELDS.get(meeting.type, ())
    names = {key: str(getattr(Meeting._meta.get_field(key), "verbose_name", key)) for key in MEETING_COUNTS}
    stray = [names[key] for key in MEETING_COUNTS if key not in own and getattr(meeting, key) is not None]
    if stray:
        raise ValidationError(
            _("%(type)s不填写%(fields)s，只有民主评议党员的会议填写评议人数。")
            % {"type": meeting.get_type_display(), "fields": listing(stray)}
        )
    if meeting.type != MeetingType.APPRAISAL:
        return
    ratings = [meeting.rated_good, meeting.rated_fair, meeting.rated_poor]
    if any(r is None for r in ratings):
        raise ValidationError(_("民主评议党员：请填写评为“好”“一般”“差”的人数。"))
    if meeting.present is None:
        raise ValidationError(_("民主评议党员：请填写实到人数（评议人数不能超过实到人数）。"))
    total = sum(int(r or 0) for r in ratings)
    if total > meeting.present:
        raise ValidationError(
            _("评为“好”“一般”“差”的共 %(n)d 人，超过实到人数 %(present)d 人。")
            % {"n": total, "present": meeting.present}
        )


# --- meeting attachments: sign-in sheets and photos (images or PDF) ----------------------------------------

ATTACHMENT_TYPES = {"pdf": (".pdf",), "png": (".png",), "jpg": (".jpg", ".jpeg")}
ATTACHMENT_MAX_COUNT = 12


def max_attachment_bytes() -> int:
    return int(getattr(settings, "ECHELON_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))


def sniff_attachment(fileobj: IO[bytes], name: str, kind: str) -> tuple[str, int]:
    """An attachment's type from its content (PNG, JPG or PDF) and its size, or a ValidationError in plain
    Chinese that names the file."""
    label = AttachmentKind(kind).label if kind in AttachmentKind.values else _("附件")
    shown = Path(name).name or "-"
    fileobj.seek(0, io.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    limit = max_attachment_bytes()
    if size == 0:
        raise ValidationError(_("%(what)s“%(name)s”是空文件。") % {"what": label, "name": shown})
    if size > limit:
        raise ValidationError(
            _("%(what)s“%(name)s”过大（%(size)s），每个附件最大 %(limit)s。")
            % {"what": label, "name": shown, "size": human_size(size), "limit": human_size(limit)}
        )
    head = fileobj.read(8)
    fileobj.seek(0)
    found = (
        "pdf"
        if head.startswith(b"%PDF-")
        else "png"
        if head.startswith(b"\x89PNG\r\n\x1a\n")
        else "jpg"
        if head.startswith(b"\xff\xd8\xff")
        else ""
    )
    if not found:
        raise ValidationError(
            _("%(what)s“%(name)s”的类型不支持：签到表和照片只能是图片（PNG、JPG）或 PDF。")
            % {"what": label, "name": shown}
        )
    suffix = Path(name).suffix.lower()
    if suffix not in ATTACHMENT_TYPES[found]:
        raise ValidationError(
            _("%(what)s“%(name)s”的内容是 %(type)s，但扩展名是“%(suffix)s”，请改正后再上传。")
            % {"what": label, "name": shown, "type": found.upper(), "suffix": suffix or "-"}
        )
    return found, size


def _attachments_checked(
    attachments: Sequence[tuple[str, IO[bytes], str]],
) -> list[tuple[str, IO[bytes], str, str, int]]:
    """Every attachment checked before anything is written: (kind, file, clean name, type, size)."""
    if len(attachments) > ATTACHMENT_MAX_COUNT:
        raise ValidationError(_("每次最多上传 %(n)d 个附件。") % {"n": ATTACHMENT_MAX_COUNT})
    out = []
    for kind, fileobj, name in attachments:
        if kind not in AttachmentKind.values:
            raise ValidationError(_("附件类别只能是签到表或现场照片。"))
        file_type, size = sniff_attachment(fileobj, name, kind)
        clean = Path(name).name[-150:] or f"{kind}.{file_type}"
        out.append((kind, fileobj, clean, file_type, size))
    return out


def _store_attachments(
    actor: Actor, meeting: Meeting, checked: list[tuple[str, IO[bytes], str, str, int]], written: list[str]
) -> list[MeetingAttachment]:
    """Write the files through the storage API (``default_storage``), each name kept in ``written`` so a
    failure later in the transaction can take them away again."""
    rows = []
    for kind, fileobj, clean, file_type, size in checked:
        row = MeetingAttachment(
            meeting=meeting,
            path=meeting.path,
            kind=kind,
            original_name=clean,
            file_type=file_type,
            size=size,
            uploaded_by=user_of(actor),
        )
        fileobj.seek(0)
        stored = default_storage.save(attachment_path(row, clean), File(fileobj, name=clean))
        written.append(stored)
        row.file.name = stored
        row.save()
        rows.append(row)
    return rows


def meeting_record(
    *,
    actor: Actor,
    participation: Participation,
    phase: int,
    data: Mapping[str, Any],
    action_key: str = "",
    attachments: Sequence[tuple[str, IO[bytes], str]] = (),
) -> Meeting:
    """Record a meeting (mobilization, special democratic life meeting, organizational life meeting with
    democratic appraisal 好/一般/差, ...) with its sign-in sheets and photos (``attachments``: (kind, file,
    name)); marks a required action that needs a meeting record done. The action fixes the meeting's type
    (the template's ``meeting:``); each type takes only its own fields. Nothing is written, in the database
    or the storage, when any part is refused."""
    checked = _attachments_checked(attachments)
    written: list[str] = []
    try:
        with transaction.atomic():
            participation = unit_participation(actor, participation)
            action = _action(participation, phase, action_key) if action_key else None
            if action is not None and action.evidence != Evidence.MEETING:
                raise ValidationError(_("“%(name)s”不需要会议记录。") % {"name": action.name})
            if action is not None:
                no_open_review(participation, phase)
                approvals.check_after(participation, phase, action)
            meeting = Meeting(
                participation=participation,
                path=participation.path,
                phase=phase,
                action_key=action_key,
                recorded_by=user_of(actor),
            )
            for key in MEETING_FIELDS:
                if key in data:
                    setattr(meeting, key, data[key])
            meeting.type = meeting.type or ""
            _meeting_type(meeting, action)
            today = timezone.localdate()
            if isinstance(meeting.date, date) and meeting.date > today:
                raise ValidationError(_("会议日期不能晚于今天：会议开过后再记录。"))
            _meeting_errors(meeting, participation, today)
            _typed_fields(meeting)
            meeting.full_clean(exclude=["participation", "recorded_by", "path"])
            meeting.save()
            stored = _store_attachments(actor, meeting, checked, written)
            if action is not None:
                _mark_done(actor, participation, phase, action)
            files = [
                {"kind": a.kind, "name": a.original_name, "type": a.file_type, "size": a.size} for a in stored
            ]
            audit.record(
                actor=actor,
                verb=verbs.MEETING_RECORD,
                obj=meeting,
                unit_id=participation.unit_id,
                unit_path=participation.path,
                after={
                    "phase": phase,
                    "action": action_key,
                    **audit.snapshot(meeting, MEETING_FIELDS),
                    **({"attachments": files} if files else {}),
                },
            )
            return meeting
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise


# --- own actions (自选动作) --------------------------------------------------------------------------------

OWN_TITLE_MAX = 100
OWN_PER_PHASE_MAX = 30
OWN_FIELDS = ["phase", "title", "evidence", "required"]


def _own_clean(title: Any, evidence: Any, required: Any) -> tuple[str, str, bool]:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError(_("请填写自选动作的名称。"))
    title = within_length(" ".join(title.split()), OWN_TITLE_MAX, _("自选动作"))
    if evidence not in Evidence.values:
        raise ValidationError(_("请选择佐证方式：上传材料、会议记录或确认完成。"))
    if not isinstance(required, bool):
        raise ValidationError(_("请说明提交前是否必须完成。"))
    return title, str(evidence), required


def _own_phase_open(participation: Participation, phase: int) -> None:
    """The phase takes changes to its own actions: the current or a later one, not waiting for its review."""
    phases = participation.campaign.spec.phases
    if not isinstance(phase, int) or isinstance(phase, bool) or not 0 <= phase < len(phases):
        raise ValidationError(_("没有这个环节。"))
    if phase < participation.current_phase:
        raise ValidationError(
            _("“%(phase)s”环节已经完成，不能再修改自选动作。") % {"phase": phases[phase].name}
        )
    if Review.objects.filter(participation=participation, phase=phase, state=ReviewState.OPEN).exists():
        raise ValidationError(_("本环节已提交审核，审核结束前不能修改自选动作。"))


def _own_locked(actor: Actor, own: OwnAction) -> tuple[OwnAction, Participation]:
    own = OwnAction.objects.select_for_update().get(pk=own.pk)
    participation = unit_participation(actor, Participation(pk=own.participation_id))
    if own.removed_at is not None:
        raise ValidationError(_("这项自选动作已经删除。"))
    _own_phase_open(participation, own.phase)
    return own, participation


def _own_record(actor: Actor, verb: str, own: OwnAction, participation: Participation, **kw: Any) -> None:
    audit.record(
        actor=actor,
        verb=verb,
        obj=own,
        object_repr=f"{participation.unit.name} · {own.title}",
        unit_id=participation.unit_id,
        unit_path=participation.path,
        **kw,
    )


def own_action_add(
    *,
    actor: Actor,
    participation: Participation,
    phase: int,
    title: str,
    evidence: str,
    required: bool = False,
) -> OwnAction:
    """Add an own action (自选动作) to the current or a later phase of the unit (the unit's ``change``)."""
    title, evidence, required = _own_clean(title, evidence, required)
    with transaction.atomic():
        participation = unit_participation(actor, participation)
        _own_phase_open(participation, phase)
        rows = OwnAction.objects.current().filter(participation=participation, phase=phase)
        if rows.count() >= OWN_PER_PHASE_MAX:
            raise ValidationError(_("每个环节最多 %(n)d 项自选动作。") % {"n": OWN_PER_PHASE_MAX})
        if rows.filter(title=title).exists():
            raise ValidationError(_("本环节已有自选动作“%(title)s”。") % {"title": title})
        own = OwnAction.objects.create(
            participation=participation,
            path=participation.path,
            phase=phase,
            title=title,
            evidence=evidence,
            required=required,
            created_by=user_of(actor),
        )
        _own_record(actor, verbs.OWN_ACTION_ADD, own, participation, after=audit.snapshot(own, OWN_FIELDS))
        return own


def own_action_update(
    *, actor: Actor, own: OwnAction, title: str, evidence: str, required: bool
) -> OwnAction:
    """Change an own action's title, evidence or whether it is required, until its phase is submitted; its
    evidence type stays once evidence was given for it."""
    title, evidence, required = _own_clean(title, evidence, required)
    with transaction.atomic():
        own, participation = _own_locked(actor, own)
        before = audit.snapshot(own, OWN_FIELDS)
        if evidence != own.evidence and _has_evidence(participation, own):
            raise ValidationError(_("“%(title)s”已有佐证，不能改变佐证方式。") % {"title": own.title})
        clash = OwnAction.objects.current().filter(participation=participation, phase=own.phase, title=title)
        if clash.exclude(pk=own.pk).exists():
            raise ValidationError(_("本环节已有自选动作“%(title)s”。") % {"title": title})
        own.title, own.evidence, own.required = title, evidence, required
        own.save(update_fields=["title", "evidence", "required"])
        after = audit.snapshot(own, OWN_FIELDS)
        if after != before:
            _own_record(actor, verbs.OWN_ACTION_UPDATE, own, participation, before=before, after=after)
        return own


def own_action_remove(*, actor: Actor, own: OwnAction) -> OwnAction:
    """Remove an own action until its phase is submitted (the row and its evidence stay, as history)."""
    with transaction.atomic():
        own, participation = _own_locked(actor, own)
        own.removed_at = timezone.now()
        own.save(update_fields=["removed_at"])
        ActionDone.objects.filter(
            participation=participation, phase=own.phase, action_key=own.key, cleared_at=None
        ).update(cleared_at=own.removed_at)
        _own_record(
            actor, verbs.OWN_ACTION_REMOVE, own, participation, before=audit.snapshot(own, OWN_FIELDS)
        )
        return own


def _has_evidence(participation: Participation, own: OwnAction) -> bool:
    where = {"participation": participation, "phase": own.phase, "action_key": own.key}
    return (
        ActionDone.objects.filter(cleared_at=None, **where).exists()
        or Material.objects.filter(**where).exists()
        or Meeting.objects.filter(**where).exists()
    )
