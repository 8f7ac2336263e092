"""The redo (补课): the unit records what it did (text, files), and after a passing re-evaluation the
responsible supervision group decides it done or keeps it open with a comment."""

from __future__ import annotations

from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.accounts.roles import Role
from echelon.core import audit, versions
from echelon.core.actors import Actor
from echelon.core.errors import Conflict
from echelon.core.locks import locked
from echelon.core.models import NotificationKind
from echelon.core.notifications import notify, settle
from echelon.core.permissions import require
from echelon.core.text import within_length
from echelon.evaluation import verbs
from echelon.evaluation.models import NOTE_MAX, WORK_MAX, Redo, RedoFile, RedoStatus, results_version
from echelon.ledger.services.common import save_upload
from echelon.supervision.selectors import may_review
from echelon.supervision.services.groups import covered, grant_paths
from echelon.supervision.services.notices import unit_operators


def _locked(redo: Redo, *states: str) -> Redo:
    row = locked(Redo, redo.pk, "participation", "unit")
    if row.status not in states:
        raise Conflict(
            _("补课状态已变化（当前：%(status)s），请刷新页面。") % {"status": row.get_status_display()}
        )
    return row


def redo_record(*, actor: Actor, redo: Redo, work: str) -> Redo:
    """What the unit did in its redo (replaces the text recorded before)."""
    with transaction.atomic():
        require(actor, "change", redo.path)
        redo = _locked(redo, RedoStatus.OPEN)
        work = within_length((work or "").strip(), WORK_MAX, _("补课情况"))
        if not work:
            raise ValidationError(_("请填写“补课情况”。"))
        before = redo.work
        redo.work, redo.work_at = work, timezone.now()
        redo.save(update_fields=["work", "work_at"])
        audit.record(
            actor=actor,
            verb=verbs.REDO_RECORD,
            obj=redo,
            unit_id=redo.unit_id,
            unit_path=redo.path,
            before={"work": before},
            after={"work": work},
        )
        return redo


def redo_upload(*, actor: Actor, redo: Redo, fileobj: IO[bytes], name: str) -> RedoFile:
    """A file of the redo's material (PDF, Word, Excel, images, checked by content)."""
    row = RedoFile(redo=redo, uploaded_by=user_of(actor))
    try:
        with transaction.atomic():
            require(actor, "change", redo.path)
            redo = _locked(redo, RedoStatus.OPEN)
            row.redo = redo
            row.name, row.kind, row.size = save_upload(row, "file", fileobj, name)
            row.save()
            audit.record(
                actor=actor,
                verb=verbs.REDO_UPLOAD,
                obj=redo,
                unit_id=redo.unit_id,
                unit_path=redo.path,
                after={"name": row.name, "size": row.size},
            )
    except BaseException:
        if row.file:
            row.file.delete(save=False)
        raise
    return row


def _decider_error(actor: Actor, redo: Redo) -> str | None:
    """The responsible group decides; never who holds an operator grant on the unit or above (ADR 11)."""
    user = user_of(actor)
    if actor is None:
        return None
    if user is None or not may_review(user, redo.participation):
        return _("只有负责该单位的督导组成员可以认定补课是否完成。")
    if not user.is_superuser and covered(grant_paths(user, (Role.OPERATOR,)), redo.path):
        return _("您是该单位（或其上级）的联络员/书记：补课情况的登记与认定须由不同的人负责。")
    return None


def redo_decide(*, actor: Actor, redo: Redo, done: bool, comment: str = "") -> Redo:
    """The group's decision on a redo whose re-evaluation passed: done, or kept open with a comment (the
    unit then does more and holds another evaluation)."""
    with transaction.atomic():
        require(actor, "view", redo.path)
        problem = _decider_error(actor, redo)
        if problem:
            raise PermissionDenied(problem)
        redo = _locked(redo, RedoStatus.PASSED)
        comment = within_length((comment or "").strip(), NOTE_MAX, _("督导组意见"))
        if not done and not comment:
            raise ValidationError(_("继续补课时请写明督导组意见。"))
        redo.status = RedoStatus.DONE if done else RedoStatus.OPEN
        redo.comment = comment
        redo.decided_at = timezone.now()
        redo.decided_by = user_of(actor)
        redo.save(update_fields=["status", "comment", "decided_at", "decided_by"])
        versions.bump(results_version(redo.campaign_id))
        settle(redo, kinds=[NotificationKind.REVIEW_WAITING])
        if not done:
            notify(
                unit_operators(redo.unit_id),
                kind=NotificationKind.REDO,
                text=_("督导组认为“%(unit)s”的补课尚未完成：%(comment)s")
                % {"unit": redo.unit.name, "comment": comment},
                target=redo,
                exclude=actor,
            )
        audit.record(
            actor=actor,
            verb=verbs.REDO_CONFIRM if done else verbs.REDO_REOPEN,
            obj=redo,
            unit_id=redo.unit_id,
            unit_path=redo.path,
            before={"status": RedoStatus.PASSED},
            after={"status": redo.status, "comment": comment},
        )
        return redo
