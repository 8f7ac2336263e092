"""The organization registry: units in one tree (materialized path + ancestor per level) and members."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from echelon.core.querysets import ScopedQuerySet
from echelon.core.tree import PathField


class Level(models.IntegerChoices):
    REGION = 1, _("自治区")
    LEAGUE = 2, _("盟市")
    COUNTY = 3, _("旗县市区")
    TOWNSHIP = 4, _("苏木乡镇街道")
    VILLAGE = 5, _("嘎查村社区")


class Kind(models.TextChoices):
    LEADERSHIP = "leadership", _("领导班子")
    ORGAN = "organ", _("党政机关")
    DIRECT = "direct", _("直属单位")
    STATION = "station", _("站所")
    ENTERPRISE = "enterprise", _("国有企业")
    INSTITUTION = "institution", _("事业单位")
    NONPUBLIC = "nonpublic", _("非公有制经济组织")
    SOCIAL = "social", _("社会组织")
    VILLAGE = "village", _("嘎查村")
    COMMUNITY = "community", _("社区")


# Kinds that stand for a territory (a node of the administrative tree) rather than an organization in it.
TERRITORIAL_KINDS = frozenset({Kind.LEADERSHIP, Kind.VILLAGE, Kind.COMMUNITY})


class Division(models.TextChoices):
    """行政区划类型 of a territorial unit."""

    NONE = "", _("—")
    REGION = "region", _("自治区")
    CITY = "city", _("市")
    LEAGUE = "league", _("盟")
    DISTRICT = "district", _("区")
    COUNTY = "county", _("县")
    BANNER = "banner", _("旗")
    AUTONOMOUS_BANNER = "autonomous_banner", _("自治旗")
    COUNTY_CITY = "county_city", _("县级市")
    TOWN = "town", _("镇")
    TOWNSHIP = "township", _("乡")
    SUMU = "sumu", _("苏木")
    SUBDISTRICT = "subdistrict", _("街道")
    VILLAGE = "village", _("村")
    GACHA = "gacha", _("嘎查")
    COMMUNITY = "community", _("社区")


DIVISIONS_BY_LEVEL: dict[int, frozenset[str]] = {
    Level.REGION: frozenset({Division.REGION}),
    Level.LEAGUE: frozenset({Division.CITY, Division.LEAGUE}),
    Level.COUNTY: frozenset(
        {
            Division.DISTRICT,
            Division.COUNTY,
            Division.BANNER,
            Division.AUTONOMOUS_BANNER,
            Division.COUNTY_CITY,
        }
    ),
    Level.TOWNSHIP: frozenset({Division.TOWN, Division.TOWNSHIP, Division.SUMU, Division.SUBDISTRICT}),
    Level.VILLAGE: frozenset({Division.VILLAGE, Division.GACHA, Division.COMMUNITY}),
}


class AreaType(models.TextChoices):
    FARMING = "farming", _("农区")
    PASTORAL = "pastoral", _("牧区")
    FOREST = "forest", _("林区")
    MINING = "mining", _("矿区")
    URBAN = "urban", _("城区")


class LeadBy(models.TextChoices):
    TERRITORY = "territory", _("属地")
    SECTOR = "sector", _("行业")


class UnitQuerySet(ScopedQuerySet):
    scope_field = "path"

    def active(self) -> UnitQuerySet:
        return self.filter(is_active=True)


class Unit(models.Model):
    code = models.CharField(_("组织代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    pinyin = models.CharField(_("拼音"), max_length=300, blank=True, db_index=True)
    initials = models.CharField(_("拼音首字母"), max_length=100, blank=True, db_index=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("上级组织"),
    )
    path = PathField(_("路径"), unique=True)
    depth = models.PositiveSmallIntegerField(_("深度"))
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    division = models.CharField(
        _("区划类型"), max_length=20, choices=Division.choices, blank=True, default=""
    )
    area_type = models.CharField(
        _("区域类型"), max_length=10, choices=AreaType.choices, blank=True, default=""
    )
    industry = models.CharField(_("行业系统"), max_length=50, blank=True, default="")
    lead_by = models.CharField(_("活动牵头"), max_length=10, choices=LeadBy.choices, default=LeadBy.TERRITORY)
    is_active = models.BooleanField(_("有效"), default=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("并入")
    )
    # The territorial ancestor (or self) at each level: "per league" is GROUP BY lv2.
    lv1 = models.ForeignKey(
        "self", models.DO_NOTHING, null=True, blank=True, related_name="+", db_constraint=False
    )
    lv2 = models.ForeignKey(
        "self", models.DO_NOTHING, null=True, blank=True, related_name="+", db_constraint=False
    )
    lv3 = models.ForeignKey(
        "self", models.DO_NOTHING, null=True, blank=True, related_name="+", db_constraint=False
    )
    lv4 = models.ForeignKey(
        "self", models.DO_NOTHING, null=True, blank=True, related_name="+", db_constraint=False
    )
    lv5 = models.ForeignKey(
        "self", models.DO_NOTHING, null=True, blank=True, related_name="+", db_constraint=False
    )
    # Rollups kept current by the services: counts at this unit, and over its whole subtree.
    members_here = models.PositiveIntegerField(_("本单位党员"), default=0)
    participants_here = models.PositiveIntegerField(_("在本单位参加活动"), default=0)
    mobile_here = models.PositiveIntegerField(_("流出党员"), default=0)
    blind_here = models.PositiveIntegerField(_("盲点"), default=0)
    sub_units = models.PositiveIntegerField(_("下属组织（含本级）"), default=1)
    sub_members = models.PositiveIntegerField(_("党员总数"), default=0)
    sub_participants = models.PositiveIntegerField(_("参加活动党员"), default=0)
    sub_mobile = models.PositiveIntegerField(_("流动党员"), default=0)
    sub_blind = models.PositiveIntegerField(_("盲点党员"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织")
        verbose_name_plural = _("组织")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["parent", "kind", "code"], name="unit_children_idx"),
            models.Index(fields=["level", "kind"], name="unit_level_kind_idx"),
            models.Index(fields=["name"], name="unit_name_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="unit_level_valid"),
            models.CheckConstraint(condition=models.Q(kind__in=Kind.values), name="unit_kind_valid"),
            models.CheckConstraint(condition=models.Q(lead_by__in=LeadBy.values), name="unit_lead_by_valid"),
            models.CheckConstraint(
                condition=models.Q(parent__isnull=False) | models.Q(level=Level.REGION),
                name="unit_root_is_region",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("orgs:unit", args=[self.code])

    @property
    def is_territorial(self) -> bool:
        return self.kind in TERRITORIAL_KINDS


class MemberStatus(models.TextChoices):
    FULL = "full", _("正式党员")
    PROBATIONARY = "probationary", _("预备党员")


class Gender(models.TextChoices):
    MALE = "m", _("男")
    FEMALE = "f", _("女")


ETHNICITIES = [
    "汉族",
    "蒙古族",
    "满族",
    "回族",
    "达斡尔族",
    "鄂温克族",
    "鄂伦春族",
    "朝鲜族",
    "俄罗斯族",
    "藏族",
    "壮族",
    "其他",
]


class MemberQuerySet(ScopedQuerySet):
    scope_field = "path"

    def participating_in(self, path: str) -> MemberQuerySet:
        """Members counted in the subtree at `path`: at the inflow unit when mobile, otherwise at home."""
        from echelon.core.tree import subtree_q

        return self.filter(subtree_q("part_path", [path]))


class Member(models.Model):
    code = models.CharField(_("党员编号"), max_length=32, unique=True)
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=10, default="汉族")
    birth_date = models.DateField(_("出生日期"))
    joined_date = models.DateField(_("入党日期"))
    status = models.CharField(
        _("党员类别"), max_length=16, choices=MemberStatus.choices, default=MemberStatus.FULL
    )
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, default="")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="members", verbose_name=_("所在组织")
    )
    path = PathField(_("所在组织路径"))
    is_mobile = models.BooleanField(_("流动党员"), default=False)
    inflow_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="inflow_members",
        verbose_name=_("流入组织"),
        db_index=False,  # see member_inflow_idx: most members have none
    )
    part_path = PathField(_("参加活动组织路径"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["path", "id"]
        indexes = [
            models.Index(fields=["path", "id"], name="member_path_idx"),
            models.Index(fields=["part_path"], name="member_part_path_idx"),
            models.Index(fields=["name"], name="member_name_idx"),
            models.Index(fields=["unit", "is_mobile", "inflow_unit"], name="member_unit_mobile_idx"),
            models.Index(
                fields=["inflow_unit"],
                name="member_inflow_idx",
                condition=models.Q(inflow_unit__isnull=False),
            ),
            # Blind spots of any subtree, in list order, from a small partial index.
            models.Index(
                fields=["path", "id"],
                name="member_blind_idx",
                condition=models.Q(is_mobile=True, inflow_unit__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(gender__in=Gender.values), name="member_gender_valid"),
            models.CheckConstraint(
                condition=models.Q(status__in=MemberStatus.values), name="member_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(inflow_unit__isnull=True) | models.Q(is_mobile=True),
                name="member_inflow_only_if_mobile",
            ),
            models.CheckConstraint(
                condition=models.Q(joined_date__gt=models.F("birth_date")), name="member_joined_after_birth"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_blind_spot(self) -> bool:
        return self.is_mobile and self.inflow_unit_id is None
