"""Publications (公示): a unit drafts a notice (its promises, its problem list with the progress, its
results), submits it (the public copy is frozen now: ``kinds``), and the level above approves it: it is
then on the unit's public page for the template's number of days (``publicity.days``). A submitted notice
can be returned with a note; a published one withdrawn with a reason. Every step is audited.

Who does what (ADR 11 style):
- draft, edit, submit, withdraw: ``change`` at the unit (its operator or its office);
- approve, return: ``change`` on a unit strictly above (the level above's office or operator; never the
  unit itself: a unit does not approve its own publicity), and never the person who submitted or drafted it.

Publication without approval is refused: only ``publication_approve`` publishes, and only a submitted
notice. Every status change is a conditional UPDATE: of two approvers at once one wins, the other is told
"已被其他人处理" (``core.errors.Conflict``, the API's 409).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.errors import Conflict
from echelon.core.permissions import require
from echelon.core.querysets import scope_paths
from echelon.core.text import within_length
from echelon.ledger.services.common import campaign_of, required_text
from echelon.orgs.models import Unit
from echelon.publicity import cache, kinds, verbs
from echelon.publicity.models import TITLE_MAX, Publication, PublicationStatus

NOTE_MAX = 500
DEFAULT_DAYS = 7


class AlreadyHandled(Conflict):
    """Someone else decided or changed this notice first."""


def _repr(publication: Publication) -> str:
    return f"{publication.unit.name} · {publication.title}"[:255]


def _record(actor: Actor, verb: str, publication: Publication, **after: object) -> None:
    audit.record(
        actor=actor,
        verb=verb,
        obj=publication,
        object_repr=_repr(publication),
        unit_id=publication.unit_id,
        unit_path=publication.path,
        after=after,
    )


def _locked(publication: Publication) -> Publication:
    return (
        Publication.objects.select_for_update(of=("self",))
        .select_related("unit", "campaign")
        .get(pk=publication.pk)
    )


def _forget(unit_id: int) -> None:
    """The public page's cached part of the unit: forgotten now and again once the change is committed
    (a page rendered in between, from the old rows, is not kept)."""
    cache.forget(unit_id)
    transaction.on_commit(lambda: cache.forget(unit_id))


def default_title(unit: Unit, kind: kinds.Kind) -> str:
    return _("%(unit)s%(kind)s公示") % {"unit": unit.name, "kind": kind.label}


def publication_create(
    *,
    actor: Actor,
    unit: Unit,
    kind: str,
    title: str = "",
    content: Mapping[str, Any] | None = None,
) -> Publication:
    """A draft notice of ``unit`` (the campaign it takes part in; the title defaults to <unit><kind>公示)."""
    found = kinds.get(kind)
    cleaned = found.clean(content or {})
    title = (
        within_length((title or "").strip(), TITLE_MAX, _("标题")) or default_title(unit, found)[:TITLE_MAX]
    )
    with transaction.atomic():
        require(actor, "change", unit.path)
        if not unit.is_active:
            raise ValidationError(_("“%(unit)s”已停用，不能公示。") % {"unit": unit.name})
        publication = Publication.objects.create(
            campaign=campaign_of(unit),
            unit=unit,
            path=unit.path,
            level=unit.level,
            kind=found.key,
            title=title,
            content=cleaned,
            created_by=user_of(actor),
        )
        _record(actor, verbs.PUBLICATION_CREATE, publication, kind=found.key, title=title, content=cleaned)
        return publication


def _must_be_draft(publication: Publication) -> None:
    if publication.status != PublicationStatus.DRAFT:
        raise ValidationError(
            _("这条公示当前为“%(status)s”，不能修改或提交。") % {"status": publication.get_status_display()}
        )


def publication_update(
    *,
    actor: Actor,
    publication: Publication,
    title: str | None = None,
    content: Mapping[str, Any] | None = None,
) -> Publication:
    """A draft's title and content (the fields left out stay as they are)."""
    with transaction.atomic():
        publication = _locked(publication)
        require(actor, "change", publication.path)
        _must_be_draft(publication)
        found = kinds.get(publication.kind)
        changes: dict[str, Any] = {}
        if title is not None:
            changes["title"] = required_text(title, TITLE_MAX, _("标题"))
        if content is not None:
            changes["content"] = found.clean(content)
        before, after = audit.diff({k: getattr(publication, k) for k in changes}, changes)
        for key, value in changes.items():
            setattr(publication, key, value)
        if changes:
            publication.save(update_fields=list(changes))
        audit.record(
            actor=actor,
            verb=verbs.PUBLICATION_UPDATE,
            obj=publication,
            object_repr=_repr(publication),
            unit_id=publication.unit_id,
            unit_path=publication.path,
            before=before,
            after=after,
        )
        return publication


