"""The democratic appraisal's routes (pages ``appraisal:*`` and the API ``api:appraisal*``) for core's access
kit (echelon/core/tests/test_access.py): the objects they act on, built once per test through the services,
and their declarations.

In test_access.py: ``from echelon.appraisal.tests import kit_appraisal``, then
``DECLARED.update(kit_appraisal.declarations(D))``.

The world (the built-in campaign on the region; its scale 好 / 一般 / 差, 差 followed up):
- ``village``: 东土城村's appraisal, recorded by its secretary: the sentinel member rated 好, two members
  rated 差, one of them already talked with (an open follow-up), the other not yet;
- ``community``: 新华社区's draft, recorded by ``kit_appraiser`` (an operator of 城关街道, the level directly
  above it): two members present, both rated (ready to finalise);
- ``township``: 可可以力更镇's own draft (its operator's branch): two members present, one rated;
- 城关街道 has a member and no appraisal yet (``kit_appraiser``'s own branch: the one to open).

Who is refused: individual ratings and their writes belong to the branch and the level directly above
it, so the county office (which may change the units below it, and sees their counts) gets 404 at a
village, and so do the county's supervisor and the liaison leader; at a branch directly below the county
(a township, 城关街道) the county is the level directly responsible, and the league's office is the one
refused. The follow-ups are the branch's own: the township's operator, directly above the village, sees
them but may not record them (403).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from echelon.accounts import services as account_services
from echelon.appraisal import services
from echelon.appraisal.models import Appraisal, FollowUp, Rating
from echelon.campaigns.models import Campaign
from echelon.conftest import make_member
from echelon.supervision.tests.helpers import make_campaign

MEETING = date(2014, 6, 10)
APPRAISER = "kit_appraiser"
# who sees the counts, never the names: the county's office, supervisor and liaison leader
ABOVE = ("county_office", "county_supervisor", "liaison_leader")
# for a branch directly below the county (a township, 城关街道) the county is the level directly responsible:
# the league's office sees counts only, the county's supervisor and liaison leader may not record
ABOVE_COUNTY = ("league_office", "county_supervisor", "liaison_leader")


def world(ctx: Any) -> SimpleNamespace:
    """The appraisal's objects for one test (cached on the kit's context)."""
    cached = getattr(ctx, "_appraisal", None)
    if cached is not None:
        found: SimpleNamespace = cached
        return found
    tree, p = ctx.tree, ctx.personas
    campaign = Campaign.objects.filter(root=tree.region).first() or make_campaign(tree.region)
    appraiser = account_services.user_create(
        actor=None, username=APPRAISER, password=None, display_name="评议员"
    )
    account_services.grant_add(actor=None, user=appraiser, unit=tree.community_township, role="operator")
    secretary = p["village_secretary"]

    low = [make_member(tree.village, f"K-V{n}", name=f"评议党员{n}") for n in (1, 2)]
    village = services.appraisal_create(
        actor=secretary, campaign=campaign, unit=tree.village, meeting_date=MEETING, present=3
    )
    entries = [(ctx.member.code, "好"), (low[0].code, "差"), (low[1].code, "差")]
    services.ratings_record(actor=secretary, appraisal=village, entries=entries)
    services.appraisal_confirm(actor=secretary, appraisal=village)
    talked = Rating.objects.get(appraisal=village, member=low[0])
    followup = services.followup_record(
        actor=secretary,
        rating=talked,
        talk_date=MEETING,
        talk="指出不足，提出要求。",
        deadline=date(2014, 8, 31),
    )

    community_members = [make_member(tree.community, f"K-C{n}", name=f"社区党员{n}") for n in (1, 2)]
    community = services.appraisal_create(
        actor=appraiser, campaign=campaign, unit=tree.community, meeting_date=MEETING, present=2
    )
    services.ratings_record(
        actor=appraiser, appraisal=community, entries=[(m.code, "好") for m in community_members]
    )

    township_members = [make_member(tree.township, f"K-T{n}", name=f"镇机关党员{n}") for n in (1, 2)]
    township = services.appraisal_create(
        actor=p["township_operator"], campaign=campaign, unit=tree.township, meeting_date=MEETING, present=2
    )
    services.ratings_record(
        actor=p["township_operator"], appraisal=township, entries=[(township_members[0].code, "一般")]
    )
    make_member(tree.community_township, "K-S1", name="街道党员")

    w = SimpleNamespace(
        campaign=campaign,
        village=village,
        community=community,
        township=township,
        followup=followup,
        untalked=Rating.objects.get(appraisal=village, member=low[1]),
        community_rating=Rating.objects.get(appraisal=community, member=community_members[0]),
        township_unrated=township_members[1],
    )
    ctx._appraisal = w
    return w


def _code(attr: str) -> Any:
    def kwargs(c: Any) -> dict[str, Any]:
        world(c)
        return {"code": getattr(c.tree, attr).code}

    return kwargs


def _pk(attr: str) -> Any:
    return lambda c: {"pk": getattr(world(c), attr).pk}


def _built(c: Any) -> dict[str, Any]:
    world(c)
    return {}


def _appraisals(c: Any) -> int:
    return Appraisal.objects.count()


def _followups(c: Any) -> int:
    return FollowUp.objects.count()


def _appraisal_field(attr: str, field: str) -> Any:
    def read(c: Any) -> Any:
        return Appraisal.objects.filter(pk=getattr(world(c), attr).pk).values_list(field, flat=True).first()

    return read


def _community_grades(c: Any) -> tuple[str, ...]:
    w = world(c)
    return tuple(Rating.objects.filter(appraisal=w.community).order_by("pk").values_list("grade", flat=True))


def _township_rated(c: Any) -> int:
    return Rating.objects.filter(appraisal=world(c).township).count()


def _followup_state(c: Any) -> Any:
    return FollowUp.objects.filter(pk=world(c).followup.pk).values_list("state", flat=True).first()


def _meeting(c: Any) -> dict[str, Any]:
    return {"meeting_date": "2014-06-11", "present": 2, "note": "补充说明"}


def _new_meeting(c: Any) -> dict[str, Any]:
    world(c)
    return {"meeting_date": "2014-06-12", "present": 1, "note": ""}


def _talk(c: Any) -> dict[str, Any]:
    world(c)
    return {"talk_date": "2014-06-12", "talk": "帮助分析原因。", "deadline": "2014-09-30"}


def _grid(c: Any) -> dict[str, Any]:
    w = world(c)
    return {f"grade-{r.member.code}": "一般" for r in Rating.objects.filter(appraisal=w.community)}


def declarations(D: Any) -> dict[str, Any]:
    """The declarations of the appraisal's pages and API; ``D`` is the kit's ``Declared``."""
    secretary = "village_secretary"
    county = "county_office"
    return {
        # --- pages: reads (counts for anyone who sees the unit; names for the branch and the level above)
        "appraisal:index": D(kwargs=_built, allowed=county, outsider="empty"),
        "appraisal:unit": D(kwargs=_code("county"), allowed=county),
        "appraisal:summary_xlsx": D(kwargs=_code("county"), allowed=county),
        "appraisal:branch": D(kwargs=_code("village"), allowed=secretary),
        "appraisal:sheet_xlsx": D(kwargs=_pk("village"), allowed=secretary),
        # --- pages: writes
        "appraisal:create": D(
            kwargs=_code("community_township"),
            allowed=APPRAISER,
            method="POST",
            data=_new_meeting,
            ok=(302,),
            effect=_appraisals,
            verb="appraisal.create",
            refused=ABOVE_COUNTY,
            refusal=(403, 404),
        ),
        "appraisal:update": D(
            kwargs=_pk("community"),
            allowed=APPRAISER,
            method="POST",
            data=_meeting,
            ok=(302,),
            effect=_appraisal_field("community", "note"),
            verb="appraisal.update",
            refused=(*ABOVE, "township_operator"),
        ),
        "appraisal:rate": D(
            kwargs=_pk("community"),
            allowed=APPRAISER,
            method="POST",
            data=_grid,
            ok=(302,),
            effect=_community_grades,
            verb="rating.record",
            refused=(*ABOVE, "township_operator"),
        ),
        "appraisal:confirm": D(
            kwargs=_pk("community"),
            allowed=APPRAISER,
            method="POST",
            ok=(302,),
            effect=_appraisal_field("community", "state"),
            verb="appraisal.confirm",
            refused=(*ABOVE, "township_operator"),
        ),
        "appraisal:followup": D(
            kwargs=_pk("untalked"),
            allowed=secretary,
            method="POST",
            data=_talk,
            ok=(302,),
            effect=_followups,
            verb="followup.record",
            refused=("township_operator", *ABOVE),
            refusal=(403, 404),
        ),
        "appraisal:followup_close": D(
            kwargs=_pk("followup"),
            allowed=secretary,
            method="POST",
            data=lambda c: {"outcome": "已改进。"},
            ok=(302,),
            effect=_followup_state,
            verb="followup.close",
            refused=("township_operator", *ABOVE),
            refusal=(403, 404),
        ),
        # --- API: reads
        "api:appraisal-summary": D(kwargs=_code("county"), allowed=county),
        "api:appraisal-list": D(kwargs=_built, allowed=county, outsider="empty"),
        "api:appraisal-detail": D(kwargs=_pk("village"), allowed=county),
        "api:appraisal-ratings": D(kwargs=_pk("village"), allowed=secretary),
        "api:appraisal-followup-list": D(kwargs=_built, allowed=secretary, outsider="empty"),
        "api:appraisal-followup-detail": D(kwargs=_pk("followup"), allowed=secretary),
        # --- API: writes
        "api:appraisal-list POST": D(
            kwargs=_built,
            allowed=APPRAISER,
            method="POST",
            data=lambda c: {**_new_meeting(c), "unit": c.tree.community_township.code},
            ok=(201,),
            effect=_appraisals,
            verb="appraisal.create",
            refused=ABOVE_COUNTY,
            refusal=(403,),
        ),
        "api:appraisal-detail PATCH": D(
            kwargs=_pk("community"),
            allowed=APPRAISER,
            method="PATCH",
            data=lambda c: {"note": "补充说明"},
            effect=_appraisal_field("community", "note"),
            verb="appraisal.update",
            refused=(*ABOVE, "township_operator"),
        ),
        "api:appraisal-confirm POST": D(
            kwargs=_pk("community"),
            allowed=APPRAISER,
            method="POST",
            effect=_appraisal_field("community", "state"),
            verb="appraisal.confirm",
            refused=(*ABOVE, "township_operator"),
        ),
        "api:appraisal-ratings POST": D(
            kwargs=_pk("township"),
            allowed="township_operator",
            method="POST",
            data=lambda c: {"ratings": [{"member": world(c).township_unrated.code, "grade": "好"}]},
            effect=_township_rated,
            verb="rating.record",
            refused=(*ABOVE_COUNTY, "village_secretary"),
            refusal=(403, 404),
        ),
        "api:appraisal-rating-detail PATCH": D(
            kwargs=_pk("community_rating"),
            allowed=APPRAISER,
            method="PATCH",
            data=lambda c: {"grade": "差"},
            effect=_community_grades,
            verb="rating.record",
            refused=(*ABOVE, "township_operator"),
        ),
        "api:appraisal-followup-list POST": D(
            kwargs=_built,
            allowed=secretary,
            method="POST",
            data=lambda c: {**_talk(c), "rating": world(c).untalked.pk},
            ok=(201,),
            effect=_followups,
            verb="followup.record",
            refused=("township_operator", *ABOVE),
            refusal=(403, 404),
        ),
        "api:appraisal-followup-close POST": D(
            kwargs=_pk("followup"),
            allowed=secretary,
            method="POST",
            data=lambda c: {"outcome": "已改进。"},
            effect=_followup_state,
            verb="followup.close",
            refused=("township_operator", *ABOVE),
            refusal=(403, 404),
        ),
    }
