"""The command center's documents, read only: Word in the official-document layout (``core.docx``, the house
style of every Word file Echelon writes) and Excel (``core.tabular``).

- **The dispatch report** (调度报告) of a unit on a date: the dashboard of its subtree (``figures.board``)
  and the dispatch items open then (``dispatch_report``); as Word (the issuing office in red over a red
  rule, the summary, the table of child units, the open items, the overdue units, the signature) and as a
  workbook of three sheets (概况, 各单位, 调度事项). The caller has checked that the user may export the
  unit.
- **An information report** (信息报送) as it is sent up: Word as an information bulletin (信息简报: the red
  masthead, 第N期 and the date over a red line, the sections, the figures table, 报送/抄送) and a workbook
  of its texts and of every measure per unit. The caller has checked that the user sees the report and may
  export at its unit.

``attachment`` hands either file to the browser. Loading this module loads python-docx: the views import it
when a file is asked for (ADR 12).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import BytesIO
from pathlib import Path
from tempfile import TemporaryFile
from typing import IO, Any

from django.db.models import Q, QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from echelon.campaigns.models import Batch
from echelon.core import tabular
from echelon.core.docx import (
    FONTS,
    TEXT_WIDTH,
    Table,
    date_label,
    describe,
    official_page,
    official_setup,
    paragraph_style,
    period_label,
    register_fallbacks,
    rule,
    save,
    set_fonts,
)
from echelon.core.text import xml_safe
from echelon.core.tree import UPPER_BOUND
from echelon.dashboards import figures
from echelon.dashboards.models import DispatchItem, InfoReport, ItemStatus
from echelon.dashboards.services.dispatch import MAIN_MEASURES
from echelon.dashboards.services.reports import KEY_MEASURES, figure_table, issue_label, office_name
from echelon.orgs.models import Unit

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(filename: str, content: bytes | Callable[[IO[bytes]], object]) -> FileResponse:
    """A download named ``filename`` (Word or Excel by its suffix): a document's bytes, or what ``content``
    writes (a workbook) to a temporary file, which vanishes once the response is closed."""
    if isinstance(content, bytes):
        body: IO[bytes] = BytesIO(content)
    else:
        body = TemporaryFile()  # noqa: SIM115  (FileResponse closes it)
        content(body)
        body.seek(0)
    kind = DOCX if filename.endswith(".docx") else XLSX
    return FileResponse(body, as_attachment=True, filename=filename, content_type=kind)


# --- the dispatch report (调度报告): a unit's dashboard on a date -----------------------------------------

REPORT_ITEMS = 200  # items listed in the Word report (the workbook lists them all)
ITEM_WIDTHS = (9, 25, 50, 36, 20, 16)  # 序号, 承办单位, 事项, 交办会议, 办结时限, 状态
DISPATCH_RED = RGBColor(0xC0, 0x00, 0x00)


@dataclass
class DispatchReport:
    unit: Unit
    batch: Batch
    day: date
    board: figures.Board
    items: list[DispatchItem]

    @property
    def labels(self) -> dict[str, str]:
        return {m.key: str(m.label) for m in self.board.measures}

    def row_name(self, row: figures.Row) -> str:
        return row.unit.name if row.unit is not None else _("%(unit)s（本级）") % {"unit": self.unit.name}

    def overdue_items(self) -> int:
        return sum(1 for i in self.items if i.deadline < self.day)


def open_items_under(unit: Unit, day: date) -> QuerySet[DispatchItem]:
    """Items assigned in ``unit``'s subtree by a meeting held by ``day`` and not done by then (done later, or
    still open), overdue first (deadline order)."""
    end_of_day = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return (
        DispatchItem.objects.filter(
            path__gte=unit.path, path__lt=unit.path + UPPER_BOUND, meeting__date__lte=day
        )
        .filter(Q(status=ItemStatus.OPEN) | Q(done_at__gte=end_of_day))
        .select_related("unit", "meeting", "meeting__unit")
        .order_by("deadline", "id")
    )


def dispatch_report(batch: Batch, unit: Unit, day: date) -> DispatchReport:
    """The figures of ``unit``'s subtree in ``batch`` as of ``day``, and the dispatch items open then. The
    caller has checked that the user may export ``unit`` (its whole subtree is theirs)."""
    board = figures.board(batch, unit, day)
    return DispatchReport(
        unit=unit, batch=batch, day=day, board=board, items=list(open_items_under(unit, day))
    )


def dispatch_title(data: DispatchReport) -> str:
    return _("%(unit)s%(campaign)s调度报告") % {"unit": data.unit.name, "campaign": data.batch.campaign.name}


def dispatch_filename(data: DispatchReport, fmt: str) -> str:
    return f"{data.unit.name}调度报告_{data.day:%Y%m%d}.{fmt}"


def issuer(unit: Unit) -> str:
    """The issuing office (发文机关)."""
    return _("%(unit)s教育实践活动领导小组办公室") % {"unit": unit.name}


def _pct(value: int, of: int) -> str:
    return f"{100 * value / of:.1f}%" if of else "—"


def summary_text(data: DispatchReport) -> str:
    t = data.board.total
    return _(
        "截至%(date)s，%(unit)s范围内参加“%(batch)s”的单位 %(units)d 个，已开始 %(started)d 个，"
        "全部环节通过 %(done)d 个（%(done_pct)s），当前环节逾期 %(overdue)d 个；已提交待审核 %(open)d 个，"
        "被打回 %(ret)d 个、约谈 %(interview)d 个、返工 %(redo)d 个，审核超期 %(late)d 件。"
        "查摆问题 %(problems)d 个，已销号 %(problems_done)d 个；"
        "整改任务 %(tasks)d 项，逾期 %(tasks_overdue)d 项。"
        "调度会交办事项尚未办结 %(items)d 项，其中逾期 %(items_overdue)d 项。"
    ) % {
        "date": date_label(data.day),
        "unit": data.unit.name,
        "batch": data.batch.name,
        "units": t["units"],
        "started": t["started"],
        "done": t["done"],
        "done_pct": _pct(t["done"], t["units"]),
        "overdue": t["overdue"],
        "open": t["open"],
        "ret": t["return"],
        "interview": t["interview"],
        "redo": t["redo"],
        "late": t["reviews_overdue"],
        "problems": t["problems"],
        "problems_done": t["problems_done"],
        "tasks": t["tasks"],
        "tasks_overdue": t["tasks_overdue"],
        "items": len(data.items),
        "items_overdue": data.overdue_items(),
    } + evaluation_text(t)


def evaluation_text(t: figures.Row) -> str:
    """The satisfaction evaluation's sentence (empty before any unit reached it or was evaluated)."""
    if not (t["eval_due"] or t["evaluated"] or t["redo_open"]):
        return ""
    return _(
        "群众满意度测评：进入测评环节的单位 %(due)d 个，已测评 %(evaluated)d 个，满意率 %(share)s，"
        "未达到补课线 %(below)d 个，正在补课 %(redo)d 个。"
    ) % {
        "due": t["eval_due"],
        "evaluated": t["evaluated"],
        "share": _pct(t["satisfied_votes"], t["total_votes"]),
        "below": t["eval_below"],
        "redo": t["redo_open"],
    }


