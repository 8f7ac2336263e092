"""The demo campaign's satisfaction evaluations up to a day (``seed_evaluation``): most units that reached
the evaluation phase (the template's ``evaluation.phase``, the summary) held their evaluation, closed with
paper tallies of two evaluator groups (基层群众 and 党代表和委员); a few fell below the threshold: their
redo (补课) is open, or done after a second round that passed and the group's decision.

Written after the history and the ledger, set-based: the rows as the services write them (results stored
on the session, ``current`` on each unit's latest closed one), by ``bulk_create`` per table, and one audit
event summarising it (``evaluation.simulate``). Deterministic for a campaign, day and seed. A campaign that
already has evaluations is left alone. Seconds at full scale.
"""

from __future__ import annotations

import random
import time
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from echelon.campaigns.models import Campaign, Participation, PhaseActual
from echelon.core import audit, db, versions
from echelon.evaluation import verbs
from echelon.evaluation.models import (
    EvaluatorGroup,
    EvaluatorKind,
    Redo,
    RedoStatus,
    Session,
    SessionStatus,
    Tally,
    results_version,
)

SHARE_EVALUATED = 0.85  # of the units that reached the phase
SHARE_BELOW = 0.04  # of the evaluated: below the threshold
SHARE_REDO_DONE = 0.5  # of those: redo done after a second round
FEWEST_BELOW = 4
BATCH = 2000
GROUPS = ((EvaluatorKind.PUBLIC.value, 20, 60), (EvaluatorKind.DEPUTIES.value, 5, 15))  # kind, present
WORK = "组织党员干部逐户走访，公开整改台账，对群众反映强烈的问题逐项整改。"


@dataclass
class EvaluationResult:
    reached: int
    sessions: int
    below: int
    redo_open: int
    redo_done: int
    seconds: float

    def line(self) -> str:
        return (
            f"满意度测评：{self.reached:,} 个单位进入测评环节，测评 {self.sessions:,} 次，"
            f"低于补课线 {self.below:,} 个（补课中 {self.redo_open:,}，补课完成 {self.redo_done:,}），"
            f"用时 {self.seconds:.1f} 秒。"
        )


def _rng(seed: int, unit_id: int) -> random.Random:
    return random.Random(zlib.crc32(f"evaluation:{seed}:{unit_id}".encode()))


def _votes(rng: random.Random, present: int, share: float, options: int) -> list[list[int]]:
    """Paper votes for two items: about ``share`` satisfied on the overall item (all present voted)."""
    rows = []
    for item in range(2):
        s = max(0.0, min(1.0, share + (rng.uniform(-0.08, 0.08) if item else 0.0)))
        satisfied = round(present * s)
        first = round(satisfied * rng.uniform(0.55, 0.85))
        row = [first, satisfied - first] + [0] * (options - 2)
        row[-1] += present - satisfied
        rows.append(row)
    return rows


