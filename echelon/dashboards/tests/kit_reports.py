"""The information reports' routes (pages ``dashboards:info_*`` and the API ``api:info-report-*``) for core's
access kit (echelon/core/tests/test_access.py): the objects they act on, built once per test through the
services, and their declarations.

In test_access.py: ``from echelon.dashboards.tests import kit_reports``, then
``DECLARED.update(kit_reports.declarations(D))`` after ``DECLARED``.

The world (the built-in campaign on the region, batch two):
- ``township``: 可可以力更镇's March report, drafted and submitted by its operator, approved by the county
  office (an office above the township): seen by the county and the league;
- ``county_draft``: 武川县's March draft by the county office, compiling the township's (its narrative
  written, ready to submit): seen only at the county;
- ``county_submitted``: 武川县's April report drafted and submitted by the county's operator, waiting for
  its head (the county office).

Who is refused a write (the wrong role at the right place, ADR 11):
- drafting, editing, submitting the county's report: who looks at the county without changing it (its
  supervisor, the liaison leader: 403); the league's office, above it, never sees the draft (404);
- approving or returning the county's report: its operator (who submitted it, and an operator never
  approves), its supervisor and the liaison leader (403); the township's operator, below it (404).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from echelon.campaigns.models import Campaign
from echelon.dashboards.models import InfoReport
from echelon.dashboards.services import reports as services
from echelon.supervision.tests.helpers import make_campaign

MARCH = (date(2014, 3, 1), date(2014, 3, 31))
APRIL = (date(2014, 4, 1), date(2014, 4, 30))
MAY = {"period_start": "2014-05-01", "period_end": "2014-05-31"}
# the county's own work, looked at but not changed by these; the league's office does not see the draft
COUNTY_WORK = ("county_supervisor", "liaison_leader")
DRAFT_REFUSED = (*COUNTY_WORK, "league_office")
# the county's head approves; its operator (the submitter), who only looks on, and a unit below may not
DECIDE_REFUSED = ("county_operator", *COUNTY_WORK, "township_operator")


def world(ctx: Any) -> SimpleNamespace:
    """The reports' objects for one test (cached on the kit's context)."""
    cached = getattr(ctx, "_reports", None)
    if cached is not None:
        found: SimpleNamespace = cached
        return found
    tree, p = ctx.tree, ctx.personas
    campaign = Campaign.objects.filter(root=tree.region).first() or make_campaign(tree.region)
    batch = campaign.batches.get(key="second")

    def draft(who: str, unit: Any, period: tuple[date, date], narrative: str) -> InfoReport:
        report = services.report_draft(
            actor=p[who], batch=batch, unit=unit, period_start=period[0], period_end=period[1]
        )
        return services.report_update(
            actor=p[who],
            report=report,
            narrative=narrative,
            practice=report.practice or "坚持“四议两公开”。",
            next_steps="抓好整改落实。",
            title=report.title,
        )

    township = draft("township_operator", tree.township, MARCH, "可可以力更镇召开动员大会。")
    services.report_submit(actor=p["township_operator"], report=township)
    services.report_approve(actor=p["county_office"], report=township)
    county_draft = draft("county_office", tree.county, MARCH, "武川县各乡镇集中学习。")
    county_submitted = draft("county_operator", tree.county, APRIL, "武川县四月开展查摆。")
    services.report_submit(actor=p["county_operator"], report=county_submitted)
    w = SimpleNamespace(
        campaign=campaign,
        batch=batch,
        township=township,
        county_draft=county_draft,
        county_submitted=county_submitted,
    )
    ctx._reports = w
    return w


def _built(c: Any) -> dict[str, Any]:
    world(c)
    return {}


def _county(c: Any) -> dict[str, Any]:
    world(c)
    return {"code": c.tree.county.code}


def _pk(attr: str) -> Any:
    return lambda c: {"pk": getattr(world(c), attr).pk}


def _count(c: Any) -> int:
    return InfoReport.objects.count()


def _field(attr: str, field: str) -> Any:
    def read(c: Any) -> Any:
        return InfoReport.objects.filter(pk=getattr(world(c), attr).pk).values_list(field, flat=True).first()

    return read


def _edit(c: Any) -> dict[str, Any]:
    report = world(c).county_draft
    return {
        "title": report.title,
        "narrative": "武川县各乡镇集中学习，开展专题讨论。",
        "practice": report.practice,
        "next_steps": "抓好查摆问题。",
    }


def declarations(D: Any) -> dict[str, Any]:
    """The declarations of the information reports' pages and API; ``D`` is the kit's ``Declared``."""
    county_office = "county_office"
    return {
        # --- pages: reads
        "dashboards:info_reports": D(kwargs=_built, allowed=county_office, outsider="empty"),
        "dashboards:info_unit_reports": D(kwargs=_county, allowed=county_office),
        "dashboards:info_new": D(kwargs=_county, allowed=county_office),
        "dashboards:info_report": D(kwargs=_pk("township"), allowed=county_office),
        "dashboards:info_edit": D(kwargs=_pk("county_draft"), allowed=county_office),
        "dashboards:info_docx": D(kwargs=_pk("township"), allowed=county_office),
        "dashboards:info_xlsx": D(kwargs=_pk("township"), allowed=county_office),
        # --- pages: writes
        "dashboards:info_new POST": D(
            kwargs=_county,
            allowed=county_office,
            method="POST",
            data=lambda c: {**MAY, "title": ""},
            ok=(302,),
            effect=_count,
            verb="report.draft",
            refused=(*COUNTY_WORK, "township_operator"),
            refusal=(403, 404),
        ),
        "dashboards:info_edit POST": D(
            kwargs=_pk("county_draft"),
            allowed=county_office,
            method="POST",
            data=_edit,
            ok=(302,),
            effect=_field("county_draft", "narrative"),
            verb="report.update",
            refused=DRAFT_REFUSED,
            refusal=(403, 404),
        ),
        "dashboards:info_submit": D(
            kwargs=_pk("county_draft"),
            allowed=county_office,
            method="POST",
            ok=(302,),
            effect=_field("county_draft", "status"),
            verb="report.submit",
            refused=DRAFT_REFUSED,
            refusal=(403, 404),
        ),
        "dashboards:info_approve": D(
            kwargs=_pk("county_submitted"),
            allowed=county_office,
            method="POST",
            ok=(302,),
            effect=_field("county_submitted", "status"),
            verb="report.approve",
            refused=DECIDE_REFUSED,
            refusal=(403, 404),
        ),
        "dashboards:info_return": D(
            kwargs=_pk("county_submitted"),
            allowed=county_office,
            method="POST",
            data=lambda c: {"note": "请补充数据说明"},
            ok=(302,),
            effect=_field("county_submitted", "status"),
            verb="report.return",
            refused=DECIDE_REFUSED,
            refusal=(403, 404),
        ),
        # --- API
        "api:info-report-list": D(kwargs=_built, allowed=county_office, outsider="empty"),
        "api:info-report-detail": D(kwargs=_pk("township"), allowed=county_office),
        "api:info-report-list POST": D(
            kwargs=_built,
            allowed=county_office,
            method="POST",
            data=lambda c: {"unit": c.tree.county.code, **MAY},
            ok=(201,),
            effect=_count,
            verb="report.draft",
            refused=COUNTY_WORK,
            refusal=(403,),
        ),
        "api:info-report-detail PATCH": D(
            kwargs=_pk("county_draft"),
            allowed=county_office,
            method="PATCH",
            data=lambda c: {"narrative": "武川县各乡镇集中学习，开展专题讨论。"},
            effect=_field("county_draft", "narrative"),
            verb="report.update",
            refused=DRAFT_REFUSED,
            refusal=(403, 404),
        ),
        "api:info-report-submit POST": D(
            kwargs=_pk("county_draft"),
            allowed=county_office,
            method="POST",
            effect=_field("county_draft", "status"),
            verb="report.submit",
            refused=DRAFT_REFUSED,
            refusal=(403, 404),
        ),
        "api:info-report-approve POST": D(
            kwargs=_pk("county_submitted"),
            allowed=county_office,
            method="POST",
            effect=_field("county_submitted", "status"),
            verb="report.approve",
            refused=DECIDE_REFUSED,
            refusal=(403, 404),
        ),
        "api:info-report-return POST": D(
            kwargs=_pk("county_submitted"),
            allowed=county_office,
            method="POST",
            data=lambda c: {"note": "请补充数据说明"},
            effect=_field("county_submitted", "status"),
            verb="report.return",
            refused=DECIDE_REFUSED,
            refusal=(403, 404),
        ),
    }
