"""Job handlers of the campaigns app (registered when the app is ready)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from echelon.campaigns.models import Campaign
from echelon.core import jobs
from echelon.core.models import Job


@jobs.register("campaigns.export_plan")
def export_plan(job: Job, progress: jobs.Progress) -> dict[str, Any]:
    # Imported here, not at start-up: the plan selectors load the template specs and the scheduler.
    from echelon.campaigns import exports, selectors

    campaign = Campaign.objects.filter(pk=job.params.get("campaign")).first()
    if campaign is None:
        raise jobs.JobError(_("活动不存在。"))
    qs = selectors.participations(job.created_by, campaign, "export")
    estimate = qs.count() * len(campaign.spec.phases)
    progress(0, estimate, force=True)
    folder = jobs.scratch_dir(job)  # saved into the storage when the job finishes (core.jobs)
    name = f"plan-{campaign.pk}-{str(job.pk)[:8]}.xlsx"
    try:
        n = exports.write_plan(
            campaign, folder / name, fmt="xlsx", qs=qs, progress=lambda done: progress(done)
        )
    except exports.ExportTooLarge as exc:
        (folder / name).unlink(missing_ok=True)
        raise jobs.JobError(_("超过 Excel 单个工作表的行数上限，请导出为 CSV。")) from exc
    return {"file": str(folder / name), "rows": n, "message": _("已导出 %(n)d 行。") % {"n": n}}
