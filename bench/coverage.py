"""The coverage engine at full scale, pure Python (no Django): ``check`` and ``propose`` on a tree shaped
like Inner Mongolia's. Prints its figures; supervision's ``test_full_scale_within_budget`` runs it too.

    python -m bench.coverage [N_UNITS]
"""

from __future__ import annotations

import random
import time
from collections import defaultdict

from echelon.supervision.coverage import Group, Unit, check, propose


def bench(n: int = 70_000) -> dict[str, float]:
    """Time `check` and `propose` on a tree shaped like Inner Mongolia's, scaled to about `n` units.

    12 leagues, 102 counties, ~1,040 townships, ~13,500 villages; the rest are organs and other
    organizations at every level. Groups: 12 region groups for leagues, 4 per league for counties,
    2 per county for townships, 1 instructor per township for villages (~1,300). A third of the units
    start assigned; the rest are proposed, then the result is checked.
    """
    rng = random.Random(2014)
    units: list[Unit] = []

    def add(parent: Unit | None, level: int) -> Unit:
        ancestors = (*parent.ancestors, parent.id) if parent else ()
        unit = Unit(len(units) + 1, parent.id if parent else None, level, ancestors, participating=level > 1)
        units.append(unit)
        return unit

    territorial: dict[int, list[Unit]] = defaultdict(list)
    region = add(None, 1)
    territorial[1].append(region)
    for level, count in {2: 12, 3: 102, 4: 1_039, 5: 13_467}.items():
        parents = territorial[level - 1]
        for i in range(count):
            territorial[level].append(add(parents[i % len(parents)], level))
    territories = [u for level in range(1, 6) for u in territorial[level]]
    while len(units) < n:  # organs, direct units, stations, enterprises ... at their territory's level
        parent = rng.choice(territories)
        add(parent, parent.level)

    groups: list[Group] = []
    per_office = {2: 12, 3: 4, 4: 2, 5: 1}  # groups each office at level L - 1 sends to level L
    for level, count in per_office.items():
        for office in territorial[level - 1]:
            for _ in range(count):
                groups.append(Group(len(groups) + 1, office.id, level))
    placed = propose(units, groups, [])
    assignments = [a for a in placed.assignments if rng.random() < 1 / 3]

    timings: dict[str, float] = {"units": float(len(units)), "groups": float(len(groups))}
    started = time.perf_counter()
    proposal = propose(units, groups, assignments)
    timings["propose_s"] = time.perf_counter() - started
    started = time.perf_counter()
    report = check(units, groups, [*assignments, *proposal.assignments])
    timings["check_s"] = time.perf_counter() - started
    assert not report.gaps and not report.overlaps and not report.misplaced
    return timings


if __name__ == "__main__":
    import sys

    print(bench(int(sys.argv[1]) if len(sys.argv) > 1 else 70_000))
