from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from echelon.conftest import make_member, make_unit
from echelon.core.models import AuditEvent
from echelon.core.tree import segment
from echelon.orgs import services
from echelon.orgs.models import Kind, Level, Member, Unit


def fresh(unit: Unit) -> Unit:
    return Unit.objects.get(pk=unit.pk)


@pytest.mark.django_db
class TestTree:
    def test_paths_levels_and_ancestors(self, tree):
        v = fresh(tree.village)
        assert v.path == tree.region.path + segment(tree.league.pk) + segment(tree.county.pk) + segment(
            tree.township.pk
        ) + segment(v.pk)
        assert v.depth == 5
        assert (v.lv1_id, v.lv2_id, v.lv3_id, v.lv4_id, v.lv5_id) == (
            tree.region.pk,
            tree.league.pk,
            tree.county.pk,
            tree.township.pk,
            v.pk,
        )
        organ = fresh(tree.organ)
        assert (organ.lv3_id, organ.lv4_id) == (tree.county.pk, None)
        assert organ.depth == 4 and organ.level == Level.COUNTY

    def test_subtree_is_a_path_range(self, tree):
        codes = set(Unit.objects.within(tree.county.path).values_list("code", flat=True))
        assert codes == {"150125", "150125100", "150125100201", "150125001", "150125001001", "150125-O01"}

    def test_pinyin_keys(self, tree):
        league = fresh(tree.league)
        assert league.pinyin == "huhehaoteshi"
        assert league.initials == "hhhts"

    @pytest.mark.parametrize(
        "level,kind,parent_attr",
        [
            (Level.VILLAGE, Kind.VILLAGE, "county"),  # a village must sit under a township
            (Level.TOWNSHIP, Kind.LEADERSHIP, "league"),  # skips a level
            (Level.TOWNSHIP, Kind.ORGAN, "county"),  # an organ belongs to its parent's level
            (Level.COUNTY, Kind.LEADERSHIP, "organ"),  # a territory never sits under an organ
        ],
    )
    def test_level_must_fit_parent(self, tree, level, kind, parent_attr):
        with pytest.raises(ValidationError):
            make_unit(getattr(tree, parent_attr), "X1", "错层级", level, kind)
        assert not Unit.objects.filter(code="X1").exists()

    def test_duplicate_code_refused(self, tree):
        with pytest.raises(ValidationError, match="已存在"):
            make_unit(tree.township, tree.village.code, "重复", Level.VILLAGE, Kind.VILLAGE, "village")


@pytest.mark.django_db
class TestRollups:
    def test_members_counted_once_at_inflow_and_blind_spots(self, tree):
        make_member(tree.village, "M1")
        make_member(tree.village, "M2", inflow=tree.community)
        make_member(tree.village, "M3", mobile=True)  # blind spot
        make_member(tree.sibling_village, "M4", inflow=tree.village)
        v, c, county, region = (fresh(u) for u in (tree.village, tree.community, tree.county, tree.region))
        assert (v.members_here, v.participants_here, v.mobile_here, v.blind_here) == (3, 3, 2, 1)
        assert c.participants_here == 1 and c.members_here == 0
        assert (county.sub_members, county.sub_participants, county.sub_mobile, county.sub_blind) == (
            3,
            4,
            2,
            1,
        )
        assert (region.sub_members, region.sub_participants) == (4, 4)
        sibling = fresh(tree.sibling_league)
        assert (sibling.sub_members, sibling.sub_participants) == (1, 0)

    def test_rebuild_matches_incremental(self, tree):
        counters = [
            "members_here",
            "participants_here",
            "mobile_here",
            "blind_here",
            "sub_units",
            "sub_members",
            "sub_participants",
            "sub_mobile",
            "sub_blind",
        ]
        make_member(tree.village, "M1")
        make_member(tree.village, "M2", inflow=tree.sibling_village)
        make_member(tree.community, "M3", mobile=True)  # mobile without an inflow unit: a blind spot
        before = list(Unit.objects.order_by("pk").values_list("pk", *counters))
        # every counter is non-zero somewhere, so resetting it to 0 is a real test of the rebuild
        assert all(any(row[i + 1] for row in before) for i in range(len(counters)))
        # reset every counter compared below: one left alone would match whatever the rebuild does
        Unit.objects.update(**{c: 0 for c in counters})
        assert set(Unit.objects.values_list(*counters).distinct()) == {(0,) * len(counters)}
        services.rollups_rebuild()
        after = list(Unit.objects.order_by("pk").values_list("pk", *counters))
        assert after == before

    def test_member_update_moves_counts(self, tree):
        m = make_member(tree.village, "M1")
        services.member_update(
            actor=None, member=m, changes={"is_mobile": True, "inflow_unit_id": tree.sibling_village.pk}
        )
        assert fresh(tree.county).sub_participants == 0
        assert fresh(tree.sibling_league).sub_participants == 1
        assert AuditEvent.objects.filter(verb="member.update", object_id=str(m.pk)).count() == 1


