"""schemathesis over the whole OpenAPI schema, as the region office, on the small tree (issue 15).

Every operation of the schema gets a few generated requests, valid and invalid ones (schemathesis's positive
and negative modes), sent in-process to the WSGI application with the region office's API token. Checks, on
every answer, refusals (4xx) included: no server error; its status is one the operation documents
(``status_code_conformance``); its content type and body are the schema's (``content_type_conformance``,
``response_schema_conformance``). Refusals are the API's one ``Error`` body, listed on every operation by
``echelon.core.api.schema.error_responses``. The data behind it is the conftest tree and personas plus the
supervision kit's scheduled campaign (groups, an open review, materials); half the cases have their path
parameters replaced by ones that exist, so requests get past 404.

Few examples per operation keep it cheap for CI (``FUZZ_EXAMPLES``, default 2 per mode and path choice: about
1,000 requests over 161 operations, a minute of CPU); dig deeper by hand with ``FUZZ_EXAMPLES=50 pytest -p
no:randomly -n 0 -s echelon/core/tests/test_fuzz_api.py``. The seed is fixed (``FUZZ_SEED`` changes it) so
that a failure reproduces; failing operations are listed at the end, and the run's counts (operations,
requests by status class) are printed in pytest's summary (run it with ``-n 0``; with ``-s`` too).

The operations run in one test, one Hypothesis run each, rather than through ``schema.parametrize()``: one
database and tree for all of them instead of building the world a hundred and fifty times (and the lazy
``from_fixture`` loader of schemathesis 4.32 does not run under pytest 9)."""

from __future__ import annotations

import os
from collections import Counter
from types import SimpleNamespace

