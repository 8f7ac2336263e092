"""Every page and endpoint, through the generic access kit (see echelon/core/testing.py).

Add a declaration here for each new URL: the suite fails until every route, every OpenAPI operation and
every page that accepts a POST is declared, and until every write declares its effect, its audit verb and
the personas that must be refused. Personas come from echelon/conftest.py; the outsider is an office of the
sibling league 包头市; the wrong roles at the right place (ADR 11) are listed below (`OFFICE_ONLY`, ...).
`pytest -s -k test_kit_counts` prints the kit's counts.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from echelon.accounts import services as account_services
from echelon.accounts.models import ApiToken, Grant, User
from echelon.appraisal.tests import kit_appraisal
from echelon.campaigns.tests import kit as ck
from echelon.cases.tests import kit_cases
from echelon.conftest import PERSONAS, make_member
from echelon.core import audit
from echelon.core.models import AuditEvent, Job, Notification
from echelon.core.testing import (
    Declared,
    iter_routes,
    kit_counts,
    route_name,
    schema_operations,
    write_declaration_problems,
)
from echelon.dashboards.tests import kit_board, kit_dispatch, kit_reports, kit_warnings
from echelon.evaluation.tests import kit_evaluation
from echelon.ledger.tests import api_kit, page_kit
from echelon.orgs.models import Member, Unit
from echelon.orgs.tests import kit_editing, kit_lookup
from echelon.publicity.tests import kit_publicity
from echelon.supervision.tests import kit as sv
from echelon.supervision.tests import kit_approval, kit_own, kit_review

# Text that belongs to the allowed subtree (武川县 and below) and must never reach the outsider.
SENTINELS = ["武川县", "150125", "东土城", "哨兵党员", "village_secretary"]


@dataclass
class Ctx:
    tree: Any
    personas: dict[str, Any]
    member: Any
    job: Job
    token_id: int
    grant_id: int
    event_id: int


def unit(ctx: Ctx) -> dict[str, str]:
    return {"code": ctx.tree.village.code}


def _import_job(ctx: Ctx) -> dict[str, Any]:
    """A finished import validation of the village secretary's (the preview page)."""
    job = Job.objects.create(
        kind="orgs.import",
        title="校验党员导入",
        created_by=ctx.personas["village_secretary"],
        status="succeeded",
        unit_path=ctx.tree.village.path,
        params={"kind": "members", "mode": "validate", "root": ctx.tree.village.code, "name": "m.csv"},
        result={
            "rows": 0,
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "error_count": 0,
            "errors": [],
            "sample": [],
        },
    )
    return {"code": ctx.tree.village.code, "pk": job.pk}


def _members_upload(ctx: Ctx) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from echelon.orgs.imports import MEMBER_COLUMNS

    header = ",".join(c.label for c in MEMBER_COLUMNS) + "\n"
    return {"kind": "members", "file": SimpleUploadedFile("m.csv", header.encode())}


# --- the wrong role at the right place (ADR 11) ---------------------------------------------------------
# beside the county office: an operator, a supervisor and a leader granted at 武川县 itself
AT_COUNTY = ("county_operator", "county_supervisor", "liaison_leader")
# an office's work at the county (plan, dispatch, manage users): the other roles there and inside
OFFICE_ONLY = (*AT_COUNTY, "township_operator", "township_leader")
USERS_ONLY = (*AT_COUNTY, "township_operator", "village_secretary")
# a unit's own work: the supervisors and leaders who look at it
VILLAGE_WORK = ("county_supervisor", "liaison_leader", "township_leader")
TOWNSHIP_WORK = ("county_supervisor", "sibling_supervisor", "liaison_leader", "township_leader")
# a gate decision on the village: a group member who is an operator above it, whoever submitted it, an
# operator above it, a leader, the supervisor of a sibling group, a supervisor whose group does not
# supervise the village, the office
GATE = (
    "kit_dual",  # a member of a group on the village who holds an operator grant on the township
    "village_secretary",
    "township_operator",
    "liaison_leader",
    "sibling_supervisor",
    "county_supervisor",
    "county_office",
    "township_leader",
)
# a group's patrol: members only
PATROL = ("sibling_supervisor", "county_office", "township_operator", "township_leader")
# templates: the region office only
TEMPLATES = ("league_office", "county_office", "county_operator")

PASSWORD = "Kit-Old-Pass-2014"


def _with_password(ctx: Ctx, name: str = "village_secretary") -> User:
    user = User.objects.get(pk=ctx.personas[name].pk)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def _login(ctx: Ctx) -> dict[str, Any]:
    _with_password(ctx)
    return {"username": "village_secretary", "password": PASSWORD}


def _password_change(ctx: Ctx) -> dict[str, Any]:
    _with_password(ctx)
    return {
        "old_password": PASSWORD,
        "new_password1": "Kit-New-Pass-2015",
        "new_password2": "Kit-New-Pass-2015",
    }


def _user_import(ctx: Ctx) -> dict[str, Any]:
    row = f"kit_clerk,王明,{ctx.tree.village.code},operator,Kit-Clerk-Pass-2014"
    body = f"用户名,姓名,组织代码,角色,初始密码\n{row}\n"
    return {"file": SimpleUploadedFile("users.csv", body.encode("utf-8"))}


def _member_import_job(ctx: Ctx) -> dict[str, Any]:
    """A validated upload of one new member at the village, through the upload page (then confirmed)."""
    from echelon.orgs.tests.test_imports import MEMBER_HEADER, csv_bytes, member_row

    body = csv_bytes(MEMBER_HEADER, [member_row("M-KIT1", ctx.tree.village.code)]).getvalue()
    client = _client_for(ctx.personas["village_secretary"])
    response = client.post(
        reverse("orgs:io_import", args=[ctx.tree.village.code]),
        {"kind": "members", "file": SimpleUploadedFile("m.csv", body)},
    )
    assert response.status_code == 302, response.content[:300]
    job = Job.objects.filter(kind="orgs.import").latest("created_at")
    assert job.status == "succeeded" and job.result.get("error_count") == 0, job.result
    return {"code": ctx.tree.village.code, "pk": job.pk}


def _secretary(ctx: Ctx) -> User:
    return User.objects.get(pk=ctx.personas["village_secretary"].pk)


def _sessions(ctx: Ctx) -> int:
    """The village secretary's open sessions."""
    from django.contrib.sessions.models import Session

    pk = str(ctx.personas["village_secretary"].pk)
    return sum(1 for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == pk)


def _own_tokens(ctx: Ctx) -> int:
    return ApiToken.objects.filter(user=ctx.personas["village_secretary"]).count()


