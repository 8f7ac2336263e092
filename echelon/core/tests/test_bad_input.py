"""Bad input gets a clear Chinese error and nothing is written (issue 8, item 6).

Control characters and bidi overrides in forms, the API and spreadsheet cells; stored text the writers must
survive; spreadsheets that would unpack to far more than they weigh; damaged files.
"""

from __future__ import annotations

import io
import re
import struct
import time
import tracemalloc
import zipfile
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from echelon.accounts.models import ApiToken, User
from echelon.conftest import make_member
from echelon.core import audit, tabular
from echelon.core.models import AuditEvent, Job
from echelon.core.text import FORBIDDEN_RE, forbidden_characters, xml_safe
from echelon.orgs.imports import import_file
from echelon.orgs.models import Member, Unit
from echelon.orgs.tests.test_imports import MEMBER_HEADER, csv_bytes, has_error, member_row, xlsx_bytes
from echelon.supervision import selectors
from echelon.supervision.tests.test_report import TODAY, county_group  # noqa: F401 (fixture)

BAD = {
    "NUL": "\x00",
    "vertical tab": "\x0b",
    "escape": "\x1b",
    "DEL": "\x7f",
    "right-to-left override": "\u202e",
    "left-to-right embedding": "\u202a",
    "first strong isolate": "\u2068",
    "pop directional isolate": "\u2069",
}


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def login(personas, name: str) -> Client:
    client = Client()
    client.force_login(personas[name])
    return client


# ---------------------------------------------------------------------------------------------------------
# The character sets
# ---------------------------------------------------------------------------------------------------------


class TestCharacterSets:
    def test_forbidden_is_c0_but_tab_newline_return_del_and_the_bidi_controls(self):
        forbidden = {chr(c) for c in range(0x10000) if FORBIDDEN_RE.search(chr(c))}
        expected = (
            {chr(c) for c in range(0x20)} - {"\t", "\n", "\r"}
            | {"\x7f"}
            | {chr(c) for c in range(0x202A, 0x202F)}
            | {chr(c) for c in range(0x2066, 0x206A)}
            | {chr(c) for c in range(0xD800, 0xE000)}  # lone surrogates (a JSON "\ud800" escape)
        )
        assert forbidden == expected
        assert forbidden_characters("a\u202eb\x0bc\u202e") == ["\u202e", "\x0b"]
        assert forbidden_characters("第一行\n第二行\t制表\r\n") == []
        assert forbidden_characters("乌兰察布市 ‘察右前旗’ 土贵乌拉镇") == []

    def test_xml_safe_removes_at_least_what_openpyxl_refuses(self):
        for c in range(0x10000):
            ch = chr(c)
            if ILLEGAL_CHARACTERS_RE.search(ch):
                assert xml_safe(f"a{ch}b") == "ab", hex(c)
        assert xml_safe("名\ufffe称\x0b") == "名称"
        assert xml_safe("多行\n文本\t制表") == "多行\n文本\t制表"


