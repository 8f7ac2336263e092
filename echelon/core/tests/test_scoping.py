"""Scoped by construction, and one way from a request to a service (issue 9, items 1 and 2).

``core.querysets.scoped_object`` fetches an object named by an id or a code through ``visible_to``; every API
viewset declares its scope; no view catches a service's ``ValidationError`` or ``PermissionDenied`` itself
(pages use ``core.pages.attempt``, the API ``core.api.exceptions``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import get_resolver
from rest_framework import viewsets

from echelon.core.api.base import ScopedViewSetMixin, UnscopedViewSetMixin
from echelon.core.models import Job
from echelon.core.querysets import in_scope, scoped_object
from echelon.orgs.models import Unit

ECHELON = Path(__file__).resolve().parents[2]


class TestScopedObject:
    def test_in_scope_is_the_object(self, tree, personas):
        unit = scoped_object(personas["county_office"], Unit.objects, code=tree.village.code)
        assert unit == tree.village
        assert (
            scoped_object(personas["county_office"], Unit.objects, "change", pk=tree.village.pk)
            == tree.village
        )

    def test_out_of_scope_is_404(self, tree, personas):
        with pytest.raises(Http404):
            scoped_object(personas["outsider"], Unit.objects, code=tree.village.code)
        with pytest.raises(Http404):  # missing looks the same
            scoped_object(personas["county_office"], Unit.objects, code="no-such-code")

    def test_the_wrong_action_is_404(self, tree, personas):
        leader = personas["liaison_leader"]  # a leader at the county: sees it, changes nothing
        assert scoped_object(leader, Unit.objects, code=tree.village.code) == tree.village
        with pytest.raises(Http404):
            scoped_object(leader, Unit.objects, "change", code=tree.village.code)

    def test_otherwise_names_the_refusal(self, tree, personas):
        refusal = ValidationError({"code": ["找不到该组织。"]})
        with pytest.raises(ValidationError) as raised:
            scoped_object(personas["outsider"], Unit.objects, code=tree.village.code, otherwise=refusal)
        assert raised.value is refusal

    def test_a_queryset_with_its_own_rule(self, personas):
        job = Job.objects.create(kind="k", title="t", created_by=personas["county_office"])
        assert scoped_object(personas["county_office"], Job.objects, pk=job.pk) == job
        with pytest.raises(Http404):  # jobs are their owner's only, whatever the grants
            scoped_object(personas["region_office"], Job.objects, pk=job.pk)

    def test_the_system_sees_everything(self, tree):
        assert (
            scoped_object(None, Unit.objects, "change", code=tree.sibling_village.code)
            == tree.sibling_village
        )
        assert in_scope(None, Unit.objects).count() == Unit.objects.count()


def _views_files() -> list[Path]:
    """Views, API views and management commands: everything that turns a request into a service call."""
    files = [*ECHELON.glob("*/views.py"), *ECHELON.glob("*/views/*.py"), *ECHELON.glob("*/api/views.py")]
    files += ECHELON.glob("*/management/commands/*.py")
    assert len(files) >= 8, files
    return files


SERVICE_ERRORS = {"ValidationError", "PermissionDenied", "AlreadyDecided", "Conflict"}


def _caught(handler: ast.ExceptHandler) -> set[str]:
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "") for n in names if n is not None}


def test_no_view_catches_a_service_refusal():
    """Pages run services through ``core.pages.attempt``; the API lets ``core.api.exceptions`` answer;
    commands go through ``core.commands.run_service``."""
    found = []
    for path in _views_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and _caught(node) & SERVICE_ERRORS:
                found.append(f"{path.relative_to(ECHELON)}:{node.lineno}")
            if isinstance(node, ast.FunctionDef) and node.name in {"_errors", "_service_errors"}:
                found.append(f"{path.relative_to(ECHELON)}:{node.lineno} {node.name}")
    assert not found, found


def _subclasses(cls: type) -> set[type]:
    subs: list[type] = cls.__subclasses__()
    return {*subs, *(s for sub in subs for s in _subclasses(sub))}


def test_every_viewset_declares_its_scope():
    get_resolver().url_patterns  # noqa: B018  (imports every API module)
    ours = {v for v in _subclasses(viewsets.GenericViewSet) if v.__module__.startswith("echelon.")}
    ours = {v for v in ours if "tests" not in v.__module__}
    assert len(ours) >= 12, sorted(v.__name__ for v in ours)
    undeclared = sorted(
        v.__name__ for v in ours if not issubclass(v, ScopedViewSetMixin | UnscopedViewSetMixin)
    )
    assert not undeclared, undeclared
