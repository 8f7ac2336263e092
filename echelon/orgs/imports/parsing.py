"""Field parsers and checks shared by the importers: pure functions of a cell, no database access."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from django.utils.translation import gettext as _

from echelon.orgs.columns import Column

V = TypeVar("V")

CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
CODE_MATCH = CODE_RE.match
PHONE_RE = re.compile(r"^[0-9+\-() ]*$")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
EARLIEST_BIRTH = datetime.date(1900, 1, 1)


def lookup(column: Column) -> dict[str, Any]:
    """Accept the Chinese label or the code (case-insensitive) of a coded value; gives the stored value."""
    assert column.choices is not None
    table: dict[str, Any] = {}
    for code, label in column.choices():
        text = str(code)
        table[text] = code
        table[text.lower()] = code
        table[label] = code
    return table


def choice_reason(value: str, column: Column) -> str:
    assert column.choices is not None
    allowed = "、".join(label for _c, label in column.choices())
    return _("“%(value)s”不是可选值，应为：%(allowed)s。") % {"value": value, "allowed": allowed}


YES_NO = {
    "是": True,
    "否": False,
    "y": True,
    "n": False,
    "yes": True,
    "no": False,
    "1": True,
    "0": False,
    "true": True,
    "false": False,
    "t": True,
    "f": False,
}


def is_iso(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-"


def parse_date(text: str) -> datetime.date | str:
    """A date, or the reason (in Chinese) why the text is not one."""
    if is_iso(text):
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass
    m = _DATE_RE.match(text) or _DATE_COMPACT_RE.match(text)
    if not m:
        return _("日期格式不正确：“%(value)s”，应为 1980-07-01 这样的日期。") % {"value": text}
    y, mo, d = (int(g) for g in m.groups())
    try:
        return datetime.date(y, mo, d)
    except ValueError:
        return _("日期不存在：“%(value)s”。") % {"value": text}


def code_error(value: str, what: str) -> str | None:
    if len(value) > 32:
        return _("%(what)s最多 32 个字符。") % {"what": what}
    if not CODE_RE.match(value):
        return _("%(what)s只能包含字母、数字、-、_、.。") % {"what": what}
    return None


def in_scope(path: str, scope: Sequence[str] | None) -> bool:
    return scope is None or any(path.startswith(p) for p in scope)


def inflow_out_of_scope(code: str) -> str:
    """The refusal of a new inflow unit outside the subtree of whoever writes the member.

    The rule (imports and on-screen editing alike): a mobile member's inflow unit may lie anywhere (the
    member works in another league), so a reference to a unit outside the writer's subtree is accepted
    when it is the one the registry already holds for that member (an export re-imported unchanged, an
    edit of the member's phone); setting, or changing to, an inflow unit outside the subtree is refused
    here, and is for an office whose subtree holds both units.
    """
    return _("流入组织“%(code)s”不在您的管理范围内：只能保留原有的流入组织，不能改为范围外的组织。") % {
        "code": code
    }


class LookedUpByCode(Mapping[str, V]):
    """Units looked up a code at a time (``fetch``), for the row checks on one row (an on-screen edit)
    without loading every unit. Iterating gives only the units looked up so far."""

    def __init__(self) -> None:
        self._found: dict[str, V | None] = {}

    def fetch(self, code: str) -> V | None:
        raise NotImplementedError

    def _load(self, code: str) -> V | None:
        if code not in self._found:
            self._found[code] = self.fetch(code)
        return self._found[code]

    def __getitem__(self, code: str) -> V:
        found = self._load(code)
        if found is None:
            raise KeyError(code)
        return found

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self._load(code) is not None

    def __iter__(self) -> Iterator[str]:
        return iter([c for c, u in self._found.items() if u is not None])

    def __len__(self) -> int:
        return sum(1 for u in self._found.values() if u is not None)
