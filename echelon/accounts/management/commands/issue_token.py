from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from echelon.accounts import services
from echelon.accounts.models import User


class Command(BaseCommand):
    help = "Issue a new API token for USERNAME; the token is printed alone on the last line (shown once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在或已停用。")
        token, key = services.token_issue(actor=None, user=user, name=name)
        self.stderr.write(
            f"token {token.prefix}… issued for {username}; use it as 'Authorization: Token <key>'"
        )
        self.stdout.write(key)
