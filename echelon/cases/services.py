"""Every change to a typical case goes through these functions: scoped, validated, atomic and audited (the
verbs: ``cases/verbs.py``). Each takes ``actor=``: a person, or None for the system (the demo).

- ``case_nominate``: a unit (its ``change``) puts forward a case of one phase (and action) of the campaign's
  template for the unit's category, with files checked by their content; it waits for the level above;
- ``case_update``: the unit edits it before publication (a returned case is sent again);
- ``case_publish`` / ``case_return``: someone with office rights (``plan``) on a unit strictly above the
  nominating unit, never the nominator, publishes it to the library of that unit's subtree or returns it
  with a comment.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.campaigns.models import Participation, Status
from echelon.cases import verbs
from echelon.cases.models import Case, CaseFile, CaseStatus
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.errors import Conflict
from echelon.core.locks import locked
from echelon.core.models import NotificationKind
from echelon.core.notifications import notify
from echelon.core.permissions import require
from echelon.core.querysets import scope_paths
from echelon.core.text import within_length
from echelon.core.tree import SEGMENT_WIDTH
from echelon.orgs.models import Unit
from echelon.supervision.services.unit_work import sniff_material

TITLE_MAX = 100
TEXT_MAX = 20_000
COMMENT_MAX = 2_000
FILES_MAX = 10
FIELDS = ["title", "text", "phase_key", "action_key", "status"]
Upload = tuple[IO[bytes], str]  # (the file, its name)


class AlreadyReviewed(Conflict):
    """Someone else published or returned the case first."""


def _where(participation: Participation, phase_key: str, action_key: str) -> tuple[str, str]:
    """The phase and action keys, checked against the campaign's template for the unit's category."""
    spec = participation.campaign.spec
    phase_key, action_key = (phase_key or "").strip(), (action_key or "").strip()
    if phase_key not in {p.key for p in spec.phases}:
        raise ValidationError({"phase_key": [_("请选择案例所示范的环节。")]})
    if action_key and action_key not in {a.key for a in spec.actions(phase_key, participation.kind)}:
        raise ValidationError({"action_key": [_("所选环节对本单位类别没有这个规定动作，请重新选择。")]})
    return phase_key, action_key


def _texts(title: Any, text: Any) -> tuple[str, str]:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError({"title": [_("请填写案例标题。")]})
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": [_("请填写案例内容：做法、成效和经验。")]})
    return (
        within_length(" ".join(title.split()), TITLE_MAX, _("标题")),
        within_length(text.strip(), TEXT_MAX, _("案例内容")),
    )


def _checked(files: Sequence[Upload], already: int = 0) -> list[tuple[IO[bytes], str, str]]:
    """The uploads checked by their content before anything is written (a ValidationError names the file)."""
    if len(files) + already > FILES_MAX:
        raise ValidationError({"files": [_("每个案例最多 %(n)d 个附件。") % {"n": FILES_MAX}]})
    out = []
    for fileobj, name in files:
        try:
            kind = sniff_material(fileobj, name)
        except ValidationError as exc:
            raise ValidationError(
                {"files": [_("“%(name)s”：%(why)s") % {"name": name[-100:], "why": exc.messages[0]}]}
            ) from exc
        out.append((fileobj, name, kind))
    return out


def _attach(actor: Actor, case: Case, files: list[tuple[IO[bytes], str, str]], saved: list[CaseFile]) -> None:
    for fileobj, name, kind in files:
        clean = Path(name).name[-150:] or f"file.{kind}"
        fileobj.seek(0, 2)
        size = fileobj.tell()
        fileobj.seek(0)
        row = CaseFile(case=case, original_name=clean, file_type=kind, size=size, uploaded_by=user_of(actor))
        row.file.save(clean, File(fileobj, name=clean), save=False)
        saved.append(row)
        row.save()


def _cleanup(saved: list[CaseFile]) -> None:
    for row in saved:
        row.file.delete(save=False)


def _record(actor: Actor, verb: str, case: Case, **kw: Any) -> None:
    audit.record(
        actor=actor,
        verb=verb,
        obj=case,
        object_repr=f"{case.unit.name} · {case.title}",
        unit_id=case.unit_id,
        unit_path=case.path,
        **kw,
    )


def case_nominate(
    *,
    actor: Actor,
    participation: Participation,
    phase_key: str,
    action_key: str = "",
    title: str,
    text: str,
    files: Sequence[Upload] = (),
) -> Case:
    """A unit nominates a case of one phase (and action) of the campaign it takes part in."""
    title, text = _texts(title, text)
    checked = _checked(files)
    saved: list[CaseFile] = []
    try:
        with transaction.atomic():
            participation = Participation.objects.select_related("campaign", "unit").get(pk=participation.pk)
            require(actor, "change", participation.path)
            if participation.campaign.status == Status.DRAFT:
                raise ValidationError(_("活动还没有排程。"))
            phase_key, action_key = _where(participation, phase_key, action_key)
            category = participation.campaign.spec.category_of(participation.kind)
            case = Case.objects.create(
                campaign=participation.campaign,
                unit=participation.unit,
                path=participation.path,
                level=participation.level,
                category=category.key if category is not None else participation.kind,
                phase_key=phase_key,
                action_key=action_key,
                title=title,
                text=text,
                nominated_by=user_of(actor),
            )
            _attach(actor, case, checked, saved)
            after = {**audit.snapshot(case, FIELDS), "files": [f.original_name for f in saved]}
            _record(actor, verbs.CASE_CREATE, case, after=after)
            return case
    except Exception:
        _cleanup(saved)
        raise


def _participation(case: Case) -> Participation:
    return Participation.objects.select_related("campaign").get(
        campaign_id=case.campaign_id, unit_id=case.unit_id
    )


def case_update(
    *,
    actor: Actor,
    case: Case,
    title: str,
    text: str,
    phase_key: str,
    action_key: str = "",
    files: Sequence[Upload] = (),
    remove_files: Sequence[int] = (),
) -> Case:
    """The unit edits its case before publication (files added or removed); a returned case goes back to
    the level above."""
    title, text = _texts(title, text)
    saved: list[CaseFile] = []
    try:
        with transaction.atomic():
            case = locked(Case, case.pk, "unit")
            require(actor, "change", case.path)
            if case.status == CaseStatus.PUBLISHED:
                raise ValidationError(_("案例已发布，不能再修改。"))
            phase_key, action_key = _where(_participation(case), phase_key, action_key)
            gone = list(case.files.filter(pk__in=list(remove_files)))
            checked = _checked(files, already=case.files.count() - len(gone))
            before = {**audit.snapshot(case, FIELDS), "files": [f.original_name for f in case.files.all()]}
            case.title, case.text, case.phase_key, case.action_key = title, text, phase_key, action_key
            case.status = CaseStatus.SUBMITTED
            case.save()
            for row in gone:
                row.file.delete(save=False)
                row.delete()
            _attach(actor, case, checked, saved)
            after = {**audit.snapshot(case, FIELDS), "files": [f.original_name for f in case.files.all()]}
            changed_before, changed_after = audit.diff(before, after)
            if changed_after:
                _record(actor, verbs.CASE_UPDATE, case, before=changed_before, after=changed_after)
            return case
    except Exception:
        _cleanup(saved)
        raise


def library_of(actor: Actor, case: Case) -> str:
    """The path of the unit whose library the actor publishes ``case`` to: the deepest unit strictly above
    the case's unit where the actor has office rights (``plan``); "" when there is none."""
    paths = scope_paths(actor, "plan")
    if paths is None:  # a superuser: the level directly above
        return case.path[:-SEGMENT_WIDTH]
    above = [p for p in paths if case.path.startswith(p) and len(p) < len(case.path)]
    return max(above, key=len, default="")


