"""The layers (ADR 13) where import-linter cannot look: strings.

`lint-imports` (in `make lint`) checks every Python import against the layers contract in pyproject.toml. A
dependency can also hide in a string: a model relation ("orgs.Unit"), a URL name (`{% url 'campaigns:…' %}`,
`reverse("orgs:…")`), a template include, an `apps.get_model` call. These tests read the same layer order
from pyproject.toml and check that such strings point down (or sideways within one app) too.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import URLResolver, get_resolver

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "echelon"


def _layer_ranks() -> dict[str, int]:
    """App label → rank (0 = core); apps in one layer share a rank."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["id"] == "layers"]
    ranks: dict[str, int] = {}
    for rank, layer in enumerate(reversed(contract["layers"])):
        for module in re.split(r"[|:]", layer):
            ranks[module.strip().strip("()").removeprefix("echelon.")] = rank
    return ranks


RANKS = _layer_ranks()
LAYERED_APPS = sorted(app for app in RANKS if (PACKAGE / app).is_dir())


def _runtime_sources(app: str) -> list[Path]:
    return [
        p
        for p in sorted((PACKAGE / app).rglob("*.py"))
        if not {"tests", "migrations"} & set(p.relative_to(PACKAGE).parts)
    ]


def _templates(app: str) -> list[Path]:
    return sorted((PACKAGE / app / "templates").rglob("*.html"))


def _app_of_module(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "echelon" and parts[1] in RANKS else None


def _namespace_apps() -> dict[str, str]:
    """URL namespace → the layered app whose URLconf defines it ("jobs" and "audit" are core's)."""
    found: dict[str, str] = {}

    def callbacks(resolver: URLResolver) -> list[Any]:
        out: list[Any] = []
        for pattern in resolver.url_patterns:
            out.extend(callbacks(pattern) if isinstance(pattern, URLResolver) else [pattern.callback])
        return out

    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        conf = resolver.urlconf_name
        if isinstance(conf, str):
            modules = [conf]
        elif hasattr(conf, "__name__"):
            modules = [conf.__name__]
        else:
            modules = [cb.__module__ for cb in callbacks(resolver)]
        owners = {app for app in map(_app_of_module, modules) if app}
        if len(owners) == 1:
            found[namespace] = owners.pop()
    return found


def test_the_layers_are_read_from_the_contract():
    assert RANKS["core"] < RANKS["orgs"] < RANKS["accounts"] < RANKS["campaigns"] < RANKS["supervision"]
    assert RANKS["api"] == RANKS["demo"] > RANKS["supervision"]
    assert {"core", "orgs", "accounts", "campaigns", "supervision", "api"} <= set(LAYERED_APPS)


def test_no_get_model_strings_in_runtime_code():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for app in LAYERED_APPS
        for path in _runtime_sources(app)
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bget_model\(", line)
    ]
    assert offenders == [], "import the model instead (ADR 13)"


def test_model_relations_point_down():
    """A foreign key names a model of its own layer or below; the user model (`AUTH_USER_MODEL`) is Django's
    swappable contract and may be named from any layer."""
    upward = []
    for model in apps.get_models():
        app = _app_of_module(model.__module__)
        if app is None:
            continue
        for field in [*model._meta.fields, *model._meta.many_to_many]:
            target = field.related_model
            if target is None or target._meta.label == settings.AUTH_USER_MODEL:
                continue
            target_app = _app_of_module(target.__module__)
            if target_app and RANKS[target_app] > RANKS[app]:
                upward.append(f"{model._meta.label}.{field.name} → {target._meta.label}")
    assert upward == []


def test_url_names_and_templates_point_down():
    """Templates and runtime code of an app name URLs and include templates of its own layer or below."""
    namespaces = _namespace_apps()
    assert namespaces.get("jobs") == "core" and namespaces.get("orgs") == "orgs"
    upward = []
    for app in LAYERED_APPS:
        for path in _templates(app):
            text = path.read_text()
            refs = [("url", ns) for ns in re.findall(r"\{%\s*url\s+['\"]([\w-]+):", text)]
            refs += [
                ("template", label)
                for label in re.findall(r"\{%\s*(?:include|extends)\s+['\"]([\w-]+)/", text)
            ]
            for kind, name in refs:
                target = namespaces.get(name) if kind == "url" else (name if name in RANKS else None)
                if target and RANKS[target] > RANKS[app]:
                    upward.append(f"{path.relative_to(ROOT)}: {kind} {name}")
        for path in _runtime_sources(app):
            for ns in re.findall(r"['\"]([\w-]+):[\w-]+['\"]", path.read_text()):
                target = namespaces.get(ns)
                if target and RANKS[target] > RANKS[app]:
                    upward.append(f"{path.relative_to(ROOT)}: url {ns}")
    assert upward == [], "register the entry from the higher app (echelon.core.navigation) instead"


@pytest.mark.parametrize("module", ["echelon.core.filters", "echelon.core.navigation", "echelon.core.views"])
def test_core_modules_name_no_domain_app(module):
    """Core's hooks are filled by the apps (unit-code lookup, menus, the home page): no app name in core."""
    source = (ROOT / (module.replace(".", "/") + ".py")).read_text()
    for app in ("orgs", "accounts", "campaigns", "supervision"):
        assert not re.search(rf"['\"]{app}[:.]", source), app