@pytest.mark.django_db
class TestMove:
    def test_move_rewrites_subtree_members_and_rollups(self, tree):
        make_member(tree.village, "M1")
        make_member(tree.village, "M2")
        services.unit_move(actor=None, unit=tree.township, new_parent=tree.sibling_county)
        t, v = fresh(tree.township), fresh(tree.village)
        assert t.path.startswith(fresh(tree.sibling_county).path) and v.path.startswith(t.path)
        assert (v.lv2_id, v.lv3_id, v.lv4_id) == (tree.sibling_league.pk, tree.sibling_county.pk, t.pk)
        assert set(Member.objects.values_list("path", flat=True)) == {v.path}
        assert fresh(tree.county).sub_members == 0 and fresh(tree.sibling_county).sub_members == 2
        assert fresh(tree.region).sub_members == 2
        assert fresh(tree.county).sub_units == 4
        event = AuditEvent.objects.get(verb="unit.move")
        assert event.before["parent"] == "150125" and event.after["parent"] == "150222"

    def test_cycle_refused(self, tree):
        with pytest.raises(ValidationError, match="循环"):
            services.unit_move(actor=None, unit=tree.county, new_parent=tree.township)
        assert fresh(tree.county).parent_id == tree.league.pk

    def test_level_mismatch_refused(self, tree):
        with pytest.raises(ValidationError):
            services.unit_move(actor=None, unit=tree.village, new_parent=tree.county)

    def test_move_outside_scope_refused(self, personas, tree):
        with pytest.raises(PermissionDenied):
            services.unit_move(
                actor=personas["league_office"], unit=tree.township, new_parent=tree.sibling_county
            )
        assert fresh(tree.township).parent_id == tree.county.pk

    def test_merge_keeps_source_inactive(self, tree):
        make_member(tree.community, "M1")
        other = make_unit(
            tree.community_township, "150125001002", "团结社区", Level.VILLAGE, Kind.COMMUNITY, "community"
        )
        services.unit_merge(actor=None, source=tree.community, target=other)
        src = fresh(tree.community)
        assert not src.is_active and src.merged_into_id == other.pk
        assert Member.objects.get(code="M1").unit_id == other.pk
        assert fresh(other).sub_members == 1


@pytest.mark.django_db
def test_breakdown_is_cached_until_the_tree_changes(tree, django_assert_num_queries):
    from echelon.orgs.selectors import subtree_breakdown

    first = subtree_breakdown(tree.county)
    with django_assert_num_queries(1):  # only the version lookup
        assert subtree_breakdown(tree.county) == first
    make_unit(tree.township, "150125100202", "西土城村", Level.VILLAGE, Kind.VILLAGE, "village")
    villages = {r["key"]: r["n"] for r in subtree_breakdown(tree.county)["by_level"]}[Level.VILLAGE]
    assert villages == 3
