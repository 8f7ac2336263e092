"""The ledgers people print (整改台账): a unit's ledger and the rolled-up ledger of a level, as Excel and
Word, and the filtered problem list as Excel.

- **The unit ledger** (单位问题整改台账): the problems the unit owns or raised (an escalated one shows its
  current owner in 单位), one row per rectification task (a problem without tasks: one row), in the
  columns offices use: 序号, 单位, 问题（具体表现）, 类别, 来源, 专项整治事项, 整改措施, 责任人, 完成时限,
  完成情况, 状态, 销号日期. Excel repeats the problem's cells on each of its task rows (so the sheet
  filters); Word merges them (so it prints like the paper ledger).
- **The rolled-up ledger** (汇总台账) under a unit: per child unit (and the unit's own problems as 本级),
  problems by category, escalated and ticked off, tasks by status and the overdue ones: the rollup
  counters of the unit and its children, and one GROUP BY for the overdue tasks.
- **The problem list** filtered as the list page filters it (``filters.ProblemFilter``), in the unit
  ledger's columns. Up to ``SYNC_PROBLEMS`` problems the file is written within the request; a bigger
  export is a background job (``core.jobs``, kind ``EXPORT_JOB``) whose file the user downloads from the
  job page. Excel's own limit of a sheet stops a job with a Chinese message.

Every queryset goes through ``visible_to(user, "export")``. Excel files are written by openpyxl's write-only
mode (``core.tabular.write_xlsx``: bounded memory, formulas neutralised, ``xml_safe``); the rows are read as
plain values, problems in chunks with one query for each chunk's tasks. Word documents follow the house
style of ``core.docx`` (its fonts with their fallbacks) on landscape A4, the header row repeated on every
page, every text through ``xml_safe``; the table is ``core.docx.Table``, written as XML text row by row
(python-docx's own row API is quadratic). A Word ledger beyond ``DOCX_MAX_ROWS`` rows is refused (Excel
holds it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.campaigns.models import Campaign
from echelon.core import jobs, tabular
from echelon.core.actors import Actor
from echelon.core.models import Job
from echelon.core.permissions import require
from echelon.core.querysets import scoped_object
from echelon.core.text import xml_safe
from echelon.core.tree import SEGMENT_WIDTH, UPPER_BOUND, depth_of
from echelon.ledger.models import CountKind, LedgerCount, Problem, ProblemStatus, Task, TaskStatus
from echelon.ledger.services.common import campaign_of
from echelon.orgs.models import Unit
from echelon.orgs.selectors import top_units

if TYPE_CHECKING:
    from docx.document import Document as WordDocument
    from docx.styles.style import ParagraphStyle

FORMATS = ("xlsx", "docx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Filtered exports of more problems than this run as a background job.
SYNC_PROBLEMS = 5_000
# A Word table beyond this many rows is no longer something to print: Excel holds it.
DOCX_MAX_ROWS = 2_000
# Rows of one sheet under the header (Excel's own limit).
XLSX_MAX_DATA_ROWS = tabular.XLSX_MAX_ROWS - 1
EXPORT_JOB = "ledger.export"
CHUNK = 500
# The list page's filters, taken from the query string.
FILTER_KEYS = ("q", "category", "status", "source", "item", "overdue", "level", "under")
OVERDUE_STATES = (TaskStatus.OPEN, TaskStatus.DEFERRED)


class TooLarge(Exception):
    """An export beyond a row cap; the message (Chinese) names the cap."""


def ledger_header() -> list[str]:
    return [
        _("序号"),
        _("单位"),
        _("问题（具体表现）"),
        _("类别"),
        _("来源"),
        _("专项整治事项"),
        _("整改措施"),
        _("责任人"),
        _("完成时限"),
        _("完成情况"),
        _("状态"),
        _("销号日期"),
    ]


# The problem's own cells (the first six columns): repeated in Excel, merged in Word.
PROBLEM_COLUMNS = 6


def joined(parts: Iterable[str], sep: str = "；") -> str:
    """Non-empty parts joined by ``sep``, each without trailing punctuation (never "。；"), and the whole
    without a trailing separator."""
    cleaned = [p.strip().rstrip("。；;，,、 ") for p in parts if p and p.strip()]
    return sep.join(p for p in cleaned if p)


class Names:
    """Names of the taxonomy's keys (categories, sources, items) per campaign, read once per export."""

    def __init__(self) -> None:
        self._by_campaign: dict[int, tuple[dict[str, str], dict[str, str], dict[str, str]]] = {}

    def of(self, campaign_id: int) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        if campaign_id not in self._by_campaign:
            campaign = Campaign.objects.only("template_data").get(pk=campaign_id)
            ledger = campaign.spec.ledger
            self._by_campaign[campaign_id] = (
                ledger.names(ledger.categories),
                ledger.names(ledger.sources),
                ledger.names(ledger.items),
            )
        return self._by_campaign[campaign_id]