def units_header(data: DispatchReport, keys: Iterable[str]) -> list[str]:
    labels = data.labels
    return [_("序号"), _("单位"), *(labels.get(k, k) for k in keys)]


def units_table(data: DispatchReport, keys: Sequence[str]) -> list[list[Any]]:
    lines: list[list[Any]] = [
        [n, data.row_name(row), *(row[k] for k in keys)] for n, row in enumerate(data.board.rows, start=1)
    ]
    lines.append(["", _("合计"), *(data.board.total[k] for k in keys)])
    return lines


def items_header() -> list[str]:
    return [_("序号"), _("承办单位"), _("事项"), _("交办会议"), _("办结时限"), _("状态")]


def items_table(data: DispatchReport) -> list[list[Any]]:
    late = _("逾期未办结")
    pending = _("办理中")
    return [
        [
            n,
            i.unit.name,
            i.text,
            f"{i.meeting.unit.name}·{i.meeting.title}（{i.meeting.date:%Y-%m-%d}）",
            i.deadline,
            late if i.deadline < data.day else pending,
        ]
        for n, i in enumerate(data.items, start=1)
    ]


def dispatch_xlsx(data: DispatchReport, out: Path | IO[bytes]) -> int:
    """One sheet per table: 概况 (the totals), 各单位 (each measure per child unit), 调度事项 (open items)."""
    keys = [m.key for m in data.board.measures]
    labels = data.labels
    overview: list[list[Any]] = [
        [_("单位"), data.unit.name],
        [_("组织代码"), data.unit.code],
        [_("活动"), data.batch.campaign.name],
        [_("批次"), data.batch.name],
        [_("截至日期"), data.day],
        [_("调度事项未办结"), len(data.items)],
        [_("调度事项逾期"), data.overdue_items()],
        *([labels[k], data.board.total[k]] for k in keys),
    ]
    return tabular.write_xlsx(
        out,
        [_("项目"), _("数值")],
        overview,
        title=_("概况"),
        extra_sheets=[
            (_("各单位"), [units_header(data, keys), *units_table(data, keys)]),
            (_("调度事项"), [items_header(), *items_table(data)]),
        ],
    )