def reviewer_error(actor: Actor, case: Case) -> str | None:
    """Why ``actor`` may not review ``case`` (None: they may)."""
    if not library_of(actor, case):
        return _("典型案例由上级领导小组办公室审核，本单位和下级不能审核。")
    if case.nominated_by_id is not None and case.nominated_by_id == getattr(actor, "pk", None):
        return _("推荐人不能审核自己推荐的案例。")
    return None


def _decidable(actor: Actor, case: Case) -> Case:
    case = locked(Case, case.pk, "unit")
    if error := reviewer_error(actor, case):
        raise PermissionDenied(error)
    if case.status != CaseStatus.SUBMITTED:
        raise AlreadyReviewed(
            _("这个案例现在是“%(status)s”，不在待审核状态。") % {"status": case.get_status_display()}
        )
    return case


def case_publish(*, actor: Actor, case: Case, comment: str = "") -> Case:
    """Publish the case to the library of the reviewer's unit (its subtree sees it)."""
    comment = within_length(comment or "", COMMENT_MAX, _("审核意见"))
    with transaction.atomic():
        case = _decidable(actor, case)
        library = library_of(actor, case)
        case.status, case.review_comment = CaseStatus.PUBLISHED, comment
        case.reviewed_at, case.reviewed_by = timezone.now(), user_of(actor)
        case.library_path = library
        case.library_unit = Unit.objects.filter(path=library).first()
        case.save()
        _record(
            actor,
            verbs.CASE_PUBLISH,
            case,
            after={"status": case.status, "library": case.library_unit.name if case.library_unit else ""},
        )
        notify(
            [case.nominated_by_id],
            kind=NotificationKind.PASSED,
            text=_("您推荐的典型案例“%(title)s”已发布。") % {"title": case.title[:80]},
            target=case,
            exclude=actor,
        )
        return case


def case_return(*, actor: Actor, case: Case, comment: str) -> Case:
    """Return the case to the unit with the reviewer's comment (required)."""
    comment = within_length(comment or "", COMMENT_MAX, _("审核意见"))
    if not comment.strip():
        raise ValidationError({"comment": [_("退回须写明意见。")]})
    with transaction.atomic():
        case = _decidable(actor, case)
        case.status, case.review_comment = CaseStatus.RETURNED, comment.strip()
        case.reviewed_at, case.reviewed_by = timezone.now(), user_of(actor)
        case.save()
        _record(actor, verbs.CASE_RETURN, case, after={"status": case.status, "comment": case.review_comment})
        notify(
            [case.nominated_by_id],
            kind=NotificationKind.RETURNED,
            text=_("您推荐的典型案例“%(title)s”被退回：%(comment)s")
            % {"title": case.title[:60], "comment": case.review_comment[:100]},
            target=case,
            exclude=actor,
        )
        return case
