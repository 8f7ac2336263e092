"""The demo campaign's publicity (公示, ``seed_publicity``): a share of the units that have a problem list
publish, as if their level above had approved it some days ago and the period were still running: their
promises (承诺事项), their problem list with the rectification progress and, for those that ticked problems
off, their results. The public copies are built like the service's (``publicity.kinds``: masked, frozen),
from the ledger's rows read once for the whole campaign; the rows are written in bulk (one
``bulk_create``), with one audit event summarising it (``publicity.simulate``). Deterministic for a
campaign, day and seed; seconds at full scale (about 14,000 units publish).

Run after the ledger (``echelon/demo/ledger.py``): ``seed_publicity(campaign, today)``.
"""

from __future__ import annotations

import random
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from echelon.campaigns.models import Campaign
from echelon.core import audit
from echelon.ledger.models import Opinion, Problem, ProblemStatus, Task
from echelon.orgs.models import Unit
from echelon.publicity import cache, kinds, verbs
from echelon.publicity.masking import names_in_contacts
from echelon.publicity.models import Publication, PublicationStatus

SHARE = 0.2  # of the units with a problem list
BATCH = 2_000
PROMISES = (
    "每月 5 日前公开村务、财务，接受群众监督",
    "群众反映的问题 7 个工作日内答复",
    "党员干部每周至少走访 5 户群众",
    "整改措施和进度每月公示一次",
    "精简会议和文件，不搞形式主义",
    "便民服务窗口工作日全天有人值守",
    "公务接待严格执行标准，不超标、不变相",
    "困难群众的救助申请当月办结",
)


@dataclass(frozen=True)
class PublicityResult:
    counts: dict[str, int]
    seconds: float


def _chosen(code: str, seed: int, share: float) -> bool:
    return zlib.crc32(f"{seed}:{code}".encode()) % 1000 < share * 1000


def seed_publicity(
    campaign: Campaign, today: date | None = None, *, share: float = SHARE, seed: int = 2014
) -> PublicityResult:
    """Published notices for ``share`` of the units with problems in ``campaign``, running on ``today``."""
    began = time.perf_counter()
    today = today or timezone.localdate()
    days = campaign.spec.publicity_days
    ledger = campaign.spec.ledger
    categories = ledger.names(ledger.categories)

    problems: dict[int, list[dict[str, Any]]] = defaultdict(list)
    fields = (*kinds.PROBLEM_FIELDS, "unit_id")
    for row in (
        Problem.objects.filter(campaign=campaign)
        .order_by("found_on", "id")
        .values(*fields)
        .iterator(chunk_size=20_000)
    ):
        problems[row["unit_id"]].append(row)
    units = {
        u["id"]: u
        for u in Unit.objects.filter(is_active=True).values("id", "code", "path", "level").iterator(20_000)
        if u["id"] in problems
    }
    chosen = [u for u in units.values() if _chosen(u["code"], seed, share)]
    wanted = {p["id"] for u in chosen for p in problems[u["id"]][: kinds.ITEMS_MAX]}

    tasks: dict[int, list[dict[str, Any]]] = defaultdict(list)
    task_fields = ("problem_id", "measure", "deadline", "status", "claim_note")
    for row in (
        Task.objects.filter(problem__campaign=campaign)
        .order_by("deadline", "id")
        .values(*task_fields)
        .iterator(chunk_size=20_000)
    ):
        if row["problem_id"] in wanted:
            tasks[row["problem_id"]].append(row)
    contacts: dict[int, list[str]] = defaultdict(list)
    opinions = Opinion.objects.filter(campaign=campaign, problem__isnull=False).exclude(contact="")
    for problem_id, contact in opinions.values_list("problem_id", "contact").iterator(chunk_size=20_000):
        if problem_id in wanted:
            contacts[problem_id].append(contact)

    rows: list[Publication] = []
    counts = {"units": len(chosen), "promises": 0, "problems": 0, "results": 0}
    now = timezone.now()
    for unit in sorted(chosen, key=lambda u: u["path"]):
        rng = random.Random(f"{seed}:{unit['code']}")
        own = problems[unit["id"]][: kinds.ITEMS_MAX]
        names = names_in_contacts(c for p in own for c in contacts.get(p["id"], ()))
        starts_on = today - timedelta(days=rng.randrange(days))
        promised = {"items": rng.sample(PROMISES, rng.randint(3, 5))}
        notices = [
            ("promises", "承诺事项公示", promised, promised),
            ("problems", "问题清单和整改进展公示", kinds.problems_copy(own, tasks, names, categories), {}),
        ]
        if any(p["status"] == ProblemStatus.DONE for p in own):
            notices.append(("results", "整改结果公示", kinds.results_copy(own, tasks, names), {}))
        for kind, title, snapshot, content in notices:
            counts[kind] += 1
            rows.append(
                Publication(
                    campaign=campaign,
                    unit_id=unit["id"],
                    path=unit["path"],
                    level=unit["level"],
                    kind=kind,
                    title=title,
                    content=content,
                    snapshot=snapshot,
                    status=PublicationStatus.PUBLISHED,
                    days=days,
                    starts_on=starts_on,
                    ends_on=starts_on + timedelta(days=days - 1),
                    submitted_at=now,
                    approved_at=now,
                )
            )

    with transaction.atomic():
        for start in range(0, len(rows), BATCH):
            Publication.objects.bulk_create(rows[start : start + BATCH])
        audit.record(
            actor=None,
            verb=verbs.PUBLICITY_SIMULATE,
            obj=campaign,
            unit_id=campaign.root_id,
            unit_path=campaign.path,
            after={"today": today, "seed": seed, "share": share, "counts": counts},
        )
    cache.forget_many([u["id"] for u in chosen])
    return PublicityResult(counts, time.perf_counter() - began)