def dispatch_docx(data: DispatchReport) -> bytes:
    """The report in the official-document layout (GB/T 9704, ``core.docx``): the issuing office in red
    over a red rule, the title, the date, the summary, the table of child units, the open dispatch items,
    the overdue units, and the signature."""
    document = Document()
    st = official_setup(document, "调度报告")
    cells = paragraph_style(document, "调度报告数据表", "Normal", "table", 10.5)  # 五号: eleven columns on A4
    cells.paragraph_format.first_line_indent = Pt(0)
    cells.paragraph_format.space_after = Pt(0)
    title = dispatch_title(data)
    describe(document, title, author=issuer(data.unit))

    def para(text: str, style: Any = None) -> Paragraph:
        return document.add_paragraph(xml_safe(text), style=style or st["body"])

    head = para("", st["title"])
    run = head.add_run(xml_safe(issuer(data.unit)))
    run.font.color.rgb = DISPATCH_RED
    run.font.size = Pt(26)
    head.paragraph_format.space_after = Pt(6)
    # the red rule under the issuing office (版头中的分隔线)
    rule(para("", st["table"]), "bottom", str(DISPATCH_RED), size=18, space=1)
    para(title, st["title"])
    when = para(_("（截至%(date)s）") % {"date": date_label(data.day)}, st["table"])
    when.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para(summary_text(data))

    def table(header: Sequence[str], lines: Sequence[Sequence[Any]], widths: Sequence[float]) -> None:
        out = Table(document, header, widths, body=cells, head=cells)
        for line in lines:
            out.add(line)

    para(_("一、各单位进展情况"), st["heading"])
    keys = [k for k in MAIN_MEASURES if k in data.labels]
    rest = (TEXT_WIDTH - 9 - 33) / len(keys)
    table(units_header(data, keys), units_table(data, keys), (9, 33, *([rest] * len(keys))))

    para(_("二、调度事项办理情况"), st["heading"])
    if data.items:
        para(
            _("各级调度会交办、尚未办结的事项 %(n)d 项，其中逾期 %(late)d 项：")
            % {"n": len(data.items), "late": data.overdue_items()}
        )
        shown = items_table(data)[:REPORT_ITEMS]
        table(items_header(), shown, ITEM_WIDTHS)
        if len(data.items) > REPORT_ITEMS:
            para(_("（仅列出前 %(n)d 项，全部事项见 Excel 报表。）") % {"n": REPORT_ITEMS})
    else:
        para(_("调度会交办的事项均已办结。"))

    para(_("三、逾期单位"), st["heading"])
    late_rows = [r for r in data.board.rows if r["overdue"]]
    if late_rows:
        names = "、".join(
            _("%(unit)s %(n)d 个") % {"unit": data.row_name(r), "n": r["overdue"]} for r in late_rows
        )
        para(
            _("当前环节超过计划时间尚未完成的单位共 %(n)d 个，分布在：%(names)s。请督促加快进度。")
            % {"n": data.board.total["overdue"], "names": names}
        )
    else:
        para(_("没有当前环节逾期的单位。"))

    para("")
    for text in (issuer(data.unit), date_label(data.day)):
        sign = para(text)
        sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return save(document)


# --- an information report (信息报送) as it is sent up ----------------------------------------------------

INFO_RED = RGBColor(0xE6, 0x00, 0x12)  # the masthead's red (红头)
SECTIONS = (
    ("narrative", gettext_lazy("一、工作进展")),
    ("practice", gettext_lazy("二、典型做法")),
    ("next_steps", gettext_lazy("三、下步打算")),
)


def period_text(report: InfoReport) -> str:
    return period_label(report.period_start, report.period_end)


def issue_date(report: InfoReport) -> date:
    """The date the document carries: its approval (sent up), else the day it is printed."""
    return timezone.localdate(report.approved_at) if report.approved_at else timezone.localdate()


def recipients(report: InfoReport) -> tuple[str, str]:
    """(报送, 抄送): the office one level up, and the unit's own leadership group's members."""
    parent = report.unit.parent
    up = office_name(parent) if parent is not None else _("中央党的群众路线教育实践活动领导小组办公室")
    return up, _("%(unit)s党的群众路线教育实践活动领导小组各成员") % {"unit": report.unit.name}


def info_filename(report: InfoReport, fmt: str) -> str:
    name = _("%(unit)s信息第%(n)d期") % {"unit": report.unit.name, "n": report.number}
    return f"{name}_{report.period_end:%Y%m%d}.{fmt}"


