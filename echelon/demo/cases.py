"""The demo campaign's typical cases and own actions (``seed_cases``), so that the 典型案例 library and the
自选动作 beside the prescribed actions open full.

- **Cases**: for every phase of the template and every level below the region (盟市 … 嘎查村社区), a few
  units that have finished that phase (``current_phase`` past it) put forward a case of one of the phase's
  actions for their category; most are published by the level directly above (``library_path``: the
  parent's subtree sees them), a few wait for it (the offices' review queues) and a few were returned with a
  comment. Each has one file: a shared small PDF written once through the storage (``material_file``).
- **Own actions**: about one unit in a hundred (at least a few) adds one or two own actions to its current
  phase (走访慰问困难党员, 党员承诺践诺…), some required before submitting; about half are done already
  (an ``ActionDone`` of the confirm kind).

Set-based like the rest of the demo: participation ids read once per level, rows written with one
``bulk_create`` per table and one audit event summarising it (``case.seed``); deterministic for a campaign,
day and seed. Seconds at full scale (a few hundred rows; the reads are id lists).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from echelon.campaigns.models import Campaign, Participation
from echelon.cases import verbs
from echelon.cases.models import Case, CaseFile, CaseStatus
from echelon.core import audit
from echelon.core.tree import SEGMENT_WIDTH, ancestor_ids
from echelon.demo.history import DEFAULT_SEED, material_file
from echelon.orgs.models import Unit
from echelon.supervision.models import OWN_KEY_PREFIX, ActionDone, Evidence, OwnAction

CASES_PER_PHASE_AND_LEVEL = 2  # published, at each level below the region, for each phase
WAITING_PER_LEVEL = 2  # submitted, waiting for the level above
RETURNED_PER_LEVEL = 1
OWN_SHARE = 0.01  # of the participations that have not finished: units with own actions
OWN_MIN = 6

PRACTICE = {
    "prepare": ("把动员会开到田间地头", "“四个一”动员部署", "班子成员分片包联动员"),
    "study": ("“马背宣讲团”送学上门", "夜校集中学习", "“双语”学习读本进牧户"),
    "examine": ("“红脸出汗”的专题民主生活会", "谈心谈话全覆盖", "“五查五看”查摆问题"),
    "rectify": ("问题清单销号管理", "立行立改解民忧", "建章立制管长远"),
    "summary": ("群众满意度测评公开透明", "“回头看”巩固成果", "评议结果张榜公示"),
}
TEXT = (
    "一、主要做法\n{unit}围绕“{action}”，结合本地实际，{how}。班子成员带头，党员全员参与。\n"
    "二、取得成效\n群众参与率明显提高，收集意见建议 {n} 条，已全部建立台账、逐条回应。\n"
    "三、经验启示\n规定动作做到位，自选动作有特色；坚持群众路线，做到“开门搞活动”。"
)
HOW = (
    "深入嘎查村、牧户逐户走访",
    "采取“线上+线下”相结合的方式",
    "用蒙汉双语开展宣传",
    "利用农闲时节集中开展",
)
OWN_TITLES = (
    ("走访慰问困难党员和群众", Evidence.CONFIRM),
    ("党员承诺践诺公开", Evidence.MATERIAL),
    ("“党员中心户”结对帮扶", Evidence.CONFIRM),
    ("召开“草原夜话”座谈会", Evidence.MEETING),
    ("为民服务全程代办", Evidence.MATERIAL),
)
RETURN_COMMENT = "请补充具体成效数据和群众评价。"


@dataclass
class CasesResult:
    published: int = 0
    waiting: int = 0
    returned: int = 0
    own_actions: int = 0
    own_done: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _at(day: date, rng: random.Random) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59))))


def _day(campaign: Campaign, today: date, k: int, phases: int) -> date:
    """A day for phase ``k``'s cases: the campaign's span to today cut in ``phases`` parts."""
    first, last = campaign.start, max(campaign.start, min(today, campaign.end))
    return first + timedelta(days=(last - first).days * (k + 1) // (phases + 1))


def _case(
    campaign: Campaign, rng: random.Random, row: tuple[Any, ...], k: int, state: str, day: date
) -> Case | None:
    """A case of ``row`` (a participation's id, unit, path, level, kind, current phase) for phase ``k``;
    its title and text keep ``{unit}`` until the units' names are read."""
    spec = campaign.spec
    _pk, unit_id, path, level, kind, _current = row
    phase = spec.phases[k]
    actions = spec.actions(phase.key, kind)
    category = spec.category_of(kind)
    if not actions or category is None:
        return None
    action = rng.choice(actions)
    practice = rng.choice(PRACTICE.get(phase.key, (action.name,)))
    published = state == CaseStatus.PUBLISHED
    text = TEXT.replace("{action}", action.name).replace("{how}", rng.choice(HOW))
    return Case(
        campaign=campaign,
        unit_id=unit_id,
        path=path,
        level=level,
        category=category.key,
        phase_key=phase.key,
        action_key=action.key,
        title="{unit}" + practice,
        text=text.replace("{n}", str(rng.randint(12, 180))),
        status=state,
        reviewed_at=None if state == CaseStatus.SUBMITTED else _at(day, rng),
        review_comment=RETURN_COMMENT if state == CaseStatus.RETURNED else "",
        library_path=path[:-SEGMENT_WIDTH] if published else "",
        library_unit_id=ancestor_ids(path)[-2] if published else None,
    )


def _own_actions(campaign: Campaign, rng: random.Random, result: CasesResult) -> None:
    """One or two own actions in the current phase of about one unit in a hundred still at work."""
    at_work = Participation.objects.filter(campaign=campaign, current_phase__lt=len(campaign.spec.phases))
    ids = list(at_work.order_by("id").values_list("id", flat=True))
    sample = sorted(rng.sample(ids, min(len(ids), max(OWN_MIN, int(len(ids) * OWN_SHARE)))))
    rows = []
    for pk, path, phase in (
        at_work.filter(pk__in=sample).order_by("id").values_list("id", "path", "current_phase")
    ):
        for title, evidence in rng.sample(OWN_TITLES, rng.randint(1, 2)):
            rows.append(
                OwnAction(
                    participation_id=pk,
                    path=path,
                    phase=phase,
                    title=title,
                    evidence=evidence,
                    required=rng.random() < 0.4,
                )
            )
    OwnAction.objects.bulk_create(rows, batch_size=1000)
    made = OwnAction.objects.filter(participation_id__in=sample).values_list(
        "id", "participation_id", "phase"
    )
    done = [
        ActionDone(
            participation_id=pid, phase=phase, action_key=f"{OWN_KEY_PREFIX}{pk}", evidence=Evidence.CONFIRM
        )
        for pk, pid, phase in made
        if rng.random() < 0.5
    ]
    ActionDone.objects.bulk_create(done, batch_size=1000)
    result.own_actions, result.own_done = len(rows), len(done)


def seed_cases(campaign: Campaign, today: date | None = None, seed: int = DEFAULT_SEED) -> CasesResult:
    """Typical cases and own actions of ``campaign`` up to ``today`` (see the module's docstring)."""
    today = today or timezone.localdate()
    campaign = Campaign.objects.select_related("root").get(pk=campaign.pk)
    phases = len(campaign.spec.phases)
    # Drawn from what the campaign is, not its key: a rerun of demo_campaign after a killed one gets another
    # key on PostgreSQL (sequences move on) and must draw the same cases (the crash drills).
    rng = random.Random(f"cases:{campaign.root.code}:{campaign.start.isoformat()}:{seed}:{today.isoformat()}")
    result = CasesResult()
    file_name, file_size = material_file("cases", "typical")
    fields = ("id", "unit_id", "path", "level", "kind", "current_phase")
    below = Participation.objects.filter(campaign=campaign, level__gt=campaign.root.level)
    extra = WAITING_PER_LEVEL + RETURNED_PER_LEVEL
    with transaction.atomic():
        cases: list[Case | None] = []
        for level in sorted(set(below.values_list("level", flat=True).distinct())):
            ids = list(below.filter(level=level).order_by("id").values_list("id", flat=True))
            sample = sorted(rng.sample(ids, min(len(ids), phases * CASES_PER_PHASE_AND_LEVEL * 4 + extra)))
            rows = list(Participation.objects.filter(pk__in=sample).order_by("id").values_list(*fields))
            for k in range(phases):
                done = [r for r in rows if r[5] > k]
                day = _day(campaign, today, k, phases)
                for r in rng.sample(done, min(len(done), CASES_PER_PHASE_AND_LEVEL)):
                    cases.append(_case(campaign, rng, r, k, CaseStatus.PUBLISHED, day))
            working = [r for r in rows if r[5] < phases]
            for n, r in enumerate(rng.sample(working, min(len(working), extra))):
                state = CaseStatus.SUBMITTED if n < WAITING_PER_LEVEL else CaseStatus.RETURNED
                cases.append(_case(campaign, rng, r, r[5], state, today))
        made = [c for c in cases if c is not None]
        names = dict(Unit.objects.filter(pk__in={c.unit_id for c in made}).values_list("id", "name"))
        for c in made:
            c.title = c.title.replace("{unit}", names.get(c.unit_id, ""))[:100]
            c.text = c.text.replace("{unit}", names.get(c.unit_id, ""))
        Case.objects.bulk_create(made, batch_size=500)
        CaseFile.objects.bulk_create(
            [
                CaseFile(
                    case_id=pk,
                    file=file_name,
                    original_name="典型案例材料.pdf",
                    file_type="pdf",
                    size=file_size,
                )
                for pk in [c.pk for c in made]
            ],
            batch_size=500,
        )
        counts = Counter(c.status for c in made)
        result.published = counts[CaseStatus.PUBLISHED]
        result.waiting = counts[CaseStatus.SUBMITTED]
        result.returned = counts[CaseStatus.RETURNED]
        _own_actions(campaign, rng, result)
        audit.record(
            actor=None,
            verb=verbs.CASE_SEED,
            object_type="campaigns.campaign",
            object_id=str(campaign.pk),
            object_repr=campaign.name,
            unit_id=campaign.root_id,
            unit_path=campaign.root.path,
            after={**result.as_dict(), "today": today.isoformat(), "seed": seed},
        )
    return result
