"""The columns of units and members, defined once: files (import, export, template), tables and the API.

Each entity is one ordered tuple of :class:`Column` specs, and every place that shows its columns derives
them from it, in this order:

- **files** — the columns with a ``label``: the import (``orgs.imports``: header matching, required cells,
  coded values), the export (``orgs.exports``: the values read and how they are written) and the import
  template (the same workbook, with the 说明 sheet and drop-down lists). The label is the file's contract
  and is never translated; export and import agree column by column, so a round trip changes nothing;
- **tables** (``orgs.tables``) — the columns flagged ``table``, headed by their title (translated);
- **the API** (``orgs.api.serializers``) — the columns flagged ``api``: a unit reference as ``<name>_code``,
  a coded value also as ``<name>_display`` when flagged ``display``.

A place that shows fewer columns filters by its flag; none keeps a list of its own. The audit snapshots
of the services record the file columns (``Entity.attnames``), and the members' staging table holds them.
The importers take from a column what a cell must be (``required``, the coded values of ``choices``, the
header named in their messages); the rules across cells (dates in order, a mobile member's inflow unit, a
unit's place in the tree) stay with them. How an export writes a cell follows from its ``type``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, cast

from django.db import models
from django.utils import translation
from django.utils.functional import Promise

# `_` only marks a heading for makemessages: a label is also the file's header, which stays Chinese.
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as _

from echelon.orgs.models import (
    ETHNICITIES,
    AreaType,
    Division,
    Gender,
    Kind,
    LeadBy,
    Level,
    Member,
    MemberStatus,
    Unit,
)

Choices = Callable[[], list[tuple[Any, str]]]  # (stored value, Chinese label)


class Type(StrEnum):
    """How a cell is read from a file and written to one."""

    CODE = "code"  # an identifier: letters, digits, - _ . (at most 32)
    TEXT = "text"
    CHOICE = "choice"  # a coded value: files hold the Chinese label (the code is accepted on import)
    DATE = "date"  # YYYY-MM-DD (other common spellings accepted on import)
    YES_NO = "yes_no"  # a boolean: 是 / 否
    UNIT = "unit"  # a unit, by its code (a foreign key)
    NUMBER = "number"  # a figure the system keeps (rollups, depth): never in files


@dataclass(frozen=True)
class Column:
    """One column of an entity, for every place that shows it."""

    name: str  # the model field
    label: str = ""  # the file's header; empty: not in files
    type: Type = Type.TEXT
    required: bool = False  # in files: the cell may not be empty
    help: str = ""  # the 说明 sheet
    choices: Choices | None = None  # coded values (and the template's drop-down list)
    heading: str = ""  # the table's heading when it is not the label
    table: bool = True  # shown in the list tables
    api: bool = True  # served by the API
    display: bool = False  # API: the coded value's label too, as <name>_display
    table_options: Mapping[str, Any] = field(default_factory=dict)  # django-tables2 Column arguments

    @property
    def attname(self) -> str:
        """The model attribute holding the value (a unit reference holds the unit's id)."""
        return f"{self.name}_id" if self.type is Type.UNIT else self.name

    @property
    def lookup(self) -> str:
        """What an export reads (``values_list``): a unit reference as the unit's code."""
        return f"{self.name}__code" if self.type is Type.UNIT else self.name

    @property
    def title(self) -> Promise:
        """The table's heading, in the user's language."""
        return gettext_lazy(self.heading or self.label)

    def coded(self) -> dict[Any, str]:
        """Stored value → Chinese label, for the coded columns."""
        return dict(self.choices()) if self.choices else {}


@dataclass(frozen=True)
class Entity:
    """An entity's columns, in order, and what each place takes of them."""

    kind: str  # "units" | "members": the word in URLs, jobs and commands
    noun: str  # in file and sheet names (Chinese, as the files' headers)
    model: type[models.Model]
    columns: tuple[Column, ...]

    def __getitem__(self, name: str) -> Column:
        return self._by_name[name]

    @cached_property
    def _by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    @cached_property
    def file_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.label)

    @cached_property
    def table_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.table)

    @cached_property
    def api_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.api)

    def header(self) -> list[str]:
        """The files' header row."""
        return [c.label for c in self.file_columns]

    @cached_property
    def labels(self) -> dict[str, str]:
        """Model field → file header, for messages about a cell."""
        return {c.name: c.label for c in self.file_columns}

    @cached_property
    def attnames(self) -> list[str]:
        """The model attributes the file columns hold: what imports write and audit snapshots record."""
        return [c.attname for c in self.file_columns]

    def model_field(self, name: str) -> models.Field[Any, Any]:
        return cast("models.Field[Any, Any]", self.model._meta.get_field(name))


def _zh(choices_cls: type[models.Choices]) -> Choices:
    """A model's choices with their Chinese labels (files are Chinese whatever the user's language)."""

    def get() -> list[tuple[Any, str]]:
        with translation.override("zh-hans"):
            return [(v, str(label)) for v, label in choices_cls.choices if v != ""]

    return get