def _local_date(value: datetime | None) -> date | None:
    return timezone.localdate(value) if value is not None else None


def _problem_text(title: str, description: str) -> str:
    title, description = title.strip(), description.strip()
    if not description:
        return title
    return f"{title.rstrip('。；;，,：: ')}：{description}"


@dataclass
class LedgerRow:
    """One row of a ledger: the problem's number and cells, and one task's (or none)."""

    number: int
    first: bool  # the problem's first row
    span: int  # rows of this problem (its tasks, at least one)
    cells: list[Any]
    task: bool = False  # a task's row (not a problem without tasks)
    overdue: bool = False


PROBLEM_FIELDS: tuple[str, ...] = (
    *("id", "unit__name", "title", "description", "category", "source", "item", "campaign_id"),
    *("status", "owner", "done_on"),
)
TASK_FIELDS: tuple[str, ...] = (
    *("problem_id", "measure", "responsible", "deadline", "status", "claim_note", "verdict_note"),
    "verified_at",
)


def ledger_rows(problems: QuerySet[Problem], today: date | None = None) -> Iterator[LedgerRow]:
    """The ledger's rows of ``problems`` (already scoped and ordered): problems read in chunks of
    ``CHUNK``, each chunk's tasks in one more query; plain values, labels translated once."""
    today = today or timezone.localdate()
    names = Names()
    task_label = {value: str(label) for value, label in TaskStatus.choices}
    problem_label = {value: str(label) for value, label in ProblemStatus.choices}
    late, verdict = _("（已逾期）"), _("验收意见：%(note)s")
    number = 0
    for chunk in _chunks(problems.values_list(*PROBLEM_FIELDS).iterator(chunk_size=CHUNK), CHUNK):
        tasks: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for task in (
            Task.objects.filter(problem_id__in=[p[0] for p in chunk])
            .order_by("problem_id", "deadline", "id")
            .values_list(*TASK_FIELDS)
        ):
            tasks[task[0]].append(task)
        for (
            pk,
            unit,
            title,
            description,
            category,
            source,
            item,
            campaign_id,
            status,
            owner,
            done_on,
        ) in chunk:
            number += 1
            categories, sources, items = names.of(campaign_id)
            head = [
                number,
                unit,
                _problem_text(title, description),
                categories.get(category, category),
                sources.get(source, source),
                items.get(item, item),
            ]
            mine = tasks.get(pk, [])
            if not mine:
                yield LedgerRow(number, True, 1, [*head, "", owner, None, "", problem_label[status], done_on])
                continue
            for i, (_pk, measure, responsible, deadline, t_status, claim, note, verified_at) in enumerate(
                mine
            ):
                overdue = t_status in OVERDUE_STATES and deadline < today
                progress = joined([claim, verdict % {"note": note.strip()} if note.strip() else ""])
                yield LedgerRow(
                    number,
                    i == 0,
                    len(mine),
                    [
                        *head,
                        measure,
                        responsible or owner,
                        deadline,
                        progress,
                        task_label[t_status] + late if overdue else task_label[t_status],
                        _local_date(verified_at) if t_status == TaskStatus.VERIFIED else None,
                    ],
                    task=True,
                    overdue=overdue,
                )


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def unit_problems(actor: Actor, unit: Unit) -> QuerySet[Problem]:
    """The unit's ledger: problems it owns, and problems it raised that went up (shown with their owner)."""
    return (
        Problem.objects.visible_to(actor, "export")
        .filter(Q(path=unit.path) | Q(origin_path=unit.path))
        .order_by("found_on", "id")
    )


def _subtree(field_name: str, unit: Unit) -> Q:
    return Q(**{f"{field_name}__gte": unit.path, f"{field_name}__lt": unit.path + UPPER_BOUND})


