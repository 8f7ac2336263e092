"""Every page and endpoint, through the generic access kit (see echelon/core/testing.py).

Add a declaration here for each new URL: the suite fails until every route and every OpenAPI operation is
declared. Personas come from echelon/conftest.py; the outsider is an office of the sibling league 包头市.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from echelon.accounts import services as account_services
from echelon.accounts.models import Grant
from echelon.conftest import make_member
from echelon.core import audit
from echelon.core.models import AuditEvent, Job
from echelon.core.testing import Declared, iter_routes, schema_operations

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
    "accounts:user_detail": D(kwargs=lambda c: {"pk": c.personas["village_secretary"].pk}, allowed="county_office"),
    "accounts:grant_remove": D(kwargs=lambda c: {"pk": c.grant_id}, allowed="county_office", method="POST", ok=(302,)),
    "accounts:token_revoke": D(kwargs=lambda c: {"pk": c.token_id}, method="POST", ok=(302,)),
    "audit:list": D(allowed="county_office", outsider="empty"),
    "audit:export": D(allowed="county_office", outsider="empty"),
    "api:audit-list": D(allowed="county_office", outsider="empty"),
    "api:audit-detail": D(kwargs=lambda c: {"pk": c.event_id}, allowed="county_office"),
    "api:user-list": D(allowed="county_office", outsider="empty"),
    "api:user-list POST": D(
        allowed="county_office", method="POST", ok=(201,),
        data=lambda c: {"username": "new_clerk", "password": "A-long-pass-2014", "unit_code": c.tree.village.code,
                        "role": "operator"},
    ),
    "api:user-detail": D(kwargs=lambda c: {"pk": c.personas["village_secretary"].pk}, allowed="county_office"),
    "api:grant-list": D(allowed="county_office", outsider="empty"),
    "api:grant-list POST": D(
        allowed="county_office", method="POST", ok=(201,),
        data=lambda c: {"username": "village_secretary", "unit_code": c.tree.village.code, "role": "leader"},
    ),
    "api:grant-detail": D(kwargs=lambda c: {"pk": c.grant_id}, allowed="county_office"),
    "api:grant-detail DELETE": D(kwargs=lambda c: {"pk": c.grant_id}, allowed="county_office", method="DELETE",
                                 ok=(204,)),
    "api:token-list": D(outsider="empty"),
    "api:token-list POST": D(method="POST", ok=(201,), outsider="empty", data=lambda c: {"name": "kit"}),
    "api:token-detail": D(kwargs=lambda c: {"pk": c.token_id}),
    "api:token-revoke POST": D(kwargs=lambda c: {"pk": c.token_id}, method="POST", ok=(200,)),
    # --- Django's admin: superusers only (declared as a whole, checked on its index)
    "admin:*": D(allowed="admin", note="Django admin, superusers only"),
}


def _is_api(key: str) -> bool:
    return key.startswith("api:") or key == "api-schema"


def _key(name: str, method: str = "GET") -> str:
    return name if method == "GET" else f"{name} {method}"


@pytest.fixture
def ctx(personas, tree, settings, tmp_path) -> Ctx:  # type: ignore[no-untyped-def]
    from django.db import transaction

    settings.MEDIA_ROOT = tmp_path
    member = make_member(tree.village, "M-V1", name="哨兵党员")
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "dongtucheng.csv").write_text("code,name\nM-V1,哨兵党员\n", encoding="utf-8")
    job = Job.objects.create(kind="orgs.export_members", title="导出东土城村党员", created_by=personas["village_secretary"],
                             status="succeeded", result_file="exports/dongtucheng.csv", unit_path=tree.village.path)
    token, _ = account_services.token_issue(actor=None, user=personas["village_secretary"], name="kit")
    grant = Grant.objects.get(user=personas["village_secretary"])
    with transaction.atomic():
        event = audit.record(actor=None, verb="test.touch", obj=tree.village, unit_id=tree.village.pk,
                             unit_path=tree.village.path)
    return Ctx(tree, personas, member, job, token.pk, grant.pk, event.pk)


def _client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _call(client: Client, name: str, decl: Declared, ctx: Ctx, *, api: bool) -> Any:
    if name == "admin:*":
        url = reverse("admin:index")
    else:
        url = reverse(name.split(" ")[0], kwargs=decl.kwargs(ctx))
    if decl.query:
        url += "?" + decl.query
    data = decl.data(ctx)
    if decl.method == "GET":
        return client.get(url)
    if decl.method == "DELETE":
        return client.delete(url)
    if api:
        return client.post(url, data, content_type="application/json")
    return client.post(url, data)


def _text(response: Any) -> str:
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if body[:4] == b"PK\x03\x04":  # an xlsx: read the cells
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row)
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
    before = AuditEvent.objects.count()
    response = _call(client, key, decl, ctx, api=api)
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