# ---------------------------------------------------------------------------------------------------------
# Forms and the API: refused before any view runs
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestFormsAndApi:
    @pytest.mark.parametrize("what", list(BAD))
    def test_a_page_form_is_refused_with_the_styled_400_page(self, personas, what):
        client = login(personas, "county_office")
        response = client.post(reverse("accounts:tokens"), {"name": f"我的{BAD[what]}令牌"})
        assert response.status_code == 400
        text = response.content.decode()
        assert "“name”含有不允许的控制字符" in text and f"U+{ord(BAD[what]):04X}" in text
        assert "echelon/echelon.css" in text and "ech-navbar" in text  # the product's own page
        assert not ApiToken.objects.exists()
        # the same form with clean text works (so the refusal above is the check's doing)
        assert client.post(reverse("accounts:tokens"), {"name": "我的令牌"}).status_code == 200
        assert ApiToken.objects.filter(name="我的令牌").count() == 1

    def test_a_user_form_is_refused_and_nothing_written(self, personas, tree):
        client = login(personas, "county_office")
        data = {
            "username": "new_user",
            "display_name": "王\u202e芳",
            "password": "Long-enough-2014",
            "unit_code": tree.village.code,
            "role": "operator",
        }
        response = client.post(reverse("accounts:user_create"), data)
        assert response.status_code == 400 and "“display_name”" in response.content.decode()
        assert not User.objects.filter(username="new_user").exists()
        written = AuditEvent.objects.filter(verb__startswith="user.").exclude(verb="user.login")
        assert not written.exclude(actor=None).exists()

    def test_the_api_answers_json_naming_the_field(self, personas):
        client = login(personas, "county_office")
        response = client.post("/api/v1/tokens/", {"name": "ci\x1b[31m"}, content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {"detail": "“name”含有不允许的控制字符（U+001B），请删除后重试。"}
        assert not ApiToken.objects.exists()
        ok = client.post("/api/v1/tokens/", {"name": "ci"}, content_type="application/json")
        assert ok.status_code == 201 and ApiToken.objects.count() == 1

    def test_strings_anywhere_in_a_json_body_keys_included(self, personas):
        client = login(personas, "county_office")
        nested = {"name": "ci", "extra": [{"note": "正常"}, {"note": ["第二", "bad\u2066"]}]}
        response = client.post("/api/v1/tokens/", nested, content_type="application/json")
        assert response.status_code == 400 and "“extra[1].note[1]”" in response.json()["detail"]
        key = client.post("/api/v1/tokens/", {"name": "ci", "a\x00b": 1}, content_type="application/json")
        assert key.status_code == 400 and "U+0000" in key.json()["detail"]
        surrogate = client.post(
            "/api/v1/tokens/", '{"name": "ci\\ud800"}', content_type="application/json"
        )  # a lone surrogate no database can store
        assert surrogate.status_code == 400 and "U+D800" in surrogate.json()["detail"]
        assert not ApiToken.objects.exists()

    def test_put_and_patch_are_checked_too(self, personas):
        client = login(personas, "county_office")
        for method in (client.put, client.patch):
            response = method("/api/v1/tokens/1/", {"name": "x\x0b"}, content_type="application/json")
            assert response.status_code == 400 and "U+000B" in response.json()["detail"]
            form = method("/api/v1/tokens/1/", "name=x%0B", content_type="application/x-www-form-urlencoded")
            assert form.status_code == 400 and "U+000B" in form.json()["detail"]

    def test_tab_and_newline_pass(self, personas):
        client = login(personas, "county_office")
        response = client.post(
            "/api/v1/tokens/", {"name": "第一行\n第二行\t备注"}, content_type="application/json"
        )
        assert response.status_code == 201, response.content

    def test_uploaded_file_contents_are_left_to_the_importer(self, personas, tree):
        """A multipart form: its text fields are checked, the file's bytes are the importer's to judge."""
        client = login(personas, "county_office")
        content = (
            "用户名,姓名,组织代码,角色,初始密码\nnew_user,王\x0b芳,150125100201,operator,Long-enough-2014\n"
        )
        upload = SimpleUploadedFile("users.csv", content.encode())
        response = client.post(reverse("accounts:user_import"), {"file": upload})
        assert response.status_code == 200
        text = response.content.decode()
        assert "<td>2</td><td>姓名</td><td>含有不允许的控制字符（U+000B）" in text
        assert not User.objects.filter(username="new_user").exists()
        field = client.post(
            reverse("accounts:user_import"),
            {"file": SimpleUploadedFile("users.csv", content.encode()), "note": "\u202e"},
        )
        assert field.status_code == 400 and "“note”" in field.content.decode()

    def test_the_csrf_check_and_the_login_come_first(self, personas):
        anonymous = Client()
        response = anonymous.post(reverse("accounts:tokens"), {"name": "x\x0b"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(personas["county_office"])
        assert strict.post(reverse("accounts:tokens"), {"name": "x\x0b"}).status_code == 403


# ---------------------------------------------------------------------------------------------------------
# Spreadsheet cells
# ---------------------------------------------------------------------------------------------------------


def member_import(rows, fmt="csv"):
    data = csv_bytes(MEMBER_HEADER, rows) if fmt == "csv" else xlsx_bytes(MEMBER_HEADER, rows)
    return import_file(kind="members", fileobj=data, name=f"m.{fmt}", actor=None, scope=None, dry_run=False)


@pytest.mark.django_db
class TestImportedCells:
    @pytest.mark.parametrize("what", [w for w in BAD if w != "NUL"])
    def test_csv_cell_is_a_row_error(self, tree, what):
        report = member_import([member_row("M1"), member_row("M2", 姓名=f"王{BAD[what]}芳")])
        assert has_error(report, 3, "姓名", "含有不允许的控制字符")
        assert not Member.objects.exists()

    def test_a_nul_makes_a_csv_file_binary(self, tree):
        with pytest.raises(tabular.UploadError, match="不是电子表格"):
            member_import([member_row("M1", 姓名="王\x00芳")])
        assert not Member.objects.exists()

    def test_xlsx_cell_is_a_row_error(self, tree):
        report = member_import([member_row("M1", 姓名="王\u202e芳", 联系电话="139\u2066")], fmt="xlsx")
        assert has_error(report, 2, "姓名", "U+202E") and has_error(report, 2, "联系电话", "U+2066")
        assert not Member.objects.exists()

    def test_clean_rows_still_import(self, tree):
        report = member_import([member_row("M1"), member_row("M2")])
        assert report.ok and Member.objects.count() == 2

    def test_multi_line_cells_read_as_they_are(self):
        data = csv_bytes(["说明", "备注"], [["第一行\n第二行", "甲\t乙"]])
        rows = list(tabular.read_rows(data, "csv"))
        assert rows[1] == (2, ["第一行\n第二行", "甲\t乙"])
        xlsx = xlsx_bytes(["说明", "备注"], [["第一行\n第二行", "甲\t乙\u202e"]])
        _n, values = list(tabular.read_rows(xlsx, "xlsx"))[1]
        assert values[0] == "第一行\n第二行"
        assert isinstance(values[1], tabular.ForbiddenText) and "U+202E" in values[1].reason

    def test_through_the_page_with_the_error_sheet(self, personas, tree, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        client = login(personas, "county_office")
        content = csv_bytes(MEMBER_HEADER, [member_row("M1", 姓名="王\x0b芳")]).getvalue()
        response = client.post(
            reverse("orgs:io_import", args=[tree.county.code]),
            {"kind": "members", "file": SimpleUploadedFile("m.csv", content)},
        )
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert "没有写入任何数据" in page and "含有不允许的控制字符（U+000B）" in page
        job = Job.objects.get()
        sheet = client.get(reverse("jobs:download", args=[job.pk]))
        assert sheet.status_code == 200  # the error sheet holds the refused cell (cleaned) and says why
        wb = load_workbook(io.BytesIO(body(sheet)))
        rows = [[c.value for c in r] for r in wb.worksheets[0].iter_rows()]
        assert rows[1][1] == "王芳" and "控制字符" in rows[1][-1]
        assert not Member.objects.exists()

    def test_user_import_of_xlsx(self, personas, tree):
        client = login(personas, "county_office")
        header = ["用户名", "姓名", "组织代码", "角色", "初始密码"]
        data = xlsx_bytes(
            header, [["new_user", "王\u202e芳", "150125100201", "operator", "Long-enough-2014"]]
        )
        response = client.post(
            reverse("accounts:user_import"), {"file": SimpleUploadedFile("u.xlsx", data.getvalue())}
        )
        assert response.status_code == 200 and "U+202E" in response.content.decode()
        assert not User.objects.filter(username="new_user").exists()


# ---------------------------------------------------------------------------------------------------------
# Writers: stored text never makes an export crash
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestWritersSurviveStoredText:
    def test_member_and_unit_export(self, personas, tree):
        make_member(tree.village, "M1", "张三")
        Member.objects.filter(code="M1").update(name="张\x0b三\x01")  # as if stored before the checks
        Unit.objects.filter(pk=tree.village.pk).update(name="东土城\x0b村")
        client = login(personas, "county_office")
        for kind, column, expected in (("members", 1, "张三"), ("units", 1, "东土城村")):
            response = client.get(reverse("orgs:io_export", args=[tree.county.code, kind, "xlsx"]))
            assert response.status_code == 200, kind
            wb = load_workbook(io.BytesIO(body(response)))
            values = [r[column] for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True)]
            assert expected in values, kind

    def test_audit_export(self, personas, tree):
        with transaction.atomic():
            audit.record(
                actor=None,
                verb="orgs.unit_update",
                object_type="orgs.unit",
                object_id=str(tree.village.pk),
                object_repr="东土城\x0b村",
                unit_id=tree.village.pk,
                unit_path=tree.village.path,
                after={"name": "东土城\x0b村"},
            )
        response = login(personas, "county_office").get(reverse("audit:export"))
        assert response.status_code == 200
        rows = list(load_workbook(io.BytesIO(body(response))).worksheets[0].iter_rows(values_only=True))
        assert any(r[5] == "东土城村" for r in rows[1:])
        # worded as the page words it (core.narration): the unit, a sentence, "label：value", no raw dicts
        row = next(r for r in rows[1:] if r[5] == "东土城村")
        assert row[2] == tree.village.name and "东土城村" in row[3] and row[3] != "orgs.unit_update"
        assert "东土城村" in row[7] and "{" not in row[7] and row[11] == "orgs.unit_update"

    def test_word_report(self, tree, personas, county_group):  # noqa: F811
        _campaign, g = county_group
        type(g).objects.filter(pk=g.pk).update(name="武川县第一\x0b督导组")
        Unit.objects.filter(pk=tree.township.pk).update(name="可可以力\x0b更镇")
        g.refresh_from_db()
        response = login(personas, "county_supervisor").get(
            reverse("supervision:group_report_docx", args=[g.pk])
            + f"?start={TODAY.replace(day=1).isoformat()}&end={TODAY.isoformat()}"
        )
        assert response.status_code == 200
        doc = Document(io.BytesIO(response.content))
        text = "\n".join(p.text for p in doc.paragraphs)
        cells = [c.text for row in doc.tables[0].rows for c in row.cells]
        assert "武川县第一督导组督导工作报告" in text and "可可以力更镇" in cells
        assert doc.core_properties.author == "武川县第一督导组"
        assert selectors.report_data(g, TODAY.replace(day=1), TODAY).group.name == "武川县第一\x0b督导组"


# ---------------------------------------------------------------------------------------------------------
# Spreadsheets checked before parsing
# ---------------------------------------------------------------------------------------------------------


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def workbook_parts(rows=(("用户名", "姓名"), ("a", "b"))) -> dict[str, bytes]:
    """The parts of a small workbook as Excel writes one: the cells refer to a shared strings table."""
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    strings: dict[str, int] = {}
    xml_rows = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{get_column_letter(c)}{r}" t="s"><v>{strings.setdefault(v, len(strings))}</v></c>'
            for c, v in enumerate(row, start=1)
        )
        xml_rows.append(f'<row r="{r}">{cells}</row>')
    width = get_column_letter(max(len(r) for r in rows))
    sst = "".join(f"<si><t>{escape(v)}</t></si>" for v in strings)
    rel = f'<Relationship Id="rId%d" Type="{OFFICE_REL}/%s" Target="%s"/>'
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
            '+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{CT}.styles+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + rel % (1, "officeDocument", "xl/workbook.xml")
            + "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{OFFICE_REL}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + rel % (1, "worksheet", "worksheets/sheet1.xml")
            + rel % (2, "sharedStrings", "sharedStrings.xml")
            + rel % (3, "styles", "styles.xml")
            + "</Relationships>"
        ),
        "xl/styles.xml": (
            f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font><sz val="11"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><dimension ref="A1:{width}{len(rows)}"/>'
            f"<sheetData>{''.join(xml_rows)}</sheetData></worksheet>"
        ),
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}" count="{len(strings)}">{sst}</sst>',
    }
    return {name: text.encode() for name, text in parts.items()}