def filtered_problems(
    actor: Actor, params: Mapping[str, str], *, unit: Unit | None = None
) -> QuerySet[Problem]:
    """The problem list's rows filtered as the list page filters them (``filters.ProblemFilter``:
    category, status, source, item, overdue, level, under, q), among the problems the actor may export.
    ``unit`` gives the taxonomy of the choices (the list's: the unit filtered on, else the caller's
    first)."""
    from echelon.ledger.filters import ProblemFilter

    campaign = campaign_of(unit) if unit is not None else None
    base = Problem.objects.visible_to(actor, "export")
    return ProblemFilter(dict(params), queryset=base, campaign=campaign).qs.order_by("path", "found_on", "id")


def query_of(params: Mapping[str, str]) -> dict[str, str]:
    """The filter parameters of a query string (the list page's), without empty ones."""
    return {k: str(params.get(k) or "")[:100] for k in FILTER_KEYS if params.get(k)}


# --- Excel -------------------------------------------------------------------------------------------


def write_ledger_xlsx(rows: Iterable[LedgerRow], out: Path | IO[bytes], *, title: str) -> int:
    """The ledger as a workbook (write-only: bounded memory). Stops at Excel's row limit: ``TooLarge``."""
    too_many = False

    def body() -> Iterator[list[Any]]:
        nonlocal too_many
        for n, row in enumerate(rows, start=1):
            if n > XLSX_MAX_DATA_ROWS:
                too_many = True  # let the workbook close cleanly; refused below
                return
            yield row.cells

    n = tabular.write_xlsx(out, ledger_header(), body(), title=_sheet_title(title))
    if too_many:
        raise TooLarge(
            _("超过 Excel 单个工作表的行数上限（%(n)s 行），请缩小范围后再导出。")
            % {"n": f"{XLSX_MAX_DATA_ROWS:,}"}
        )
    return n


def _sheet_title(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, "")
    return title[:31] or "Sheet1"


# --- the rolled-up ledger --------------------------------------------------------------------------------


@dataclass
class RollupRow:
    name: str
    code: str
    own: bool = False  # the unit's own problems (本级)
    categories: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    problem_status: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    task_status: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    overdue: int = 0

    @property
    def problems(self) -> int:
        return sum(self.problem_status.values())

    @property
    def tasks(self) -> int:
        return sum(self.task_status.values())

    def add(self, other: RollupRow, sign: int = 1) -> None:
        for mine, theirs in (
            (self.categories, other.categories),
            (self.problem_status, other.problem_status),
            (self.task_status, other.task_status),
        ):
            for key, n in theirs.items():
                mine[key] += sign * n
        self.overdue += sign * other.overdue


@dataclass
class Rollup:
    under: Unit
    categories: list[tuple[str, str]]  # (key, name) in the taxonomy's order
    rows: list[RollupRow]
    total: RollupRow
    today: date

    def header(self) -> list[str]:
        return [
            _("序号"),
            _("单位"),
            _("问题总数"),
            *(name for _key, name in self.categories),
            _("上报中"),
            _("已销号问题"),
            _("整改任务"),
            _("任务已销号"),
            _("任务待验收"),
            _("任务整改中"),
            _("暂不能解决"),
            _("逾期任务"),
        ]

    def cells(self, number: int | str, row: RollupRow) -> list[Any]:
        return [
            number,
            row.name,
            row.problems,
            *(row.categories.get(key, 0) for key, _name in self.categories),
            row.problem_status.get(ProblemStatus.ESCALATED, 0),
            row.problem_status.get(ProblemStatus.DONE, 0),
            row.tasks,
            row.task_status.get(TaskStatus.VERIFIED, 0),
            row.task_status.get(TaskStatus.CLAIMED, 0),
            row.task_status.get(TaskStatus.OPEN, 0),
            row.task_status.get(TaskStatus.DEFERRED, 0),
            row.overdue,
        ]

    def table(self) -> list[list[Any]]:
        lines = [self.cells(i, row) for i, row in enumerate(self.rows, start=1)]
        lines.append(self.cells("", self.total))
        return lines


