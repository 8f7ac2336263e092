"""The demo seed: the full-scale count plan (pure), and the small seed built in the test database."""

from __future__ import annotations

import datetime
import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.urls import reverse

from echelon.accounts.models import Grant, User
from echelon.core.models import AuditEvent
from echelon.core.tree import segment
from echelon.demo import seed
from echelon.orgs import pinyin
from echelon.orgs.models import TERRITORIAL_KINDS, Division, Kind, Level, Member, Unit
from echelon.orgs.services import placement_error

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHER


# ---------------------------------------------------------------------------------------------------------
# The plan (no database)
# ---------------------------------------------------------------------------------------------------------


class TestFullPlan:
    def test_counts_are_the_real_ones(self):
        totals = seed.plan_full().totals()
        assert totals["leagues"] == 12 and totals["counties"] == 102
        assert (totals["townships"], totals["subdistricts"]) == (765, 274)
        assert (totals["villages"], totals["communities"]) == (11_195, 2_272)
        assert abs(totals["units"] - 70_000) <= 700
        assert totals["members"] >= 1_300_000

    def test_same_totals_for_any_seed_and_same_plan_for_same_seed(self):
        a, b, c = seed.plan_full(1), seed.plan_full(1), seed.plan_full(99)
        assert a.totals() == c.totals()
        assert [(t.division, t.villages, t.communities) for t in a.townships()] == [
            (t.division, t.villages, t.communities) for t in b.townships()
        ]

    def test_real_codes_and_divisions(self):
        plan = seed.plan_full()
        codes = {c.name: c.code for c in plan.counties()}
        assert codes["武川县"] == "150125"
        assert codes["新城区"] == "150102"
        assert codes["固阳县"] == "150222"
        assert codes["满洲里市"] == "150781"
        assert codes["额济纳旗"] == "152923"
        assert codes["锡林浩特市"] == "152502"
        assert codes["乌兰浩特市"] == "152201"
        assert codes["阿巴嘎旗"] == "152522" and codes["多伦县"] == "152531"
        assert len(set(codes.values())) == 102
        assert [league.code for league in plan.leagues] == list(seed.LEAGUE_CODES.values())
        divisions = Counter(c.division for c in plan.counties())
        assert divisions == {
            "banner": 49,
            "district": 22,
            "county": 17,
            "county_city": 11,
            "autonomous_banner": 3,
        }

    def test_per_county_shape(self):
        for county in seed.plan_full().counties():
            rural = [t for t in county.townships if t.division != Division.SUBDISTRICT]
            subdistricts = [t for t in county.townships if t.division == Division.SUBDISTRICT]
            assert rural, county.name  # every county has at least one town (its seat comes first)
            assert rural[0].division == Division.TOWN
            assert len(subdistricts) < 100 and len([t for t in rural if t.division == "town"]) < 100
            assert all(t.villages <= 199 and t.communities <= 199 for t in county.townships)  # fits the code
            assert all(t.villages >= 3 for t in rural) and all(t.communities >= 2 for t in subdistricts)
            if county.area == "pastoral":
                assert any(t.division == Division.SUMU for t in rural[1:]) or len(rural) <= 2
        urban = [c for c in seed.plan_full().counties() if c.division == "district" and c.area == "urban"]
        assert sum(len(c.townships) for c in urban) > 0
        assert all(any(t.division == "subdistrict" for t in c.townships) for c in urban)

    def test_apportion_is_exact(self):
        assert seed.apportion(10, [1, 1, 1]) == [4, 3, 3]
        assert sum(seed.apportion(11_195, [0.3, 2.5, 7.1, 1.0], 3)) == 11_195
        with pytest.raises(ValueError):
            seed.apportion(2, [1, 1], 3)

    def test_x10_plan_is_ten_times_full_with_real_copy_first(self):
        plan = seed.plan_x10()
        totals, full = plan.totals(), seed.plan_full().totals()
        assert totals["leagues"] == 120 and totals["counties"] == 1_020
        for key in ("townships", "subdistricts", "villages", "communities", "units", "members"):
            assert totals[key] == 10 * full[key], key
        codes = [c.code for c in plan.counties()]
        assert len(set(codes)) == 1_020 and all(len(c) == 6 and c.isdigit() for c in codes)
        by_code = {c.code: c for c in plan.counties()}
        assert by_code["150125"].name == "武川县" and by_code["150125"].base == "武川县"
        assert by_code["990125"].name == "武川县（十）" and by_code["990125"].base == "武川县"
        assert [league.code for league in plan.leagues][:12] == list(seed.LEAGUE_CODES.values())
        assert {league.code[:2] for league in plan.leagues} == {"15", *(f"9{k}" for k in range(1, 10))}
        for county in plan.counties():  # the township and village numbers still fit their code groups
            groups = Counter(t.division == Division.SUBDISTRICT for t in county.townships)
            assert groups[True] < 100 and groups[False] < 100
            assert all(t.villages <= 199 and t.communities <= 199 for t in county.townships)

    def test_full_generation_gives_unique_codes(self):
        units = seed.Generator(seed.plan_full()).build()
        assert len(units) == 70_000
        assert len({u.code for u in units}) == 70_000
        assert Counter(u.kind for u in units)[Kind.VILLAGE] == 11_195


