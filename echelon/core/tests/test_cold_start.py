"""A command starts with Django and the apps' registrations only: what a hook, a page or the API needs is
imported when it runs (``core.lazy.deferred``), so that `echelon help` starts in well under a second (the
figure itself is the bench's: `python -m bench cold_start`)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from echelon.core.lazy import deferred

# Modules a cold start used to import through the apps' ready(): each pulled in a large part of the product
# (the campaign services and their spec parser, the supervision selectors, the spreadsheet exports, the
# public pages, DRF's serializers through the API's pagination).
NOT_AT_START = [
    "echelon.campaigns.services",
    "echelon.supervision.selectors",
    "echelon.supervision.todo",
    "echelon.ledger.exports",
    "echelon.ledger.views.public",
    "echelon.evaluation.views.public",
    "echelon.publicity.kinds",
    "echelon.dashboards.todo",
    "rest_framework.serializers",
]


def test_django_setup_imports_none_of_the_heavy_modules():
    code = (
        "import json, os, sys, django;"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'echelon.settings');"
        "django.setup();"
        f"print(json.dumps([m for m in {NOT_AT_START!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


def test_a_deferred_callable_imports_its_target_on_the_first_call():
    hook = deferred("echelon.core.tree.ancestor_ids")
    assert hook == deferred("echelon.core.tree.ancestor_ids") and len({hook, deferred(hook.path)}) == 1
    assert hook("0000100002") == [1, 2]
    with pytest.raises(ImportError):
        deferred("echelon.core.tree.no_such_name")()
