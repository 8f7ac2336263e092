"""Excel/CSV import of users with their grants: all rows valid, or nothing written."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from echelon.accounts import services, verbs
from echelon.accounts.models import User
from echelon.accounts.roles import GRANTABLE_BY_OFFICE, Role
from echelon.accounts.selectors import manages
from echelon.core import audit
from echelon.core.actors import Actor, is_person
from echelon.core.permissions import allowed_everywhere
from echelon.core.querysets import in_scope
from echelon.core.tabular import CellError, FormulaCell, read_rows, sniff
from echelon.core.tree import ancestor_ids, common_ancestor
from echelon.orgs.models import Unit

COLUMNS = {
    "用户名": "username",
    "姓名": "display_name",
    "组织代码": "unit_code",
    "角色": "role",
    "初始密码": "password",
}
REQUIRED = ["username", "unit_code", "role"]
ROLE_BY_LABEL = {str(label): value for value, label in Role.choices} | {v: v for v in Role.values}


@dataclass
class UserImportResult:
    errors: list[dict[str, Any]] = field(default_factory=list)
    created: int = 0
    granted: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def import_users(*, actor: Actor, fileobj: IO[bytes], name: str) -> UserImportResult:
    result = UserImportResult()
    kind = sniff(fileobj, name, max_bytes=5 * 1024 * 1024)
    rows = read_rows(fileobj, kind)
    try:
        _header_row, header = next(rows)
    except StopIteration:
        result.errors.append({"row": 1, "column": "", "reason": _("文件没有表头。")})
        return result
    header = [str(h or "").strip() for h in header]
    missing = [c for c, key in COLUMNS.items() if key in REQUIRED and c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    for c in missing:
        result.errors.append({"row": 1, "column": c, "reason": _("缺少必填列。")})
    for c in unknown:
        result.errors.append({"row": 1, "column": c, "reason": _("未知列。")})
    if result.errors:
        return result
    parsed = []
    seen: set[str] = set()
    for number, values in rows:
        if not any(v not in (None, "") for v in values):
            continue
        row: dict[str, str] = {}
        for i, h in enumerate(header):
            v = values[i] if i < len(values) else None
            if not h:
                continue  # a blank header cell: nothing to read under it
            if isinstance(v, CellError):  # a formula, or control characters
                reason = _("不允许公式，请填写数值。") if isinstance(v, FormulaCell) else v.reason
                result.errors.append({"row": number, "column": h, "reason": reason})
                v = None
            row[COLUMNS[h]] = "" if v is None else str(v).strip()
        errs = _check_row(actor, row, seen)
        result.errors.extend({"row": number, "column": c, "reason": r} for c, r in errs)
        parsed.append(row)
    if result.errors:
        return result
    paths = []
    with transaction.atomic():
        for row in parsed:
            unit = Unit.objects.get(code=row["unit_code"])
            paths.append(unit.path)
            user = User.objects.filter(username=row["username"]).first()
            if user is None:
                user = services.user_create(
                    actor=actor,
                    username=row["username"],
                    password=row["password"] or None,
                    display_name=row["display_name"],
                    unit_path=unit.path,
                )
                result.created += 1
            services.grant_add(actor=actor, user=user, unit=unit, role=ROLE_BY_LABEL[row["role"]])
            result.granted += 1
        at = common_ancestor(paths)
        audit.record(
            actor=actor,
            verb=verbs.USER_IMPORT,
            object_type="accounts.user",
            object_repr=name[:255],
            unit_id=ancestor_ids(at)[-1] if at else None,
            unit_path=at,
            after={"created": result.created, "granted": result.granted},
        )
    return result


def _check_row(actor: Actor, row: dict[str, str], seen: set[str]) -> list[tuple[str, str]]:
    errs: list[tuple[str, str]] = []
    label = {v: k for k, v in COLUMNS.items()}
    for key in REQUIRED:
        if not row.get(key):
            errs.append((label[key], _("必填项为空。")))
    if errs:
        return errs
    key = f"{row['username']}|{row['unit_code']}|{row['role']}"
    if key in seen:
        errs.append((label["username"], _("文件中重复的授权。")))
    seen.add(key)
    if row["role"] not in ROLE_BY_LABEL:
        errs.append((label["role"], _("未知角色“%(role)s”。") % {"role": row["role"]}))
    if (
        not in_scope(actor, Unit.objects, "manage_users")
        .filter(code=row["unit_code"], is_active=True)
        .exists()
    ):
        errs.append((label["unit_code"], _("组织不存在，或不在您的管理范围内。")))
    existing = User.objects.filter(username=row["username"]).first()
    if existing is None:
        if not row.get("password"):
            errs.append((label["password"], _("新用户必须设置初始密码。")))
        else:
            try:
                validate_password(row["password"], User(username=row["username"]))
            except ValidationError as exc:
                errs.append((label["password"], " ".join(exc.messages)))
    elif is_person(actor) and existing.pk == actor.pk:
        errs.append((label["username"], _("不能修改自己的授权。")))
    elif not manages(actor, existing) and (
        existing.is_superuser or existing.is_staff or existing.grants.exists()
    ):
        # An existing user gets more only from an office that manages them (ADR 11).
        errs.append((label["username"], _("该用户名已被使用，且该用户不在您的管理范围内。")))
    restricted = not allowed_everywhere(actor, "manage_users")
    if restricted and row["role"] in ROLE_BY_LABEL and ROLE_BY_LABEL[row["role"]] not in GRANTABLE_BY_OFFICE:
        errs.append((label["role"], _("只有系统管理员可以授予该角色。")))
    return errs
