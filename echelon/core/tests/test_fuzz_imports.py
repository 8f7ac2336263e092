"""Hypothesis-generated CSV and xlsx bytes into every importer (issue 15): never a server error, and nothing
written when the file is refused.

The importers: units and members (``orgs.imports.import_file``), users and grants
(``accounts.imports.import_users``), opinions (``ledger.services.opinion_import``). Each is fed files built
from its own column labels (in any order, some missing, some unknown) and cells mixing plausible values (the
tree's codes, dates, labels) with junk (control characters, formulas, impossible dates, huge numbers, long
text), encoded as UTF-8, UTF-8 with a BOM or GBK, as a real xlsx workbook, or any bytes (some starting as a
zip does), now and then cut short or with flipped bytes; each importer gets each of the three (``FORMATS``).
The registry's importers run as their job does: a check (a dry run, which must never write) or an apply, and
on a refusal the error workbook the job hands back is written as well.

An importer may: return its report with errors (then no row and no audit event was written), write a file
that happens to be valid (then its report is clean), or refuse the file as a whole with the user-facing
exceptions of its contract (``tabular.UploadError``, ``ValidationError``), again writing nothing. Any other
exception is what a user would see as a server error, and fails the test. Small ``max_examples`` (10 per
importer and format) keep it cheap; ``FUZZ_IMPORT_EXAMPLES=500`` digs deeper by hand."""

from __future__ import annotations

import csv
import datetime
import io
import os

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from echelon.accounts.imports import COLUMNS as USER_COLUMNS
from echelon.accounts.imports import import_users
from echelon.accounts.models import Grant, User
from echelon.core import tabular
from echelon.core.models import AuditEvent
from echelon.ledger.models import Opinion
from echelon.ledger.services import imports as opinion_imports
from echelon.ledger.services import opinion_import
from echelon.orgs.columns import ENTITIES
from echelon.orgs.imports import MEMBER_COLUMNS, UNIT_COLUMNS, import_file, write_error_sheet
from echelon.orgs.models import Member, Unit
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_IMPORT_EXAMPLES", "10"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

PLAUSIBLE = [
    "150125100201",
    "150125100",
    "150125",
    "150000",
    "150222100201",
    "999999",
    "M1",
    "M2",
    "王芳",
    "东土城村",
    "男",
    "女",
    "蒙古族",
    "汉族",
    "正式党员",
    "预备党员",
    "嘎查村",
    "村党支部",
    "1985-03-08",
    "2010-07-01",
    "2014/5/22",
    "2099-01-01",
    "1999-02-30",
    "0000-00-00",
    "13800000000",
    "operator",
    "office",
    "操作员",
    "办公室",
    "Long-enough-2014",
    "座谈会",
    "走访",
    "意见箱",
    "是",
    "否",
    "0",
    "-1",
    "1e308",
    "99999999999999999999999",
    "=1+1",
    '=HYPERLINK("x")',
    "@SUM(A1)",
    "",
    " ",
    "（示例）",
    "<script>alert(1)</script>",
]
CELL = st.one_of(
    st.sampled_from(PLAUSIBLE),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


def _header(labels: list[str]):
    extra = st.lists(st.sampled_from(["", "备注", "列", "单位代码", "x"]) | st.text(max_size=8), max_size=2)
    return st.tuples(st.permutations(labels), st.integers(0, len(labels)), extra).map(
        lambda t: list(t[0][: max(len(labels) - t[1], 0)] if t[1] < 2 else t[0]) + t[2]
    )


def _csv(header: list[str], rows: list[list[str]], encoding: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding, errors="ignore")


def _xlsx(header: list[str], rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    lines: list[list[object]] = [list(header), *rows]
    for row in lines:
        values = []
        for v in row:
            if isinstance(v, str):
                # openpyxl itself refuses the control characters no xlsx may hold
                v = "".join(ch for ch in v if ch in "\t\n\r" or ord(ch) >= 32)
            values.append(v)
        ws.append(values)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _mangle(data: bytes, cut: int, flips: list[int]) -> bytes:
    buf = bytearray(data[: max(cut, 0)] if cut else data)
    for i in flips:
        if buf:
            buf[i % len(buf)] ^= 0xFF
    return bytes(buf)


XLSX_CELL = st.one_of(
    CELL,
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=False),
    st.dates(min_value=datetime.date(1900, 1, 1)),
    st.none(),
)


FORMATS = ["csv", "xlsx", "bytes"]


@st.composite
def files(draw, labels: list[str], fmt: str) -> tuple[str, bytes]:
    """(name, content): a CSV or xlsx file of these columns (or any bytes), sometimes damaged, sometimes
    misnamed."""
    header = draw(_header(labels))
    width = len(header)
    if fmt == "csv":
        rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=width + 1), max_size=5))
        data = _csv(header, rows, draw(st.sampled_from(["utf-8", "utf-8-sig", "gbk"])))
    elif fmt == "xlsx":
        rows = draw(st.lists(st.lists(XLSX_CELL, min_size=0, max_size=width + 1), max_size=5))
        data = _xlsx(header, rows)
    else:
        data = draw(st.binary(max_size=2000))
        if draw(st.booleans()):
            data = b"PK\x03\x04" + data
    if draw(st.integers(0, 4)) == 0:
        data = _mangle(
            data, draw(st.integers(0, len(data))), draw(st.lists(st.integers(0, 10**6), max_size=4))
        )
    name = {"csv": "导入.csv", "xlsx": "导入.xlsx", "bytes": "导入.csv"}[fmt]
    if draw(st.integers(0, 4)) == 0:  # now and then misnamed
        name = draw(st.sampled_from(["导入.csv", "导入.xlsx", "导入.xls", "导入", "../../etc/passwd.csv"]))
    return name, data


