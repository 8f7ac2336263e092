from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from echelon.accounts import services
from echelon.accounts.models import User
from echelon.accounts.roles import Role
from echelon.core.commands import run_service
from echelon.orgs.models import Unit


class Command(BaseCommand):
    help = (
        "Give USERNAME the ROLE at UNIT_CODE (covering its subtree); creates the user when missing. Audited."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("unit_code")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument(
            "--password", help="password for a new user (or a new password for an existing one)"
        )

    def handle(
        self, *args: Any, username: str, unit_code: str, role: str, password: str | None, **options: Any
    ) -> None:
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is None:
            raise CommandError(f"组织代码“{unit_code}”不存在。")
        created = run_service(lambda: self._grant(username, unit, role, password))
        if created:
            self.stdout.write(f"created user {username}")
        self.stdout.write(f"granted {role} at {unit.code} {unit.name} to {username}")

    def _grant(self, username: str, unit: Unit, role: str, password: str | None) -> bool:
        """The user (created when missing, new password when given) and the grant, all or nothing."""
        with transaction.atomic():
            user = User.objects.filter(username=username).first()
            created = user is None
            if user is None:
                user = services.user_create(actor=None, username=username, password=password)
            elif password:
                services.user_set_password(actor=None, user=user, password=password)
            services.grant_add(actor=None, user=user, unit=unit, role=role)
        return created
