"""Every page and endpoint, through the generic access kit (see echelon/core/testing.py).

Add a declaration here for each new URL: the suite fails until every route and every OpenAPI operation is
declared. Personas come from echelon/conftest.py; the outsider is an office of the sibling league 包头市.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from echelon.accounts import services as account_services
from echelon.accounts.models import Grant
from echelon.campaigns.tests import kit as ck
from echelon.conftest import make_member
from echelon.core import audit
from echelon.core.models import AuditEvent, Job
from echelon.core.testing import Declared, iter_routes, schema_operations
from echelon.supervision.tests import kit as sv

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


D = Declared
DECLARED: dict[str, Declared] = {
    # --- public
    "accounts:login": D(allowed=None, public=True),
    "set_language": D(allowed=None, public=True, method="POST", data=lambda c: {"language": "en"}, ok=(302,)),
    # --- any signed-in user, nothing of the tree in them
    "home": D(ok=(302,), outsider="empty"),
    "accounts:logout": D(method="POST", ok=(302,), outsider="empty"),
    "accounts:password_change": D(outsider="empty"),
    "accounts:tokens": D(outsider="empty"),
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
    "orgs:member": D(kwargs=lambda c: {"code": c.member.code}),
    "orgs:io": D(kwargs=unit),
    "orgs:io_export": D(kwargs=lambda c: {"code": c.tree.village.code, "kind": "members", "fmt": "csv"}),
    "orgs:io_import": D(kwargs=unit, method="POST", data=_members_upload, ok=(302,)),
    "orgs:io_import_job": D(kwargs=_import_job),
    "jobs:detail": D(kwargs=lambda c: {"pk": c.job.pk}),
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
    "accounts:user_import": D(allowed="county_office", outsider="empty"),
    "accounts:user_detail": D(
        kwargs=lambda c: {"pk": c.personas["village_secretary"].pk}, allowed="county_office"
    ),
    "accounts:grant_remove": D(
        kwargs=lambda c: {"pk": c.grant_id}, allowed="county_office", method="POST", ok=(302,)
    ),
    "accounts:token_revoke": D(kwargs=lambda c: {"pk": c.token_id}, method="POST", ok=(302,)),
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
    ),
    "api:grant-detail": D(kwargs=lambda c: {"pk": c.grant_id}, allowed="county_office"),
    "api:grant-detail DELETE": D(
        kwargs=lambda c: {"pk": c.grant_id}, allowed="county_office", method="DELETE", ok=(204,)
    ),
    "api:token-list": D(outsider="empty"),
    "api:token-list POST": D(method="POST", ok=(201,), outsider="empty", data=lambda c: {"name": "kit"}),
    "api:token-detail": D(kwargs=lambda c: {"pk": c.token_id}),
    "api:token-revoke POST": D(kwargs=lambda c: {"pk": c.token_id}, method="POST", ok=(200,)),
    # --- supervision (issue 5): objects built by echelon/supervision/tests/kit.py. Group pages belong to
    # the county office that dispatched the group; unit pages to the village; the outsider's campaign-wide
    # pages (index, coverage, workbench) show only its own subtree.
    "supervision:index": D(outsider="empty"),
    "supervision:workbench": D(outsider="empty"),
    "supervision:campaign": D(kwargs=sv.campaign, allowed="county_office", outsider="empty"),
    "supervision:group_create": D(kwargs=sv.campaign, allowed="county_office", outsider="empty"),
    "supervision:coverage": D(kwargs=sv.campaign, allowed="county_office", outsider="empty"),
    "supervision:coverage_apply": D(
        kwargs=sv.campaign,
        allowed="county_office",
        outsider="empty",
        method="POST",
        data=lambda c: {"what": "propose", "batch": "second"},
        ok=(302,),
    ),
    "supervision:unit": D(kwargs=sv.unit),
    "supervision:unit_confirm": D(
        kwargs=sv.unit, method="POST", data=lambda c: {"action": "plan"}, ok=(302,)
    ),
    "supervision:unit_material": D(
        kwargs=sv.unit, method="POST", data=lambda c: {"action": "opinions"}, ok=(302,)
    ),
    "supervision:unit_meeting": D(kwargs=sv.unit, method="POST", data=lambda c: {"type": "study"}, ok=(302,)),
    "supervision:unit_submit": D(kwargs=sv.unit, method="POST", ok=(302,)),
    "supervision:group": D(kwargs=sv.group_pk, allowed="county_office"),
    "supervision:group_member": D(
        kwargs=sv.group_pk,
        allowed="county_office",
        method="POST",
        data=lambda c: {"username": "nobody"},
        ok=(302,),
    ),
    "supervision:group_assign": D(
        kwargs=sv.group_pk, allowed="county_office", method="POST", data=lambda c: {"code": "none"}, ok=(302,)
    ),
    "supervision:unassign": D(
        kwargs=lambda c: {"pk": sv.world(c).assignment.pk}, allowed="county_office", method="POST", ok=(302,)
    ),
    "supervision:review": D(kwargs=lambda c: {"pk": sv.world(c).review.pk}),
    "supervision:material": D(kwargs=lambda c: {"pk": sv.world(c).material.pk}),
    "api:supervision-group-list": D(allowed="county_office", outsider="empty"),
    "api:supervision-group-detail": D(kwargs=sv.group_pk, allowed="county_office"),
    "api:supervision-review-list": D(outsider="empty"),
    "api:supervision-review-detail": D(kwargs=lambda c: {"pk": sv.world(c).review.pk}),
    "api:supervision-review-decide POST": D(
        kwargs=lambda c: {"pk": sv.world(c).review.pk},
        allowed="admin",
        method="POST",
        data=sv.decide,
        ok=(200,),
    ),
    "api:supervision-campaign-coverage": D(kwargs=sv.campaign, allowed="county_office", outsider="empty"),
    # the write API: group edits belong to the dispatching county office, patrol visits to the group's
    # members, a unit's work to the unit (the township: its phase one is open). The outsider's proposal
    # touches only groups of its own subtree (none): an empty answer, nothing written.
    "supervision:group_patrol": D(
        kwargs=sv.group_pk, allowed="county_supervisor", method="POST", data=sv.patrol, ok=(302,)
    ),
    "api:supervision-group-list POST": D(
        allowed="county_office", method="POST", data=sv.group_create, ok=(201,)
    ),
    "api:supervision-group-add-member POST": D(
        kwargs=sv.group_pk,
        allowed="county_office",
        method="POST",
        data=lambda c: {"username": "village_secretary"},
    ),
    "api:supervision-group-remove-member POST": D(
        kwargs=sv.group_pk,
        allowed="county_office",
        method="POST",
        data=lambda c: {"username": "county_supervisor"},
    ),
    "api:supervision-group-assign POST": D(
        kwargs=sv.group_pk, allowed="county_office", method="POST", data=sv.assign, ok=(201,)
    ),
    "api:supervision-group-unassign POST": D(
        kwargs=sv.group_pk, allowed="county_office", method="POST", data=sv.unassign, ok=(204,)
    ),
    "api:supervision-group-patrol POST": D(
        kwargs=sv.group_pk, allowed="county_supervisor", method="POST", data=sv.patrol, ok=(201,)
    ),
    "api:supervision-campaign-propose POST": D(
        kwargs=sv.campaign,
        allowed="county_office",
        outsider="empty",
        method="POST",
        data=lambda c: {"batch": "second"},
    ),
    "api:supervision-campaign-unit-confirm POST": D(
        kwargs=sv.township, allowed="township_operator", method="POST", data=lambda c: {"action": "group"}
    ),
    "api:supervision-campaign-unit-material POST": D(
        kwargs=sv.township,
        allowed="township_operator",
        method="POST",
        data=lambda c: {"action": "plan", "file": SimpleUploadedFile("实施方案.pdf", b"%PDF-1.4\n%kit\n")},
        multipart=True,
        ok=(201,),
    ),
    "api:supervision-campaign-unit-meeting POST": D(
        kwargs=sv.township, allowed="township_operator", method="POST", data=sv.township_meeting, ok=(201,)
    ),
    "api:supervision-campaign-unit-submit POST": D(
        kwargs=sv.township, allowed="township_operator", method="POST", data=sv.township_ready, ok=(201,)
    ),
    # the group's Word report: the dispatching office and the group's members; liaison points: the leader's
    # calendar and attendance (the liaison leader at 武川县), the offices' overview and edits; notifications
    # are personal (anyone signed in sees only their own).
    "supervision:group_report": D(kwargs=sv.group_pk, allowed="county_office"),
    "supervision:group_report_docx": D(kwargs=sv.group_pk, allowed="county_supervisor"),
    "api:supervision-group-report": D(kwargs=sv.group_pk, allowed="county_office"),
    "supervision:liaison_calendar": D(kwargs=sv.with_liaison, allowed="liaison_leader", outsider="empty"),
    "supervision:liaison_attend": D(allowed="liaison_leader", method="POST", data=sv.attend, ok=(302,)),
    "supervision:liaison_points": D(kwargs=sv.with_liaison, allowed="county_office", outsider="empty"),
    "supervision:liaison_add": D(
        allowed="county_office",
        method="POST",
        data=lambda c: {"leader": "liaison_leader", "code": c.tree.township.code, "kind": "guide"},
        ok=(302,),
    ),
    "supervision:liaison_remove": D(
        kwargs=lambda c: {"pk": sv.liaison(c).pk}, allowed="county_office", method="POST", ok=(302,)
    ),
    "supervision:liaison_defaults": D(
        kwargs=sv.campaign, allowed="county_office", outsider="empty", method="POST", ok=(302,)
    ),
    "supervision:notifications": D(outsider="empty"),
    "supervision:notifications_read": D(method="POST", ok=(302,), outsider="empty"),
    # --- campaigns (issue 4): a published campaign on 武川县 built by echelon/campaigns/tests/kit.py. Its
    # pages belong to the village (its own plan) and to the county office (schedule, what-if, publish);
    # templates hold no unit data (anyone reads them, the region office edits them).
    "campaigns:list": D(outsider="empty"),
    "campaigns:create": D(allowed="county_office", outsider="empty"),
    "campaigns:templates": D(outsider="empty"),
    "campaigns:template_create": D(allowed="region_office"),
    "campaigns:template_load": D(allowed="region_office", method="POST", data=lambda c: ck.LOAD, ok=(302,)),
    "campaigns:template_detail": D(kwargs=ck.template, outsider="empty"),
    "campaigns:template_edit": D(kwargs=ck.template, allowed="region_office"),
    "campaigns:unit_campaigns": D(kwargs=ck.village, ok=(200, 302)),
    "campaigns:detail": D(kwargs=ck.campaign),
    "campaigns:schedule": D(kwargs=ck.campaign, allowed="county_office", method="POST", ok=(302,)),
    "campaigns:what_if": D(kwargs=ck.campaign, allowed="county_office"),
    "campaigns:publish": D(kwargs=ck.campaign, allowed="county_office", method="POST", ok=(302,)),
    "campaigns:units": D(kwargs=ck.campaign),
    "campaigns:gantt": D(kwargs=ck.campaign),
    "campaigns:export_csv": D(kwargs=ck.campaign),
    "campaigns:export_xlsx": D(kwargs=ck.campaign, method="POST", ok=(302,)),
    "campaigns:unit_plan": D(kwargs=ck.unit),
    "campaigns:unit_actual": D(kwargs=ck.unit, method="POST", data=lambda c: ck.ACTUAL, ok=(302,)),
    "campaigns:unit_ical": D(kwargs=ck.unit),
    "campaigns:unit_print": D(kwargs=ck.unit),
    "api:campaign-list": D(outsider="empty"),
    "api:campaign-list POST": D(allowed="county_office", method="POST", data=ck.api_create, ok=(201,)),
    "api:campaign-detail": D(kwargs=ck.campaign),
    "api:campaign-schedule POST": D(kwargs=ck.campaign, allowed="county_office", method="POST", ok=(200,)),
    "api:campaign-what-if POST": D(
        kwargs=ck.campaign,
        allowed="county_office",
        method="POST",
        ok=(200,),
        data=lambda c: {"batch": "second", "changes": {"lead_days": 5}},
    ),
    "api:campaign-publish POST": D(kwargs=ck.campaign, allowed="county_office", method="POST", ok=(200,)),
    "api:campaign-plan": D(kwargs=ck.campaign),
    "api:campaign-progress": D(kwargs=ck.campaign),
    "api:campaign-unit": D(kwargs=ck.unit),
    "api:campaign-unit-actual POST": D(kwargs=ck.unit, method="POST", data=lambda c: ck.ACTUAL, ok=(200,)),
    "api:campaign-export": D(kwargs=ck.campaign),
    "api:campaign-template-list": D(outsider="empty"),
    "api:campaign-template-detail": D(kwargs=ck.template, outsider="empty"),
    # --- Django's admin: superusers only (declared as a whole, checked on its index)
    "admin:*": D(allowed="admin", note="Django admin, superusers only"),
}


def _is_api(key: str) -> bool:
    return key.startswith("api:") or key == "api-schema"


def _key(name: str, method: str = "GET") -> str:
    return name if method == "GET" else f"{name} {method}"


@pytest.fixture
def ctx(personas, tree, settings, tmp_path) -> Ctx:
    from django.db import transaction

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
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _prepare(name: str, decl: Declared, ctx: Ctx) -> tuple[str, dict[str, Any]]:
    """The URL and payload (built before counting audit events: building may use services)."""
    if name == "admin:*":
        url = reverse("admin:index")
    else:
        url = reverse(name.split(" ")[0], kwargs=decl.kwargs(ctx))
    if decl.query:
        url += "?" + decl.query
    return url, decl.data(ctx)


def _send(client: Client, url: str, data: dict[str, Any], decl: Declared, *, api: bool) -> Any:
    if decl.method == "GET":
        return client.get(url)
    if decl.method == "DELETE":
        return client.delete(url)
    if api and not decl.multipart:
        return client.post(url, data, content_type="application/json")
    return client.post(url, data)


def _call(client: Client, name: str, decl: Declared, ctx: Ctx, *, api: bool) -> Any:
    url, data = _prepare(name, decl, ctx)
    return _send(client, url, data, decl, api=api)


def _text(response: Any) -> str:
    streaming = getattr(response, "streaming", False)
    body = b"".join(response.streaming_content) if streaming else response.content
    if body[:4] == b"PK\x03\x04":  # an xlsx: read the cells
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
        )
    return body.decode("utf-8", "replace") + " " + response.get("Location", "")


def _declared_routes() -> list[tuple[str, bool]]:
    keys = []
    for route in iter_routes():
        if route.pattern.startswith("admin/"):
            continue
        keys.append((route.name, route.is_api))
    return keys


def test_every_route_is_declared():
    names = {name for name, _ in _declared_routes()}
    declared = {k.split(" ")[0] for k in DECLARED}
    undeclared = sorted(n for n in names if n not in declared)
    assert not undeclared, f"declare these routes in {__file__}: {undeclared}"
    stale = sorted(k.split(" ")[0] for k in DECLARED if k != "admin:*" and k.split(" ")[0] not in names)
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


CASES = sorted(DECLARED)


@pytest.mark.django_db
@pytest.mark.parametrize("key", CASES)
def test_anonymous(key: str, ctx: Ctx):
    decl = DECLARED[key]
    api = _is_api(key)
    response = _call(_client_for(None), key, decl, ctx, api=api)
    if decl.public:
        assert response.status_code in decl.ok
    elif api:
        assert response.status_code == 401, response.content[:200]
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(("/accounts/login/", "/admin/login/"))


@pytest.mark.django_db
@pytest.mark.parametrize("key", [k for k in CASES if not DECLARED[k].public])
def test_outsider(key: str, ctx: Ctx):
    decl = DECLARED[key]
    api = _is_api(key)
    client = _client_for(ctx.personas["outsider"])
    url, data = _prepare(key, decl, ctx)
    before = AuditEvent.objects.count()
    response = _send(client, url, data, decl, api=api)
    if decl.outsider == "deny":
        assert response.status_code in (302, 400, 403, 404), (key, response.status_code)
        if response.status_code == 302:  # only the admin sends a non-staff user to its own login
            assert response["Location"].startswith("/admin/login/")
        assert AuditEvent.objects.count() == before, "a refused request wrote something"
    else:
        assert response.status_code in decl.ok, (key, response.status_code)
    text = _text(response)
    leaked = [s for s in SENTINELS if s in text]
    assert not leaked, f"{key} showed the outsider {leaked}"


@pytest.mark.django_db
@pytest.mark.parametrize("key", [k for k in CASES if not DECLARED[k].public])
def test_allowed(key: str, ctx: Ctx, admin_user):
    decl = DECLARED[key]
    user = admin_user if decl.allowed == "admin" else ctx.personas[decl.allowed or "village_secretary"]
    response = _call(_client_for(user), key, decl, ctx, api=_is_api(key))
    assert response.status_code in decl.ok, (key, response.status_code, _text(response)[:300])
