"""A command starts with Django and the apps' registrations only: what a hook, a page or the API needs is
imported when it runs (``core.lazy.deferred``), so that `echelon help` starts in well under a second (the
figure itself is the bench's: `python -m bench cold_start`)."""

from __future__ import annotations

import json
import os
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


def test_the_command_line_on_sqlite_loads_every_url_and_view_without_django_contrib_postgres(tmp_path):
    """`echelon` keeps django.contrib.postgres out on SQLite (echelon/manage.py): the system checks, which
    import the URLconf and so every view, still pass without it."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    code = (
        "import sys; sys.argv = ['echelon', 'check']; from echelon.manage import main; main();"
        "print('postgres' if 'django.contrib.postgres.fields' in sys.modules and "
        "sys.modules['django.contrib.postgres.fields'] is not None else 'no postgres')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert out.strip().splitlines()[-1] == "no postgres"


def test_a_deferred_callable_imports_its_target_on_the_first_call():
    hook = deferred("echelon.core.tree.ancestor_ids")
    assert hook == deferred("echelon.core.tree.ancestor_ids") and len({hook, deferred(hook.path)}) == 1
    assert hook("0000100002") == [1, 2]
    with pytest.raises(ImportError):
        deferred("echelon.core.tree.no_such_name")()