def pack(parts: dict[str, bytes], raw: dict[str, tuple[bytes, int, int]] | None = None) -> bytes:
    """A zip written by hand: `parts` stored as they are; `raw` parts as (deflate data, unpacked size,
    crc), so that a test declares what a part unpacks to without compressing it for real."""
    out = io.BytesIO()
    central = []
    entries = [(n, d, zipfile.ZIP_STORED, len(d), zlib.crc32(d)) for n, d in parts.items()]
    entries += [(n, d, zipfile.ZIP_DEFLATED, size, crc) for n, (d, size, crc) in (raw or {}).items()]
    for name, data, method, size, crc in entries:
        offset, encoded = out.tell(), name.encode()
        local = (20, 0, method, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *local) + encoded + data)
        entry = (20, 20, 0, method, 0, 0x21, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0, offset)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", *entry) + encoded)
    directory = b"".join(central)
    start = out.tell()
    out.write(directory)
    out.write(
        struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), start, 0)
    )
    return out.getvalue()


def deflate_repeated(head: bytes, chunk: bytes, times: int, tail: bytes) -> tuple[bytes, int]:
    """A real deflate stream of head + chunk * times + tail, built in the time it takes to compress
    `chunk` once: a block made after a full flush refers to nothing before it, so it can be repeated."""

    def block(data: bytes, final: bool = False) -> bytes:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)

    data = block(head) + block(chunk) * times + block(tail, final=True)
    return data, len(head) + len(chunk) * times + len(tail)