def info_docx(report: InfoReport) -> bytes:
    """The report as an information bulletin (信息简报) in the official-document layout (GB/T 9704's page
    and faces, ``core.docx``): the red masthead of the issuing office, 第N期 and the date over a red line,
    the title centred, the sections 一、工作进展 二、典型做法 三、下步打算 in 仿宋, the figures table, and
    the 报送/抄送 block at the bottom. Formatted run by run (no named styles)."""
    title_face, heading_face, body_face = FONTS["title"][0], FONTS["heading"][0], FONTS["body"][0]
    document = Document()
    official_page(document)
    register_fallbacks(document)
    describe(document, report.title, author=office_name(report.unit))

    def para(
        text: str,
        face: str = body_face,
        size: float = 16,
        *,
        align: Any = None,
        bold: bool = False,
        color: RGBColor | None = None,
        indent: bool = False,
        after: float = 0,
    ) -> Paragraph:
        p = document.add_paragraph()
        fmt = p.paragraph_format
        fmt.space_after, fmt.space_before = Pt(after), Pt(0)
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(max(28, size + 6))
        if indent:
            fmt.first_line_indent = Pt(size * 2)
        if align is not None:
            p.alignment = align
        set_fonts(p.add_run(xml_safe(text)), face, size, bold=bold, color=color)
        return p

    center, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    para(office_name(report.unit), title_face, 22, align=center, color=INFO_RED, after=6)
    para(_("第%(n)d期") % {"n": report.number}, body_face, 16, align=center)
    dated = para(date_label(issue_date(report)), body_face, 16, align=right, after=18)
    rule(dated, "bottom", str(INFO_RED))
    para(report.title, title_face, 22, align=center, after=6)
    para(_("（%(period)s）") % {"period": period_text(report)}, "楷体_GB2312", 16, align=center, after=12)
    for field, heading in SECTIONS:
        para(str(heading), heading_face, 16, indent=True)
        text = (getattr(report, field) or "").strip()
        lines = [line.strip() for line in text.splitlines() if line.strip()] or [_("（无）")]
        for line in lines:
            para(line, indent=True)

    table_data = figure_table(report, KEY_MEASURES)
    if table_data["measures"]:
        as_of = table_data["as_of"]
        para(
            _("附：主要数据（截至%(day)s，系统生成）")
            % {"day": date_label(date.fromisoformat(as_of)) if as_of else ""},
            heading_face,
            16,
            indent=True,
            after=6,
        )
        header = [_("单位"), *(label for _key, label in table_data["measures"])]
        body = [[row["name"], *row["cells"]] for row in table_data["rows"]]
        body.append([_("合计"), *table_data["total_cells"]])
        # a few dozen rows: python-docx's own (quadratic) rows, formatted run by run like the text
        table = document.add_table(rows=1, cols=len(header))
        with contextlib.suppress(KeyError):  # a template without the built-in style: plain
            table.style = document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            p = cell.paragraphs[0]
            p.alignment = center
            set_fonts(p.add_run(xml_safe(str(text))), heading_face, 9)
        for values in body:
            cells = table.add_row().cells
            for i, (cell, value) in enumerate(zip(cells, values, strict=True)):
                p = cell.paragraphs[0]
                p.alignment = WD_ALIGN_PARAGRAPH.LEFT if i == 0 else right
                set_fonts(p.add_run(xml_safe(str(value))), FONTS["table"][0], 9)
        first = 30
        widths = [Mm(first), *([Mm((TEXT_WIDTH - first) / max(1, len(header) - 1))] * (len(header) - 1))]
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = width

    para("", after=12)
    up, copy = recipients(report)
    sent = para(_("报送：%(to)s") % {"to": up}, body_face, 14)
    rule(sent, "top", "000000")
    copied = para(_("抄送：%(to)s") % {"to": copy}, body_face, 14)
    rule(copied, "bottom", "000000")
    return save(document)


def info_xlsx(report: InfoReport, out: Path | IO[bytes]) -> int:
    """The report as a workbook: the texts (信息) and the figures of every measure per unit (数据)."""
    table_data = figure_table(report)
    up, copy = recipients(report)
    texts = [
        (_("标题"), report.title),
        (_("编发单位"), office_name(report.unit)),
        (_("期数"), _("第%(n)d期") % {"n": report.number}),
        (_("报告期"), period_text(report)),
        (_("状态"), report.get_status_display()),
        (_("数据截至"), table_data["as_of"]),
        *((str(heading), getattr(report, field)) for field, heading in SECTIONS),
        (_("汇总的下级信息"), "；".join(issue_label(s) for s in report.sources.select_related("unit"))),
        (_("报送"), up),
        (_("抄送"), copy),
    ]
    header = [_("单位"), _("组织代码"), *(label for _key, label in table_data["measures"])]
    rows = [[row["name"], row["code"], *row["cells"]] for row in table_data["rows"]]
    rows.append([_("合计"), report.unit.code, *table_data["total_cells"]])
    return tabular.write_xlsx(
        out, [_("项目"), _("内容")], texts, title=_("信息"), extra_sheets=[(_("数据"), [header, *rows])]
    )