def _token_revoked(ctx: Ctx) -> bool:
    return ApiToken.objects.get(pk=ctx.token_id).revoked_at is not None


def _secretary_grants(ctx: Ctx) -> list[tuple[int, str]]:
    return sorted(Grant.objects.filter(user=ctx.personas["village_secretary"]).values_list("unit_id", "role"))


def _users(ctx: Ctx) -> int:
    return User.objects.count()


def _grant_exists(ctx: Ctx) -> bool:
    return Grant.objects.filter(pk=ctx.grant_id).exists()


def _village_members(ctx: Ctx) -> int:
    return Member.objects.filter(unit=ctx.tree.village).count()


def _jobs(ctx: Ctx) -> int:
    return Job.objects.count()


def _village_parent(ctx: Ctx) -> int | None:
    return Unit.objects.get(pk=ctx.tree.village.pk).parent_id


def _notification(ctx: Ctx) -> dict[str, Any]:
    """An unread notification of the village secretary's; the form marks it read."""
    secretary = ctx.personas["village_secretary"]
    note = Notification.objects.filter(user=secretary, key="kit").first()
    if note is None:
        note = Notification.objects.create(
            user=secretary, kind="returned", text="东土城村：请整改", key="kit"
        )
    return {"id": str(note.pk)}


def _unread(ctx: Ctx) -> int:
    return Notification.objects.filter(user=ctx.personas["village_secretary"], read_at=None).count()


def _exports(ctx: Ctx) -> int:
    return AuditEvent.objects.filter(verb="member.export").count()