import jsonschema_rs
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from echelon.accounts import services as account_services
from echelon.core.api.schema import REF
from echelon.supervision.tests import kit
from echelon.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2"))
SEED = int(os.environ.get("FUZZ_SEED", "2014"))
# Every answer, refusals included: its status is documented, and its content type and body are the schema's.
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def keep_connection():
    """The WSGI handler closes the database connection at each request's start and end (Django's test
    client switches that off); so does this, or on PostgreSQL the test's transaction would be closed."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(personas, tree, keep_connection):
    found = kit.world(SimpleNamespace(tree=tree, personas=personas))
    return SimpleNamespace(found=found, tree=tree, office=personas["region_office"])


def real_path_parameters(path: str, world) -> dict[str, object]:
    """Path parameters that name rows of the world: the campaign, its groups and review, the village."""
    found = world.found
    ids = {
        "/api/v1/supervision/groups/": found.group.pk,
        "/api/v1/supervision/reviews/": found.review.pk,
        "/api/v1/supervision/campaigns/": found.campaign.pk,
        "/api/v1/campaigns/": found.campaign.pk,
    }
    out: dict[str, object] = {}
    if "{id}" in path:
        out["id"] = next((pk for prefix, pk in ids.items() if path.startswith(prefix)), 1)
    if "{code}" in path:
        out["code"] = world.tree.village.code
    return out


def operations():
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    for result in schema.get_all_operations():
        yield result.ok()


def fuzz(operation, world, statuses: Counter[int]) -> list[str]:
    """Run one operation's cases; the failures, as text. Counts the answers' statuses in ``statuses``."""
    real = real_path_parameters(operation.path, world)
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        if real:
            strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=real))
    failures: list[str] = []
    # A fresh token for each operation: the fuzzer may well revoke the one it is given (tokens/{id}/revoke).
    _, key = account_services.token_issue(actor=None, user=world.office, name="fuzz")
    headers = {"Authorization": f"Token {key}"}

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES * len(strategies),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(case=st.one_of(strategies))
    def run(case) -> None:
        response = case.call(app=application, headers=headers)
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(
                f"{operation.label}: {response.status_code} {case.formatted_path} {response.text[:300]}"
            )
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            failures.append(f"{operation.label}: {case.formatted_path} {group}")

    run()
    return failures


class Summary:
    """Prints the run's figures at the end of pytest's output (without xdist; with it, run ``-n 0``)."""

    def __init__(self, line: str) -> None:
        self.line = line

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.write_line(self.line)


def test_every_operation_answers_without_a_server_error_and_as_its_schema_says(world, request):
    failures: list[str] = []
    labels = set()
    statuses: Counter[int] = Counter()
    for operation in operations():
        labels.add(operation.label)
        failures += fuzz(operation, world, statuses)
    by_class = ", ".join(
        f"{c}xx {sum(n for s, n in statuses.items() if s // 100 == c)}"
        for c in sorted({s // 100 for s in statuses})
    )
    line = (
        f"API fuzz: {len(labels)} operations, {statuses.total()} generated requests ({by_class}), "
        f"{len(failures)} failures; FUZZ_EXAMPLES={EXAMPLES} FUZZ_SEED={SEED}"
    )
    print(line)
    request.config.pluginmanager.register(Summary(line))
    assert len(labels) > 100
    assert not failures, "\n\n".join(failures[:60])


@pytest.mark.parametrize("value", ["-4.658778379084031e+238", "99999999999999999999999", "1.5"])
def test_an_id_filter_beyond_any_key_is_refused_not_a_server_error(personas, value):
    """Found by the fuzzer: ``?task=-4.6e238`` on the hand-overs reached the database as an integer no column
    holds (500 on SQLite and PostgreSQL). ``core.filters.IdFilter`` refuses it with a 400."""
    client = APIClient()
    client.force_login(personas["region_office"])
    response = client.get("/api/v1/ledger/handovers/", {"task": value})
    assert response.status_code == 400 and "task" in response.json()
    assert client.get("/api/v1/ledger/handovers/", {"task": "12"}).status_code == 200


@pytest.fixture(scope="module")
def document():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_refusal_of_every_operation_is_the_one_error_body(document):
    """``core.api.schema.error_responses``: no operation keeps an error body of its own, and every operation
    that authenticates lists 401 and 403."""
    assert set(document["components"]["schemas"]) >= {"Error"}
    assert not {"UnitError", "LedgerError", "PublicMessage"} & set(document["components"]["schemas"])
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code, response in responses.items():
                if code.startswith("4"):
                    assert response["content"] == {"application/json": {"schema": REF}}, (method, path, code)
                    assert response["description"], (method, path, code)
            if not path.startswith("/api/v1/public/"):
                assert {"401", "403"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "415"} <= set(responses), (method, path)
    assert "429" in document["paths"]["/api/v1/units/lookup/"]["get"]["responses"]  # throttled
    assert "401" not in document["paths"]["/api/v1/public/opinions/"]["post"]["responses"]  # no login


def test_the_error_body_holds_what_the_api_answers(document, personas, tree):
    """Real refusals, one of each kind, validated against the ``Error`` component."""
    validator = jsonschema_rs.validator_for(document["components"]["schemas"]["Error"])
    office = APIClient()
    office.force_login(personas["county_office"])
    answers = [
        APIClient().get("/api/v1/units/"),  # 401
        APIClient().get("/api/v1/units/", HTTP_AUTHORIZATION="Token nope"),  # 401
        office.get("/api/v1/supervision/reviews/999999/"),  # 404
        office.delete("/api/v1/units/"),  # 405
        office.post("/api/v1/tokens/", "{not json", content_type="application/json"),  # 400 parse error
        office.post("/api/v1/tokens/", "name=x", content_type="text/plain"),  # 415
        office.post("/api/v1/users/", {"username": ""}, format="json"),  # 400 by field
        office.post(  # 400 of a service: a list under detail
            "/api/v1/users/",
            {
                "username": "county_office",
                "password": "Long-enough-2014",
                "unit_code": tree.village.code,
                "role": "operator",
            },
            format="json",
        ),
        office.post("/api/v1/units/", {"name": "\u202e"}, format="json"),  # 400 of the middleware
        office.get("/api/v1/ledger/handovers/", {"task": "1.5"}),  # 400 of a filter
    ]
    statuses = sorted({a.status_code for a in answers})
    assert statuses == [400, 401, 404, 405, 415]
    for answer in answers:
        body = answer.json()
        assert validator.is_valid(body), (answer.status_code, body)
    for wrong in (["a list"], {"detail": 3}, {"field": "not a list"}):
        assert not validator.is_valid(wrong)