def rollup(actor: Actor, under: Unit, today: date | None = None) -> Rollup:
    """Counts per child unit of ``under``, and its own problems as 本级 (the unit's subtree less its
    children's). ``under`` lies in the actor's export scope (PermissionDenied otherwise), so its whole
    subtree is theirs: the counts are the rollup counters of ``under`` and its children (``ledger.rollup``,
    a few dozen rows), and only the overdue tasks, which become overdue as days pass, are counted from the
    rows (one GROUP BY on the tasks' path, status and deadline index)."""
    require(actor, "export", under.path)
    today = today or timezone.localdate()
    width = len(under.path) + SEGMENT_WIDTH
    by_path: dict[str, RollupRow] = defaultdict(lambda: RollupRow(name="", code=""))
    seen_categories: set[str] = set()
    counters = (
        LedgerCount.objects.filter(
            Q(path=under.path) | (Q(depth=depth_of(under.path) + 1) & _subtree("path", under)),
            kind__in=(CountKind.PROBLEM, CountKind.TASK),
        )
        .exclude(n=0)
        .values_list("path", "kind", "category", "status", "n")
    )
    for path, kind, category, status, n in counters:
        row = by_path[path]
        if kind == CountKind.PROBLEM:
            row.categories[category] += n
            row.problem_status[status] += n
            seen_categories.add(category)
        else:
            row.task_status[status] += n
    late = (
        Task.objects.filter(_subtree("path", under))
        .overdue(today)
        .annotate(child=Substr("path", 1, width))
        .values_list("child")
        .annotate(n=Count("id"))
        .order_by()
    )
    for child, n in late:
        by_path[child].overdue += n
    whole = by_path.pop(under.path, RollupRow(name="", code=""))
    children = {
        u.path: u for u in Unit.objects.filter(Q(parent=under, is_active=True) | Q(path__in=list(by_path)))
    }
    rows: list[RollupRow] = []
    for path in sorted(children, key=lambda p: (children[p].code, p)):
        row = by_path.get(path) or RollupRow(name="", code="")
        row.name, row.code = children[path].name, children[path].code
        rows.append(row)
    own = RollupRow(name=_("%(unit)s（本级）") % {"unit": under.name}, code=under.code, own=True)
    own.add(whole)
    for row in rows:
        own.add(row, sign=-1)
    own.overdue = whole.overdue  # the overdue rows were counted per child already: under's own rows only
    if own.problems or own.tasks or own.overdue:
        rows.insert(0, own)
    total = RollupRow(name=_("合计"), code="")
    for row in rows:
        total.add(row)
    campaign = campaign_of(under)
    categories: list[tuple[str, str]] = []
    if campaign is not None:
        categories = [(t.key, t.name) for t in campaign.spec.ledger.categories]
    known = {key for key, _name in categories}
    categories += [(key, key) for key in sorted(seen_categories - known)]
    return Rollup(under=under, categories=categories, rows=rows, total=total, today=today)


def write_rollup_xlsx(data: Rollup, out: Path | IO[bytes]) -> int:
    return tabular.write_xlsx(out, data.header(), data.table(), title=_sheet_title(rollup_title(data.under)))


# --- titles and file names ---------------------------------------------------------------------------


def unit_title(unit: Unit) -> str:
    return _("%(unit)s问题整改台账") % {"unit": unit.name}


def rollup_title(unit: Unit) -> str:
    return _("%(unit)s问题整改汇总台账") % {"unit": unit.name}


def filename(title: str, fmt: str, today: date | None = None) -> str:
    today = today or timezone.localdate()
    return f"{title}_{today:%Y%m%d}.{fmt}"


# --- Word ------------------------------------------------------------------------------------------------