SST_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def shared_strings_bomb(unpacked: int = 1536 * 1024 * 1024) -> bytes:
    chunk = b"<si><t>x</t></si>" * 65536  # 1.1 MB
    data, size = deflate_repeated(SST_HEAD, chunk, unpacked // len(chunk) + 1, b"</sst>")
    parts = workbook_parts()
    del parts["xl/sharedStrings.xml"]
    return pack(parts, {"xl/sharedStrings.xml": (data, size, 0)})  # the CRC is only checked at the end


def refusal(content: bytes, name: str = "m.xlsx") -> str:
    with pytest.raises(tabular.UploadError) as caught:
        tabular.sniff(io.BytesIO(content), name)
    return str(caught.value)


def read_refusal(content: bytes) -> str:
    """Refused while reading (sniff accepts it)."""
    data = io.BytesIO(content)
    assert tabular.sniff(data, "m.xlsx") == "xlsx"
    with pytest.raises(tabular.UploadError) as caught:
        list(tabular.read_rows(data, "xlsx"))
    return str(caught.value)


class TestZipChecks:
    def test_a_real_workbook_passes_and_reads(self):
        content = pack(workbook_parts())
        assert tabular.sniff(io.BytesIO(content), "m.xlsx") == "xlsx"
        assert [v for _n, v in tabular.read_rows(io.BytesIO(content), "xlsx")] == [
            ["用户名", "姓名"],
            ["a", "b"],
        ]

    def test_the_bomb_is_real(self):
        bomb = shared_strings_bomb()
        with zipfile.ZipFile(io.BytesIO(bomb)) as zf:
            unpacked = zf.getinfo("xl/sharedStrings.xml").file_size
            assert unpacked >= 1536 * 1024 * 1024 and unpacked > 300 * len(bomb)
            with zf.open("xl/sharedStrings.xml") as part:
                start = part.read(8 * 1024 * 1024)
        assert start.startswith(SST_HEAD) and start.count(b"<si><t>x</t></si>") > 400_000

    def test_a_shared_strings_bomb_is_refused_fast_and_small(self):
        bomb = shared_strings_bomb()
        tracemalloc.start()
        started = time.perf_counter()
        try:
            message = refusal(bomb)
            elapsed = time.perf_counter() - started
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert "压缩比异常" in message and "xl/sharedStrings.xml" in message
        assert elapsed < 2 and peak < 100 * 1024 * 1024, (elapsed, peak)

    def test_too_much_in_all_for_the_file_size(self):
        # 8 parts of 100 MB at 100:1 each (none absurd on its own) in a file of 8 MB: 800 MB > 50 x 8 MB
        raw = {f"xl/worksheets/extra{i}.xml": (bytes(1024 * 1024), 100 * 1024 * 1024, 0) for i in range(8)}
        message = refusal(pack(workbook_parts(), raw))
        assert "全部内容为 800.0 MB" in message and "上限为 400." in message

    def test_too_much_in_all_whatever_the_file_size(self):
        # two parts of 600 MB at 200:1 and 22 MB of incompressible filler: 1.2 GB > 1 GB
        parts = dict(workbook_parts(), **{"xl/media/filler.bin": bytes(22 * 1024 * 1024)})
        raw = {
            f"xl/worksheets/extra{i}.xml": (bytes(3 * 1024 * 1024), 600 * 1024 * 1024, 0) for i in range(2)
        }
        message = refusal(pack(parts, raw))
        assert "全部内容为 1.2 GB" in message and "上限为 1.0 GB" in message

    def test_shared_strings_beyond_their_own_limit(self):
        parts = workbook_parts()
        del parts["xl/sharedStrings.xml"]
        parts["xl/media/image1.png"] = b"\x89PNG" + bytes(3 * 1024 * 1024)  # makes the file 3 MB
        raw = {"xl/sharedStrings.xml": (bytes(1024 * 1024), 130 * 1024 * 1024, 0)}  # 130:1
        message = refusal(pack(parts, raw))
        assert "共享字符串表为 130.0 MB" in message and "上限为 128.0 MB" in message

    def test_shared_strings_found_by_content_type_under_another_name(self):
        parts = workbook_parts()
        strings = parts.pop("xl/sharedStrings.xml")
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"/xl/sharedStrings.xml", b"/xl/worksheets/strings.xml"
        )
        parts["xl/worksheets/strings.xml"] = strings
        parts["xl/media/image1.png"] = bytes(3 * 1024 * 1024)
        raw = {"xl/worksheets/strings2.xml": (bytes(1024 * 1024), 1, 0)}
        assert tabular.sniff(io.BytesIO(pack(parts, raw)), "m.xlsx") == "xlsx"  # fine at its real size
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"/xl/worksheets/strings.xml", b"/xl/worksheets/strings2.xml"
        )
        raw = {"xl/worksheets/strings2.xml": (bytes(1024 * 1024), 130 * 1024 * 1024, 0)}
        assert "共享字符串表" in refusal(pack(parts, raw))

    def test_any_other_part_read_whole_is_small(self):
        parts = workbook_parts()
        styles = parts.pop("xl/styles.xml")
        parts["xl/media/image1.png"] = bytes(3 * 1024 * 1024)
        raw = {"xl/styles.xml": (bytes(512 * 1024), 40 * 1024 * 1024, zlib.crc32(styles))}  # 80:1
        message = refusal(pack(parts, raw))
        assert "xl/styles.xml为 40.0 MB" in message and "16.0 MB" in message

    def test_a_worksheet_may_be_big(self):
        """Worksheets are streamed: the full member export (about 680 MB) must stay importable."""
        parts = workbook_parts()
        sheet = parts.pop("xl/worksheets/sheet1.xml")
        parts["xl/media/filler.bin"] = bytes(15 * 1024 * 1024)
        raw = {"xl/worksheets/sheet1.xml": (bytes(4 * 1024 * 1024), 700 * 1024 * 1024, zlib.crc32(sheet))}
        assert tabular.sniff(io.BytesIO(pack(parts, raw)), "m.xlsx") == "xlsx"

    def test_too_many_parts(self):
        parts = workbook_parts()
        parts.update({f"xl/media/{i}.png": b"" for i in range(1001)})
        assert "部件过多" in refusal(pack(parts))

    def test_sheet_dimensions(self):
        parts = workbook_parts()
        sheet = parts["xl/worksheets/sheet1.xml"].decode()
        assert '<dimension ref="A1:B2"' in sheet
        tall = dict(parts, **{"xl/worksheets/sheet1.xml": sheet.replace("A1:B2", "A1:B1048577").encode()})
        assert "1,048,577 行" in read_refusal(pack(tall))
        wide = dict(parts, **{"xl/worksheets/sheet1.xml": sheet.replace("A1:B2", "A1:GT2").encode()})
        assert "202 列" in read_refusal(pack(wide))
        # no dimension: the width of a row is checked as it is read
        undeclared = re.sub(r"<dimension[^>]*/>", "", sheet).replace('r="B2"', 'r="ZZ2"')
        unsized = dict(parts, **{"xl/worksheets/sheet1.xml": undeclared.encode()})
        assert "702 列" in read_refusal(pack(unsized))

    def test_a_real_wide_sheet(self):
        content = pack(workbook_parts([tuple(f"列{i}" for i in range(201))]))
        assert "201 列" in read_refusal(content)


