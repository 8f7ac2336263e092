"""Audit verbs (ADR 3) are ``<entity>.<verb>`` constants of each app's ``verbs`` module, never raw strings.

An AST scan of the runtime code (``echelon/**/*.py`` outside tests, migrations and test support): every
``verb=`` keyword of a call (``audit.record`` and the helpers that hand it on) is a constant of a ``verbs``
module, a mapping of such constants indexed, a conditional between them, or the enclosing function's own
parameter (a helper passing its caller's verb on: the caller is checked in its turn).
"""

from __future__ import annotations

import ast
import importlib
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

import echelon

ROOT = Path(echelon.__file__).parent
VERB = re.compile(r"^[a-z_]+\.[a-z_]+$")
MISSING = object()


def _runtime_files() -> Iterator[Path]:
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if {"tests", "migrations", "testing"} & set(parts) or parts == ("conftest.py",):
            continue
        yield path


def _module_of(path: Path) -> str:
    return ".".join(("echelon", *path.relative_to(ROOT).with_suffix("").parts)).removesuffix(".__init__")


def _verbs_modules() -> list[str]:
    return sorted(_module_of(p) for p in ROOT.rglob("verbs.py") if "tests" not in p.parts)


def _resolve(base: str, level: int, module: str | None) -> str:
    """The absolute name of ``from <level dots><module> import …`` inside package ``base``."""
    if level == 0:
        return module or ""
    parts = base.split(".")
    parts = parts[: len(parts) - level + 1]
    return ".".join([*parts, module] if module else parts)


def _verbs_names(tree: ast.Module, package: str) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Names bound to a verbs module, and names bound to one of its constants."""
    modules: dict[str, str] = {}
    constants: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.endswith(".verbs") and alias.asname:
                    modules[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(package, node.level, node.module)
            for alias in node.names:
                bound = alias.asname or alias.name
                if alias.name == "verbs":
                    modules[bound] = f"{source}.verbs"
                elif source.endswith(".verbs"):
                    constants[bound] = (source, alias.name)
    return modules, constants


def _parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    args = fn.args
    return {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}


class _Scan(ast.NodeVisitor):
    def __init__(self, path: Path) -> None:
        self.path = path
        package = _module_of(path)
        if path.name != "__init__.py":
            package = package.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        self.modules, self.constants = _verbs_names(tree, package)
        self.scopes: list[set[str]] = []
        self.problems: list[str] = []
        self.verbs: list[str] = []
        self.visit(tree)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.scopes.append(_parameters(node))
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Call(self, node: ast.Call) -> None:
        for keyword in node.keywords:
            if keyword.arg == "verb":
                self._check(keyword.value)
        self.generic_visit(node)

    def _constant(self, node: ast.expr) -> object:
        """The value a verbs-module reference names (``MISSING`` when the module has no such name), or
        ``self`` when it is no reference to a verbs module."""
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = self.modules.get(node.value.id)
            if module is not None:
                return getattr(importlib.import_module(module), node.attr, MISSING)
        if isinstance(node, ast.Name) and node.id in self.constants:
            module, name = self.constants[node.id]
            return getattr(importlib.import_module(module), name, MISSING)
        return self

    def _check(self, node: ast.expr) -> None:
        where = f"{self.path.relative_to(ROOT.parent)}:{node.lineno}"
        if isinstance(node, ast.IfExp):
            self._check(node.body)
            self._check(node.orelse)
            return
        if isinstance(node, ast.Name) and self.scopes and node.id in self.scopes[-1]:
            return  # the caller's verb, handed on
        if isinstance(node, ast.Subscript):
            mapping = self._constant(node.value)
            if isinstance(mapping, Mapping) and mapping:
                values = list(mapping.values())
                self.verbs.extend(v for v in values if isinstance(v, str))
                if not all(isinstance(v, str) and VERB.match(v) for v in values):
                    self.problems.append(f"{where}: {ast.unparse(node)} holds a verb not <entity>.<verb>")
                return
        value = self._constant(node)
        if value is self:
            self.problems.append(f"{where}: verb={ast.unparse(node)} is not a constant of a verbs module")
        elif value is MISSING:
            self.problems.append(f"{where}: {ast.unparse(node)} is not defined in its verbs module")
        elif not (isinstance(value, str) and VERB.match(value)):
            self.problems.append(f"{where}: {ast.unparse(node)} = {value!r} is not <entity>.<verb>")
        else:
            self.verbs.append(value)


def test_every_verb_passed_in_runtime_code_is_a_constant_of_a_verbs_module():
    problems: list[str] = []
    used: list[str] = []
    for path in _runtime_files():
        scan = _Scan(path)
        problems += scan.problems
        used += scan.verbs
    assert not problems, "raw or malformed audit verbs:\n" + "\n".join(problems)
    assert "unit.create" in used and "user.login" in used  # the scan sees the services and the signals


def test_the_verbs_modules_hold_distinct_entity_verb_strings():
    assert {"echelon.core.verbs", "echelon.accounts.verbs", "echelon.orgs.verbs"} <= set(_verbs_modules())
    defined: Counter[str] = Counter()
    for name in _verbs_modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if attr.startswith("_") or not attr.isupper():
                continue
            values = list(value.values()) if isinstance(value, Mapping) else [value]
            for verb in values:
                assert isinstance(verb, str) and VERB.match(verb), f"{name}.{attr} = {verb!r}"
            if isinstance(value, str):
                defined[value] += 1
    assert not [verb for verb, n in defined.items() if n > 1], "a verb is defined in two places"