def _document(title: str) -> tuple[WordDocument, dict[str, ParagraphStyle]]:
    """A landscape A4 document in the house style of ``core.docx`` (its fonts and fallbacks)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Mm, Pt

    from echelon.core.docx import describe, paragraph_style, register_fallbacks  # python-docx, when used

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)
    section.left_margin, section.right_margin = Mm(18), Mm(18)
    title_style = paragraph_style(document, "台账标题", "Title", "title", 18)
    title_style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title_style.paragraph_format.space_after = Pt(6)
    title_style.font.color.rgb = None
    body = paragraph_style(document, "台账正文", "Normal", "body", 12)
    body.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    body.paragraph_format.line_spacing = Pt(20)
    body.paragraph_format.space_after = Pt(0)
    table = paragraph_style(document, "台账表格", "Normal", "table", 9)
    table.paragraph_format.space_after = Pt(0)
    table.paragraph_format.first_line_indent = Pt(0)
    heading = paragraph_style(document, "台账表头", "Normal", "heading", 9)
    heading.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading.paragraph_format.space_after = Pt(0)
    register_fallbacks(document)
    describe(document, title)
    return document, {"title": title_style, "body": body, "table": table, "heading": heading}


# Column widths (mm) of the ledger on landscape A4 (261 mm between the margins).
LEDGER_WIDTHS = (10, 22, 50, 16, 13, 22, 40, 15, 18, 28, 16, 16)


def ledger_counts(rows: Sequence[LedgerRow]) -> dict[str, int]:
    """Problems, tasks by state and overdue tasks of a ledger's rows (for the Word document's summary)."""
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        if row.first:
            counts["problems"] += 1
        counts["tasks"] += int(row.task)
        counts["overdue"] += int(row.overdue)
    return counts


def build_ledger_docx(title: str, rows: Iterable[LedgerRow], *, today: date | None = None) -> bytes:
    """The ledger as a Word document; more than ``DOCX_MAX_ROWS`` rows: ``TooLarge``."""
    today = today or timezone.localdate()
    kept: list[LedgerRow] = []
    for row in rows:
        kept.append(row)
        if len(kept) > DOCX_MAX_ROWS:
            raise TooLarge(
                _("台账超过 %(n)s 行，Word 表格不便打印，请导出 Excel。") % {"n": f"{DOCX_MAX_ROWS:,}"}
            )
    from echelon.core.docx import Table, date_label, save  # python-docx, when used

    document, st = _document(title)
    document.add_paragraph(xml_safe(title), style=st["title"])
    counts = ledger_counts(kept)
    document.add_paragraph(
        _("截至%(date)s，共有问题 %(p)d 个、整改任务 %(t)d 项，其中逾期 %(o)d 项。")
        % {"date": date_label(today), "p": counts["problems"], "t": counts["tasks"], "o": counts["overdue"]},
        style=st["body"],
    )
    table = Table(document, ledger_header(), LEDGER_WIDTHS, body=st["table"], head=st["heading"])
    for row in kept:
        if row.first:
            table.add(row.cells, restart=PROBLEM_COLUMNS if row.span > 1 else 0)
        else:  # one problem, several tasks: its cells merged down
            table.add(row.cells, merge=PROBLEM_COLUMNS)
    if not kept:
        document.add_paragraph(_("暂无问题。"), style=st["body"])
    return save(document)


def build_rollup_docx(data: Rollup) -> bytes:
    from echelon.core.docx import Table, date_label, save  # python-docx, when used

    title = rollup_title(data.under)
    document, st = _document(title)
    document.add_paragraph(xml_safe(title), style=st["title"])
    total = data.total
    document.add_paragraph(
        _(
            "截至%(date)s，共有问题 %(p)d 个，已销号 %(done)d 个；整改任务 %(t)d 项，"
            "已销号 %(v)d 项，逾期 %(o)d 项。"
        )
        % {
            "date": date_label(data.today),
            "p": total.problems,
            "done": total.problem_status.get(ProblemStatus.DONE, 0),
            "t": total.tasks,
            "v": total.task_status.get(TaskStatus.VERIFIED, 0),
            "o": total.overdue,
        },
        style=st["body"],
    )
    header = data.header()
    fixed = 12 + 45  # 序号, 单位
    rest = (261 - fixed) / (len(header) - 2)
    widths = (12, 45, *([rest] * (len(header) - 2)))
    table = Table(document, header, widths, body=st["table"], head=st["heading"])
    for line in data.table():
        table.add(line)
    return save(document)


# --- the background export ----------------------------------------------------------------------------


@jobs.register(EXPORT_JOB)
def run_export(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    """params: query (the list's filters), under (a unit code or ""). Re-checks the creator's scope."""
    params = job.params
    actor = job.created_by
    under = None
    if params.get("under"):
        under = scoped_object(
            actor,
            Unit.objects,
            "export",
            code=params["under"],
            otherwise=jobs.JobError(_("您已没有该组织的权限，任务未执行。")),
        )
    qs = filtered_problems(actor, params.get("query") or {}, unit=under or top_units(actor).first())
    total = int(params.get("estimate") or 0)
    title = _("问题清单")
    out = jobs.scratch_dir(job) / filename(title, "xlsx")  # saved into the storage when the job finishes

    def counted() -> Iterator[LedgerRow]:
        for row in ledger_rows(qs):
            if row.first and row.number % 2000 == 0:
                progress(row.number, total, _("已写入 %(n)s 个问题…") % {"n": f"{row.number:,}"})
            yield row

    try:
        n = write_ledger_xlsx(counted(), out, title=title)
    except TooLarge as exc:
        out.unlink(missing_ok=True)
        raise jobs.JobError(str(exc)) from exc
    return {
        "message": _("已导出 %(n)s 行。") % {"n": f"{n:,}"},
        "rows": n,
        "file": str(out),
    }