# ---------------------------------------------------------------------------------------------------------
# The small seed, written to the test database
# ---------------------------------------------------------------------------------------------------------


def seed_small(number: int = seed.DEFAULT_SEED, force: bool = False) -> seed.SeedResult:
    return seed.run(scale="small", seed=number, force=force)


def unit_rows() -> list[tuple]:
    return list(
        Unit.objects.order_by("id").values_list(
            "code", "name", "pinyin", "initials", "level", "kind", "division", "area_type", "industry",
            "lead_by",
            "parent__code", "depth", "sub_members",
        )
    )  # fmt: skip


def member_rows() -> list[tuple]:
    return list(
        Member.objects.order_by("id").values_list(
            "code", "name", "gender", "ethnicity", "birth_date", "joined_date", "status", "phone",
            "unit__code",
            "is_mobile", "inflow_unit__code",
        )[:500]
    )  # fmt: skip


@pytest.mark.django_db
class TestSmallSeed:
    def test_tree_is_consistent(self):
        result = seed_small()
        plan = seed.plan_small()
        totals = plan.totals()
        units = {u.pk: u for u in Unit.objects.all()}
        assert len(units) == totals["units"] == result.counts["units"]
        assert 1_000 <= len(units) <= 3_000
        divisions = Counter(u.division for u in units.values())
        assert divisions["subdistrict"] == totals["subdistricts"]
        assert divisions["town"] + divisions["township"] + divisions["sumu"] == totals["townships"]
        assert divisions["village"] + divisions["gacha"] == totals["villages"]
        assert divisions["community"] == totals["communities"]
        by_level = Counter((u.level, u.is_territorial) for u in units.values())
        assert by_level[(Level.REGION, True)] == 1
        assert by_level[(Level.LEAGUE, True)] == 3 and by_level[(Level.COUNTY, True)] == 8
        for u in units.values():
            parent = units.get(u.parent_id) if u.parent_id else None
            assert (parent is None) == (u.level == Level.REGION and u.kind == Kind.LEADERSHIP)
            assert placement_error(level=u.level, kind=u.kind, division=u.division, parent=parent) is None
            assert u.path == (parent.path if parent else "") + segment(u.pk)
            assert u.depth == len(u.path) // 5
            expected = [getattr(parent, f"lv{n}_id") if parent else None for n in range(1, 6)]
            if u.kind in TERRITORIAL_KINDS:
                expected[u.level - 1] = u.pk
            assert [u.lv1_id, u.lv2_id, u.lv3_id, u.lv4_id, u.lv5_id] == expected
            assert (u.pinyin, u.initials) == pinyin.keys(u.name)  # exactly what the services write
            assert u.area_type, u.code
        codes = {u.code: u for u in units.values()}
        assert codes["150125"].name == "武川县" and codes["150200"].name == "包头市"
        assert codes["150125100"].division == "town" and codes["150125100201"].kind == Kind.VILLAGE
        assert codes["150125-O002"].name == "武川县委组织部"

    def test_members_and_rollups(self):
        seed_small()
        total = Member.objects.count()
        assert 20_000 <= total <= 40_000
        root = Unit.objects.get(parent__isnull=True)
        assert root.sub_members == total == root.sub_participants
        assert root.sub_units == Unit.objects.count()
        assert root.sub_mobile == Member.objects.filter(is_mobile=True).count() > 0
        assert root.sub_blind == Member.objects.filter(is_mobile=True, inflow_unit__isnull=True).count() > 0
        for league in Unit.objects.filter(level=Level.LEAGUE, kind=Kind.LEADERSHIP):
            assert league.sub_members == Member.objects.within(league.path).count()
            assert league.sub_participants == Member.objects.participating_in(league.path).count()
        assert not Member.objects.filter(inflow_unit__isnull=False, is_mobile=False).exists()
        ref = seed.REF_DATE
        for m in Member.objects.select_related("unit", "inflow_unit").order_by("?")[:2000]:
            assert m.path == m.unit.path
            assert m.part_path == (m.inflow_unit.path if m.inflow_unit else m.path)
            assert m.inflow_unit_id != m.unit_id
            adult = datetime.date(m.birth_date.year + 18, m.birth_date.month, 1) + datetime.timedelta(
                days=m.birth_date.day - 1
            )  # the 18th birthday (1 March for a 29 February)
            assert adult <= m.joined_date
            assert m.joined_date < ref
            if m.status == "probationary":
                assert m.joined_date >= ref - datetime.timedelta(days=366)
        shares = Member.objects.aggregate(mongol=Count("pk", filter=_q(ethnicity="蒙古族")))
        assert 0.05 < shares["mongol"] / total < 0.4
        assert Member.objects.values("code").distinct().count() == total

    def test_one_audit_event_for_the_data(self):
        seed_small()
        verbs = Counter(AuditEvent.objects.values_list("verb", flat=True))
        assert verbs["registry.seed"] == 1
        assert verbs["unit.create"] == 0 and verbs["member.create"] == 0
        assert verbs["user.create"] == len(seed.DEMO_ACCOUNTS) and verbs["grant.add"] == len(
            seed.DEMO_ACCOUNTS
        )
        event = AuditEvent.objects.get(verb="registry.seed")
        assert event.after is not None
        assert event.after["counts"]["units"] == Unit.objects.count()
        assert event.after["counts"]["members"] == Member.objects.count()
        assert event.unit_path == Unit.objects.get(parent__isnull=True).path

    def test_deterministic(self):
        first = seed.Generator(seed.plan_small(7))
        second = seed.Generator(seed.plan_small(7))
        assert [u.row("t") for u in first.build()] == [u.row("t") for u in second.build()]
        assert next(first.members("t")) == next(second.members("t"))
        seed_small(7)
        units, members = unit_rows(), member_rows()
        seed_small(7, force=True)  # new ids (never reused), same content
        assert unit_rows() == units
        assert member_rows() == members
        seed_small(8, force=True)
        assert member_rows() != members

    def test_personas_log_in_with_the_right_grants(self, client):
        seed_small()
        login = reverse("accounts:login")
        for username, role, code, _ in seed.DEMO_ACCOUNTS:
            response = client.post(login, {"username": username, "password": seed.DEMO_PASSWORD})
            assert response.status_code == 302, username
            assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)
            client.logout()
            grant = Grant.objects.select_related("unit").get(user__username=username)
            assert (grant.role, grant.unit.code) == (role, code)
        users = {u.username: u for u in User.objects.all()}
        assert users["admin"].is_superuser and not users["region_office"].is_superuser
        wuchuan = Unit.objects.get(code="150125")
        assert users["county_office"].scope_paths("view") == [wuchuan.path]
        assert not Unit.objects.visible_to(users["outsider"]).filter(code="150125").exists()
        assert Unit.objects.visible_to(users["village_secretary"]).count() < 10
        assert users["township_operator"].display_name.endswith("联络员")

    def test_refuses_to_overwrite_unless_forced(self):
        call_command("seed_demo", "--scale", "small", stdout=io.StringIO())
        ids = set(Unit.objects.values_list("pk", flat=True))
        with pytest.raises(CommandError, match="拒绝覆盖"):
            call_command("seed_demo", "--scale", "small", stdout=io.StringIO())
        out = io.StringIO()
        call_command("seed_demo", "--scale", "small", "--if-empty", stdout=out)
        assert "跳过" in out.getvalue()
        assert set(Unit.objects.values_list("pk", flat=True)) == ids
        out = io.StringIO()
        call_command("seed_demo", "--scale", "small", "--force", stdout=out)
        assert "合计 total" in out.getvalue()
        new_ids = set(Unit.objects.values_list("pk", flat=True))
        assert len(new_ids) == len(ids) and min(new_ids) > max(ids)
        assert User.objects.filter(username="county_office").count() == 1
        assert "保留原密码" in out.getvalue()  # the accounts existed: their passwords are not reset
        assert Grant.objects.count() == len(seed.DEMO_ACCOUNTS)
        assert AuditEvent.objects.filter(verb="registry.seed").count() == 2

    def test_existing_user_keeps_password(self):
        User.objects.create_user("admin", password="Someone-Elses-2014")
        result = seed_small()
        assert result.kept_accounts == ["admin"]
        admin = User.objects.get(username="admin")
        assert admin.check_password("Someone-Elses-2014") and not admin.is_superuser
        assert Grant.objects.filter(user=admin, role="admin").exists()

    def test_stats_and_demo_logins_commands(self):
        seed_small()
        out = io.StringIO()
        call_command("stats", "--json", stdout=out)
        data = json.loads(out.getvalue())
        assert {
            "units_by_level", "units_by_kind", "units_by_division", "total_units", "total_members",
            "mobile_members", "blind_spots",
        } <= set(data)  # fmt: skip
        assert data["total_units"] == Unit.objects.count() == sum(data["units_by_kind"].values())
        assert data["total_members"] == Member.objects.count()
        assert data["units_by_level"]["league"] > 3 and data["rollups_consistent"] is True
        out = io.StringIO()
        call_command("stats", stdout=out)
        assert "组织总数" in out.getvalue()
        out = io.StringIO()
        call_command("demo_logins", stdout=out)
        text = out.getvalue()
        for username, _role, code, _ in seed.DEMO_ACCOUNTS:
            assert username in text and code in text
        assert seed.DEMO_PASSWORD in text


def _q(**kwargs):
    from django.db.models import Q

    return Q(**kwargs)
