"""Dispatch meetings' routes (pages ``dashboards:meeting*``, ``dashboards:item*``, ``dashboards:report_*``
and the API's ``api:dispatch-*``) for core's access kit (echelon/core/tests/test_access.py): the objects
they act on, built once per test through the services, and their declarations.

In test_access.py: ``from echelon.dashboards.tests import kit_dispatch``, then
``DECLARED.update(kit_dispatch.declarations(D))`` after ``DECLARED``.

Who is refused (the wrong role at the right place, ADR 11):
- holding a meeting at the county: the operator, the supervisor and the leader granted at the county (403),
  the township's operator and leader (who do not see the county: 404 on the page, 403 in the API, where
  the caller's lack of ``plan`` anywhere is said first);
- reporting the village's item done: who sees the village without changing it (its county's supervisor,
  the liaison leader, the township's leader: 403);
- reopening it: everyone but the county office that held the meeting (the village's own operator, the
  operators above it, the supervisor and the leaders: 403).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from echelon.campaigns.models import Campaign
from echelon.dashboards.models import DispatchItem, DispatchMeeting
from echelon.dashboards.services import dispatch as services
from echelon.supervision.tests.helpers import make_campaign

DAY = date(2014, 5, 10)
# the county's meeting: the other roles at the county and inside it
MEETING = ("county_operator", "county_supervisor", "liaison_leader", "township_operator", "township_leader")
# the village's own work: seen, not changed
VILLAGE_WORK = ("county_supervisor", "liaison_leader", "township_leader")
# a done item sent back: only the county office that held the meeting
REOPEN = (
    "village_secretary",
    "township_operator",
    "county_operator",
    "county_supervisor",
    "liaison_leader",
    "township_leader",
)


def world(ctx: Any) -> SimpleNamespace:
    """The county office's meeting on 武川县 (second batch of the region's campaign) with two items for the
    village: one open, one done (cached on the kit's context)."""
    cached = getattr(ctx, "_dispatch", None)
    if cached is not None:
        return cached
    tree, p = ctx.tree, ctx.personas
    campaign = Campaign.objects.filter(root=tree.region).first() or make_campaign(tree.region)
    batch = campaign.batches.get(key="second")
    meeting = services.meeting_record(
        actor=p["county_office"],
        batch=batch,
        unit=tree.county,
        title="武川县第一环节调度会",
        date=DAY,
        place="县委小会议室",
        attendees="各乡镇党委书记",
        findings="东土城村学习教育进度滞后",
        items=[
            services.ItemData(tree.village, "东土城村补课", date(2014, 5, 30)),
            services.ItemData(tree.village, "东土城村整理会议记录", date(2014, 5, 30)),
        ],
    )
    open_item, done_item = list(meeting.items.order_by("id"))
    services.item_done(actor=p["village_secretary"], item=done_item, note="东土城村已整理")
    w = SimpleNamespace(campaign=campaign, batch=batch, meeting=meeting, open=open_item, done=done_item)
    ctx._dispatch = w
    return w


def _built(c: Any) -> dict[str, Any]:
    world(c)
    return {}


def _pk(attr: str) -> Any:
    return lambda c: {"pk": getattr(world(c), attr).pk}


def _county(c: Any) -> dict[str, str]:
    world(c)
    return {"code": c.tree.county.code}


def _meetings(c: Any) -> int:
    world(c)
    return DispatchMeeting.objects.count()


def _status(attr: str) -> Any:
    def read(c: Any) -> Any:
        return (
            DispatchItem.objects.filter(pk=getattr(world(c), attr).pk)
            .values_list("status", flat=True)
            .first()
        )

    return read


def _page_form(c: Any) -> dict[str, str]:
    w = world(c)
    return {
        "batch": str(w.batch.pk),
        "title": "武川县第二环节调度会",
        "date": "2014-06-10",
        "place": "",
        "attendees": "各乡镇党委书记",
        "findings": "听取意见不够深入",
        "decisions": "",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "50",
        "items-0-unit": c.tree.township.code,
        "items-0-code": "",
        "items-0-text": "可可以力更镇再走访一轮",
        "items-0-deadline": "2014-06-30",
        "items-1-unit": "",
        "items-1-code": "",
        "items-1-text": "",
        "items-1-deadline": "",
    }


def _api_meeting(c: Any) -> dict[str, Any]:
    w = world(c)
    return {
        "unit": c.tree.county.code,
        "batch": w.batch.pk,
        "title": "武川县第二环节调度会",
        "date": "2014-06-10",
        "attendees": "各乡镇党委书记",
        "findings": "听取意见不够深入",
        "items": [{"unit": c.tree.village.code, "text": "东土城村再走访", "deadline": "2014-06-30"}],
    }


def declarations(D: Any) -> dict[str, Any]:
    """The declarations of the dispatch routes; ``D`` is the kit's ``Declared``."""
    return {
        # --- pages: reads
        "dashboards:meetings": D(kwargs=_built, allowed="county_office", outsider="empty"),
        "dashboards:meeting": D(kwargs=_pk("meeting"), allowed="county_office"),
        "dashboards:meeting_new": D(kwargs=_county, allowed="county_office"),
        "dashboards:items": D(kwargs=_built, outsider="empty"),
        "dashboards:report_docx": D(kwargs=_county, allowed="county_office"),
        "dashboards:report_xlsx": D(kwargs=_county, allowed="county_office"),
        # --- pages: writes
        "dashboards:meeting_new POST": D(
            kwargs=_county,
            allowed="county_office",
            method="POST",
            data=_page_form,
            ok=(302,),
            effect=_meetings,
            verb="dispatch.record",
            refused=MEETING,
            refusal=(403, 404),
        ),
        "dashboards:item_done": D(
            kwargs=_pk("open"),
            method="POST",
            data=lambda c: {"note": "东土城村已补课", "next": "items"},
            ok=(302,),
            effect=_status("open"),
            verb="dispatch.item_done",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "dashboards:item_reopen": D(
            kwargs=_pk("done"),
            allowed="county_office",
            method="POST",
            data=lambda c: {"reason": "会议记录不全", "next": "meeting"},
            ok=(302,),
            effect=_status("done"),
            verb="dispatch.item_reopen",
            refused=REOPEN,
            refusal=(403,),
        ),
        # --- API: reads
        "api:dispatch-meeting-list": D(kwargs=_built, allowed="county_office", outsider="empty"),
        "api:dispatch-meeting-detail": D(kwargs=_pk("meeting"), allowed="county_office"),
        "api:dispatch-item-list": D(kwargs=_built, outsider="empty"),
        "api:dispatch-item-detail": D(kwargs=_pk("open")),
        # --- API: writes
        "api:dispatch-meeting-list POST": D(
            kwargs=_built,
            allowed="county_office",
            method="POST",
            data=_api_meeting,
            ok=(201,),
            effect=_meetings,
            verb="dispatch.record",
            refused=MEETING,
            refusal=(403,),
        ),
        "api:dispatch-item-done POST": D(
            kwargs=_pk("open"),
            method="POST",
            data=lambda c: {"note": "东土城村已补课"},
            effect=_status("open"),
            verb="dispatch.item_done",
            refused=VILLAGE_WORK,
            refusal=(403,),
        ),
        "api:dispatch-item-reopen POST": D(
            kwargs=_pk("done"),
            allowed="county_office",
            method="POST",
            data=lambda c: {"reason": "会议记录不全"},
            effect=_status("done"),
            verb="dispatch.item_reopen",
            refused=REOPEN,
            refusal=(403,),
        ),
    }