def seed_evaluation(
    campaign: Campaign, today: date | None = None, seed: int = 2014, *, every_unit: bool = False
) -> EvaluationResult:
    """Seed the campaign's evaluations (see the module's docstring). ``every_unit``: as if every unit had
    reached the evaluation phase (the bench's full-scale rollups; the demo keeps to the units that have)."""
    began = time.perf_counter()
    today = today or timezone.localdate()
    spec = campaign.spec
    settings = spec.evaluation
    try:
        phase_index = spec.phase_index(settings["phase"])
    except KeyError:
        phase_index = len(spec.phases) - 1
    if Session.objects.filter(campaign=campaign).exists():
        return EvaluationResult(0, 0, 0, 0, 0, 0.0)
    participations = Participation.objects.filter(campaign=campaign)
    if not every_unit:
        participations = participations.filter(current_phase__gte=phase_index)
    reached = list(participations.values_list("id", "unit_id", "path", "level"))
    started = dict(
        PhaseActual.objects.filter(participation__campaign=campaign, phase=phase_index).values_list(
            "participation_id", "start"
        )
    )
    items, scale, satisfied = settings["items"], settings["scale"], settings["satisfied"]
    sat_idx = [i for i, o in enumerate(scale) if o in satisfied]
    threshold = float(settings["redo_below"])
    now = timezone.now()
    plan: list[dict[str, Any]] = []
    for pid, unit_id, path, level in reached:
        rng = _rng(seed, unit_id)
        if rng.random() > SHARE_EVALUATED:
            continue
        opened = started.get(pid) or today - timedelta(days=20)
        held = min(today, opened + timedelta(days=rng.randint(3, 15)))
        plan.append({"pid": pid, "unit": unit_id, "path": path, "level": level, "held": held, "rng": rng})
        plan[-1]["draw"] = rng.random()
    # a few below the threshold whatever the size (the lowest draws): their redo open or done
    below = {
        p["pid"]
        for p in sorted(plan, key=lambda p: p["draw"])[: max(FEWEST_BELOW, round(SHARE_BELOW * len(plan)))]
    }
    for p in plan:
        rng = p["rng"]
        p["below"] = p["pid"] in below
        low = rng.uniform(max(0.2, threshold - 0.3), threshold - 0.03)
        p["rounds"] = [low if p["below"] else rng.uniform(0.75, 0.98)]
        if p["below"] and rng.random() < SHARE_REDO_DONE and (today - p["held"]).days > 10:
            p["rounds"].append(rng.uniform(0.7, 0.95))
    with transaction.atomic():
        sessions: list[Session] = []
        groups_of: list[tuple[Session, list[tuple[str, int, list[list[int]]]]]] = []
        for p in plan:
            rng = p["rng"]
            for n, share in enumerate(p["rounds"], start=1):
                last = n == len(p["rounds"])
                made: list[tuple[str, int, list[list[int]]]] = []
                for group_kind, fewest, most in GROUPS:
                    present = rng.randint(fewest, most)
                    made.append((group_kind, present, _votes(rng, present, share, len(scale))))
                options = range(len(scale))
                table = [[sum(g[2][i][o] for g in made) for o in options] for i in range(len(items))]
                total = sum(table[0])
                sat = sum(table[0][i] for i in sat_idx)
                held = p["held"] if n == 1 else min(today, p["held"] + timedelta(days=rng.randint(8, 25)))
                closed_at = timezone.make_aware(
                    datetime.combine(held, datetime.min.time()) + timedelta(hours=16)
                )
                session = Session(
                    campaign=campaign,
                    participation_id=p["pid"],
                    unit_id=p["unit"],
                    path=p["path"],
                    level=p["level"],
                    phase=settings["phase"],
                    round=n,
                    status=SessionStatus.CLOSED,
                    held_on=held,
                    items=items,
                    scale=scale,
                    satisfied=satisfied,
                    redo_below=threshold,
                    satisfied_votes=sat,
                    total_votes=total,
                    satisfied_share=sat / total if total else None,
                    passed=(sat / total if total else 0) >= threshold,
                    results=table,
                    current=last,
                    closed_at=min(closed_at, now),
                )
                sessions.append(session)
                groups_of.append((session, made))
        Session.objects.bulk_create(sessions, batch_size=BATCH)
        groups: list[EvaluatorGroup] = []
        cells: list[tuple[EvaluatorGroup, list[list[int]]]] = []
        for session, rows in groups_of:
            for kind, present, votes in rows:
                group = EvaluatorGroup(session_id=session.pk, kind=kind, present=present)
                groups.append(group)
                cells.append((group, votes))
        EvaluatorGroup.objects.bulk_create(groups, batch_size=BATCH)
        Tally.objects.bulk_create(
            (
                Tally(group_id=g.pk, item=i, option=o, votes=v)
                for g, votes in cells
                for i, row in enumerate(votes)
                for o, v in enumerate(row)
                if v
            ),
            batch_size=BATCH * 5,
        )
        # redos: opened by each failing first round; done when a second round passed
        by_pid: dict[int, list[Session]] = {}
        for s in sessions:
            by_pid.setdefault(s.participation_id, []).append(s)
        redos: list[Redo] = []
        for p in plan:
            if not p["below"]:
                continue
            first, *later = by_pid[p["pid"]]
            done = bool(later) and bool(later[-1].passed)
            redos.append(
                Redo(
                    campaign=campaign,
                    participation_id=p["pid"],
                    unit_id=p["unit"],
                    path=p["path"],
                    level=p["level"],
                    session_id=first.pk,
                    phase=settings["redo_phase"],
                    reasons=(
                        f"群众满意度测评“{items[0]}”满意率 {first.satisfied_share or 0:.1%}，"
                        f"低于补课线 {threshold:.1%}。"
                    ),
                    deadline=first.held_on + timedelta(days=int(settings["redo_days"])),
                    status=RedoStatus.DONE if done else RedoStatus.OPEN,
                    work=WORK if later else "",
                    work_at=now if later else None,
                    comment="补课扎实，群众认可。" if done else "",
                    decided_at=now if done else None,
                )
            )
        Redo.objects.bulk_create(redos, batch_size=BATCH)
        rounds = [(s, r) for r in redos for s in by_pid[r.participation_id][1:]]
        for s, r in rounds:
            s.redo_id = r.pk
        Session.objects.bulk_update([s for s, _r in rounds], ["redo"], batch_size=BATCH)
        versions.bump(results_version(campaign.pk))
        result = EvaluationResult(
            reached=len(reached),
            sessions=len(sessions),
            below=len(redos),
            redo_open=sum(1 for r in redos if r.status == RedoStatus.OPEN),
            redo_done=sum(1 for r in redos if r.status == RedoStatus.DONE),
            seconds=0.0,
        )
        audit.record(
            actor=None,
            verb=verbs.EVALUATION_SIMULATE,
            object_type="campaigns.campaign",
            object_id=str(campaign.pk),
            object_repr=campaign.name,
            unit_id=campaign.root_id,
            unit_path=campaign.path,
            after={
                "day": today,
                "seed": seed,
                "units": result.reached,
                "sessions": result.sessions,
                "below": result.below,
                "redo_open": result.redo_open,
                "redo_done": result.redo_done,
            },
        )
    db.analyze_postgresql(m._meta.db_table for m in (Session, Tally, EvaluatorGroup, Redo))
    result.seconds = time.perf_counter() - began
    return result
