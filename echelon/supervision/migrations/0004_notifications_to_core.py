"""Notifications move to core (issue 9): copy supervision's rows to ``core.Notification`` and
``core.NotificationDigest``, the link turned back into the object it named.

The two links supervision ever wrote: ``…/supervision/reviews/<pk>/`` (a review) and
``…/supervision/<campaign>/u/<code>/`` (a unit's phase page: the participation of that unit in that
campaign). A link that names neither, or an object that no longer exists, is dropped: the notice is kept,
shown without a link (as a notice whose target was deleted is). Backwards, the links are rebuilt from the
targets.
"""

import re

from django.db import migrations

REVIEW = re.compile(r"/supervision/reviews/(\d+)/$")
UNIT = re.compile(r"/supervision/(\d+)/u/([^/]+)/$")
CHUNK = 2000


def _targets(apps, links):
    """link → (target_type, target_id) for the links that name an existing review or participation."""
    Review = apps.get_model("supervision", "Review")
    Participation = apps.get_model("campaigns", "Participation")
    reviews, units = {}, {}
    for link in links:
        if m := REVIEW.search(link):
            reviews[link] = int(m.group(1))
        elif m := UNIT.search(link):
            units[link] = (int(m.group(1)), m.group(2))
    found = {}
    existing = set(Review.objects.filter(pk__in=set(reviews.values())).values_list("pk", flat=True))
    for link, pk in reviews.items():
        if pk in existing:
            found[link] = ("supervision.review", str(pk))
    if units:
        pairs = set(units.values())
        rows = Participation.objects.filter(
            campaign_id__in={c for c, _ in pairs}, unit__code__in={code for _, code in pairs}
        ).values_list("campaign_id", "unit__code", "pk")
        participation = {(c, code): pk for c, code, pk in rows}
        for link, pair in units.items():
            if pair in participation:
                found[link] = ("campaigns.participation", str(participation[pair]))
    return found


def forwards(apps, schema_editor):
    Old = apps.get_model("supervision", "Notification")
    OldDigest = apps.get_model("supervision", "NotificationDigest")
    New = apps.get_model("core", "Notification")
    NewDigest = apps.get_model("core", "NotificationDigest")
    rows = list(Old.objects.order_by("id").values_list("id", flat=True))
    for i in range(0, len(rows), CHUNK):
        old = list(Old.objects.filter(pk__in=rows[i : i + CHUNK]).order_by("id"))
        targets = _targets(apps, {n.link for n in old if n.link})
        New.objects.bulk_create(
            New(
                user_id=n.user_id,
                kind=n.kind,
                text=n.text,
                target_type=targets.get(n.link, ("", ""))[0],
                target_id=targets.get(n.link, ("", ""))[1],
                key=n.key,
                created=n.created,
                read_at=n.read_at,
            )
            for n in old
        )
    NewDigest.objects.bulk_create(
        NewDigest(user_id=d.user_id, day=d.day, count=d.count, sent_at=d.sent_at)
        for d in OldDigest.objects.order_by("id").iterator(chunk_size=CHUNK)
    )


def backwards(apps, schema_editor):
    Old = apps.get_model("supervision", "Notification")
    OldDigest = apps.get_model("supervision", "NotificationDigest")
    New = apps.get_model("core", "Notification")
    NewDigest = apps.get_model("core", "NotificationDigest")
    Participation = apps.get_model("campaigns", "Participation")
    for n in New.objects.order_by("id").iterator(chunk_size=CHUNK):
        link = ""
        if n.target_type == "supervision.review":
            link = f"/supervision/reviews/{n.target_id}/"
        elif n.target_type == "campaigns.participation":
            p = Participation.objects.filter(pk=n.target_id).values_list("campaign_id", "unit__code").first()
            link = f"/supervision/{p[0]}/u/{p[1]}/" if p else ""
        row = Old.objects.create(
            user_id=n.user_id, kind=n.kind, text=n.text, link=link, key=n.key, read_at=n.read_at
        )
        Old.objects.filter(pk=row.pk).update(created=n.created)  # auto_now_add would stamp now
    for d in NewDigest.objects.order_by("id").iterator(chunk_size=CHUNK):
        row = OldDigest.objects.create(user_id=d.user_id, day=d.day, count=d.count)
        OldDigest.objects.filter(pk=row.pk).update(sent_at=d.sent_at)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("core", "0004_notifications"),
        ("supervision", "0003_patrol_visit"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