def counts() -> dict[str, int]:
    return {
        "units": Unit.objects.count(),
        "members": Member.objects.count(),
        "users": User.objects.count(),
        "grants": Grant.objects.count(),
        "opinions": Opinion.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def check(run, name: str, data: bytes) -> None:
    """Run one import; a refusal writes nothing, anything but the importer's own refusals fails."""
    before = counts()
    try:
        ok = run(io.BytesIO(data), name)
    except (tabular.UploadError, ValidationError):
        ok = False
    if not ok:
        assert counts() == before, f"a refused import wrote something: {name} {data[:200]!r}"


def registry_run(kind: str, actor, scope: list[str], dry_run: bool):
    """The registry's importer as its job runs it: a check (dry run, which never writes) or an apply; on a
    refusal, the error workbook the job hands back is written too (and must not fail either)."""

    def run(fileobj, name):
        report = import_file(kind=kind, fileobj=fileobj, name=name, actor=actor, scope=scope, dry_run=dry_run)
        if not report.ok:
            write_error_sheet(fileobj, report.fmt, report, io.BytesIO())
        return report.ok and not dry_run

    return run


@pytest.mark.parametrize("fmt", FORMATS)
@given(data=st.data())
@FUZZ
def test_units_import(tree, personas, fmt, data):
    file = data.draw(files([c.label for c in UNIT_COLUMNS], fmt), label="file")
    dry_run = data.draw(st.booleans(), label="dry_run")
    check(registry_run("units", personas["region_office"], [tree.region.path], dry_run), *file)


@pytest.mark.parametrize("fmt", FORMATS)
@given(data=st.data())
@FUZZ
def test_members_import(tree, personas, fmt, data):
    file = data.draw(files([c.label for c in MEMBER_COLUMNS], fmt), label="file")
    dry_run = data.draw(st.booleans(), label="dry_run")
    check(registry_run("members", personas["league_office"], [tree.league.path], dry_run), *file)


@pytest.mark.parametrize("fmt", FORMATS)
@given(data=st.data())
@FUZZ
def test_users_import(tree, personas, fmt, data):
    file = data.draw(files(list(USER_COLUMNS), fmt), label="file")

    def run(fileobj, name):
        return import_users(actor=personas["county_office"], fileobj=fileobj, name=name).ok

    check(run, *file)


@pytest.fixture
def campaign(tree):
    return make_campaign(tree.region)


@pytest.mark.parametrize("fmt", FORMATS)
@given(data=st.data())
@FUZZ
def test_opinions_import(tree, personas, campaign, fmt, data):
    file = data.draw(files(list(opinion_imports.HEADER), fmt), label="file")

    def run(fileobj, name):
        return opinion_import(
            actor=personas["township_operator"], unit=tree.township, fileobj=fileobj, name=name
        ).ok

    check(run, *file)


def test_every_importer_is_fuzzed():
    """The importers are the registry's entities, users and opinions: a new entity is fuzzed here too."""
    assert set(ENTITIES) == {"units", "members"}
