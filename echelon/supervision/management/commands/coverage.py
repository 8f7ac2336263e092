"""echelon coverage CAMPAIGN [--json] [--assign] [--batch KEY]

Prints the gaps and overlaps of every batch (unit codes, level, groups) and exits 1 when any exist.
``--assign`` first creates default groups where a level has none and applies the balanced proposal to every
unassigned unit (audited, as the system; never creates an overlap), then reports.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from echelon.campaigns.models import Campaign
from echelon.orgs.models import Unit
from echelon.supervision import selectors, services
from echelon.supervision.models import SupervisionGroup


class Command(BaseCommand):
    help = "Supervision coverage of a campaign: gaps and overlaps (exit 1 when any); --assign fills the gaps."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("campaign", type=int)
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.add_argument(
            "--assign", action="store_true", help="create default groups and apply the proposal"
        )
        parser.add_argument("--batch", default="", help="only this batch (key)")

    def handle(self, *args: Any, **options: Any) -> None:
        campaign = Campaign.objects.filter(pk=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"no campaign {options['campaign']}")
        batch = None
        if options["batch"]:
            batch = campaign.batches.filter(key=options["batch"]).first()
            if batch is None:
                raise CommandError(f"no batch {options['batch']!r} in campaign {campaign.pk}")
        assigned: dict[str, Any] = {}
        if options["assign"]:
            created = services.coverage_default_groups(actor=None, campaign=campaign, batch=batch)
            result = services.coverage_propose_apply(actor=None, campaign=campaign, batch=batch)
            assigned = {
                "groups_created": len(created),
                "assignments_created": result.created,
                "unplaceable": len(result.unplaceable),
            }
        reports = selectors.coverage_report(campaign, batch=batch)
        ids = {g.unit_id for r in reports for g in r.report.gaps} | {
            o.unit_id for r in reports for o in r.report.overlaps
        }
        codes = {}
        for i in range(0, len(ids), 900):
            chunk = sorted(ids)[i : i + 900]
            codes.update(dict(Unit.objects.filter(pk__in=chunk).values_list("pk", "code")))
        group_ids = {g for r in reports for o in r.report.overlaps for g in o.group_ids}
        names = dict(SupervisionGroup.objects.filter(pk__in=group_ids).values_list("pk", "name"))
        out: dict[str, Any] = {
            "campaign": campaign.pk,
            "batches": [],
            **({"assign": assigned} if assigned else {}),
        }
        bad = False
        for r in reports:
            report = r.report
            bad = bad or not report.complete
            out["batches"].append(
                {
                    "batch": r.batch.key,
                    "totals": [
                        {
                            "level": t.level,
                            "units": t.units,
                            "covered": t.covered,
                            "gaps": t.gaps,
                            "overlaps": t.overlaps,
                            "accepted_overlaps": t.accepted_overlaps,
                        }
                        for t in report.totals
                    ],
                    "gaps": [{"unit": codes[g.unit_id], "level": g.level} for g in report.gaps],
                    "overlaps": [
                        {
                            "unit": codes[o.unit_id],
                            "level": o.level,
                            "groups": [{"id": g, "name": names.get(g, "")} for g in o.group_ids],
                        }
                        for o in report.overlaps
                    ],
                    "misplaced": len(report.misplaced),
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=1))
        else:
            if assigned:
                self.stdout.write(
                    "assign: {groups_created} groups, {assignments_created} assignments, "
                    "{unplaceable} unplaceable".format(**assigned)
                )
            for b in out["batches"]:
                self.stdout.write(f"batch {b['batch']}:")
                for t in b["totals"]:
                    self.stdout.write(
                        "  level {level}: {units} units, {covered} covered, {gaps} gaps, "
                        "{overlaps} overlaps".format(**t)
                    )
                for g in b["gaps"][:50]:
                    self.stdout.write(f"  gap     {g['unit']} (level {g['level']})")
                for o in b["overlaps"][:50]:
                    groups = ", ".join(f"{x['id']}:{x['name']}" for x in o["groups"])
                    self.stdout.write(f"  overlap {o['unit']} (level {o['level']}): {groups}")
        if bad:
            raise SystemExit(1)
