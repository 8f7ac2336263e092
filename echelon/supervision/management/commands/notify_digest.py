"""echelon notify_digest [--date YYYY-MM-DD]

Run once a day (cron or a scheduler): makes the day's notices — a return or redo deadline three days away,
a review overdue — each once per item and person, then sends each user one e-mail listing their unread
notifications, when an e-mail backend is configured and the user has an address (core's digest). Running
it twice on the same day sends nothing more.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from echelon.core import notifications
from echelon.supervision import services


class Command(BaseCommand):
    help = "Daily notices (deadlines three days away, overdue reviews) and one digest e-mail per user."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--date", default="", help="the day to run for (default: today)")
        parser.add_argument("--no-email", action="store_true", help="make the notices only")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["date"]:
            try:
                today = date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(f"bad date {options['date']!r}") from exc
        due = services.notify_due(actor=None, today=today)
        self.stdout.write(f"notices: {due.deadlines} deadline, {due.overdue} overdue")
        if options["no_email"]:
            return
        if not notifications.email_configured():
            self.stdout.write("e-mail not configured: no digest sent")
            return
        sent = notifications.digest_send(actor=None, today=today)
        self.stdout.write(
            f"digest: {sent.emails} e-mails to {sent.users} users"
            f" ({sent.skipped_no_email} without an address)"
        )
