"""Excel/CSV import of units and members: read, validate every row, preview, apply all or nothing.

The flow is the same for the web (a job per step), the command line and the benchmark:

1. ``core.tabular.sniff`` checks the file by content and size; ``read_table`` matches the Chinese headers
   and yields normalised cells; formula cells are refused, never evaluated.
2. Each row is parsed into typed values by plain functions of the row (no database access): required
   fields, lengths, coded values (the Chinese label or the code), dates (format, impossible dates,
   future dates, joined before birth), units known, active and inside the importer's subtree.
3. Cross-row checks: duplicate codes, unknown parents, parent cycles (through the file and the tree),
   levels that do not fit under their parent (``services.placement_error``). Units (≤ 70k rows) are
   checked in memory; members (1.3M rows) go row by row into a TEMP staging table and are checked there
   set-based, so memory stays bounded.
4. The report: created / updated / unchanged counts with a sample of the changes, or every error with
   row, column and reason. Nothing is written when there is any error.
5. Apply, in one transaction: units by bulk insert (new codes), bulk update (changed attributes) and
   ``services.unit_move`` (changed parents); members by ``INSERT … SELECT`` and ``UPDATE … FROM`` from the
   staging table. Then ``services.rollups_rebuild()`` and one audit event for the whole import
   (``unit.import`` / ``member.import``) naming the file, its sha256, the counts, the user and
   the subtree. Idempotent by code: rows equal to the registry are left untouched.

The package, by step: ``reading`` (the uploaded sheet, and the same sheet annotated with the errors),
``parsing`` (cell parsers), ``units`` and ``members`` (the two importers), ``staging`` (the members'
staging table and its SQL), ``report`` (what the user is shown, and the audit event). The columns are
defined once for imports, exports, tables and the API in ``orgs.columns``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO

from echelon.core import tabular
from echelon.core.actors import Actor
from echelon.orgs.columns import ENTITIES, MEMBER, UNIT
from echelon.orgs.imports.members import BATCH, MemberRowParser, members_import
from echelon.orgs.imports.parsing import parse_date
from echelon.orgs.imports.reading import (
    ERROR_COLUMN,
    XLSX_MAX_DATA_ROWS,
    cell_text,
    file_sha256,
    read_table,
    write_error_sheet,
)
from echelon.orgs.imports.report import MAX_ERRORS, SAMPLE, ImportFailed, ImportReport, ProgressFn, RowError
from echelon.orgs.imports.staging import SQLITE_IMPORT_PRAGMAS, Stage
from echelon.orgs.imports.units import check_units, parse_unit_rows, units_import
from echelon.orgs.models import Unit

# The file columns of each entity, in the files' order (the header, the template, the export).
UNIT_COLUMNS = UNIT.file_columns
MEMBER_COLUMNS = MEMBER.file_columns

__all__ = [
    "BATCH",
    "ERROR_COLUMN",
    "MAX_ERRORS",
    "MEMBER_COLUMNS",
    "SAMPLE",
    "SQLITE_IMPORT_PRAGMAS",
    "UNIT_COLUMNS",
    "XLSX_MAX_DATA_ROWS",
    "ImportFailed",
    "ImportReport",
    "MemberRowParser",
    "RowError",
    "Stage",
    "cell_text",
    "check_units",
    "file_sha256",
    "import_file",
    "parse_date",
    "parse_unit_rows",
    "read_table",
    "write_error_sheet",
]


def import_file(
    *,
    kind: str,
    fileobj: IO[bytes],
    name: str,
    actor: Actor,
    scope: Sequence[str] | None,
    dry_run: bool,
    progress: ProgressFn | None = None,
    audit_unit: Unit | None = None,
    max_bytes: int | None = None,
    sha256: str = "",
) -> ImportReport:
    """Check, validate and (unless `dry_run`) apply one file. `scope`: subtree paths the rows must stay in
    (None: the whole tree, for the system). Raises tabular.UploadError when the file as a whole is refused."""
    if kind not in ENTITIES:
        raise ValueError(kind)
    fmt = tabular.sniff(fileobj, name, max_bytes=max_bytes)
    report = ImportReport(
        kind=kind, file_name=Path(name).name, fmt=fmt, sha256=sha256 or file_sha256(fileobj), dry_run=dry_run
    )
    run = units_import if kind == "units" else members_import
    return run(
        fileobj=fileobj,
        fmt=fmt,
        report=report,
        actor=actor,
        scope=scope,
        dry_run=dry_run,
        progress=progress,
        audit_unit=audit_unit,
    )
