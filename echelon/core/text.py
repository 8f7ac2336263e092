"""Text that comes in (forms, API, imports) and text that goes out (xlsx, docx).

In: control characters and bidi overrides are refused everywhere. They cannot be seen, they break the files
we write (XML cannot hold most C0 characters) and a right-to-left override makes a name display as
something else. Tab, newline and carriage return stay allowed (multi-line text, pasted cells).

Out: text already stored (before this check, or written by hand) must never make a writer crash, so
the xlsx and docx writers pass every string through ``xml_safe``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

# C0 controls except tab (U+0009), newline (U+000A) and carriage return (U+000D); DEL; the bidi embeddings
# and overrides U+202A-U+202E and isolates U+2066-U+2069; and lone surrogates (only a JSON "\ud800" escape
# can produce one, and no database can store it).
FORBIDDEN_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# What XML 1.0 cannot hold: openpyxl's ILLEGAL_CHARACTERS_RE (C0 except tab, newline, carriage return) plus
# the surrogates and the non-characters U+FFFE and U+FFFF, which lxml (python-docx) refuses as well.
XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Chinese (ideographs, CJK and full-width punctuation): tells the product's own messages from the English
# ones of Django and DRF, which may name models.
CJK_RE = re.compile("[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def forbidden_characters(text: str) -> list[str]:
    """The distinct forbidden characters in `text`, in order of first appearance; empty when it is fine."""
    found: list[str] = []
    for ch in FORBIDDEN_RE.findall(text):
        if ch not in found:
            found.append(ch)
    return found


def describe(chars: Iterable[str]) -> str:
    """Characters as code points ("U+000B、U+202E"): they are invisible, so name them."""
    return "、".join(f"U+{ord(c):04X}" for c in chars)


def forbidden_message(field: str, chars: Iterable[str]) -> str:
    """The refusal of a form or API field."""
    return _("“%(field)s”含有不允许的控制字符（%(chars)s），请删除后重试。") % {
        "field": field,
        "chars": describe(chars),
    }


def forbidden_cell_reason(chars: Iterable[str]) -> str:
    """The refusal of a spreadsheet cell (the import report adds the row and the column)."""
    return _("含有不允许的控制字符（%(chars)s），请删除后重新上传。") % {"chars": describe(chars)}


def xml_safe(text: str) -> str:
    """`text` without the characters XML cannot hold (for the xlsx and docx writers)."""
    return XML_ILLEGAL_RE.sub("", text) if XML_ILLEGAL_RE.search(text) else text


def within_length(value: str, limit: int, field: str) -> str:
    """``value`` stripped, or a ValidationError in Chinese when it is longer than ``limit`` characters.
    Services call it for every free text they store, so no page or API can store an unbounded text."""
    from django.core.exceptions import ValidationError

    value = (value or "").strip()
    if len(value) > limit:
        raise ValidationError(
            _("%(field)s最多 %(limit)d 个字（现有 %(n)d 个）。")
            % {"field": field, "limit": limit, "n": len(value)}
        )
    return value


CLAUSE_END = "。；;，,、．.！!？? \u3000\n"


def clause(text: str) -> str:
    """A piece of a sentence without its own closing punctuation, so that joining pieces with "；" and ending
    with "。" never gives "。；" or "。。" (a comment typed as a whole sentence ends with "。")."""
    return str(text).rstrip(CLAUSE_END)


def listing(items: Iterable[object], *, alternatives: bool = False) -> str:
    """Items joined as the active language writes a list in a sentence: 甲、乙 (a, b), or with
    ``alternatives`` 甲或乙 (a or b)."""
    joiner = pgettext("joins a list", "或") if alternatives else pgettext("joins a list", "、")
    return joiner.join(str(item) for item in items)
