"""The own actions' routes (自选动作: pages ``supervision:unit_own_*`` and the API
``api:supervision-campaign-unit-own-action*``) for core's access kit (echelon/core/tests/test_access.py).

The world: the supervision kit's campaign (``kit.world``), where 可可以力更镇's phase one is open, and one own
action of the township in that phase (``可可以力更镇 · 走访困难党员``), added through the service.

Who is refused (the wrong role at the right place, ADR 11): the supervisors and the leader who look at the
township without changing it (403).
"""

from __future__ import annotations

from typing import Any

from echelon.supervision import services
from echelon.supervision.models import OwnAction
from echelon.supervision.tests import kit as sv
from echelon.supervision.tests.helpers import part

OPERATOR = "township_operator"
REFUSED = ("county_supervisor", "sibling_supervisor", "liaison_leader", "township_leader")


def own(ctx: Any) -> OwnAction:
    cached = getattr(ctx, "_own_action", None)
    if cached is not None:
        found: OwnAction = cached
        return found
    township = part(sv.world(ctx).campaign, ctx.tree.township)
    row = services.own_action_add(
        actor=None, participation=township, phase=0, title="走访困难党员", evidence="material", required=True
    )
    ctx._own_action = row
    return row


def _township(c: Any) -> dict[str, Any]:
    own(c)
    return sv.township(c)


def _page_one(c: Any) -> dict[str, Any]:
    return {**sv.township(c), "own": own(c).pk}


def _api_one(c: Any) -> dict[str, Any]:
    return {**sv.township(c), "id": own(c).pk}


def _count(c: Any) -> int:
    return OwnAction.objects.current().filter(path=c.tree.township.path).count()


def _title(c: Any) -> tuple[str, bool]:
    row = OwnAction.objects.get(pk=own(c).pk)
    return row.title, row.required


def declarations(D: Any) -> dict[str, Any]:
    """The declarations of the own actions' pages and API; ``D`` is the kit's ``Declared``."""
    add = {"title": "召开村民代表座谈会", "evidence": "meeting", "required": "on", "phase": "0"}
    edit = {"title": "走访慰问困难党员", "evidence": "material"}
    return {
        "supervision:unit_own_add": D(
            kwargs=_township,
            allowed=OPERATOR,
            method="POST",
            data=lambda c: add,
            ok=(302,),
            effect=_count,
            verb="own_action.add",
            refused=REFUSED,
            refusal=(403,),
        ),
        "supervision:unit_own_edit": D(
            kwargs=_page_one,
            allowed=OPERATOR,
            method="POST",
            data=lambda c: edit,
            ok=(302,),
            effect=_title,
            verb="own_action.update",
            refused=REFUSED,
            refusal=(403,),
        ),
        "supervision:unit_own_remove": D(
            kwargs=_page_one,
            allowed=OPERATOR,
            method="POST",
            ok=(302,),
            effect=_count,
            verb="own_action.remove",
            refused=REFUSED,
            refusal=(403,),
        ),
        "api:supervision-campaign-unit-own-actions": D(kwargs=_township, allowed=OPERATOR),
        "api:supervision-campaign-unit-own-actions POST": D(
            kwargs=_township,
            allowed=OPERATOR,
            method="POST",
            data=lambda c: {"title": "召开村民代表座谈会", "evidence": "meeting", "required": True},
            ok=(201,),
            effect=_count,
            verb="own_action.add",
            refused=REFUSED,
            refusal=(403,),
        ),
        "api:supervision-campaign-unit-own-action PATCH": D(
            kwargs=_api_one,
            allowed=OPERATOR,
            method="PATCH",
            data=lambda c: {"title": "走访慰问困难党员", "required": False},
            effect=_title,
            verb="own_action.update",
            refused=REFUSED,
            refusal=(403,),
        ),
        "api:supervision-campaign-unit-own-action DELETE": D(
            kwargs=_api_one,
            allowed=OPERATOR,
            method="DELETE",
            ok=(204,),
            effect=_count,
            verb="own_action.remove",
            refused=REFUSED,
            refusal=(403,),
        ),
    }
