"""Notifications: short personal notices, written by any app's services, read on one page, sent as a
daily digest.

``notify`` writes them inside the calling service's transaction (that service audits its own act). What a
notice is about is stored as an object (``target_type`` = ``app_label.model``, ``target_id``) and turned
into a link only when shown, by the function the target's app registered from its ``AppConfig.ready()``
(``register_target``): core knows no app's URLs (ADR 13). A target that is gone, or of a type nobody
registered, shows no link. When the item is handled, the service that handles it marks the notices about
it read (``settle``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.core import audit, verbs
from echelon.core.actors import Actor
from echelon.core.models import Notification, NotificationDigest, NotificationQuerySet

UrlFor = Callable[[Any], str]


@dataclass(frozen=True)
class Target:
    model: type[models.Model]
    url_for: UrlFor
    related: tuple[str, ...] = ()


_targets: dict[str, Target] = {}


def register_target(model: type[models.Model], url_for: UrlFor, *, related: Sequence[str] = ()) -> None:
    """Notices about ``model``'s rows link to ``url_for(row)``; ``related``: what the URL needs of other
    tables (``select_related``). Registering a model again replaces its entry."""
    _targets[model._meta.label_lower] = Target(model, url_for, tuple(related))


def unregister_target(model: type[models.Model]) -> None:
    _targets.pop(model._meta.label_lower, None)


def target_of(obj: models.Model | None) -> tuple[str, str]:
    """(``target_type``, ``target_id``) of an object, ("", "") for none."""
    return (obj._meta.label_lower, str(obj.pk)) if obj is not None else ("", "")


def links(notes: Iterable[Notification]) -> dict[int, str]:
    """Notification id → its target's URL, for the notices whose target is registered and still there: one
    query per target type."""
    wanted: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for n in notes:
        if n.target_type in _targets and n.target_id:
            wanted[n.target_type][n.target_id].append(n.pk)
    found: dict[int, str] = {}
    for label, by_id in wanted.items():
        target = _targets[label]
        rows = target.model._default_manager.select_related(*target.related).filter(pk__in=list(by_id))
        for row in rows:
            url = target.url_for(row)
            for note_id in by_id.get(str(row.pk), ()):
                found[note_id] = url
    return found


def link(note: Notification) -> str:
    """The URL of one notice's target, or ""."""
    return links([note]).get(note.pk, "")


def notify(
    users: Iterable[Any],
    *,
    kind: str,
    text: str,
    target: models.Model | None = None,
    key: str = "",
    exclude: Actor = None,
) -> int:
    """One notice per user (users or their ids; a keyed notice at most once per user), except ``exclude``
    (the actor: nobody is told about their own act). Returns how many were new."""
    ids = {getattr(u, "pk", u) for u in users} - {None}
    if exclude is not None:
        ids.discard(exclude.pk)
    if key and ids:
        ids -= set(Notification.objects.filter(user_id__in=ids, key=key).values_list("user_id", flat=True))
    target_type, target_id = target_of(target)
    rows = [
        Notification(
            user_id=u, kind=kind, text=text[:500], target_type=target_type, target_id=target_id, key=key
        )
        for u in sorted(ids)
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def settle(target: models.Model, *, kinds: Iterable[str]) -> int:
    """The item ``target`` was handled: every unread notice of ``kinds`` about it, whoever's it is, is
    marked read (inside the calling service's transaction, which audits the act). Returns how many."""
    target_type, target_id = target_of(target)
    return (
        Notification.objects.unread()
        .filter(target_type=target_type, target_id=target_id, kind__in=list(kinds))
        .update(read_at=timezone.now())
    )


def notifications_for(user: Any) -> NotificationQuerySet:
    return Notification.objects.visible_to(user)


def unread_count(user: Any) -> int:
    return Notification.objects.visible_to(user).unread().count()


def mark_read(*, actor: Actor, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own notifications read (``ids``, or all of them)."""
    ids = sorted(ids) if ids is not None else None
    with transaction.atomic():
        qs = Notification.objects.visible_to(actor).unread()
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        n = qs.update(read_at=timezone.now())
        if n:
            audit.record(
                actor=actor,
                verb=verbs.NOTIFICATION_READ,
                object_type=Notification._meta.label_lower,
                object_repr=_("%(n)d 条通知") % {"n": n},
                after={"count": n, "ids": ids if ids is not None else "all"},
            )
        return n


def email_configured() -> bool:
    """An e-mail backend was chosen on purpose (not Django's default SMTP to localhost)."""
    backend = getattr(settings, "EMAIL_BACKEND", "")
    if backend and backend != "django.core.mail.backends.smtp.EmailBackend":
        return True
    return getattr(settings, "EMAIL_HOST", "localhost") not in ("", "localhost")


@dataclass
class DigestResult:
    users: int = 0
    emails: int = 0
    skipped_no_email: int = 0


def digest_send(*, actor: Actor = None, today: date | None = None) -> DigestResult:
    """One e-mail per user per day listing their unread notifications (when e-mail is configured and
    the user has an address). A second run on the same day sends nothing more (``NotificationDigest``)."""
    from django.contrib.auth import get_user_model
    from django.core.mail import EmailMessage

    today = today or timezone.localdate()
    result = DigestResult()
    if not email_configured():
        return result
    user_ids = (
        Notification.objects.unread()
        .exclude(user_id__in=NotificationDigest.objects.filter(day=today).values("user_id"))
        .values_list("user_id", flat=True)
        .distinct()
    )
    users = get_user_model()._default_manager.filter(pk__in=list(user_ids), is_active=True).order_by("pk")
    for user in users:
        address = getattr(user, user.get_email_field_name(), "")
        if not address:
            result.skipped_no_email += 1
            continue
        items = list(Notification.objects.filter(user=user).unread().order_by("created", "id")[:100])
        if not items:
            continue
        result.users += 1
        lines = [
            f"· {n.created.astimezone(timezone.get_current_timezone()):%m-%d %H:%M} {n.text}" for n in items
        ]
        body = "\n".join(
            [
                _("%(name)s，您好：") % {"name": user},
                _("您有 %(n)d 条未读通知：") % {"n": len(items)},
                "",
                *lines,
                "",
                _("请登录梯次查看和处理。本邮件每天最多发送一次。"),
            ]
        )
        message = EmailMessage(
            subject=_("梯次：您有 %(n)d 条未读通知（%(day)s）") % {"n": len(items), "day": today.isoformat()},
            body=body,
            to=[address],
        )
        try:
            with transaction.atomic():
                NotificationDigest.objects.create(user=user, day=today, count=len(items))
                audit.record(
                    actor=actor,
                    verb=verbs.NOTIFICATION_DIGEST,
                    obj=user,
                    object_repr=user.get_username(),
                    after={"day": today, "count": len(items)},
                )
                transaction.on_commit(partial(message.send, fail_silently=True))
        except IntegrityError:
            continue  # another run sent today's digest
        result.emails += 1
    return result
