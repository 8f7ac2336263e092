"""What an import reports: counts, a sample of the changes or every error (row, column, reason) for the user,
and one audit event for the whole applied import (ADR 8)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from echelon.core import audit
from echelon.core.actors import Actor, is_person
from echelon.orgs.models import Unit

ProgressFn = Callable[..., None]

# How many errors are kept in full (for the report and the annotated sheet); all are counted.
MAX_ERRORS = 10_000
# Rows shown in the preview per kind of change.
SAMPLE = 20


@dataclass
class RowError:
    row: int | None
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}

    def __str__(self) -> str:
        where = _("第 %(row)s 行") % {"row": self.row} if self.row else _("文件")
        column = f"「{self.column}」" if self.column else ""
        return f"{where}{column}：{self.reason}"


@dataclass
class ImportReport:
    kind: str
    file_name: str = ""
    fmt: str = ""  # csv | xlsx, as sniffed
    sha256: str = ""
    dry_run: bool = True
    applied: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    sample: list[dict[str, Any]] = field(default_factory=list)
    # Codes of unit rows left out for their own field errors: their children are not "unknown parents".
    failed_codes: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def error(self, row: int | None, column: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, column, reason))

    def summary(self) -> str:
        if not self.ok:
            return _("发现 %(n)s 处错误，没有写入任何数据。") % {"n": self.error_count}
        counts = _("新增 %(c)s，更新 %(u)s，未变 %(n)s") % {
            "c": self.created,
            "u": self.updated,
            "n": self.unchanged,
        }
        if self.moved:
            counts += _("（其中调整隶属 %(m)s）") % {"m": self.moved}
        return (_("导入完成：") if self.applied else _("校验通过：")) + counts

    def as_result(self, *, shown_errors: int = 500) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "moved": self.moved,
            "error_count": self.error_count,
            "errors": [e.as_dict() for e in sorted(self.errors, key=error_key)[:shown_errors]],
            "sample": self.sample,
        }


def error_key(e: RowError) -> tuple[int, str]:
    return (e.row or 0, e.column)


class ImportFailed(Exception):
    """Raised inside the apply transaction to roll it back; carries the report."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.summary())
        self.report = report


def audit_import(
    report: ImportReport, *, actor: Actor, scope: Sequence[str] | None, audit_unit: Unit | None, verb: str
) -> None:
    """The one audit event of an applied import: the file, its sha256, the counts, the user, the subtree."""
    if scope is None:
        subtree: list[str] = ["*"]
    else:
        subtree = list(
            Unit.objects.filter(path__in=list(scope)).order_by("path").values_list("code", flat=True)
        )
    unit = audit_unit
    if unit is None and scope and len(scope) == 1:
        unit = Unit.objects.filter(path=scope[0]).first()
    audit.record(
        actor=actor,
        verb=verb,
        object_type="orgs.import",
        object_id=report.sha256,
        object_repr=report.file_name,
        unit_id=unit.pk if unit else None,
        unit_path=unit.path if unit else "",
        after={
            "file": report.file_name,
            "sha256": report.sha256,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "moved": report.moved,
            "user": actor.get_username() if is_person(actor) else "system",
            "subtree": subtree,
        },
    )
