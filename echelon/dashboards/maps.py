"""Which map draws the children of a unit, and the names on it.

The maps are ECharts map scripts from two PyPI packages installed at set-up (`make install-maps`) and served
as static files under ``vendor/maps/`` (``STATICFILES_DIRS`` in echelon/settings.py): ``neimenggu.js``
(echarts-china-provinces-pypkg: the region's 12 leagues) and ``nei4_meng2_gu3_<league>.js``
(echarts-china-cities-pypkg: one league's counties). A map's name here is its file's name without ``.js``;
each script registers its map with ECharts under a Chinese name of its own (内蒙古, 呼和浩特 …), which the
dashboard's map.js picks up as the script runs. Without the packages nothing has a map and the dashboard
draws ranked bars instead.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from echelon.orgs.models import Kind, Level, Unit

PREFIX = "vendor/maps"
REGION_MAP = "neimenggu"  # the region's leagues
LEAGUE_MAPS = "nei4_meng2_gu3_"  # the file names of the maps of the leagues' counties start so
# Endings that the map files may leave off the names we have (呼和浩特市 → 呼和浩特, 锡林郭勒盟 → 锡林郭勒).
ENDINGS = ("市", "盟", "地区")

_REGISTERED = re.compile(r"""registerMap\(\s*["']([^"']+)["']""")
_FEATURE = re.compile(r"""["']?name["']?\s*:\s*["']([^"']+)["']""")


@dataclass(frozen=True)
class GeoMap:
    name: str  # the file's name without .js: what map_data["map"] carries
    registered: str  # the name the script gives echarts.registerMap
    features: tuple[str, ...]  # the areas' names, in the file's order


def _folders() -> tuple[Path, ...]:
    return tuple(
        Path(entry[1])
        for entry in settings.STATICFILES_DIRS
        if isinstance(entry, tuple | list) and len(entry) == 2 and entry[0] == PREFIX
    )


@functools.lru_cache(maxsize=8)
def _files(folders: tuple[Path, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.js")):
            found.setdefault(path.stem, path)  # the first folder wins, as with the staticfiles finders
    return found


@functools.lru_cache(maxsize=512)
def _parse(path: Path) -> GeoMap | None:
    text = path.read_text(encoding="utf-8")
    registered = _REGISTERED.search(text)
    if registered is None:
        return None
    # A feature's name sits in its properties, after the coordinates; the map's own name comes first.
    features = tuple(dict.fromkeys(_FEATURE.findall(text, registered.end())))
    return GeoMap(path.stem, registered.group(1), features)


def installed() -> dict[str, Path]:
    """Every map script served under vendor/maps, by map name."""
    return _files(_folders())


def geo_map(name: str | None) -> GeoMap | None:
    """The map ``name`` (registered name and feature names), or None when it is not installed."""
    path = installed().get(name) if name else None
    return _parse(path) if path is not None else None


def _short(name: str) -> set[str]:
    return {name, *(name.removesuffix(e) for e in ENDINGS if name.endswith(e) and len(name) > len(e) + 1)}


@functools.lru_cache(maxsize=8)
def _league_maps(folders: tuple[Path, ...]) -> dict[str, str]:
    """The maps of the leagues' counties, by the name each registers (呼和浩特, 兴安盟 …)."""
    found: dict[str, str] = {}
    for name, path in sorted(_files(folders).items()):
        parsed = _parse(path) if name.startswith(LEAGUE_MAPS) else None
        if parsed is not None:
            found.setdefault(parsed.registered, name)
    return found


def _league_map(league_name: str) -> str | None:
    by_registered = _league_maps(_folders())
    return next((by_registered[n] for n in sorted(_short(league_name)) if n in by_registered), None)


def map_name_for(unit: Unit) -> str | None:
    """The map that draws ``unit``'s children: the league map for the region, a league's county map when
    it is installed; None otherwise (a county and below, an organ, or no map data: ranked bars instead)."""
    if unit.kind != Kind.LEADERSHIP:
        return None
    if unit.level == Level.REGION:
        return REGION_MAP if REGION_MAP in installed() else None
    if unit.level == Level.LEAGUE:
        return _league_map(unit.name)
    return None


def map_script(name: str | None) -> str | None:
    """The static path (for ``{% static %}``) of the script that registers map ``name``, or None."""
    return f"{PREFIX}/{name}.js" if name and name in installed() else None


def area_name(unit_name: str, map_name: str | None) -> str:
    """The name of ``unit_name``'s area on map ``map_name`` (the unit's name when the map has no such area,
    or there is no map)."""
    found = geo_map(map_name)
    if found is None or unit_name in found.features:
        return unit_name
    wanted = _short(unit_name)
    for feature in found.features:
        if _short(feature) & wanted:
            return feature
    return unit_name
