"""echelon liaison_defaults CAMPAIGN

The default liaison points: each user holding the ``leader`` role at the campaign's root (the region)
guides one league and links one county (deterministic; leaders who already have a point in the campaign are
left alone). Written through the audited service, as the system.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from echelon.campaigns.models import Campaign
from echelon.supervision import services


class Command(BaseCommand):
    help = "Default liaison points: each region leader guides one league and links one county."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("campaign", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(pk=options["campaign"]).select_related("root").first()
        if campaign is None:
            raise CommandError(f"no campaign {options['campaign']}")
        created = services.liaison_defaults(actor=None, campaign=campaign)
        for p in created:
            self.stdout.write(f"{p.leader.get_username()}\t{p.kind}\t{p.unit.code}\t{p.unit.name}")
        self.stdout.write(f"{len(created)} liaison points created")