D = Declared
DECLARED: dict[str, Declared] = {
    # --- public
    "accounts:login": D(allowed=None, public=True),
    "accounts:login POST": D(
        allowed=None,
        public=True,
        method="POST",
        data=_login,
        ok=(302,),
        effect=lambda c: _secretary(c).last_login,
        verb="user.login",
    ),
    "set_language": D(
        allowed=None,
        public=True,
        method="POST",
        data=lambda c: {"language": "en"},
        ok=(302,),
        no_effect="sets the language cookie only",
    ),
    # operations (ADR 19): the health check for load balancers, no login and nothing sensitive in it; the
    # metrics answer only this machine or a bearer token (the test client comes from 127.0.0.1; refusals
    # from elsewhere in core/tests/test_health.py)
    "healthz": D(allowed=None, public=True),
    "metrics": D(allowed=None, public=True, note="restricted: localhost or ECHELON_METRICS_TOKEN"),
    # --- any signed-in user, nothing of the tree in them; the writes act on the caller's own things
    "home": D(outsider="empty"),
    "accounts:logout": D(
        method="POST", ok=(302,), outsider="empty", personal=True, effect=_sessions, verb="user.logout"
    ),
    "accounts:password_change": D(outsider="empty"),
    "accounts:password_change POST": D(
        method="POST",
        data=_password_change,
        ok=(302,),
        outsider="empty",
        personal=True,
        effect=lambda c: _secretary(c).password,
        verb="user.password_change",
    ),
    "accounts:tokens": D(outsider="empty"),
    "accounts:tokens POST": D(
        method="POST",
        data=lambda c: {"name": "kit2"},
        outsider="empty",
        personal=True,
        effect=_own_tokens,
        verb="token.issue",
    ),
    "accounts:roles": D(outsider="empty"),
    "api-schema": D(outsider="empty", note="describes the API, holds no data"),
    "api-docs": D(outsider="empty"),
    "jobs:list": D(outsider="empty"),
    "api:job-list": D(outsider="empty"),
    "api:me": D(outsider="empty"),
    # --- the tree: pages
    "orgs:browse": D(ok=(302,), outsider="empty"),
    "orgs:search": D(query="q=dtc", outsider="empty"),
    "orgs:autocomplete": D(query="q=dtc", outsider="empty"),
    "orgs:unit": D(kwargs=unit),
    "orgs:tree_children": D(kwargs=lambda c: {"code": c.tree.township.code}, allowed="township_operator"),
    "orgs:unit_members": D(kwargs=unit),
    "orgs:unit_blind_spots": D(kwargs=unit),
    "orgs:unit_history": D(kwargs=unit),
    "orgs:unit_move": D(kwargs=unit),
    "orgs:unit_move POST": D(
        kwargs=unit,
        allowed="county_office",
        method="POST",
        data=lambda c: {"new_parent": c.tree.community_township.code},
        ok=(302,),
        effect=_village_parent,
        verb="unit.move",
        refused=("county_supervisor", "liaison_leader", "township_leader", "sibling_supervisor"),
    ),
    "orgs:member": D(kwargs=lambda c: {"code": c.member.code}),
    "orgs:io": D(kwargs=unit),
    "orgs:io_export": D(kwargs=lambda c: {"code": c.tree.village.code, "kind": "members", "fmt": "csv"}),
    "orgs:io_export POST": D(
        kwargs=lambda c: {"code": c.tree.village.code, "kind": "members", "fmt": "csv"},
        method="POST",
        effect=_exports,
        verb="member.export",
        refused=("liaison_leader", "township_leader"),
        note="a supervisor may export (ADR 11): not refused",
    ),
    "orgs:io_import": D(
        kwargs=unit,
        method="POST",
        data=_members_upload,
        ok=(302,),
        effect=_jobs,
        unaudited="stores the upload and validates it (a dry run); the confirmation is audited",
        refused=VILLAGE_WORK,
    ),
    "orgs:io_import_job": D(kwargs=_import_job),
    "orgs:io_import_job POST": D(
        kwargs=_member_import_job,
        method="POST",
        ok=(302,),
        effect=_village_members,
        verb="member.import",
        refused=VILLAGE_WORK,
    ),
    "jobs:detail": D(kwargs=lambda c: {"pk": c.job.pk}),
    # notifications are personal: anyone signed in sees and marks read only their own
    "notifications:list": D(outsider="empty"),
    "notifications:read": D(
        method="POST",
        data=_notification,
        ok=(302,),
        outsider="empty",
        personal=True,
        effect=_unread,
        verb="notification.read",
        bystanders=("county_office", "township_operator"),
    ),
    "jobs:download": D(kwargs=lambda c: {"pk": c.job.pk}),
    # --- the tree: API
    "api:unit-list": D(outsider="empty"),
    "api:unit-detail": D(kwargs=unit),
    "api:unit-children": D(kwargs=lambda c: {"code": c.tree.township.code}, allowed="township_operator"),
    "api:unit-subtree": D(kwargs=unit),
    "api:member-list": D(outsider="empty"),
    "api:member-detail": D(kwargs=lambda c: {"code": c.member.code}),
    "api:job-detail": D(kwargs=lambda c: {"pk": c.job.pk}),
    # --- users, grants, tokens, audit: offices within their subtree
    "accounts:users": D(allowed="county_office", outsider="empty"),
    "accounts:user_create": D(allowed="county_office", outsider="empty"),
    "accounts:user_create POST": D(
        allowed="county_office",
        outsider="empty",
        method="POST",
        ok=(302,),
        data=lambda c: {
            "username": "kit_clerk",
            "display_name": "王明",
            "password": "Kit-Clerk-Pass-2014",
            "unit_code": c.tree.village.code,
            "role": "operator",
        },
        effect=_users,
        verb="user.create",
        refused=USERS_ONLY,
        refusal=(403,),
    ),
    "accounts:user_import": D(allowed="county_office", outsider="empty"),
    "accounts:user_import POST": D(
        allowed="county_office",
        outsider="empty",
        method="POST",
        ok=(302,),
        data=_user_import,
        effect=_users,
        verb="user.import",
        refused=USERS_ONLY,
        refusal=(403,),
    ),
    "accounts:user_detail": D(
        kwargs=lambda c: {"pk": c.personas["village_secretary"].pk}, allowed="county_office"
    ),
    "accounts:user_detail POST grant": D(
        kwargs=lambda c: {"pk": c.personas["village_secretary"].pk},
        allowed="county_office",
        method="POST",
        ok=(302,),
        data=lambda c: {"form": "grant", "unit_code": c.tree.village.code, "role": "leader"},
        effect=_secretary_grants,
        verb="grant.add",
        refused=USERS_ONLY,
        refusal=(403,),
    ),
    "accounts:user_detail POST reset": D(
        kwargs=lambda c: {"pk": c.personas["village_secretary"].pk},
        allowed="county_office",
        method="POST",
        ok=(302,),
        data=lambda c: {"form": "reset", "password": "Kit-Reset-Pass-2014"},
        effect=lambda c: _secretary(c).password,
        verb="user.password_reset",
        refused=USERS_ONLY,
        refusal=(403,),
    ),
    "accounts:user_detail POST active": D(
        kwargs=lambda c: {"pk": c.personas["village_secretary"].pk},
        allowed="county_office",
        method="POST",
        ok=(302,),
        data=lambda c: {"form": "active", "active": "0"},
        effect=lambda c: _secretary(c).is_active,
        verb="user.deactivate",
        refused=USERS_ONLY,
        refusal=(403,),
    ),
    "accounts:grant_remove": D(
        kwargs=lambda c: {"pk": c.grant_id},
        allowed="county_office",
        method="POST",
        ok=(302,),
        effect=_grant_exists,
        verb="grant.remove",
        refused=USERS_ONLY,
        refusal=(403,),
    ),
    "accounts:token_revoke": D(
        kwargs=lambda c: {"pk": c.token_id},
        method="POST",
        ok=(302,),
        effect=_token_revoked,
        verb="token.revoke",
        refused=("township_operator", "county_supervisor", "liaison_leader", "county_operator"),
    ),
    "audit:list": D(allowed="county_office", outsider="empty"),
    "audit:export": D(allowed="county_office", outsider="empty"),
    "api:audit-list": D(allowed="county_office", outsider="empty"),
    "api:audit-detail": D(kwargs=lambda c: {"pk": c.event_id}, allowed="county_office"),
    "api:user-list": D(allowed="county_office", outsider="empty"),
    "api:user-list POST": D(
        allowed="county_office",
        method="POST",
        ok=(201,),
        data=lambda c: {
            "username": "new_clerk",
            "password": "A-long-pass-2014",
            "unit_code": c.tree.village.code,
            "role": "operator",
        },
        effect=_users,
        verb="user.create",
        refused=USERS_ONLY,
        refusal=(403, 404),
    ),
    "api:user-detail": D(
        kwargs=lambda c: {"pk": c.personas["village_secretary"].pk}, allowed="county_office"
    ),
    "api:grant-list": D(allowed="county_office", outsider="empty"),
    "api:grant-list POST": D(
        allowed="county_office",
        method="POST",
        ok=(201,),
        data=lambda c: {"username": "village_secretary", "unit_code": c.tree.village.code, "role": "leader"},
        effect=_secretary_grants,
        verb="grant.add",
        refused=USERS_ONLY,
        refusal=(403, 404),
    ),
    "api:grant-detail": D(kwargs=lambda c: {"pk": c.grant_id}, allowed="county_office"),
    "api:grant-detail DELETE": D(
        kwargs=lambda c: {"pk": c.grant_id},
        allowed="county_office",
        method="DELETE",
        ok=(204,),
        effect=_grant_exists,
        verb="grant.remove",
        refused=USERS_ONLY,
    ),
    "api:token-list": D(outsider="empty"),
    "api:token-list POST": D(
        method="POST",
        ok=(201,),
        outsider="empty",
        data=lambda c: {"name": "kit"},
        personal=True,
        effect=_own_tokens,
        verb="token.issue",
    ),
    "api:token-detail": D(kwargs=lambda c: {"pk": c.token_id}),
    "api:token-revoke POST": D(
        kwargs=lambda c: {"pk": c.token_id},
        method="POST",
        ok=(200,),
        effect=_token_revoked,
        verb="token.revoke",
        refused=("township_operator", "county_supervisor", "liaison_leader", "county_operator"),
    ),
    # --- supervision (issue 5): objects built by echelon/supervision/tests/kit.py. Group pages belong to
    # the county office that dispatched the group; unit pages to the village; the outsider's campaign-wide
    # pages (index, coverage, workbench) show only its own subtree. The unit writes are the township's
    # (its phase one is open; the village's phase two waits for its instructor's decision).
    "supervision:index": D(outsider="empty"),
    "supervision:workbench": D(outsider="empty"),
    "supervision:campaign": D(kwargs=sv.campaign, allowed="county_office", outsider="empty"),
    "supervision:group_create": D(kwargs=sv.campaign, allowed="county_office", outsider="empty"),
    "supervision:group_create POST": D(
        kwargs=sv.campaign,
        allowed="county_office",
        outsider="empty",
        method="POST",
        data=sv.group_create_page,
        ok=(302,),
        effect=sv.groups,
        verb="group.create",
        refused=OFFICE_ONLY,
        refusal=(403,),
    ),
    "supervision:coverage": D(kwargs=sv.campaign, allowed="county_office", outsider="empty"),
    "supervision:coverage_apply": D(
        kwargs=sv.campaign,
        allowed="county_office",
        outsider="empty",
        method="POST",
        data=sv.propose_page,
        ok=(302,),
        effect=sv.assignments,
        verb="coverage.apply",
        refused=OFFICE_ONLY,
        refusal=(403,),
    ),
    "supervision:coverage_apply POST defaults": D(
        kwargs=sv.campaign,
        allowed="county_office",
        outsider="empty",
        method="POST",
        data=lambda c: {"what": "defaults", "batch": "second"},
        ok=(302,),
        effect=sv.county_groups,
        verb="group.create",
        refused=OFFICE_ONLY,
        refusal=(403,),
    ),
    "supervision:unit": D(kwargs=sv.unit),
    "supervision:unit_confirm": D(
        kwargs=sv.township,
        allowed="township_operator",
        method="POST",
        data=lambda c: {"action": "group"},
        ok=(302,),
        effect=sv.township_work,
        verb="action.confirm",
        refused=TOWNSHIP_WORK,
        refusal=(403,),
    ),
    "supervision:unit_material": D(
        kwargs=sv.township,
        allowed="township_operator",
        method="POST",
        data=sv.township_material_page,
        ok=(302,),
        effect=sv.township_work,
        verb="material.upload",
        refused=TOWNSHIP_WORK,
        refusal=(403,),
    ),
    "supervision:unit_meeting": D(
        kwargs=sv.township,
        allowed="township_operator",
        method="POST",
        data=sv.township_meeting_page,
        ok=(302,),
        effect=sv.township_work,
        verb="meeting.record",
        refused=TOWNSHIP_WORK,
        refusal=(403,),
    ),
    "supervision:unit_submit": D(
        kwargs=sv.township,
        allowed="township_operator",
        method="POST",
        data=sv.township_ready,
        ok=(302,),
        effect=sv.township_work,
        verb="review.submit",
        refused=TOWNSHIP_WORK,
        refusal=(403,),
    ),
    "supervision:group": D(kwargs=sv.group_pk, allowed="county_office"),
    "supervision:group_member": D(
        kwargs=sv.group_pk,
        allowed="county_office",
        method="POST",
        data=sv.add_member,
        ok=(302,),
        effect=sv.members_of,
        verb="group.add_member",
        refused=(*OFFICE_ONLY, "sibling_supervisor"),
        refusal=(403, 404),
    ),
    "supervision:group_assign": D(
        kwargs=sv.group_pk,
        allowed="county_office",
        method="POST",
        data=sv.assign_page,
        ok=(302,),
        effect=sv.assignments,
        verb="assignment.create",
        refused=(*OFFICE_ONLY, "sibling_supervisor"),
        refusal=(403, 404),
    ),
    "supervision:unassign": D(
        kwargs=lambda c: {"pk": sv.world(c).assignment.pk},
        allowed="county_office",
        method="POST",
        ok=(302,),
        effect=sv.assignments,
        verb="assignment.delete",
        refused=(*OFFICE_ONLY, "sibling_supervisor"),
        refusal=(403, 404),
    ),
    "supervision:review": D(kwargs=lambda c: {"pk": sv.world(c).review.pk}),
    "supervision:review POST": D(
        kwargs=sv.review_pk,
        allowed="kit_instructor",
        method="POST",
        data=sv.decide_page,
        ok=(302,),
        effect=sv.review_state,
        verb="review.pass",
        refused=GATE,
        refusal=(403, 404),
    ),
    "supervision:material": D(kwargs=lambda c: {"pk": sv.world(c).material.pk}),
    "api:supervision-group-list": D(allowed="county_office", outsider="empty"),
    "api:supervision-group-detail": D(kwargs=sv.group_pk, allowed="county_office"),
    "api:supervision-review-list": D(outsider="empty"),
    "api:supervision-review-detail": D(kwargs=lambda c: {"pk": sv.world(c).review.pk}),
    "api:supervision-review-decide POST": D(
        kwargs=sv.review_pk,
        allowed="kit_instructor",
        method="POST",
        data=sv.decide,
        ok=(200,),
        effect=sv.review_state,
        verb="review.pass",
        refused=GATE,
        refusal=(403, 404),
    ),
    "api:supervision-campaign-coverage": D(kwargs=sv.campaign, allowed="county_office", outsider="empty"),
    # the write API: group edits belong to the dispatching county office, patrol visits to the group's
    # members, a unit's work to the unit (the township: its phase one is open). The outsider's proposal
    # touches only groups of its own subtree (none): an empty answer, nothing written.
    "supervision:group_patrol": D(
        kwargs=sv.group_pk,
        allowed="county_supervisor",
        method="POST",
        data=sv.patrol_page,
        ok=(302,),
        effect=sv.patrols,
        verb="patrol.record",
        refused=PATROL,
        refusal=(403, 404),
    ),
    "api:supervision-group-list POST": D(
        allowed="county_office",
        method="POST",
        data=sv.group_create,
        ok=(201,),
        effect=sv.groups,
        verb="group.create",
        refused=OFFICE_ONLY,
        refusal=(403,),
    ),
    "api:supervision-group-add-member POST": D(
        kwargs=sv.group_pk,
        allowed="county_office",
        method="POST",
        data=sv.add_member,
        effect=sv.members_of,
        verb="group.add_member",
        refused=(*OFFICE_ONLY, "sibling_supervisor"),
        refusal=(403, 404),
    ),
    "api:supervision-group-remove-member POST": D(
        kwargs=sv.group_pk,
        allowed="county_office",
        method="POST",
        data=lambda c: {"username": "county_supervisor"},
        effect=sv.members_of,
        verb="group.remove_member",
        refused=(*OFFICE_ONLY, "sibling_supervisor"),
        refusal=(403, 404),
    ),
    "api:supervision-group-assign POST": D(
        kwargs=sv.group_pk,
        allowed="county_office",
        method="POST",
        data=sv.assign_overlap,
        ok=(201,),
        effect=sv.assignments,
        verb="assignment.create",
        refused=(*OFFICE_ONLY, "sibling_supervisor"),
        refusal=(403, 404),
    ),
    "api:supervision-group-unassign POST": D(
        kwargs=sv.group_pk,
        allowed="county_office",
        method="POST",
        data=sv.unassign,
        ok=(204,),
        effect=sv.assignments,
        verb="assignment.delete",
        refused=(*OFFICE_ONLY, "sibling_supervisor"),
        refusal=(403, 404),
    ),
    "api:supervision-group-patrol POST": D(
        kwargs=sv.group_pk,
        allowed="county_supervisor",
        method="POST",
        data=sv.patrol,
        ok=(201,),
        effect=sv.patrols,
        verb="patrol.record",
        refused=PATROL,
        refusal=(403, 404),
    ),
    "api:supervision-campaign-propose POST": D(
        kwargs=sv.campaign,
        allowed="county_office",
        outsider="empty",
        method="POST",
        data=sv.propose,
        effect=sv.assignments,
        verb="coverage.apply",
        refused=OFFICE_ONLY,
        refusal=(403,),
    ),
    "api:supervision-campaign-unit-confirm POST": D(
        kwargs=sv.township,
        allowed="township_operator",
        method="POST",
        data=lambda c: {"action": "group"},
        effect=sv.township_work,
        verb="action.confirm",
        refused=TOWNSHIP_WORK,
        refusal=(403,),
    ),
    "api:supervision-campaign-unit-material POST": D(
        kwargs=sv.township,
        allowed="township_operator",
        method="POST",
        data=lambda c: {"action": "plan", "file": SimpleUploadedFile("实施方案.pdf", b"%PDF-1.4\n%kit\n")},
        multipart=True,
        ok=(201,),
        effect=sv.township_work,
        verb="material.upload",
        refused=TOWNSHIP_WORK,
        refusal=(403,),
    ),
    "api:supervision-campaign-unit-meeting POST": D(
        kwargs=sv.township,
        allowed="township_operator",
        method="POST",
        data=sv.township_meeting,
        ok=(201,),
        effect=sv.township_work,
        verb="meeting.record",
        refused=TOWNSHIP_WORK,
        refusal=(403,),
    ),
    "api:supervision-campaign-unit-submit POST": D(
        kwargs=sv.township,
        allowed="township_operator",
        method="POST",
        data=sv.township_ready,
        ok=(201,),
        effect=sv.township_work,
        verb="review.submit",
        refused=TOWNSHIP_WORK,
        refusal=(403,),
    ),
    # the group's Word report: the dispatching office and the group's members; liaison points: the leader's
    # calendar and attendance (the liaison leader at 武川县), the offices' overview and edits.
    "supervision:group_report": D(kwargs=sv.group_pk, allowed="county_office"),
    "supervision:group_report_docx": D(kwargs=sv.group_pk, allowed="county_supervisor"),
    "api:supervision-group-report": D(kwargs=sv.group_pk, allowed="county_office"),
    "supervision:liaison_calendar": D(kwargs=sv.with_liaison, allowed="liaison_leader", outsider="empty"),
    "supervision:liaison_attend": D(
        allowed="liaison_leader",
        method="POST",
        data=sv.attend,
        ok=(302,),
        effect=sv.attendance,
        verb="attendance.record",
        refused=("county_office", "county_operator", "county_supervisor", "township_leader"),
    ),
    "supervision:liaison_points": D(kwargs=sv.with_liaison, allowed="county_office", outsider="empty"),
    "supervision:liaison_add": D(
        allowed="county_office",
        method="POST",
        data=lambda c: {"leader": "liaison_leader", "code": c.tree.township.code, "kind": "guide"},
        ok=(302,),
        effect=sv.liaison_points,
        verb="liaison_point.add",
        refused=OFFICE_ONLY,
        # a wrong role is refused (403) before its choices are read; the outsider's choices are refused by
        # the form's pickers (outside its dispatch scope): back to the page with the Chinese error
        refusal=(403,),
        outsider="empty",
    ),
    "supervision:liaison_remove": D(
        kwargs=lambda c: {"pk": sv.liaison(c).pk},
        allowed="county_office",
        method="POST",
        ok=(302,),
        effect=sv.liaison_points,
        verb="liaison_point.remove",
        refused=OFFICE_ONLY,
    ),
    "supervision:liaison_defaults": D(
        kwargs=ck.campaign,
        allowed="county_office",
        outsider="empty",
        method="POST",
        ok=(302,),
        effect=sv.liaison_points,
        verb="liaison_point.add",
        refused=OFFICE_ONLY,
        refusal=(403,),
        note="the campaigns kit's campaign on 武川县: its leader (the liaison leader) guides one township",
    ),
    # --- campaigns (issue 4): a published campaign on 武川县 built by echelon/campaigns/tests/kit.py. Its
    # pages belong to the village (its own plan) and to the county office (schedule, what-if, publish);
    # templates hold no unit data (anyone reads them, the region office edits them).
    "campaigns:list": D(outsider="empty"),
    "campaigns:create": D(allowed="county_office", outsider="empty"),
    "campaigns:create POST": D(
        allowed="county_office",
        outsider="empty",
        method="POST",
        data=ck.create_page,
        ok=(302,),
        effect=ck.campaigns,
        verb="campaign.create",
        refused=(*OFFICE_ONLY, "village_secretary"),
        refusal=(403,),
    ),
    "campaigns:templates": D(outsider="empty"),
    "campaigns:template_create": D(allowed="region_office"),
    "campaigns:template_create POST": D(
        allowed="region_office",
        method="POST",
        data=ck.template_text,
        ok=(302,),
        effect=ck.templates,
        verb="template.create",
        refused=TEMPLATES,
        refusal=(403,),
    ),
    "campaigns:template_load": D(
        allowed="region_office",
        method="POST",
        data=lambda c: ck.LOAD,
        ok=(302,),
        effect=ck.templates,
        verb="template.load",
        refused=TEMPLATES,
        refusal=(403,),
    ),
    "campaigns:template_detail": D(kwargs=ck.template, outsider="empty"),
    "campaigns:template_edit": D(kwargs=ck.template, allowed="region_office"),
    "campaigns:template_edit POST": D(
        kwargs=ck.template,
        allowed="region_office",
        method="POST",
        data=ck.template_edit,
        ok=(302,),
        effect=ck.template_state,
        verb="template.update",
        refused=TEMPLATES,
        refusal=(403,),
    ),
    "campaigns:unit_campaigns": D(kwargs=ck.village, ok=(200, 302)),
    "campaigns:detail": D(kwargs=ck.campaign),
    "campaigns:schedule": D(
        kwargs=ck.campaign,
        allowed="county_office",
        method="POST",
        ok=(302,),
        effect=ck.scheduled_at,
        verb="campaign.schedule",
        refused=(*OFFICE_ONLY, "village_secretary"),
        refusal=(403,),
    ),
    "campaigns:what_if": D(kwargs=ck.campaign, allowed="county_office"),
    "campaigns:what_if POST": D(
        kwargs=ck.campaign,
        allowed="county_office",
        method="POST",
        data=ck.what_if_page,
        no_effect="a what-if re-plans in memory and writes nothing",
        refused=(*OFFICE_ONLY, "village_secretary"),
        refusal=(403,),
    ),
    "campaigns:publish": D(
        kwargs=ck.campaign,
        allowed="county_office",
        method="POST",
        ok=(302,),
        effect=ck.baselines,
        verb="campaign.publish",
        refused=(*OFFICE_ONLY, "village_secretary"),
        refusal=(403,),
    ),
    "campaigns:units": D(kwargs=ck.campaign),
    "campaigns:gantt": D(kwargs=ck.campaign),
    "campaigns:export_csv": D(kwargs=ck.campaign),
    "campaigns:export_xlsx": D(
        kwargs=ck.campaign,
        method="POST",
        ok=(302,),
        effect=ck.jobs,
        unaudited="submits an export job; neither the job nor the plan export is audited (orgs exports are)",
        refused=("liaison_leader", "township_leader"),
        refusal=(403,),
        note="a supervisor may export (ADR 11): not refused",
    ),
    "campaigns:unit_plan": D(kwargs=ck.unit),
    "campaigns:unit_actual": D(
        kwargs=ck.unit,
        method="POST",
        data=lambda c: ck.ACTUAL,
        ok=(302,),
        effect=ck.village_actuals,
        verb="phase_actual.record",
        refused=VILLAGE_WORK,
        refusal=(403,),
    ),
    "campaigns:unit_ical": D(kwargs=ck.unit),
    "campaigns:unit_print": D(kwargs=ck.unit),
    "api:campaign-list": D(outsider="empty"),
    "api:campaign-list POST": D(
        allowed="county_office",
        method="POST",
        data=ck.api_create,
        ok=(201,),
        effect=ck.campaigns,
        verb="campaign.create",
        refused=(*OFFICE_ONLY, "village_secretary"),
        refusal=(403,),
    ),
    "api:campaign-detail": D(kwargs=ck.campaign),
    "api:campaign-schedule POST": D(
        kwargs=ck.campaign,
        allowed="county_office",
        method="POST",
        ok=(200,),
        effect=ck.scheduled_at,
        verb="campaign.schedule",
        refused=(*OFFICE_ONLY, "village_secretary"),
        refusal=(403,),
    ),
    "api:campaign-what-if POST": D(
        kwargs=ck.campaign,
        allowed="county_office",
        method="POST",
        ok=(200,),
        data=lambda c: {"batch": "second", "changes": {"lead_days": 5}},
        no_effect="a what-if re-plans in memory and writes nothing",
        refused=(*OFFICE_ONLY, "village_secretary"),
        refusal=(403,),
    ),
    "api:campaign-publish POST": D(
        kwargs=ck.campaign,
        allowed="county_office",
        method="POST",
        ok=(200,),
        effect=ck.baselines,
        verb="campaign.publish",
        refused=(*OFFICE_ONLY, "village_secretary"),
        refusal=(403,),
    ),
    "api:campaign-plan": D(kwargs=ck.campaign),
    "api:campaign-progress": D(kwargs=ck.campaign),
    "api:campaign-unit": D(kwargs=ck.unit),
    "api:campaign-unit-actual POST": D(
        kwargs=ck.unit,
        method="POST",
        data=lambda c: ck.ACTUAL,
        ok=(200,),
        effect=ck.village_actuals,
        verb="phase_actual.record",
        refused=VILLAGE_WORK,
        refusal=(403,),
    ),
    "api:campaign-export": D(kwargs=ck.campaign),
    "api:campaign-template-list": D(outsider="empty"),
    "api:campaign-template-detail": D(kwargs=ck.template, outsider="empty"),
    # --- Django's admin: superusers only (declared as a whole, checked on its index)
    "admin:*": D(allowed="admin", note="Django admin, superusers only"),
}
# the ledger (issue 11): its API, its pages and its public side, over the objects of the API kit's world
DECLARED.update(api_kit.declarations(D))
DECLARED.update(page_kit.declarations(D))
DECLARED.update(kit_board.declarations(D))
DECLARED.update(kit_dispatch.declarations(D))
DECLARED.update(kit_reports.declarations(D))
DECLARED.update(kit_warnings.declarations(D))
DECLARED.update(kit_own.declarations(D))
DECLARED.update(kit_approval.declarations(D))
DECLARED.update(kit_review.declarations(D))
DECLARED.update(kit_cases.declarations(D))
DECLARED.update(kit_lookup.declarations(D))
DECLARED.update(kit_evaluation.declarations(D))
DECLARED.update(kit_publicity.declarations(D))
DECLARED.update(kit_appraisal.declarations(D))
DECLARED.update(kit_editing.declarations(D))


