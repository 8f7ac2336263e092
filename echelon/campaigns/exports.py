"""The plan as CSV or XLSX: one row per participation and phase, streamed (CSV chunks, write-only XLSX).

Every cell starting with = + - @ is neutralised by ``core.tabular``. The rows come from
``selectors.plan_rows`` over a queryset the caller scoped (``visible_to(user, "export")``) or, for the
command, the whole campaign.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from django.db.models import QuerySet

from echelon.campaigns.models import Campaign, Participation
from echelon.campaigns.selectors import EXPORT_HEADER, plan_rows
from echelon.core import tabular

XLSX_MAX_DATA_ROWS = 1_048_575


class ExportTooLarge(Exception):
    """More rows than one Excel sheet holds."""


def _counted(
    rows: Iterator[list[Any]], progress: Callable[[int], None] | None, cap: int | None
) -> Iterator[list[Any]]:
    for n, row in enumerate(rows, start=1):
        if cap is not None and n > cap:
            raise ExportTooLarge
        if progress is not None and n % 5000 == 0:
            progress(n)
        yield row


def iter_csv(campaign: Campaign, qs: QuerySet[Participation] | None = None) -> Iterator[bytes]:
    return tabular.iter_csv(EXPORT_HEADER, plan_rows(campaign, qs))


def write_plan(
    campaign: Campaign,
    out: Path | IO[bytes],
    *,
    fmt: str,
    qs: QuerySet[Participation] | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the plan to ``out`` as "csv" or "xlsx"; returns the number of data rows."""
    if fmt == "csv":
        if not isinstance(out, Path):
            raise TypeError("CSV is written to a path (or streamed with iter_csv)")
        return tabular.write_csv(out, EXPORT_HEADER, _counted(plan_rows(campaign, qs), progress, None))
    if fmt == "xlsx":
        return tabular.write_xlsx(
            out, EXPORT_HEADER, _counted(plan_rows(campaign, qs), progress, XLSX_MAX_DATA_ROWS), title="计划"
        )
    raise ValueError(fmt)


def format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    raise ValueError(suffix)