def _yes_no() -> list[tuple[Any, str]]:
    return [(True, "是"), (False, "否")]


def _ethnicities() -> list[tuple[Any, str]]:
    return [(e, e) for e in ETHNICITIES]


UNIT = Entity(
    "units",
    "组织",
    Unit,
    (
        Column(
            "code",
            _("组织代码"),
            Type.CODE,
            required=True,
            help="唯一、不变的代码（行政区划代码或自编码），只能包含字母、数字、-、_、.；已有代码会更新该组织。",
        ),
        Column(
            "name", _("名称"), required=True, help="组织全称，最多 100 字。", table_options={"linkify": True}
        ),
        Column(
            "parent",
            _("上级组织代码"),
            Type.UNIT,
            help="上级组织的组织代码；只有自治区可以为空。可以是本文件中新增的组织。修改它即调整隶属。",
            table=False,
        ),
        Column(
            "level",
            _("层级"),
            Type.CHOICE,
            required=True,
            help="自治区、盟市、旗县市区、苏木乡镇街道、嘎查村社区（或 1–5）。"
            "已有组织的层级不能通过导入修改。",
            choices=_zh(Level),
            display=True,
        ),
        Column(
            "kind",
            _("类别"),
            Type.CHOICE,
            required=True,
            help="领导班子、党政机关、直属单位……；嘎查村、社区只能在第五级。",
            choices=_zh(Kind),
            display=True,
        ),
        Column(
            "division",
            _("区划类型"),
            Type.CHOICE,
            help="区划单位（领导班子、嘎查村、社区）的行政区划类型，须与层级相符；其他组织留空。",
            choices=_zh(Division),
            table=False,
        ),
        Column(
            "area_type",
            _("区域类型"),
            Type.CHOICE,
            help="农区、牧区、林区、矿区、城区，可留空。",
            choices=_zh(AreaType),
        ),
        Column(
            "industry",
            _("行业系统"),
            help="所属行业系统（垂直或双重管理），最多 50 字，可留空。",
            table=False,
        ),
        Column(
            "lead_by",
            _("活动牵头"),
            Type.CHOICE,
            help="属地或行业；留空为属地。",
            choices=_zh(LeadBy),
            table=False,
        ),
        Column("is_active", type=Type.YES_NO, table=False),
        Column("depth", type=Type.NUMBER, table=False),
        Column("sub_units", type=Type.NUMBER, heading=_("组织数")),
        Column("sub_members", type=Type.NUMBER, heading=_("党员")),
        Column("sub_participants", type=Type.NUMBER, heading=_("参加活动")),
        Column("sub_mobile", type=Type.NUMBER, heading=_("流动")),
        Column("sub_blind", type=Type.NUMBER, heading=_("盲点")),
    ),
)

MEMBER = Entity(
    "members",
    "党员",
    Member,
    (
        Column(
            "code",
            _("党员编号"),
            Type.CODE,
            required=True,
            help="唯一、不变的编号，只能包含字母、数字、-、_、.；已有编号会更新该党员。",
        ),
        Column("name", _("姓名"), required=True, help="最多 50 字。"),
        Column("gender", _("性别"), Type.CHOICE, required=True, help="男或女。", choices=_zh(Gender)),
        Column(
            "ethnicity", _("民族"), required=True, help="如汉族、蒙古族，最多 10 字。", choices=_ethnicities
        ),
        Column(
            "birth_date", _("出生日期"), Type.DATE, required=True, help="日期，如 1980-07-01，不能晚于今天。"
        ),
        Column(
            "joined_date",
            _("入党日期"),
            Type.DATE,
            required=True,
            help="日期，须晚于出生日期，不能晚于今天。",
        ),
        Column(
            "status",
            _("党员类别"),
            Type.CHOICE,
            required=True,
            help="正式党员或预备党员。",
            choices=_zh(MemberStatus),
        ),
        Column(
            "phone",
            _("联系电话"),
            help="可留空；只能包含数字、空格、+、-、括号，最多 20 字。",
            table=False,
        ),
        Column(
            "unit",
            _("所在组织代码"),
            Type.UNIT,
            required=True,
            help="党员组织关系所在组织的组织代码，须在您的管理范围内。",
            heading=_("所在组织"),
            table_options={"order_by": ("path", "id")},
        ),
        Column(
            "is_mobile",
            _("是否流动党员"),
            Type.YES_NO,
            required=True,
            help="是或否。",
            choices=_yes_no,
            heading=_("流动"),
        ),
        Column(
            "inflow_unit",
            _("流入组织代码"),
            Type.UNIT,
            help="流动党员现在参加活动的组织（流入地）的组织代码；非流动党员留空；"
            "流动党员留空即为盲点。须在您的管理范围内。",
            heading=_("流入组织"),
            table_options={"orderable": False},
        ),
    ),
)

ENTITIES: dict[str, Entity] = {e.kind: e for e in (UNIT, MEMBER)}
