"""The league and county names shipped with the app are the ones in the shared reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "inner_mongolia_2014_county_level.csv"
SHARED = (
    Path(__file__).resolve().parents[3].parent / "shared" / "data" / "inner_mongolia_2014_county_level.csv"
)


@pytest.mark.skipif(not SHARED.exists(), reason="no shared/ checkout beside the project")
def test_shipped_county_list_matches_the_shared_one():
    assert SHIPPED.read_text(encoding="utf-8") == SHARED.read_text(encoding="utf-8")


def test_shipped_county_list_has_12_leagues_and_102_counties():
    rows = SHIPPED.read_text(encoding="utf-8").strip().splitlines()[1:]
    assert len(rows) == 102
    assert len({r.split(",")[0] for r in rows}) == 12
