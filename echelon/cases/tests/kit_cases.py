"""The typical cases' routes (pages ``cases:*`` and the API ``api:case-*``) for core's access kit
(echelon/core/tests/test_access.py): the objects they act on, built once per test through the services, and
their declarations.

The world (the built-in campaign on the region):
- ``village_case``: 东土城村's case of the mobilization (准备、动员部署 · 召开党员大会进行动员), nominated
  by its secretary with one file, waiting for the level above (the county office reviews it);
- ``township_case``: 可可以力更镇's case of the same action, published by the county office to the county's
  library: the village, below, reads it and its file.

Who is refused a write (the wrong role at the right place, ADR 11):
- nominating and editing the village's case: who looks at the village without changing it (the county's
  supervisor, the liaison leader, the township's leader: 403);
- publishing or returning it: its nominator, the township's operator (no office rights above it), the
  county's operator, supervisor and leader, the township's leader (403).
"""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from echelon.campaigns.models import Campaign
from echelon.cases import services
from echelon.cases.models import Case, CaseFile
from echelon.supervision.tests.helpers import make_campaign, part

PDF = b"%PDF-1.4\n%kit case\n"
LOOKERS = ("county_supervisor", "liaison_leader", "township_leader")
REVIEW_REFUSED = (
    "village_secretary",
    "township_operator",
    "county_operator",
    "county_supervisor",
    "liaison_leader",
    "township_leader",
)


def world(ctx: Any) -> SimpleNamespace:
    cached = getattr(ctx, "_cases", None)
    if cached is not None:
        found: SimpleNamespace = cached
        return found
    tree, p = ctx.tree, ctx.personas
    campaign = Campaign.objects.filter(root=tree.region).first() or make_campaign(tree.region)
    village_case = services.case_nominate(
        actor=p["village_secretary"],
        participation=part(campaign, tree.village),
        phase_key="prepare",
        action_key="mobilize",
        title="东土城村动员大会进村入户",
        text="召开党员大会，把动员会开到田间地头。",
        files=[(io.BytesIO(PDF), "动员大会.pdf")],
    )
    township_case = services.case_nominate(
        actor=p["township_operator"],
        participation=part(campaign, tree.township),
        phase_key="prepare",
        action_key="mobilize",
        title="可可以力更镇分片动员",
        text="镇党委分片召开动员会，班子成员包村。",
        files=[(io.BytesIO(PDF), "分片动员.pdf")],
    )
    services.case_publish(actor=p["county_office"], case=township_case, comment="值得推广")
    w = SimpleNamespace(campaign=campaign, village_case=village_case, township_case=township_case)
    ctx._cases = w
    return w


def _built(c: Any) -> dict[str, Any]:
    world(c)
    return {}


def _campaign(c: Any) -> dict[str, Any]:
    return {"pk": world(c).campaign.pk}


def _pk(attr: str) -> Any:
    return lambda c: {"pk": getattr(world(c), attr).pk}


def _file(c: Any) -> dict[str, Any]:
    return {"pk": CaseFile.objects.filter(case=world(c).township_case).values_list("pk", flat=True)[0]}


def _count(c: Any) -> int:
    return Case.objects.count()


def _field(attr: str, field: str) -> Any:
    def read(c: Any) -> Any:
        return Case.objects.filter(pk=getattr(world(c), attr).pk).values_list(field, flat=True).first()

    return read


def _files(c: Any) -> int:
    return CaseFile.objects.filter(case=world(c).village_case).count()


def _nominate_page(c: Any) -> dict[str, Any]:
    world(c)
    return {
        "unit": c.tree.village.code,
        "where": "study|opinions",
        "title": "东土城村入户听取意见",
        "text": "党员分片入户，逐户听取意见。",
    }


def _nominate_api(c: Any) -> dict[str, Any]:
    return {
        "campaign": world(c).campaign.pk,
        "unit": c.tree.village.code,
        "phase_key": "study",
        "action_key": "opinions",
        "title": "东土城村入户听取意见",
        "text": "党员分片入户，逐户听取意见。",
    }


def _edit_page(c: Any) -> dict[str, Any]:
    world(c)
    return {"where": "prepare|mobilize", "title": "东土城村动员大会开到田间", "text": "动员会开到田间地头。"}


def declarations(D: Any) -> dict[str, Any]:
    """The declarations of the typical cases' pages and API; ``D`` is the kit's ``Declared``."""
    office = "county_office"
    secretary = "village_secretary"
    review = {
        "allowed": office,
        "method": "POST",
        "effect": _field("village_case", "status"),
        "refused": REVIEW_REFUSED,
        "refusal": (403,),
    }
    return {
        # --- pages: reads
        "cases:index": D(kwargs=_built, ok=(302,), outsider="empty"),
        "cases:mine": D(kwargs=_built, outsider="empty"),
        "cases:queue": D(kwargs=_built, allowed=office, outsider="empty"),
        "cases:library": D(kwargs=_campaign, outsider="empty", query="phase=prepare&action=mobilize"),
        "cases:new": D(kwargs=_campaign, outsider="empty", query="phase=prepare&action=mobilize"),
        "cases:case": D(kwargs=_pk("township_case")),
        "cases:edit": D(kwargs=_pk("village_case")),
        "cases:file": D(kwargs=_file),
        # --- pages: writes
        "cases:new POST": D(
            kwargs=_campaign,
            method="POST",
            data=_nominate_page,
            ok=(302,),
            effect=_count,
            verb="case.create",
            outsider="empty",
            refused=LOOKERS,
            refusal=(403,),
        ),
        "cases:edit POST": D(
            kwargs=_pk("village_case"),
            method="POST",
            data=_edit_page,
            ok=(302,),
            effect=_field("village_case", "title"),
            verb="case.update",
            refused=LOOKERS,
            refusal=(403,),
        ),
        "cases:publish": D(
            kwargs=_pk("village_case"),
            data=lambda c: {"comment": "同意"},
            ok=(302,),
            verb="case.publish",
            **review,
        ),
        "cases:return": D(
            kwargs=_pk("village_case"),
            data=lambda c: {"comment": "请补充成效"},
            ok=(302,),
            verb="case.return",
            **review,
        ),
        # --- API
        "api:case-list": D(kwargs=_built, outsider="empty"),
        "api:case-detail": D(kwargs=_pk("township_case"), allowed=secretary),
        "api:case-queue": D(kwargs=_built, allowed=office, outsider="empty"),
        "api:case-list POST": D(
            kwargs=_built,
            allowed=secretary,
            method="POST",
            data=_nominate_api,
            ok=(201,),
            effect=_count,
            verb="case.create",
            refused=LOOKERS,
            refusal=(403,),
        ),
        "api:case-detail PATCH": D(
            kwargs=_pk("village_case"),
            allowed=secretary,
            method="PATCH",
            data=lambda c: {"title": "东土城村动员大会开到田间"},
            effect=_field("village_case", "title"),
            verb="case.update",
            refused=LOOKERS,
            refusal=(403,),
        ),
        "api:case-files POST": D(
            kwargs=_pk("village_case"),
            allowed=secretary,
            method="POST",
            multipart=True,
            data=lambda c: {"file": SimpleUploadedFile("照片.pdf", PDF)},
            effect=_files,
            verb="case.update",
            refused=LOOKERS,
            refusal=(403,),
        ),
        "api:case-publish POST": D(
            kwargs=_pk("village_case"), data=lambda c: {"comment": "同意"}, verb="case.publish", **review
        ),
        "api:case-return POST": D(
            kwargs=_pk("village_case"), data=lambda c: {"comment": "请补充成效"}, verb="case.return", **review
        ),
    }
