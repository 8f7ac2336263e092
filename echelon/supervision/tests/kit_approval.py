"""Materials approved first (ADR 18): the routes ``supervision:approval_decide`` and the API
``api:supervision-approval-*`` for core's access kit (echelon/core/tests/test_access.py).

The world: the supervision kit's campaign (``kit.world``) with 可可以力更镇 taken through its first two phases
by its operator (the study phase passed by the county's group, the county office having let it go ahead of
武川县) and, in the examination, the plan of its special democratic life meeting uploaded: a material
waiting for the county group's approval (``county_supervisor``).

Who is refused (ADR 11): the township's operator (who sent it), a sibling group's supervisor, the leaders,
the county's office and operator (403); the outsider sees nothing (404).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from echelon.campaigns.models import Participation
from echelon.supervision import selectors, services
from echelon.supervision.models import Decision, MaterialApproval
from echelon.supervision.tests import kit as sv
from echelon.supervision.tests.helpers import PREPARED, ahead, part

REVIEWER = "county_supervisor"
REFUSED = (
    "township_operator",
    "sibling_supervisor",
    "liaison_leader",
    "township_leader",
    "county_office",
    "county_operator",
)
PDF = b"%PDF-1.4\n%approval\n"
MEETING_TYPES = {0: "mobilization", 1: "study", 2: "democratic_life"}
ALL_PASS = {k: services.CheckResult(True, "") for k in ("thinking", "materials", "work")}


def do_phase(actor: Any, p: Participation, phase: int, *, skip: tuple[str, ...] = ()) -> None:
    """Every action of the phase not done yet (and not locked), through the services."""
    for a in selectors.phase_state(p, phase).actions:
        if a.done or a.locked or a.key in skip:
            continue
        if a.evidence == "material":
            services.material_upload(
                actor=actor,
                participation=p,
                phase=phase,
                action_key=a.key,
                fileobj=io.BytesIO(PDF),
                name="材料.pdf",
            )
        elif a.evidence == "meeting":
            data = {
                "type": MEETING_TYPES.get(phase, "other"),
                "date": date.today(),
                "place": "会议室",
                "attendees": "班子成员",
            }
            services.meeting_record(actor=actor, participation=p, phase=phase, data=data, action_key=a.key)
        else:
            services.action_confirm(actor=actor, participation=p, phase=phase, action_key=a.key)


def to_examine(p: Participation, operator: Any, reviewer: Any) -> Participation:
    """Take a leadership body through preparation and study (its leadership body not yet passed: an office
    lets it go ahead) into the examination phase."""
    do_phase(operator, p, 0)
    services.gate_submit(actor=operator, participation=p, day=PREPARED)
    p.refresh_from_db()
    do_phase(operator, p, 1)
    ahead(p)
    review = services.gate_submit(actor=operator, participation=p)
    services.gate_decide(actor=reviewer, review=review, decision=Decision.PASS, checks=ALL_PASS)
    p.refresh_from_db()
    assert p.current_phase == 2
    return p


def upload_plan(actor: Any, p: Participation, name: str = "民主生活会方案.pdf") -> Any:
    return services.material_upload(
        actor=actor, participation=p, phase=2, action_key="meeting_plan", fileobj=io.BytesIO(PDF), name=name
    )


def approval(ctx: Any) -> MaterialApproval:
    cached = getattr(ctx, "_approval", None)
    if cached is not None:
        found: MaterialApproval = cached
        return found
    w = sv.world(ctx)
    township = to_examine(
        part(w.campaign, ctx.tree.township), ctx.personas["township_operator"], ctx.personas[REVIEWER]
    )
    upload_plan(ctx.personas["township_operator"], township)
    row = MaterialApproval.objects.get(participation=township, phase=2, action_key="meeting_plan")
    ctx._approval = row
    return row


def _pk(c: Any) -> dict[str, Any]:
    return {"pk": approval(c).pk}


def _listed(c: Any) -> dict[str, Any]:
    approval(c)  # the list shows it to the group, and nothing to the outsider
    return {}


def _state(c: Any) -> str:
    return str(MaterialApproval.objects.get(pk=approval(c).pk).state)


def declarations(D: Any) -> dict[str, Any]:
    """The declarations of the approval routes; ``D`` is the kit's ``Declared``."""
    return {
        "supervision:approval_decide": D(
            kwargs=_pk,
            allowed=REVIEWER,
            method="POST",
            data=lambda c: {"decision": "approve"},
            ok=(302,),
            effect=_state,
            verb="approval.approve",
            refused=REFUSED,
            refusal=(403, 404),
        ),
        "api:supervision-approval-list": D(kwargs=_listed, allowed=REVIEWER, outsider="empty"),
        "api:supervision-approval-detail": D(kwargs=_pk, allowed=REVIEWER),
        "api:supervision-approval-approve POST": D(
            kwargs=_pk,
            allowed=REVIEWER,
            method="POST",
            effect=_state,
            verb="approval.approve",
            refused=REFUSED,
            refusal=(403, 404),
        ),
        "api:supervision-approval-return POST": D(
            kwargs=_pk,
            allowed=REVIEWER,
            method="POST",
            data=lambda c: {"reason": "方案未列出征求到的主要意见，请补充后重新报送。"},
            effect=_state,
            verb="approval.return",
            refused=REFUSED,
            refusal=(403, 404),
        ),
    }


def approve_pending(p: Participation) -> None:
    """The group's approval (the system's, in tests of other rules) of every material of ``p`` waiting."""
    for row in MaterialApproval.objects.filter(participation=p, state="pending"):
        services.approval_decide(actor=None, approval=row, approve=True)
