"""`echelon demo_logins`: the demo accounts that `seed_demo` created, with their role, unit and password."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.core.management.base import BaseCommand

from echelon.accounts.models import Grant
from echelon.accounts.roles import Role
from echelon.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD


def width(text: str) -> int:
    """Columns the text takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    return text + " " * (columns - width(text))


class Command(BaseCommand):
    help = "列出演示账号：用户名、角色、所在组织及代码、密码。"

    def handle(self, *args: Any, **options: Any) -> None:
        names = [username for username, *_ in DEMO_ACCOUNTS]
        grants = {
            g.user.username: g
            for g in Grant.objects.filter(user__username__in=names)
            .select_related("user", "unit")
            .order_by("pk")
        }
        if not grants:
            self.stdout.write("还没有演示账号：先运行 echelon seed_demo。")
            return
        header = ["用户名 username", "角色 role", "组织 unit", "代码 code", "密码 password"]
        rows = [
            [g.user.username, f"{Role(g.role).label} ({g.role})", g.unit.name, g.unit.code, DEMO_PASSWORD]
            for g in (grants.get(n) for n in names)
            if g is not None
        ]
        cols = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]
        rule = "+" + "+".join("-" * (c + 2) for c in cols) + "+"
        self.stdout.write(rule)
        self.stdout.write("| " + " | ".join(pad(h, c) for h, c in zip(header, cols, strict=True)) + " |")
        self.stdout.write(rule)
        for row in rows:
            self.stdout.write("| " + " | ".join(pad(v, c) for v, c in zip(row, cols, strict=True)) + " |")
        self.stdout.write(rule)
        self.stdout.write("所有演示账号使用同一密码；admin 为系统管理员（超级用户）。")