def publication_submit(*, actor: Actor, publication: Publication) -> Publication:
    """Draft → submitted to the level above; the public copy is frozen (and masked) now."""
    with transaction.atomic():
        publication = _locked(publication)
        require(actor, "change", publication.path)
        _must_be_draft(publication)
        snapshot = kinds.get(publication.kind).freeze(publication)
        now, user = timezone.now(), user_of(actor)
        won = Publication.objects.filter(pk=publication.pk, status=PublicationStatus.DRAFT).update(
            status=PublicationStatus.SUBMITTED,
            snapshot=snapshot,
            submitted_at=now,
            submitted_by=user,
            return_note="",
        )
        if not won:
            raise AlreadyHandled(_("这条公示已被其他人处理，请刷新页面查看。"))
        publication.status, publication.snapshot = PublicationStatus.SUBMITTED, snapshot
        publication.submitted_at, publication.submitted_by, publication.return_note = now, user, ""
        _record(actor, verbs.PUBLICATION_SUBMIT, publication, counts=snapshot.get("counts"))
        return publication


def approver_error(actor: Actor, publication: Publication) -> str | None:
    """Why ``actor`` may not approve (or return) ``publication`` (None: they may)."""
    if actor is None:
        return None
    user = user_of(actor)
    if user is None:
        return _("请先登录。")
    if user.pk in (publication.submitted_by_id, publication.created_by_id):
        return _("起草或提交公示的人不能审核自己的公示：须由上一级审核。")
    paths = scope_paths(user, "change")
    if paths is None or any(publication.path.startswith(p) and p != publication.path for p in paths):
        return None
    return _("公示须经上一级审核同意：本单位不能自行公示。")


def _decidable(actor: Actor, publication: Publication) -> Publication:
    publication = _locked(publication)
    require(actor, "view", publication.path)
    if error := approver_error(actor, publication):
        raise PermissionDenied(error)
    if publication.status != PublicationStatus.SUBMITTED:
        raise ValidationError(
            _("这条公示当前为“%(status)s”：只有提交审核的公示才能审核，未经审核不能公示。")
            % {"status": publication.get_status_display()}
        )
    return publication


def publication_approve(*, actor: Actor, publication: Publication) -> Publication:
    """Submitted → published from today, for the template's number of days (the frozen copy, as read)."""
    with transaction.atomic():
        publication = _decidable(actor, publication)
        if not publication.snapshot:
            raise ValidationError(_("这条公示没有可公示的内容，请退回重新提交。"))
        days = publication.campaign.spec.publicity_days if publication.campaign else DEFAULT_DAYS
        today, now, user = timezone.localdate(), timezone.now(), user_of(actor)
        ends_on = today + timedelta(days=days - 1)
        won = Publication.objects.filter(pk=publication.pk, status=PublicationStatus.SUBMITTED).update(
            status=PublicationStatus.PUBLISHED,
            days=days,
            starts_on=today,
            ends_on=ends_on,
            approved_at=now,
            approved_by=user,
        )
        if not won:
            raise AlreadyHandled(_("这条公示已被其他人处理，请刷新页面查看。"))
        publication.status, publication.days = PublicationStatus.PUBLISHED, days
        publication.starts_on, publication.ends_on = today, ends_on
        publication.approved_at, publication.approved_by = now, user
        _record(actor, verbs.PUBLICATION_APPROVE, publication, starts_on=today, ends_on=ends_on, days=days)
        _forget(publication.unit_id)
        return publication


def publication_return(*, actor: Actor, publication: Publication, note: str) -> Publication:
    """Submitted → draft, with the level above's note (the frozen copy is dropped: a new one is taken
    when it is submitted again)."""
    note = required_text(note, NOTE_MAX, _("退回意见"))
    with transaction.atomic():
        publication = _decidable(actor, publication)
        won = Publication.objects.filter(pk=publication.pk, status=PublicationStatus.SUBMITTED).update(
            status=PublicationStatus.DRAFT, snapshot=None, return_note=note
        )
        if not won:
            raise AlreadyHandled(_("这条公示已被其他人处理，请刷新页面查看。"))
        publication.status, publication.snapshot, publication.return_note = (
            PublicationStatus.DRAFT,
            None,
            note,
        )
        _record(actor, verbs.PUBLICATION_RETURN, publication, note=note)
        return publication


def publication_withdraw(*, actor: Actor, publication: Publication, reason: str) -> Publication:
    """Published → withdrawn (taken off the public page at once), with a reason: the unit, or the level
    above that approved it."""
    reason = required_text(reason, NOTE_MAX, _("撤回理由"))
    with transaction.atomic():
        publication = _locked(publication)
        require(actor, "change", publication.path)
        if publication.status != PublicationStatus.PUBLISHED:
            raise ValidationError(
                _("这条公示当前为“%(status)s”，只有已公示的内容可以撤回。")
                % {"status": publication.get_status_display()}
            )
        now, user = timezone.now(), user_of(actor)
        won = Publication.objects.filter(pk=publication.pk, status=PublicationStatus.PUBLISHED).update(
            status=PublicationStatus.WITHDRAWN, withdraw_reason=reason, withdrawn_at=now, withdrawn_by=user
        )
        if not won:
            raise AlreadyHandled(_("这条公示已被其他人处理，请刷新页面查看。"))
        publication.status, publication.withdraw_reason = PublicationStatus.WITHDRAWN, reason
        publication.withdrawn_at, publication.withdrawn_by = now, user
        _record(actor, verbs.PUBLICATION_WITHDRAW, publication, reason=reason)
        _forget(publication.unit_id)
        return publication
