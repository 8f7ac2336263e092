"""The move of notifications to core (supervision 0004/0005, core 0004): supervision's rows are copied with
their links turned back into objects; a link that names nothing that exists is dropped, the notice kept.
Migrating back rebuilds the links."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from echelon.core.models import Notification, NotificationDigest
from echelon.supervision.tests.test_gates import gate, meeting, upload  # noqa: F401
from echelon.supervision.tests.test_notifications import TODAY

BEFORE = [("supervision", "0003_patrol_visit"), ("core", "0003_counter")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_old_notifications_are_copied_with_their_targets(tree, gate):  # noqa: F811
    from echelon.supervision import services
    from echelon.supervision.tests.helpers import part

    campaign, _group, instructor, secretary = gate
    p = part(campaign, tree.village)
    meeting(secretary, p, 1, "study", type="study")
    upload(secretary, p, 1, "opinions")
    review = services.gate_submit(actor=secretary, participation=p)
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old_apps = _migrate(BEFORE)
    try:
        Old = old_apps.get_model("supervision", "Notification")
        OldDigest = old_apps.get_model("supervision", "NotificationDigest")
        links = {
            "审核": f"/supervision/reviews/{review.pk}/",
            "本单位": f"/supervision/{campaign.pk}/u/{tree.village.code}/",
            "已删除": "/supervision/reviews/999999/",
            "别处": "/",
            "无链接": "",
        }
        for text, link in links.items():
            Old.objects.create(user_id=instructor.pk, kind="returned", text=text, link=link, key=f"k:{text}")
        OldDigest.objects.create(user_id=instructor.pk, day=TODAY, count=5)
        _migrate(latest)
    except Exception:
        _migrate(latest)
        raise
    notes = {n.text: n for n in Notification.objects.filter(user=instructor, key__startswith="k:")}
    assert {text: (n.target_type, n.target_id) for text, n in notes.items()} == {
        "审核": ("supervision.review", str(review.pk)),
        "本单位": ("campaigns.participation", str(p.pk)),
        "已删除": ("", ""),
        "别处": ("", ""),
        "无链接": ("", ""),
    }
    assert notes["审核"].key == "k:审核" and notes["审核"].read_at is None
    from echelon.core import notifications

    assert notifications.link(notes["审核"]) == reverse("supervision:review", args=[review.pk])
    assert notifications.link(notes["本单位"]) == reverse(
        "supervision:unit", args=[campaign.pk, tree.village.code]
    )
    # the submission's own notice went back to supervision's table and forth again (both directions)
    waiting = Notification.objects.get(user=instructor, kind="review_waiting")
    assert (waiting.target_type, waiting.target_id) == ("supervision.review", str(review.pk))
    assert NotificationDigest.objects.filter(user=instructor, day=TODAY, count=5).exists()