def _is_api(key: str) -> bool:
    return key.startswith("api:") or key == "api-schema"


def _key(name: str, method: str = "GET") -> str:
    return name if method == "GET" else f"{name} {method}"


@pytest.fixture
def ctx(personas, tree, settings, tmp_path) -> Ctx:
    settings.MEDIA_ROOT = tmp_path
    member = make_member(tree.village, "M-V1", name="哨兵党员")
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "dongtucheng.csv").write_text("code,name\nM-V1,哨兵党员\n", encoding="utf-8")
    job = Job.objects.create(
        kind="orgs.export_members",
        title="导出东土城村党员",
        created_by=personas["village_secretary"],
        status="succeeded",
        result_file="exports/dongtucheng.csv",
        unit_path=tree.village.path,
    )
    token, _ = account_services.token_issue(actor=None, user=personas["village_secretary"], name="kit")
    grant = Grant.objects.get(user=personas["village_secretary"])
    with transaction.atomic():
        event = audit.record(
            actor=None,
            verb="test.touch",
            obj=tree.village,
            unit_id=tree.village.pk,
            unit_path=tree.village.path,
        )
    return Ctx(tree, personas, member, job, token.pk, grant.pk, event.pk)


def _client_for(user: Any) -> Client:
    client = Client(raise_request_exception=True)
    if user is not None:
        client.force_login(user)
    return client


