"""Notifications written by the gate services, the daily run (deadlines, overdue reviews, one digest
e-mail per user per day), the list page and the navbar badge, and the links supervision registers for its
targets (a review, a unit's phase)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from echelon.core import notifications, verbs
from echelon.core.models import AuditEvent, Notification, NotificationDigest, NotificationKind
from echelon.supervision import services
from echelon.supervision.models import Decision, Review
from echelon.supervision.tests.test_gates import all_checks, gate, meeting, upload  # noqa: F401

TODAY = timezone.localdate()
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def client_for(u):
    c = Client()
    c.force_login(u)
    return c


@pytest.fixture
def submitted(tree, gate):  # noqa: F811
    campaign, _g, instructor, secretary = gate
    from echelon.supervision.tests.helpers import part

    p = part(campaign, tree.village)
    meeting(secretary, p, 1, "study", type="study")
    upload(secretary, p, 1, "opinions")
    review = services.gate_submit(actor=secretary, participation=p)
    return review, instructor, secretary


def kinds(user):
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


@pytest.mark.django_db
def test_submission_and_return_notify_the_right_people(tree, personas, submitted):
    review, instructor, secretary = submitted
    assert kinds(instructor) == [NotificationKind.REVIEW_WAITING]
    note = Notification.objects.get(user=instructor)
    assert "东土城村" in note.text
    assert (note.target_type, note.target_id) == ("supervision.review", str(review.pk))
    assert notifications.link(note) == reverse("supervision:review", args=[review.pk])
    assert kinds(secretary) == []  # not told about their own submission
    services.gate_decide(
        actor=instructor,
        review=review,
        decision=Decision.RETURN,
        checks=all_checks(False, "太简单"),
        comment="补充走访",
        deadline=TODAY + timedelta(days=3),
    )
    assert kinds(secretary) == [NotificationKind.RETURNED]  # the village's operator
    returned = Notification.objects.get(user=secretary)
    assert "补充走访" in returned.text
    unit_page = reverse("supervision:unit", args=[review.campaign_id, tree.village.code])
    assert notifications.link(returned) == unit_page
    assert kinds(instructor) == [NotificationKind.REVIEW_WAITING]  # the decider is not told
    assert kinds(personas["county_office"]) == [] and kinds(personas["outsider"]) == []


@pytest.mark.django_db
def test_daily_notices_are_made_once_per_item(tree, personas, submitted):
    review, instructor, secretary = submitted
    Review.objects.filter(pk=review.pk).update(submitted_at=timezone.now() - timedelta(days=30))
    first = services.notify_due()
    assert first.overdue == 1 and kinds(instructor).count(NotificationKind.OVERDUE) == 1
    services.gate_decide(
        actor=instructor,
        review=review,
        decision=Decision.RETURN,
        checks=all_checks(False, "太简单"),
        deadline=TODAY + timedelta(days=3),
    )
    second = services.notify_due()
    assert second.deadlines == 1 and second.overdue == 0
    assert kinds(secretary).count(NotificationKind.DEADLINE) == 1
    assert "还有 3 天" in Notification.objects.get(user=secretary, kind=NotificationKind.DEADLINE).text
    again = services.notify_due()
    assert (again.deadlines, again.overdue) == (0, 0)
    assert AuditEvent.objects.filter(verb=verbs.NOTIFICATION_GENERATE).count() == 2
    # a deadline more than three days away is not due yet
    Review.objects.filter(pk=review.pk).update(deadline=TODAY + timedelta(days=4))
    Notification.objects.filter(kind=NotificationKind.DEADLINE).delete()
    assert services.notify_due().deadlines == 0


@pytest.mark.django_db
def test_digest_one_email_per_user_per_day(
    tree, personas, submitted, settings, django_capture_on_commit_callbacks
):
    _review, instructor, _secretary = submitted
    settings.EMAIL_BACKEND = LOCMEM
    instructor.email = "instructor@example.org"
    instructor.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_digest")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["instructor@example.org"] and "东土城村" in message.body
    assert "1 条未读通知" in message.subject
    with django_capture_on_commit_callbacks(execute=True):
        call_command("notify_digest")
    assert len(mail.outbox) == 1  # the same day: nothing more
    assert NotificationDigest.objects.filter(user=instructor, day=TODAY).count() == 1
    assert AuditEvent.objects.filter(verb=verbs.NOTIFICATION_DIGEST).count() == 1


@pytest.mark.django_db
def test_no_email_when_no_backend_is_configured(tree, personas, submitted, settings):
    _review, instructor, _secretary = submitted
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "localhost"
    instructor.email = "instructor@example.org"
    instructor.save(update_fields=["email"])
    call_command("notify_digest")
    assert not NotificationDigest.objects.exists() and len(mail.outbox) == 0


@pytest.mark.django_db
def test_list_badge_and_mark_read(tree, personas, submitted):
    review, instructor, _secretary = submitted
    c = client_for(instructor)
    page = c.get(reverse("notifications:list")).content.decode()
    assert "东土城村" in page and 'data-testid="unread-badge"' in page
    mine = Notification.objects.get(user=instructor)
    # someone else cannot mark it read (their own list only)
    client_for(personas["outsider"]).post(reverse("notifications:read"), {"id": mine.pk})
    mine.refresh_from_db()
    assert mine.read_at is None
    r = c.post(reverse("notifications:read"), {"id": mine.pk})
    assert r.status_code == 302 and r["Location"] == reverse("supervision:review", args=[review.pk])
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert AuditEvent.objects.filter(verb=verbs.NOTIFICATION_READ, actor=instructor).count() == 1
    page = c.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="unread-badge"' not in page
    other = client_for(personas["outsider"]).get(reverse("notifications:list")).content.decode()
    assert "东土城村" not in other and "没有通知" in other


@pytest.mark.django_db
def test_a_notice_links_to_its_target_while_it_exists(tree, personas, submitted):
    """The link is resolved when shown (the target registry): the review's page while the review exists;
    once it is gone, the notice stays, without a link."""
    review, instructor, _secretary = submitted
    c = client_for(instructor)
    note = Notification.objects.get(user=instructor)
    page = c.get(reverse("notifications:list")).content.decode()
    assert "东土城村" in page and "查看" in page
    assert notifications.links([note]) == {note.pk: reverse("supervision:review", args=[review.pk])}
    Review.objects.filter(pk=review.pk).delete()
    page = c.get(reverse("notifications:list")).content.decode()
    assert "东土城村" in page and "查看" not in page and "标为已读" in page
    assert notifications.link(note) == ""
    r = c.post(reverse("notifications:read"), {"id": note.pk})
    assert r.status_code == 302 and r["Location"] == reverse("notifications:list")
    note.refresh_from_db()
    assert note.read_at is not None