def corrupt_files() -> dict[str, tuple[str, bytes, str]]:
    good = pack(workbook_parts())
    parts = workbook_parts()
    flipped = bytearray(xlsx_bytes(["用户名"], [["a"]]).getvalue())
    at = flipped.index(b"xl/worksheets/sheet1.xml") + 40  # inside that part's compressed data
    flipped[at : at + 8] = b"\xff" * 8
    return {
        "not a zip": ("m.xlsx", b"PK\x03\x04" + bytes(range(256)) * 8, "已损坏"),
        "truncated": ("m.xlsx", good[: len(good) // 2], "已损坏"),
        "no workbook": ("m.xlsx", pack({"readme.txt": b"hello"}), "不是 Excel 工作簿"),
        "a Word file": (
            "m.xlsx",
            pack({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
            "不是 Excel",
        ),
        "bad sheet XML": (
            "m.xlsx",
            pack(dict(parts, **{"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row>"})),
            "已损坏",
        ),
        "bad workbook XML": ("m.xlsx", pack(dict(parts, **{"xl/workbook.xml": b"<workbook"})), "已损坏"),
        "bad relationships": (
            "m.xlsx",
            pack(dict(parts, **{"xl/_rels/workbook.xml.rels": b"\x00\x01"})),
            "已损坏",
        ),
        "bad shared strings": (
            "m.xlsx",
            pack(dict(parts, **{"xl/sharedStrings.xml": b"<sst><si><t>"})),
            "已损坏",
        ),
        "damaged data": ("m.xlsx", bytes(flipped), "已损坏"),
        # decodable where sniff looks (the first 64 KB), not further on
        "CSV not in UTF-8 or GB18030": (
            "m.csv",
            "用户名".encode() + b" " * 70000 + b"\xff\xff\n",
            "无法读取 CSV",
        ),
    }


CORRUPT = corrupt_files()


@pytest.mark.django_db
class TestCorruptFiles:
    @pytest.mark.parametrize("case", list(CORRUPT))
    def test_the_importer_says_so(self, tree, case):
        name, content, text = CORRUPT[case]
        with pytest.raises(tabular.UploadError) as caught:
            import_file(
                kind="members", fileobj=io.BytesIO(content), name=name, actor=None, scope=None, dry_run=True
            )
        assert text in str(caught.value)

    @pytest.mark.parametrize("case", list(CORRUPT))
    def test_the_user_import_page_says_so(self, personas, case):
        name, content, text = CORRUPT[case]
        client = login(personas, "county_office")
        response = client.post(reverse("accounts:user_import"), {"file": SimpleUploadedFile(name, content)})
        assert response.status_code == 200 and text in response.content.decode()
        assert User.objects.count() == len(personas)

    def test_a_blank_header_cell_on_the_user_import(self, personas, tree):
        """Excel often saves a trailing empty column: it is ignored, not a crash."""
        content = (
            "用户名,姓名,组织代码,角色,初始密码,\nnew_user,王芳,150125100201,operator,Long-enough-2014,\n"
        )
        client = login(personas, "county_office")
        response = client.post(
            reverse("accounts:user_import"), {"file": SimpleUploadedFile("u.csv", content.encode())}
        )
        assert response.status_code == 302 and User.objects.filter(username="new_user").exists()

    def test_the_member_import_page_refuses_a_bomb_at_upload(self, personas, tree):
        client = login(personas, "county_office")
        response = client.post(
            reverse("orgs:io_import", args=[tree.county.code]),
            {"kind": "members", "file": SimpleUploadedFile("m.xlsx", shared_strings_bomb())},
        )
        assert response.status_code == 400 and "压缩比异常" in response.content.decode()
        assert not Job.objects.exists()

    def test_the_user_import_page_refuses_a_bomb(self, personas):
        client = login(personas, "county_office")
        response = client.post(
            reverse("accounts:user_import"), {"file": SimpleUploadedFile("u.xlsx", shared_strings_bomb())}
        )
        assert response.status_code == 200 and "压缩比异常" in response.content.decode()
