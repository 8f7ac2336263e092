"""Time the scheduler on a synthetic tree shaped like Inner Mongolia in 2014 (pure Python, no Django).

    python -m bench.scheduler [N_UNITS]

At 70,000 units: 1 region, 12 leagues, 102 counties, 1,039 townships, 13,467 villages and communities
(11,195 + 2,272), and the rest organs, direct units, stations, enterprises, institutions, non-public and
social organizations spread over the levels. Smaller sizes scale every count down (at least one unit per
territorial level). Batch two is planned: levels 2..5, 2014-01-20..2014-09-30, Spring Festival blackout.
"""

from __future__ import annotations

import sys
import time
from datetime import date

from echelon.campaigns.scheduler import Node, Phase, Plan, Rules, plan, verify

FULL_SIZE = 70_000
TERRITORIAL_2014 = {2: 12, 3: 102, 4: 1_039, 5: 13_467}
COMMUNITIES_2014 = 2_272
# Share of the non-territorial units at each level, and the kinds they cycle through.
OTHER_SHARE = {1: 0.005, 2: 0.03, 3: 0.34, 4: 0.40, 5: 0.225}
OTHER_KINDS = {
    1: ("organ", "direct", "direct", "enterprise", "institution"),
    2: ("organ", "organ", "direct", "direct", "direct", "institution", "enterprise"),
    3: ("organ", "organ", "direct", "direct", "station", "institution", "nonpublic", "social"),
    4: ("organ", "station", "station", "station", "nonpublic", "institution", "social"),
    5: ("nonpublic", "nonpublic", "social"),
}

SPRING_FESTIVAL_2014 = (date(2014, 1, 31), date(2014, 2, 6))
PHASES_2014 = (
    Phase("prepare", "准备、动员部署", 0.10),
    Phase("study", "学习教育、听取意见", 0.25),
    Phase("examine", "查摆问题、开展批评", 0.25),
    Phase("rectify", "整改落实、建章立制", 0.30),
    Phase("summary", "总结评估", 0.10),
)


def rules_2014(**changes: object) -> Rules:
    """Batch two in Inner Mongolia with the default timing rules; keyword arguments override them."""
    values: dict[str, object] = {
        "window_start": date(2014, 1, 20),
        "window_end": date(2014, 9, 30),
        "participating_levels": {2, 3, 4, 5},
        "blackouts": [SPRING_FESTIVAL_2014],
    }
    values.update(changes)
    return Rules(**values)  # type: ignore[arg-type]


def inner_mongolia_tree(n_units: int = FULL_SIZE) -> list[Node]:
    """A deterministic tree of about ``n_units`` nodes shaped like 2014 (parents listed before children)."""
    scale = min(1.0, n_units / FULL_SIZE)
    nodes: list[Node] = [Node(1, None, 1, "leadership")]
    territorial: dict[int, list[int]] = {1: [1]}
    for level in (2, 3, 4, 5):
        parents = territorial[level - 1]
        count = max(len(parents), round(TERRITORIAL_2014[level] * scale))
        ids = []
        for i in range(count):
            if level < 5:
                kind = "leadership"
            else:  # communities spread evenly among the villages
                kind = (
                    "community"
                    if (i * COMMUNITIES_2014) % TERRITORIAL_2014[5] < COMMUNITIES_2014
                    else "village"
                )
            node = Node(len(nodes) + 1, parents[i % len(parents)], level, kind)
            nodes.append(node)
            ids.append(node.id)
        territorial[level] = ids

    others = max(0, n_units - len(nodes))
    for level, share in OTHER_SHARE.items():
        anchors, kinds = territorial[level], OTHER_KINDS[level]
        direct_units: dict[int, int] = {}  # anchor -> one of its direct units, to hang some stations under
        for i in range(round(others * share)):
            anchor, kind = anchors[i % len(anchors)], kinds[i % len(kinds)]
            parent = direct_units.get(anchor, anchor) if kind == "station" and i % 3 == 0 else anchor
            node = Node(len(nodes) + 1, parent, level, kind)
            nodes.append(node)
            if kind == "direct":
                direct_units.setdefault(anchor, node.id)
    return nodes


def bench(n_units: int = FULL_SIZE) -> dict[str, float]:
    """Build the tree, then time ``plan()`` (which verifies) and a separate ``verify()``; print seconds."""
    nodes = inner_mongolia_tree(n_units)
    rules = rules_2014()
    began = time.perf_counter()
    result: Plan = plan(nodes, PHASES_2014, rules)
    planned = time.perf_counter()
    violations = verify(nodes, PHASES_2014, rules, result)
    verified = time.perf_counter()
    figures = {
        "nodes": float(len(nodes)),
        "planned": float(len(result.items)),
        "violations": float(len(violations)),
        "plan_seconds": planned - began,
        "verify_seconds": verified - planned,
    }
    print(
        f"scheduler: {len(nodes):,} nodes, {len(result.items):,} planned, {len(violations)} violations; "
        f"plan() incl. verify {figures['plan_seconds']:.2f} s, "
        f"verify() alone {figures['verify_seconds']:.2f} s"
    )
    return figures


if __name__ == "__main__":
    bench(int(sys.argv[1]) if len(sys.argv) > 1 else FULL_SIZE)
