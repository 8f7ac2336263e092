"""Shared fixtures: a small but complete tree built through the services, and the named personas.

Personas (STYLE.md): region office, league office, county office, county supervisor, township operator,
village secretary, liaison leader, and an outsider in a sibling league; and the wrong role at the right
place (ADR 11): a county operator, a township leader and a sibling group's supervisor.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest

from echelon.accounts import services as account_services
from echelon.accounts.models import User
from echelon.orgs import services
from echelon.orgs.models import Kind, Level, Unit
from echelon.orgs.services import UnitData
from echelon.testing.browser import browser, page  # noqa: F401  (fixtures for the browser tests)


@dataclass
class Tree:
    region: Unit
    league: Unit
    county: Unit
    township: Unit
    village: Unit
    community_township: Unit
    community: Unit
    organ: Unit
    sibling_league: Unit
    sibling_county: Unit
    sibling_village: Unit
    units: dict[str, Unit] = field(default_factory=dict)


def make_unit(
    parent: Unit | None, code: str, name: str, level: int, kind: str, division: str = "", **extra
) -> Unit:
    return services.unit_create(
        actor=None,
        parent=parent,
        data=UnitData(code=code, name=name, level=level, kind=kind, division=division, **extra),
    )


def make_member(
    unit: Unit, code: str, name: str = "张三", *, inflow: Unit | None = None, mobile: bool = False
):
    return services.member_create(
        actor=None,
        data={
            "code": code,
            "name": name,
            "gender": "m",
            "ethnicity": "汉族",
            "birth_date": datetime.date(1980, 1, 1),
            "joined_date": datetime.date(2005, 7, 1),
            "unit_id": unit.pk,
            "is_mobile": mobile or inflow is not None,
            "inflow_unit_id": inflow.pk if inflow else None,
        },
    )


def build_tree() -> Tree:
    L = Level
    region = make_unit(None, "150000", "内蒙古自治区", L.REGION, Kind.LEADERSHIP, "region", area_type="urban")
    league = make_unit(region, "150100", "呼和浩特市", L.LEAGUE, Kind.LEADERSHIP, "city", area_type="urban")
    county = make_unit(league, "150125", "武川县", L.COUNTY, Kind.LEADERSHIP, "county", area_type="farming")
    township = make_unit(county, "150125100", "可可以力更镇", L.TOWNSHIP, Kind.LEADERSHIP, "town")
    village = make_unit(township, "150125100201", "东土城村", L.VILLAGE, Kind.VILLAGE, "village")
    community_township = make_unit(
        county, "150125001", "城关街道", L.TOWNSHIP, Kind.LEADERSHIP, "subdistrict"
    )
    community = make_unit(
        community_township, "150125001001", "新华社区", L.VILLAGE, Kind.COMMUNITY, "community"
    )
    organ = make_unit(county, "150125-O01", "武川县委组织部", L.COUNTY, Kind.ORGAN)
    sibling_league = make_unit(
        region, "150200", "包头市", L.LEAGUE, Kind.LEADERSHIP, "city", area_type="mining"
    )
    sibling_county = make_unit(sibling_league, "150222", "固阳县", L.COUNTY, Kind.LEADERSHIP, "county")
    sibling_township = make_unit(sibling_county, "150222100", "金山镇", L.TOWNSHIP, Kind.LEADERSHIP, "town")
    sibling_village = make_unit(
        sibling_township, "150222100201", "金山村", L.VILLAGE, Kind.VILLAGE, "village"
    )
    tree = Tree(
        region,
        league,
        county,
        township,
        village,
        community_township,
        community,
        organ,
        sibling_league,
        sibling_county,
        sibling_village,
    )
    tree.units = {u.code: u for u in Unit.objects.all()}
    return tree


@pytest.fixture(autouse=True, scope="session")
def _static_files_found_on_request():
    """WhiteNoise indexes every static file (about 1,400, and the finders' copies) whenever a middleware
    chain is built, which in tests means for every `Client`: thousands of times a run, most of the suite's
    time. In tests it looks a file up when it is asked for instead (its development mode)."""
    from django.conf import settings

    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """scrypt is deliberately slow; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _chinese_first():
    """Each test starts in the default language: a request in English or Mongolian leaves the thread's
    language behind (the middleware activates it per request), and the next test on the worker expects
    the services' Chinese."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test's database starts over (ids and version counters repeat): so does the cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tree(db) -> Tree:
    return build_tree()


PERSONAS = {
    # name: (unit attribute, role)
    "region_office": ("region", "office"),
    "league_office": ("league", "office"),
    "county_office": ("county", "office"),
    "county_supervisor": ("county", "supervisor"),
    "township_operator": ("township", "operator"),
    "village_secretary": ("village", "operator"),
    "liaison_leader": ("county", "leader"),
    "outsider": ("sibling_league", "office"),
    # the wrong role at the right place (ADR 11): an operator beside the county office, a leader on the
    # county group's township, and a supervisor of a sibling group (its membership is built by
    # echelon/supervision/tests/kit.py: a county group for 城关街道)
    "county_operator": ("county", "operator"),
    "township_leader": ("township", "leader"),
    "sibling_supervisor": ("county", "supervisor"),
}


@pytest.fixture
def personas(tree: Tree) -> dict[str, User]:
    users = {}
    for name, (attr, role) in PERSONAS.items():
        user = account_services.user_create(actor=None, username=name, password=None, display_name=name)
        account_services.grant_add(actor=None, user=user, unit=getattr(tree, attr), role=role)
        users[name] = user
    return users


@pytest.fixture
def admin_user(db) -> User:
    return User.objects.create_superuser("admin", password="x-Admin-Pass-2014")
