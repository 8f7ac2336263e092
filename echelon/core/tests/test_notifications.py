"""Core's notifications on their own: ``notify`` (once per key, never to the actor) and the target
registry (a link only for a registered type whose row still exists, one query per type)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from echelon.core import notifications
from echelon.core.models import Counter, Job, Notification


@pytest.fixture
def jobs_registered():
    notifications.register_target(Job, lambda job: reverse("jobs:detail", args=[job.pk]))
    yield
    notifications.unregister_target(Job)


def _job(user, title="导出"):
    return Job.objects.create(kind="test", title=title, created_by=user)


@pytest.mark.django_db
def test_notify_once_per_key_and_never_the_actor(personas):
    secretary, office = personas["village_secretary"], personas["county_office"]
    assert notifications.notify([secretary, office.pk], kind="returned", text="一", exclude=office) == 1
    assert notifications.notify([secretary.pk], kind="deadline", text="二", key="k:1") == 1
    assert notifications.notify([secretary.pk, office.pk], kind="deadline", text="二", key="k:1") == 1
    assert sorted(Notification.objects.filter(user=secretary).values_list("text", flat=True)) == ["一", "二"]
    assert Notification.objects.filter(user=office).count() == 1


@pytest.mark.django_db
def test_links_from_the_registry(personas, jobs_registered, django_assert_num_queries):
    secretary = personas["village_secretary"]
    jobs = [_job(secretary, f"导出{i}") for i in range(3)]
    for job in jobs:
        notifications.notify([secretary], kind="returned", text=job.title, target=job)
    counter = Counter.objects.create(name="test.unregistered")
    notifications.notify([secretary], kind="returned", text="未登记的类型", target=counter)
    notifications.notify([secretary], kind="returned", text="没有对象")
    notes = list(Notification.objects.filter(user=secretary))
    with django_assert_num_queries(1):  # one query per registered target type
        found = notifications.links(notes)
    by_text = {n.text: found.get(n.pk, "") for n in notes}
    assert by_text == {
        **{job.title: reverse("jobs:detail", args=[job.pk]) for job in jobs},
        "未登记的类型": "",
        "没有对象": "",
    }
    note = Notification.objects.get(text="导出0")
    assert (note.target_type, note.target_id) == ("core.job", str(jobs[0].pk))


@pytest.mark.django_db
def test_a_deleted_target_shows_the_notice_without_a_link(client, personas, jobs_registered):
    secretary = personas["village_secretary"]
    job = _job(secretary)
    notifications.notify([secretary], kind="returned", text="导出完成", target=job)
    note = Notification.objects.get(user=secretary)
    client.force_login(secretary)
    assert "查看</button>" in client.get(reverse("notifications:list")).content.decode()
    job.delete()
    page = client.get(reverse("notifications:list")).content.decode()
    assert "导出完成" in page and "查看</button>" not in page
    r = client.post(reverse("notifications:read"), {"id": note.pk})
    assert r.status_code == 302 and r["Location"] == reverse("notifications:list")