def _person(ctx: Ctx, name: str, admin_user: Any = None) -> Any:
    """A persona, the superuser ("admin"), or a user the route's objects created (e.g. kit_instructor)."""
    if name == "admin":
        return admin_user if admin_user is not None else User.objects.get(username="admin")
    if name in ctx.personas:  # read again: building the route's objects may have changed it (a password)
        return User.objects.get(pk=ctx.personas[name].pk)
    return User.objects.get(username=name)


def _prepare(name: str, decl: Declared, ctx: Ctx) -> tuple[str, dict[str, Any]]:
    """The URL and payload (built before counting audit events: building may use services)."""
    kwargs = decl.kwargs(ctx)
    url = reverse("admin:index") if name == "admin:*" else reverse(route_name(name), kwargs=kwargs)
    if decl.query:
        url += "?" + decl.query
    return url, decl.data(ctx)


def _rewound(data: dict[str, Any]) -> dict[str, Any]:
    """The same payload for one more request (uploaded files read from the start again)."""
    for value in data.values():
        if hasattr(value, "seek"):
            value.seek(0)
    return data


def _send(client: Client, url: str, data: dict[str, Any], decl: Declared, *, api: bool) -> Any:
    data = _rewound(data)
    if decl.method == "GET":
        return client.get(url)
    if decl.method == "DELETE":
        return client.delete(url)
    if api and not decl.multipart:
        send = {"POST": client.post, "PUT": client.put, "PATCH": client.patch}[decl.method]
        return send(url, data, content_type="application/json")
    assert decl.method == "POST", f"a page write by {decl.method}: teach the kit to send it"
    return client.post(url, data)


