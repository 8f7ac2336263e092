"""The dashboard's map: the map data installed at set-up (PyPI, `make install-maps`) is served as static
files, every league and county of the reference data is an area on its map, the partial loads it all."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.templatetags.static import static

from echelon import settings as echelon_settings
from echelon.dashboards import maps
from echelon.orgs.models import Kind, Level, Unit

REFERENCE = Path(__file__).resolve().parents[2] / "demo" / "data" / "inner_mongolia_2014_county_level.csv"
NOT_INSTALLED = "map data missing: `make install-maps` installs it (echarts-china-*-pypkg from PyPI)"


def _reference() -> dict[str, list[str]]:
    """The 12 leagues and their counties, as in ../shared/data (the copy shipped with the app is the same)."""
    leagues: dict[str, list[str]] = {}
    with REFERENCE.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            leagues.setdefault(row["league"], []).append(row["county"])
    return leagues


def _script(name: str) -> str:
    path = finders.find(f"vendor/maps/{name}.js")
    assert path, NOT_INSTALLED
    return Path(str(path)).read_text(encoding="utf-8")


def _features(script: str) -> set[str]:
    """The areas' names of a map script, read straight from the file: each is a feature's properties.name."""
    return set(re.findall(r'properties:\{[^{}]*?name:"([^"]+)"', script))


def _registered(script: str) -> str:
    found = re.search(r'registerMap\("([^"]+)"', script)
    assert found, "the script registers no map"
    return found.group(1)


def _unit(name: str, level: int, kind: str = Kind.LEADERSHIP) -> Unit:
    return Unit(name=name, level=level, kind=kind)


def test_the_map_scripts_are_served_as_static_files():
    region = finders.find("vendor/maps/neimenggu.js")
    assert region, NOT_INSTALLED
    assert finders.find("vendor/maps/nei4_meng2_gu3_hu1_he2_hao4_te4.js"), NOT_INSTALLED
    assert maps.map_script("neimenggu") == "vendor/maps/neimenggu.js"
    assert finders.find(str(maps.map_script("neimenggu"))) == region


def test_every_league_of_the_reference_data_is_an_area_of_the_region_map():
    leagues = _reference()
    assert len(leagues) == 12
    script = _script("neimenggu")
    assert _registered(script) == "内蒙古"
    features = _features(script)
    assert len(features) == 12
    assert {maps.area_name(league, "neimenggu") for league in leagues} == features


def test_every_league_has_its_county_map_and_every_county_is_an_area_on_it():
    for league, counties in _reference().items():
        name = maps.map_name_for(_unit(league, Level.LEAGUE))
        assert name is not None, league
        script = _script(name)
        assert league.startswith(_registered(script)), (league, name)
        features = _features(script)
        missing = [c for c in counties if maps.area_name(c, name) not in features]
        assert not missing, (league, missing)


def test_area_names_match_the_map_with_or_without_the_ending():
    assert maps.area_name("呼和浩特市", "neimenggu") == "呼和浩特市"
    assert maps.area_name("呼和浩特", "neimenggu") == "呼和浩特市"  # a name without 市 finds its area
    assert maps.area_name("锡林郭勒", "neimenggu") == "锡林郭勒盟"
    assert maps.area_name("兴安盟", "neimenggu") == "兴安盟"
    assert maps.area_name("自治区党委组织部", "neimenggu") == "自治区党委组织部"  # not an area: unchanged
    assert maps.area_name("呼和浩特", None) == "呼和浩特"
    assert maps.area_name("呼和浩特", "no-such-map") == "呼和浩特"


@pytest.mark.django_db
def test_which_map_draws_the_children_of_a_unit(tree):
    assert maps.map_name_for(tree.region) == "neimenggu"
    assert maps.map_name_for(tree.league) == "nei4_meng2_gu3_hu1_he2_hao4_te4"  # 呼和浩特市
    assert maps.map_name_for(tree.sibling_league) == "nei4_meng2_gu3_bao1_tou2"  # 包头市
    assert maps.map_name_for(tree.county) is None  # no township maps: ranked bars
    assert maps.map_name_for(tree.township) is None
    assert maps.map_name_for(tree.organ) is None
    assert maps.map_name_for(_unit("呼和浩特市委组织部", Level.LEAGUE, Kind.ORGAN)) is None
    assert maps.map_name_for(_unit("自治区党委办公室", Level.REGION, Kind.ORGAN)) is None
    assert maps.map_name_for(_unit("某某盟", Level.LEAGUE)) is None  # a league without a map
    assert maps.map_script(None) is None
    assert maps.map_script("no-such-map") is None


def test_without_the_map_packages_nothing_has_a_map(settings):
    dirs = django_settings.STATICFILES_DIRS
    settings.STATICFILES_DIRS = [d for d in dirs if not (isinstance(d, tuple) and d[0] == "vendor/maps")]
    assert len(settings.STATICFILES_DIRS) < len(dirs)
    assert maps.map_name_for(_unit("内蒙古自治区", Level.REGION)) is None
    assert maps.map_name_for(_unit("呼和浩特市", Level.LEAGUE)) is None
    assert maps.map_script("neimenggu") is None
    assert maps.area_name("呼和浩特", "neimenggu") == "呼和浩特"


def test_settings_leave_out_a_package_that_is_not_installed():
    assert echelon_settings._package_dir("no_such_map_package_here", "resources") is None
    assert echelon_settings._package_dir("echarts_china_provinces_pypkg", "no-such-folder") is None


def _map_data(name: str | None) -> dict:
    return {
        "map": name,
        "measures": [{"key": "done", "label": "已通过 %"}, {"key": "overdue", "label": "超期 %"}],
        "areas": [
            {"name": "呼和浩特市", "code": "150100", "url": "/dashboard/u/150100/", "values": {"done": 12.5}},
            {
                "name": "<b>包头市</b>",
                "code": "150200",
                "url": "/dashboard/u/150200/",
                "values": {"done": None},
            },
        ],
    }


def _scripts(html: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)" defer></script>', html)


def test_the_partial_loads_echarts_then_map_js_then_the_map():
    html = render_to_string("dashboards/_map.html", {"map_data": _map_data("neimenggu")})
    assert _scripts(html) == [
        static("vendor/echarts/echarts.min.js"),
        static("dashboards/map.js"),  # before the map: it notes the name the map registers
        static(str(maps.map_script("neimenggu"))),
    ]
    assert '<script id="board-map-data" type="application/json">' in html
    assert "<b>包头市</b>" not in html  # names are data, escaped
    assert re.findall(r'<option value="([^"]+)"', html) == ["done", "overdue"]  # the first is the default
    assert 'id="board-map"' in html and "下级分布图" in html
    # No inline script (CSP): every <script> has a src, but the JSON data block.
    assert html.count("<script") == len(_scripts(html)) + 1


def test_the_partial_without_a_map_draws_bars():
    html = render_to_string("dashboards/_map.html", {"map_data": _map_data(None)})
    assert _scripts(html) == [static("vendor/echarts/echarts.min.js"), static("dashboards/map.js")]
    assert "下级排名" in html
    assert render_to_string("dashboards/_map.html", {"map_data": None}).strip() == ""
