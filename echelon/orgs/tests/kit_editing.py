"""On-screen editing of the registry (pages ``orgs:unit_create``, ``orgs:unit_edit``, ``orgs:member_create``,
``orgs:member_edit``; API ``POST /units/``, ``PATCH /units/{code}/``, ``POST /members/``,
``PATCH /members/{code}/``) for core's access kit (echelon/core/tests/test_access.py).

Registry edits are the ``change`` action (ADR 11): offices and operators in their subtree. The county office
edits the units, the village secretary (an operator) the village's members. Refused (the wrong role at the
right place): who looks at the village without changing it, the county's supervisor, the liaison leader,
the township's leader and the sibling group's supervisor: a 404 (the unit named in the URL, or in the API
body, is not one they may change).
"""

from __future__ import annotations

from typing import Any

from echelon.orgs import editing
from echelon.orgs.models import Member, Unit

LOOKERS = ("county_supervisor", "liaison_leader", "township_leader", "sibling_supervisor")


def _village(c: Any) -> dict[str, Any]:
    return {"code": c.tree.village.code}


def _township(c: Any) -> dict[str, Any]:
    return {"code": c.tree.township.code}


def _member(c: Any) -> dict[str, Any]:
    return {"code": c.member.code}


def _units(c: Any) -> int:
    return Unit.objects.count()


def _members(c: Any) -> int:
    return Member.objects.count()


def _village_name(c: Any) -> str:
    return Unit.objects.get(pk=c.tree.village.pk).name


def _member_phone(c: Any) -> str:
    return Member.objects.get(pk=c.member.pk).phone


def _new_village(c: Any) -> dict[str, Any]:
    return {
        "code": "150125100299",
        "name": "新村",
        "parent": c.tree.township.code,
        "level": "5",
        "kind": "village",
        "division": "village",
    }


def _village_renamed(c: Any) -> dict[str, Any]:
    return {**editing.unit_cells(Unit.objects.get(pk=c.tree.village.pk)), "name": "东土城嘎查"}


def _new_member(c: Any) -> dict[str, Any]:
    return {
        "code": "M-NEW1",
        "name": "新党员",
        "gender": "f",
        "ethnicity": "蒙古族",
        "birth_date": "1990-05-04",
        "joined_date": "2015-07-01",
        "status": "full",
        "unit": c.tree.village.code,
        "is_mobile": False,  # required, as in files (the page's switch posts "False" as unticked)
    }


def _member_page(c: Any) -> dict[str, Any]:
    cells = editing.member_cells(Member.objects.get(pk=c.member.pk))
    cells = {k: v for k, v in cells.items() if k != "is_mobile"}  # an unticked switch is not posted
    return {**cells, "phone": "13912345678"}


def declarations(D: Any) -> dict[str, Any]:
    """The declarations of on-screen editing; ``D`` is the kit's ``Declared``."""
    office, secretary = "county_office", "village_secretary"
    return {
        # --- pages
        "orgs:unit_create": D(kwargs=_township, allowed=office),
        "orgs:unit_create POST": D(
            kwargs=_township,
            allowed=office,
            method="POST",
            data=_new_village,
            ok=(302,),
            effect=_units,
            verb="unit.create",
            refused=LOOKERS,
        ),
        "orgs:unit_edit": D(kwargs=_village, allowed=office),
        "orgs:unit_edit POST": D(
            kwargs=_village,
            allowed=office,
            method="POST",
            data=_village_renamed,
            ok=(302,),
            effect=_village_name,
            verb="unit.update",
            refused=LOOKERS,
        ),
        "orgs:member_create": D(kwargs=_village, allowed=secretary),
        "orgs:member_create POST": D(
            kwargs=_village,
            allowed=secretary,
            method="POST",
            data=_new_member,
            ok=(302,),
            effect=_members,
            verb="member.create",
            refused=LOOKERS,
        ),
        "orgs:member_edit": D(kwargs=_member, allowed=secretary),
        "orgs:member_edit POST": D(
            kwargs=_member,
            allowed=secretary,
            method="POST",
            data=_member_page,
            ok=(302,),
            effect=_member_phone,
            verb="member.update",
            refused=LOOKERS,
        ),
        # --- API
        "api:unit-list POST": D(
            allowed=office,
            method="POST",
            data=_new_village,
            ok=(201,),
            effect=_units,
            verb="unit.create",
            refused=LOOKERS,
        ),
        "api:unit-detail PATCH": D(
            kwargs=_village,
            allowed=office,
            method="PATCH",
            data=lambda c: {"name": "东土城嘎查"},
            effect=_village_name,
            verb="unit.update",
            refused=LOOKERS,
        ),
        "api:member-list POST": D(
            allowed=secretary,
            method="POST",
            data=_new_member,
            ok=(201,),
            effect=_members,
            verb="member.create",
            refused=LOOKERS,
        ),
        "api:member-detail PATCH": D(
            kwargs=_member,
            allowed=secretary,
            method="PATCH",
            data=lambda c: {"phone": "13912345678"},
            effect=_member_phone,
            verb="member.update",
            refused=LOOKERS,
        ),
    }