def _call(client: Client, name: str, decl: Declared, ctx: Ctx, *, api: bool) -> Any:
    url, data = _prepare(name, decl, ctx)
    return _send(client, url, data, decl, api=api)


def _text(response: Any) -> str:
    """The answer's text (an xlsx's cells), without the URL the caller asked for: echoing the caller's own
    request (the error page's language form keeps it as `next`) reveals nothing."""
    asked = getattr(response, "wsgi_request", None)
    text = _body(response)
    if asked is not None:
        text = text.replace(asked.get_full_path(), "").replace(asked.path, "")
    return text


def _body(response: Any) -> str:
    streaming = getattr(response, "streaming", False)
    body = b"".join(response.streaming_content) if streaming else response.content
    if body[:4] == b"PK\x03\x04":  # an xlsx: read the cells
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
        )
    return body.decode("utf-8", "replace") + " " + response.get("Location", "")


def _said(response: Any) -> str:
    """What the answer told the user: the flashed messages of a redirect, or the start of the body."""
    from django.contrib.messages import get_messages

    request = getattr(response, "wsgi_request", None)
    flashed = [str(m) for m in get_messages(request)] if request is not None else []
    if flashed:
        return "messages: " + " | ".join(flashed)
    if getattr(response, "streaming", False):
        return "(streamed)"
    body = response.content.decode("utf-8", "replace")
    errors = re.findall(
        r'class="[^"]*(?:errorlist|alert-danger|invalid-feedback)[^"]*"[^>]*>(.*?)</', body, re.S
    )
    if errors:
        return "form errors: " + " | ".join(re.sub(r"<[^>]+>|\s+", " ", e).strip() for e in errors)
    return body[:200]


