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
from echelon.supervision.tests.helpers import ahead, part, supervisor, user
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
    assert "东土城村" in page and "查看</button>" in page
    assert notifications.links([note]) == {note.pk: reverse("supervision:review", args=[review.pk])}
    Review.objects.filter(pk=review.pk).delete()
    page = c.get(reverse("notifications:list")).content.decode()
    assert "东土城村" in page and "查看</button>" not in page and "标为已读" in page
    assert notifications.link(note) == ""
    r = c.post(reverse("notifications:read"), {"id": note.pk})
    assert r.status_code == 302 and r["Location"] == reverse("notifications:list")
    note.refresh_from_db()
    assert note.read_at is not None


# --- decisions say what happened; handled items mark themselves read --------------------------------------


def decide(review, instructor, decision, **extra):
    return services.gate_decide(
        actor=instructor,
        review=review,
        decision=decision,
        checks=all_checks(decision == Decision.PASS),
        **extra,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("decision", "extra", "kind", "label", "words"),
    [
        (
            Decision.RETURN,
            {"comment": "补充走访", "deadline": TODAY + timedelta(days=3)},
            NotificationKind.RETURNED,
            "被打回",
            "被打回修改",
        ),
        (
            Decision.INTERVIEW,
            {
                "comment": "查摆不深",
                "interview_who": "村党支部书记",
                "interview_at": TODAY,
                "interview_required": "重新查摆问题",
            },
            NotificationKind.INTERVIEW,
            "约谈",
            "提出约谈：约谈对象 村党支部书记",
        ),
        (
            Decision.REDO,
            {"comment": "走过场", "deadline": TODAY + timedelta(days=10)},
            NotificationKind.REDO,
            "返工",
            "需要返工",
        ),
    ],
)
def test_a_decision_notice_says_which_decision(tree, submitted, decision, extra, kind, label, words):
    review, instructor, secretary = submitted
    decide(review, instructor, decision, **extra)
    note = Notification.objects.get(user=secretary)
    assert note.kind == kind and note.get_kind_display() == label
    assert words in note.text and extra["comment"] in note.text
    if decision != Decision.RETURN:
        assert "被打回" not in note.text
    page = client_for(secretary).get(reverse("notifications:list")).content.decode()
    assert f">{label}</span>" in page


@pytest.mark.django_db
def test_a_pass_tells_the_operators_and_reads_the_groups_notices(tree, personas, submitted):
    review, instructor, secretary = submitted
    colleague = supervisor(user("colleague"), tree.township)
    review.group.members.add(colleague)
    notifications.notify([colleague], kind=NotificationKind.REVIEW_WAITING, text="待审核", target=review)
    Review.objects.filter(pk=review.pk).update(submitted_at=timezone.now() - timedelta(days=30))
    assert services.notify_due().overdue == 2
    ahead(review.participation)  # the township has not passed this phase yet
    decide(review, instructor, Decision.PASS)
    note = Notification.objects.get(user=secretary)
    following = review.campaign.spec.phases[review.phase + 1].name
    assert note.kind == NotificationKind.PASSED and note.read_at is None
    assert "已审核通过" in note.text and f"下一环节“{following}”已开启" in note.text
    assert notifications.link(note) == reverse(
        "supervision:unit", args=[review.campaign_id, tree.village.code]
    )
    # the submission was handled: every member's notices about it (waiting, overdue) are read
    about = Notification.objects.filter(target_type="supervision.review", target_id=str(review.pk))
    assert about.count() == 4 and not about.filter(read_at__isnull=True).exists()
    assert not Notification.objects.filter(user=instructor, kind=NotificationKind.PASSED).exists()
    event = AuditEvent.objects.filter(verb="review.pass").latest("pk")
    assert event.after["notices_read"] == 4


@pytest.mark.django_db
def test_a_resubmission_reads_the_return_notices_of_its_unit(tree, personas, submitted):
    review, instructor, secretary = submitted
    decide(review, instructor, Decision.RETURN, comment="补充走访", deadline=TODAY + timedelta(days=3))
    assert services.notify_due().deadlines == 1
    p = review.participation
    other = part(review.campaign, tree.community)
    notifications.notify([secretary], kind=NotificationKind.RETURNED, text="别的单位", target=other)
    mine = Notification.objects.filter(
        user=secretary, target_id=str(p.pk), target_type="campaigns.participation"
    )
    assert sorted(mine.filter(read_at=None).values_list("kind", flat=True)) == ["deadline", "returned"]
    again = services.gate_submit(actor=secretary, participation=p, note="已补充")
    assert not mine.filter(read_at=None).exists()
    assert Notification.objects.get(user=secretary, text="别的单位").read_at is None
    # the group is told of the new submission, unread; the old one's notice stayed read
    waiting = Notification.objects.filter(user=instructor, kind=NotificationKind.REVIEW_WAITING)
    assert {(n.target_id, n.read_at is None) for n in waiting} == {
        (str(review.pk), False),
        (str(again.pk), True),
    }
    assert AuditEvent.objects.filter(verb="review.submit").latest("pk").after["notices_read"] == 2