def _last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _events_since(pk: int) -> list[tuple[str, int | None]]:
    return list(AuditEvent.objects.filter(pk__gt=pk).order_by("pk").values_list("verb", "actor_id"))


def _declared_routes() -> list[tuple[str, bool]]:
    keys = []
    for route in iter_routes():
        if route.pattern.startswith("admin/"):
            continue
        keys.append((route.name, route.is_api))
    return keys


def test_every_route_is_declared():
    names = {name for name, _ in _declared_routes()}
    declared = {route_name(k) for k in DECLARED}
    undeclared = sorted(n for n in names if n not in declared)
    assert not undeclared, f"declare these routes in {__file__}: {undeclared}"
    stale = sorted(route_name(k) for k in DECLARED if k != "admin:*" and route_name(k) not in names)
    assert not stale, f"declared routes that no longer exist: {stale}"


def test_every_schema_operation_is_declared():
    """Each (method, path) in the OpenAPI schema maps to a declared route and method."""
    from django.urls import resolve

    missing = []
    for method, path in schema_operations():
        concrete = path.replace("{code}", "X").replace("{id}", "1").replace("{pk}", "1")
        name = resolve(concrete).view_name
        if _key(name, method) not in DECLARED:
            missing.append(f"{method} {path} ({_key(name, method)})")
    assert not missing, f"declare these API operations: {missing}"


def test_every_write_declares_its_effect_verb_and_refusals():
    """A write route without an effect, an audit verb and the personas it must refuse fails the suite (an
    exemption says why, in words: `no_effect`, `unaudited`, `personal`)."""
    problems = write_declaration_problems(DECLARED, PERSONAS)
    assert not problems, "\n".join(problems)


def _handles_post(url: str) -> bool:
    """The page's view reads a POST (a form view, or a function that looks at request.POST/FILES/method)."""
    import inspect

    from django.urls import resolve

    view = resolve(url.split("?")[0]).func
    cls = getattr(view, "view_class", None)
    if cls is not None:
        return any(hasattr(cls, m) for m in ("post", "form_valid"))
    source = inspect.getsource(inspect.unwrap(view))
    return any(s in source for s in ("request.POST", "request.FILES", "request.method"))


@pytest.mark.django_db
def test_every_page_that_takes_a_post_declares_it(ctx: Ctx, admin_user):
    """A page declared for GET whose view handles a POST (does not answer 405, and reads the POST) is a
    write route: it needs its own declaration ("name POST"). The probe posts nothing and is rolled back.
    Pages that answer a POST like a GET without reading it are listed (they should be GET-only)."""

    missing, loose = [], []
    posted = {route_name(k) for k, d in DECLARED.items() if d.writes}
    built = dict(vars(ctx))  # the kit's context before any route's objects: each route builds its own
    for key, decl in sorted(DECLARED.items()):
        if decl.writes or _is_api(key) or key == "admin:*" or route_name(key) in posted:
            continue
        with _undone():
            user = None if decl.public else _person(ctx, decl.allowed or "village_secretary", admin_user)
            url, _data = _prepare(key, decl, ctx)
            client = Client(raise_request_exception=False)
            if user is not None:
                client.force_login(user)
            status = client.post(url, {}).status_code
        vars(ctx).clear()
        vars(ctx).update(built)
        if status == 405:
            continue
        if _handles_post(url):
            missing.append(f"{key} (POST answers {status})")
        else:
            loose.append(key)
    if loose:
        print(f"\npages that answer a POST without reading it (could be GET-only): {loose}")
    assert not missing, f"declare the POST of these pages (or make them GET-only): {missing}"


def test_kit_counts(capsys):
    """The kit's counts, for the record (`pytest -s -k test_kit_counts`)."""
    counts = kit_counts(DECLARED, PERSONAS)
    with capsys.disabled():
        print(f"\naccess kit: {counts}")
    assert counts.writes == counts.effects_checked + counts.no_effect
    assert counts.refusals_checked > 0


CASES = sorted(DECLARED)
WRITES = [k for k in CASES if DECLARED[k].writes]


@contextmanager
def _undone() -> Iterator[None]:
    """One persona's visit, undone afterwards (the database to the savepoint, the throttles' cache), so the
    next persona meets the route exactly as the first did: the route's objects are built once per route."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)
        cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("key", CASES)
def test_route(key: str, ctx: Ctx, admin_user):
    """Each declared route as every persona meets it, each visit undone before the next: the anonymous
    visitor, the outsider, the wrong roles at the right place (writes), then the allowed persona."""
    decl = DECLARED[key]
    api = _is_api(key)
    url, data = _prepare(key, decl, ctx)
    with _undone():
        _anonymous(key, decl, url, data, api=api)
    if not decl.public:
        with _undone():
            _outsider(key, decl, ctx, url, data, api=api)
    if decl.writes and (decl.refused or decl.bystanders):
        with _undone():
            _write_refused(key, decl, ctx, admin_user, url, data, api=api)
    with _undone():
        if decl.writes:
            _write_allowed(key, decl, ctx, admin_user, url, data, api=api)
        elif not decl.public:
            _allowed(key, decl, ctx, admin_user, url, data, api=api)


def _anonymous(key: str, decl: Declared, url: str, data: dict[str, Any], *, api: bool) -> None:
    response = _send(_client_for(None), url, data, decl, api=api)
    if decl.public:
        assert response.status_code in decl.ok, ("anonymous", key, response.status_code)
    elif api:
        assert response.status_code == 401, ("anonymous", key, response.content[:200])
    else:
        assert response.status_code == 302, ("anonymous", key, response.status_code)
        assert response["Location"].startswith(("/accounts/login/", "/admin/login/"))


def _outsider(key: str, decl: Declared, ctx: Ctx, url: str, data: dict[str, Any], *, api: bool) -> None:
    client = _client_for(ctx.personas["outsider"])
    effect = decl.effect(ctx) if decl.effect is not None else None
    before = _last_event()
    response = _send(client, url, data, decl, api=api)
    if decl.outsider == "deny":
        assert response.status_code in (302, 400, 403, 404), ("outsider", key, response.status_code)
        if response.status_code == 302:  # only the admin sends a non-staff user to its own login
            assert response["Location"].startswith("/admin/login/")
        assert _events_since(before) == [], f"{key}: a refused outsider's request wrote something"
    elif not decl.writes:
        assert response.status_code in decl.ok, ("outsider", key, response.status_code)
    else:  # a form refused within the page, or a campaign-wide write of the outsider's own subtree
        assert response.status_code < 500, ("outsider", key, response.status_code)
        ours = AuditEvent.objects.filter(pk__gt=before, unit_path__startswith=ctx.tree.county.path)
        assert not ours.exists(), f"{key}: the outsider wrote {list(ours.values_list('verb', flat=True))}"
    if decl.effect is not None:
        assert decl.effect(ctx) == effect, f"{key}: the outsider changed the effect"
    text = _text(response)
    for value in data.values():  # a refused form shows the caller's own input again: not a leak
        if isinstance(value, str) and len(value) > 1:
            text = text.replace(value, "")
    leaked = [s for s in SENTINELS if s in text]
    assert not leaked, f"{key} showed the outsider {leaked}"


def _allowed(
    key: str, decl: Declared, ctx: Ctx, admin_user: Any, url: str, data: dict[str, Any], *, api: bool
) -> None:
    user = _person(ctx, decl.allowed or "village_secretary", admin_user)
    response = _send(_client_for(user), url, data, decl, api=api)
    assert response.status_code in decl.ok, ("allowed", key, response.status_code, _text(response)[:300])


def _write_allowed(
    key: str, decl: Declared, ctx: Ctx, admin_user: Any, url: str, data: dict[str, Any], *, api: bool
) -> None:
    """The allowed persona's write happens: the declared status, the effect changed, and exactly one audit
    event of the route's verb, with that user as its actor."""
    user = None if decl.public else _person(ctx, decl.allowed or "village_secretary", admin_user)
    client = _client_for(user)
    effect = decl.effect(ctx) if decl.effect is not None else None
    before = _last_event()
    response = _send(client, url, data, decl, api=api)
    assert response.status_code in decl.ok, (key, response.status_code, _said(response))
    if decl.effect is not None:
        after = decl.effect(ctx)
        assert after != effect, (
            f"{key}: answered {response.status_code} but nothing changed ({_said(response)})"
        )
    events = _events_since(before)
    if decl.verb:
        mine = [(verb, actor) for verb, actor in events if verb == decl.verb]
        assert len(mine) == 1, f"{key}: expected one {decl.verb!r} event, got {events}"
        if decl.anonymous:
            expected_actor = None
        else:
            expected_actor = user.pk if user is not None else _person(ctx, "village_secretary").pk
        assert mine[0][1] == expected_actor, f"{key}: {decl.verb} recorded with actor {mine[0][1]}"
    elif decl.no_effect:
        assert events == [], f"{key}: declared without effect, yet wrote {events}"


def _write_refused(
    key: str, decl: Declared, ctx: Ctx, admin_user: Any, url: str, data: dict[str, Any], *, api: bool
) -> None:
    """Each wrong persona gets 404 (or the route's declared refusal status) and changes nothing: the effect
    reads the same, no audit event is written. A bystander may get any answer, but the allowed persona's
    effect does not change."""
    names = [*decl.refused, *decl.bystanders]
    clients = {name: _client_for(_person(ctx, name, admin_user)) for name in names}  # logins are audited
    problems = []
    for name in names:
        effect = decl.effect(ctx) if decl.effect is not None else None
        before = _last_event()
        response = _send(clients[name], url, data, decl, api=api)
        status = response.status_code
        if name in decl.refused and status not in decl.refusal:
            problems.append(f"{name}: answered {status}, expected {decl.refusal} ({_said(response)})")
        if decl.effect is not None and decl.effect(ctx) != effect:
            problems.append(f"{name}: answered {status} and the effect changed")
        written = _events_since(before)
        if name in decl.refused and written:
            problems.append(f"{name}: answered {status} and wrote {[v for v, _a in written]}")
    assert not problems, f"{key}:\n" + "\n".join(problems)
