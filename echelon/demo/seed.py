"""The demo registry: Inner Mongolia in January 2014, generated deterministically for a seed.

``plan_full(seed)`` / ``plan_small(seed)`` decide *how many* of everything goes where (pure, no database:
the count tests check the plan without building anything); ``Generator(plan)`` turns a plan into unit
specs (``build()``) and a stream of member rows (``members()``), pure as well; ``run(...)`` writes them
through :mod:`echelon.orgs.bulk` in one transaction, rebuilds the rollups (``services.rollups_rebuild``),
creates the demo accounts through the accounts services and writes one ``registry.seed`` audit event with the
counts (not one event per row). ``run(force=True)`` first deletes members, grants and units; users and the
audit trail stay, and new ids continue after the old ones.

Only ``random.Random`` instances seeded from the seed number are used (never the global generator), and
nothing iterates over a set or depends on hash order, so a seed always gives the same rows.

Codes
-----
- Region 内蒙古自治区 ``150000``; leagues/cities by their real codes (``LEAGUE_CODES``).
- County-level units follow the GB/T 2260 pattern in CSV order within their league: districts (区) get
  ``02, 03 …``, counties and banners (县、旗、自治旗) ``21, 22 …``, county-level cities (县级市) ``81, 82 …``
  after the league's four leading digits. In the three leagues (盟), which have no districts, county-level
  cities are ``01, 02 …`` (乌兰浩特市 152201, 二连浩特市 152501, 锡林浩特市 152502), and in 锡林郭勒盟
  the banners and counties start at ``22`` (152521 is unused: 阿巴嘎旗 152522 … 多伦县 152531). For 2014
  this reproduces the real codes (武川县 150125, 固阳县 150222, 满洲里市 150781, 额济纳旗 152923 …).
- Township level (9 digits) = county code + 3 digits, as in the statistical division codes: subdistricts
  (街道) ``001…``, towns (镇) ``100…``, townships and sumu (乡、苏木) ``200…``.
- Village level (12 digits) = township code + 3 digits: communities (社区) ``001…``, villages and gacha
  (村、嘎查) ``201…``.
- Every other organization = its parent's code + ``-`` + a kind letter + 3 digits, numbered per parent
  and letter: ``O`` organ (党政机关), ``D`` directly affiliated unit (直属单位), ``S`` station (站所),
  ``E`` enterprise (国有企业), ``I`` institution (事业单位), ``N`` non-public economic organization,
  ``C`` social (civil) organization. E.g. ``150125-O002`` 武川县委组织部,
  ``150125100-S006`` a station of a town.
- Member codes: the 6-digit code of the member's county (or league, or region for units above counties)
  + a 7-digit sequence number in generation order, e.g. ``1501250000042``.

Ten times the region (``--scale x10``, ``plan_x10``)
----------------------------------------------------
A synthetic registry for measuring the design at ten times the size (700,000 units, 13.2 million
members), not a picture of anything real. Under the one region 内蒙古自治区 sit the real twelve leagues
(copy 0, exactly the real codes and names) and nine synthetic copies of them (copies 1–9): 120 leagues,
1,020 counties, the same five levels and kinds of organizations. A copy keeps every code's shape and
length and replaces the two province digits ``15`` by ``9`` + the copy number (``copy_code``): 呼和浩特市
``150100`` → ``910100`` … ``990100``, 武川县 ``150125`` → ``910125``; township, village, organization and
member codes derive from those as above, so every code stays unique (no real province code starts with
``9``) and the 6/9/12-digit rules, the ``-`` + letter codes and the 13-digit member codes hold unchanged.
Names get the copy's number (``copy_name``: 武川县（二） … 武川县（十）, 武川县（二）委组织部), and a copy
uses its original's tables (county seat, forest bureaus and mines, ports, minorities; ``real_name``). The
plan apportions ten times the full targets over the 1,020 counties in one go, so per-county sizes have the
same distribution as the full scale. Ten copies of the leagues was chosen over more counties per league
because the two county digits of a league cannot hold ten times 赤峰市's twelve counties, and over more
townships per county because the township groups (001…, 100…, 200…) hold under 100 each. Members keep
ids and paths as usual: 700,000 ids fit a 5-character base-36 path segment (up to 60 million).
"""

from __future__ import annotations

import csv
import datetime
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.db import connection

from echelon.demo import verbs
from echelon.orgs.bulk import UnitSpec
from echelon.orgs.models import AreaType, Division, Kind, Level

DEFAULT_SEED = 2014
REF_DATE = datetime.date(2014, 1, 20)  # batch two was launched on 20 January 2014
DEMO_PASSWORD = "Echelon-2014"  # noqa: S105 (published in the README and by `demo_logins`)
CSV_PATH = Path(__file__).resolve().parent / "data" / "inner_mongolia_2014_county_level.csv"

REGION_CODE = "150000"
REGION_NAME = "内蒙古自治区"
LEAGUE_CODES = {
    "呼和浩特市": "150100", "包头市": "150200", "乌海市": "150300", "赤峰市": "150400", "通辽市": "150500",
    "鄂尔多斯市": "150600", "呼伦贝尔市": "150700", "巴彦淖尔市": "150800", "乌兰察布市": "150900",
    "兴安盟": "152200", "锡林郭勒盟": "152500", "阿拉善盟": "152900",
}  # fmt: skip
LEAGUE_AREA = {
    "呼和浩特市": AreaType.URBAN, "包头市": AreaType.MINING, "乌海市": AreaType.MINING,
    "赤峰市": AreaType.FARMING, "通辽市": AreaType.FARMING, "鄂尔多斯市": AreaType.MINING,
    "呼伦贝尔市": AreaType.FOREST, "巴彦淖尔市": AreaType.FARMING, "乌兰察布市": AreaType.FARMING,
    "兴安盟": AreaType.FOREST, "锡林郭勒盟": AreaType.PASTORAL, "阿拉善盟": AreaType.PASTORAL,
}  # fmt: skip
# Area type of each county-level unit: cities' districts are urban unless they are mining districts.
COUNTY_AREA = {
    "石拐区": "mining", "白云鄂博矿区": "mining", "海南区": "mining", "乌达区": "mining",
    "元宝山区": "mining", "扎赉诺尔区": "mining", "霍林郭勒市": "mining", "准格尔旗": "mining",
    "伊金霍洛旗": "mining",
    "达尔罕茂明安联合旗": "pastoral", "阿鲁科尔沁旗": "pastoral", "巴林右旗": "pastoral",
    "克什克腾旗": "pastoral", "扎鲁特旗": "pastoral", "鄂托克前旗": "pastoral", "鄂托克旗": "pastoral",
    "杭锦旗": "pastoral", "乌审旗": "pastoral", "鄂温克族自治旗": "pastoral", "陈巴尔虎旗": "pastoral",
    "新巴尔虎左旗": "pastoral", "新巴尔虎右旗": "pastoral", "乌拉特中旗": "pastoral",
    "乌拉特后旗": "pastoral", "四子王旗": "pastoral", "阿巴嘎旗": "pastoral", "苏尼特左旗": "pastoral",
    "苏尼特右旗": "pastoral", "东乌珠穆沁旗": "pastoral", "西乌珠穆沁旗": "pastoral", "镶黄旗": "pastoral",
    "正镶白旗": "pastoral", "正蓝旗": "pastoral", "阿拉善左旗": "pastoral", "阿拉善右旗": "pastoral",
    "额济纳旗": "pastoral", "科尔沁右翼中旗": "pastoral",
    "鄂伦春自治旗": "forest", "牙克石市": "forest", "额尔古纳市": "forest", "根河市": "forest",
    "阿尔山市": "forest", "扎兰屯市": "forest",
    "满洲里市": "urban", "乌兰浩特市": "urban", "二连浩特市": "urban", "锡林浩特市": "urban",
}  # fmt: skip
# Share of 蒙古族 among members, by league (before the area adjustment), and local minorities.
MONGOL_SHARE = {
    "呼和浩特市": 0.11, "包头市": 0.06, "乌海市": 0.05, "赤峰市": 0.20, "通辽市": 0.42, "鄂尔多斯市": 0.14,
    "呼伦贝尔市": 0.10, "巴彦淖尔市": 0.06, "乌兰察布市": 0.04, "兴安盟": 0.40, "锡林郭勒盟": 0.30,
    "阿拉善盟": 0.26,
}  # fmt: skip
AREA_MONGOL_FACTOR = {"pastoral": 1.55, "farming": 0.95, "urban": 0.9, "forest": 0.7, "mining": 0.75}
LOCAL_MINORITIES: dict[str, list[tuple[str, float]]] = {
    "莫力达瓦达斡尔族自治旗": [("达斡尔族", 0.22), ("鄂温克族", 0.02)],
    "鄂温克族自治旗": [("鄂温克族", 0.10), ("达斡尔族", 0.07)],
    "鄂伦春自治旗": [("鄂伦春族", 0.03), ("达斡尔族", 0.04), ("鄂温克族", 0.02)],
    "海拉尔区": [("达斡尔族", 0.03), ("鄂温克族", 0.02)],
    "扎兰屯市": [("达斡尔族", 0.02), ("鄂温克族", 0.01)],
    "阿荣旗": [("达斡尔族", 0.02), ("鄂温克族", 0.02)],
    "额尔古纳市": [("俄罗斯族", 0.02)],
    "根河市": [("鄂温克族", 0.01)],
}
LEAGUE_MINORITIES: dict[str, list[tuple[str, float]]] = {
    "呼和浩特市": [("回族", 0.025), ("满族", 0.02)],
    "包头市": [("回族", 0.01), ("满族", 0.01)],
    "赤峰市": [("满族", 0.04), ("回族", 0.01)],
    "通辽市": [("满族", 0.02), ("回族", 0.005)],
    "呼伦贝尔市": [("满族", 0.03), ("回族", 0.01), ("朝鲜族", 0.003)],
    "兴安盟": [("满族", 0.02), ("朝鲜族", 0.004)],
}
DEFAULT_MINORITIES = [("满族", 0.008), ("回族", 0.006)]

T = TypeVar("T")
CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 25 → 二十五 (up to 99)."""
    tens, ones = divmod(n, 10)
    if n < 10:
        return CN_DIGITS[n]
    return (CN_DIGITS[tens] if tens > 1 else "") + "十" + (CN_DIGITS[ones] if ones else "")


# ---------------------------------------------------------------------------------------------------------
# Place names
# ---------------------------------------------------------------------------------------------------------

MONGOL_FIRST = [
    "巴彦", "乌兰", "查干", "宝力格", "额尔敦", "锡林", "哈日", "那仁", "呼和", "希日", "阿拉坦", "孟根",
    "伊和", "巴嘎", "赛罕", "乌力吉", "图门", "朝鲁", "吉日嘎朗", "萨如拉", "达来", "哈达", "白音", "温都尔",
    "哈拉", "乌日图", "巴润", "准", "布日都", "敖伦", "塔本", "阿拉腾", "毕力格", "巴音", "浩日图",
    "乌兰哈达",
]  # fmt: skip
MONGOL_SECOND = [
    "塔拉", "高勒", "淖尔", "乌素", "宝力格", "敖包", "陶勒盖", "浩特", "布拉格", "哈达", "温都尔", "呼都格",
    "额里斯", "锡勒", "图", "诺尔", "胡舒", "阿木", "套海", "花", "宝拉格", "希热", "额日格", "查干",
    "乌拉", "沙巴尔", "芒哈", "毛都", "呼热", "宝日", "哈日根", "伊勒",
]  # fmt: skip
HAN_VILLAGE_PREFIX = [
    "东", "西", "南", "北", "前", "后", "大", "小", "上", "下", "新", "老", "中", "头道", "二道", "三道",
]  # fmt: skip
HAN_VILLAGE_CORE = [
    "土城", "榆树", "柳树", "杨树", "沙河", "红山", "黄土", "白石", "石门", "泉子", "水泉", "井沟", "双井",
    "古城", "庙", "营", "碾房", "油坊", "磨盘", "牛家", "马家", "王家", "李家", "张家", "刘家", "赵家",
    "高家", "郭家", "杨家", "韩家", "苏家", "梁家", "武家", "乔家", "兴隆", "太平", "永丰", "丰收", "红星",
    "五星", "前进", "胜利", "和平", "富民", "长胜", "复兴", "公义", "德胜", "天成", "万和", "福兴", "广益",
    "毛岱", "脑包", "忽洞", "什拉", "哈拉", "乌素图", "板申", "讨号", "圐圙", "二份子", "五犋牛", "三号地",
]  # fmt: skip
HAN_VILLAGE_SUFFIX = [
    "", "", "", "营子", "窑子", "沟", "湾", "梁", "滩", "堡", "圪旦", "壕", "店", "庄", "渠", "沟门", "坝",
]  # fmt: skip
TOWN_CORE = [
    "太平", "永兴", "土城", "黄旗", "红山", "白塔", "榆树", "柳林", "沙河", "古城", "新营", "金山", "宏盘",
    "兴隆", "双河", "五股", "福兴", "天成", "宝昌", "平安", "和平", "大营", "庆丰", "德胜", "长青", "新民",
    "毕克齐", "察素齐", "善岱", "沙尔沁", "哈素", "塔布", "乌兰不浪", "哈拉沁", "什拉乌素", "毛岱",
    "大滩", "二龙", "三合", "四道", "八家", "十八台", "新地", "东升", "西湖", "南湾", "北山", "朝阳",
]  # fmt: skip
URBAN_CORE = [
    "新华", "解放", "人民", "民主", "团结", "胜利", "和平", "建设", "中山", "东街", "西街", "南街", "北街",
    "站前", "光明", "友谊", "幸福", "育才", "富强", "兴安", "铁路", "工农", "昭乌达", "锡林", "北疆",
    "文化", "振华", "新城", "青城", "滨河", "花园", "学府", "迎宾", "鄂尔多斯", "健康", "车站", "公园",
    "迎新", "长征", "工业", "草原", "红旗", "利民", "丰泽", "海东", "园林", "金桥", "世纪", "阳光",
]  # fmt: skip
COMMUNITY_CORE = [
    "春光", "阳光", "幸福", "和谐", "民族", "团结", "康乐", "锦绣", "朝阳", "东风", "西园", "南苑", "北苑",
    "振华", "绿洲", "丽苑", "金桥", "滨河", "花园", "安居", "鑫园", "书香", "文化", "园丁", "桃李", "青城",
    "新华", "友谊", "光明", "民主", "建设", "胜利", "解放", "富强", "长安", "永安", "锦华", "惠民", "祥和",
    "温馨", "兴隆", "泰和", "嘉和", "东城", "西城", "南门", "北门", "铁西", "矿区", "电厂", "纺织", "车站",
]  # fmt: skip
NUMERIC_SUFFIX = ["", "东", "西", "南", "北", "一", "二", "三", "新"]

# ---------------------------------------------------------------------------------------------------------
# Organizations: (name template, kind, industry, lead_by). {n} is the territory's name.
# ---------------------------------------------------------------------------------------------------------

SECTOR = "sector"
TERR = "territory"

ORGANS = [
    ("{n}委办公室", ""), ("{n}委组织部", "组织"), ("{n}委宣传部", "宣传"), ("{n}委统战部", "统战"),
    ("{n}委政法委员会", "政法"), ("{n}纪律检查委员会", "纪检监察"), ("{n}委机构编制委员会办公室", ""),
    ("{n}直属机关工作委员会", ""), ("{n}委老干部局", "组织"), ("{n}人大常委会机关", "人大"),
    ("{n}政协机关", "政协"), ("{gov}办公室", ""), ("{n}发展和改革局", "发展改革"), ("{n}教育局", "教育"),
    ("{n}科学技术局", "科技"), ("{n}经济和信息化局", "工业"), ("{n}民族事务委员会", "民族宗教"),
    ("{n}公安局", "公安"), ("{n}民政局", "民政"), ("{n}司法局", "司法"), ("{n}财政局", "财政"),
    ("{n}人力资源和社会保障局", "人社"), ("{n}国土资源局", "国土资源"), ("{n}环境保护局", "环保"),
    ("{n}住房和城乡建设局", "住建"), ("{n}交通运输局", "交通"), ("{n}水务局", "水利"), ("{n}农牧业局",
    "农牧业"),
    ("{n}林业局", "林业"), ("{n}商务局", "商务"), ("{n}文化新闻出版广电局", "文化"),
    ("{n}卫生和计划生育局", "卫生"), ("{n}审计局", "审计"), ("{n}统计局", "统计"),
    ("{n}安全生产监督管理局", "安监"), ("{n}食品药品监督管理局", "食药监"), ("{n}工商行政管理局", "工商"),
    ("{n}质量技术监督局", "质监"), ("{n}地方税务局", "税务"), ("{n}扶贫开发办公室", "扶贫"),
    ("{n}信访局", "信访"), ("{court}", "政法"), ("{n}人民检察院", "政法"), ("{n}总工会", "群团"),
    ("共青团{n}委员会", "群团"), ("{n}妇女联合会", "群团"), ("{n}工商业联合会", "群团"),
    ("{n}残疾人联合会", "群团"), ("{n}科学技术协会", "群团"),
]  # fmt: skip
ESSENTIAL_ORGANS = 12  # the first ones exist everywhere (组织部 is needed by the demo personas' pages)
VERTICAL = [
    ("{n}国家税务局", Kind.ORGAN, "税务"), ("{n}气象局", Kind.ORGAN, "气象"),
    ("中国人民银行{n}支行", Kind.ORGAN, "金融"), ("{n}烟草专卖局", Kind.ORGAN, "烟草"),
    ("{n}供电分局", Kind.ENTERPRISE, "电力"), ("中国农业银行{n}支行", Kind.ENTERPRISE, "金融"),
    ("中国工商银行{n}支行", Kind.ENTERPRISE, "金融"), ("中国建设银行{n}支行", Kind.ENTERPRISE, "金融"),
    ("中国银行{n}支行", Kind.ENTERPRISE, "金融"), ("{n}农村信用合作联社", Kind.ENTERPRISE, "金融"),
    ("中国邮政集团公司{n}分公司", Kind.ENTERPRISE, "邮政"), ("中国移动{n}分公司", Kind.ENTERPRISE, "通信"),
    ("中国联通{n}分公司", Kind.ENTERPRISE, "通信"), ("中国电信{n}分公司", Kind.ENTERPRISE, "通信"),
    ("{n}车务段", Kind.ENTERPRISE, "铁路"), ("{n}出入境检验检疫局", Kind.ORGAN, "检验检疫"),
]  # fmt: skip
LEAGUE_VERTICAL = [
    ("{n}国家税务局", Kind.ORGAN, "税务"), ("{n}气象局", Kind.ORGAN, "气象"),
    ("中国人民银行{n}中心支行", Kind.ORGAN, "金融"), ("{n}烟草专卖局", Kind.ORGAN, "烟草"),
    ("{n}电业局", Kind.ENTERPRISE, "电力"), ("中国农业银行{n}分行", Kind.ENTERPRISE, "金融"),
    ("中国工商银行{n}分行", Kind.ENTERPRISE, "金融"), ("中国建设银行{n}分行", Kind.ENTERPRISE, "金融"),
    ("中国银行{n}分行", Kind.ENTERPRISE, "金融"), ("{n}邮政局", Kind.ENTERPRISE, "邮政"),
    ("中国移动{n}分公司", Kind.ENTERPRISE, "通信"), ("中国联通{n}分公司", Kind.ENTERPRISE, "通信"),
    ("中国电信{n}分公司", Kind.ENTERPRISE, "通信"), ("{n}公路管理局", Kind.DIRECT, "交通"),
]  # fmt: skip
SPECIAL_VERTICAL = {
    "满洲里市": [("满洲里海关", Kind.ORGAN, "海关")],
    "二连浩特市": [("二连海关", Kind.ORGAN, "海关")],
    "额济纳旗": [("策克口岸管理办公室", Kind.ORGAN, "海关")],
    "东乌珠穆沁旗": [("珠恩嘎达布其口岸管理办公室", Kind.ORGAN, "海关")],
}
# Forest bureaus of the Greater Khingan forest region and the big mines: vertically managed enterprises.
SPECIAL_ENTERPRISES = {
    "根河市": [("根河林业局", "林业", "forest"), ("金河林业局", "林业", "forest"),
             ("阿龙山林业局", "林业", "forest"), ("满归林业局", "林业", "forest")],
    "牙克石市": [("乌尔旗汉林业局", "林业", "forest"), ("库都尔林业局", "林业", "forest"),
              ("图里河林业局", "林业", "forest"), ("伊图里河林业局", "林业", "forest"),
              ("免渡河林业局", "林业", "forest"), ("博克图林业局", "林业", "forest"),
              ("绰源林业局", "林业", "forest")],
    "额尔古纳市": [("莫尔道嘎林业局", "林业", "forest"), ("得耳布尔林业局", "林业", "forest")],
    "鄂伦春自治旗": [("阿里河林业局", "林业", "forest"), ("大杨树林业局", "林业", "forest"),
               ("吉文林业局", "林业", "forest"), ("克一河林业局", "林业", "forest"),
               ("甘河林业局", "林业", "forest"), ("毕拉河林业局", "林业", "forest")],
    "扎兰屯市": [("柴河林业局", "林业", "forest"), ("南木林业局", "林业", "forest")],
    "阿尔山市": [("阿尔山林业局", "林业", "forest"), ("白狼林业局", "林业", "forest")],
    "白云鄂博矿区": [("包钢集团白云鄂博铁矿", "冶金", "mining")],
    "石拐区": [("包头矿业有限责任公司", "煤炭", "mining")],
    "海南区": [("神华乌海能源有限责任公司", "煤炭", "mining")],
    "乌达区": [("乌达矿业公司", "煤炭", "mining")],
    "元宝山区": [("平庄煤业（集团）有限责任公司", "煤炭", "mining"), ("元宝山发电有限责任公司", "电力",
    "mining")],
    "霍林郭勒市": [("霍林河露天煤业股份有限公司", "煤炭", "mining")],
    "准格尔旗": [("神华准格尔能源有限责任公司", "煤炭", "mining")],
    "伊金霍洛旗": [("神华神东煤炭集团有限责任公司", "煤炭", "mining")],
    "扎赉诺尔区": [("扎赉诺尔煤业有限责任公司", "煤炭", "mining")],
    "鄂托克旗": [("棋盘井煤矿", "煤炭", "mining")],
}  # fmt: skip
DIRECT = [
    ("{n}委党校", "组织"), ("{n}档案局", ""), ("{n}广播电视台", "文化"), ("{n}机关事务管理局", ""),
    ("{n}供销合作社联合社", "商务"), ("{n}城市管理综合执法局", "城管"), ("{n}房产管理局", "住建"),
    ("{n}就业服务局", "人社"), ("{n}社会保险事业管理局", "人社"), ("{n}农牧业技术推广中心", "农牧业"),
    ("{n}动物疫病预防控制中心", "农牧业"), ("{n}草原工作站", "农牧业"), ("{n}水土保持工作站", "水利"),
    ("{n}林业工作站", "林业"), ("{n}公路管理段", "交通"), ("{n}工业园区管理委员会", "工业"),
    ("{n}住房公积金管理中心", "住建"), ("{n}地震局", ""), ("{n}人民防空办公室", ""), ("{n}文物管理所",
    "文化"),
    ("{n}图书馆", "文化"), ("{n}文化馆", "文化"), ("{n}乌兰牧骑", "文化"), ("{n}农村牧区合作经济经营管理站",
    "农牧业"),
    ("{n}环境监测站", "环保"), ("{n}招商局", "商务"), ("{n}旅游局", "旅游"), ("{n}粮食局", "粮食"),
    ("{n}体育局", "体育"), ("{n}党员电化教育中心", "组织"), ("{n}编译局", "民族宗教"), ("{n}国有资产管理局",
    ""),
]  # fmt: skip
INSTITUTIONS_FIXED = [
    ("{n}人民医院", "卫生"), ("{n}蒙医医院", "卫生"), ("{n}中医医院", "卫生"), ("{n}妇幼保健计划生育服务中心",
    "卫生"),
    ("{n}疾病预防控制中心", "卫生"), ("{n}卫生监督所", "卫生"), ("{n}蒙古族中学", "教育"), ("{n}蒙古族小学",
    "教育"),
    ("{n}职业教育中心", "教育"), ("{n}实验小学", "教育"), ("{n}实验中学", "教育"), ("{n}特殊教育学校",
    "教育"),
    ("{n}第二人民医院", "卫生"), ("{n}精神卫生中心", "卫生"), ("{n}教师进修学校", "教育"),
]  # fmt: skip
INSTITUTIONS_NUMBERED = [("{n}第{k}中学", "教育"), ("{n}第{k}小学", "教育"), ("{n}第{k}幼儿园", "教育")]
LEAGUE_INSTITUTIONS_FIXED = [
    ("{n}第一医院", "卫生"), ("{n}医院", "卫生"), ("{n}蒙医医院", "卫生"), ("{n}中医医院", "卫生"),
    ("{n}妇幼保健院", "卫生"), ("{n}疾病预防控制中心", "卫生"), ("{n}职业技术学院", "教育"),
    ("{n}广播电视大学", "教育"), ("{n}蒙古族中学", "教育"), ("{n}体育运动学校", "教育"),
    ("{n}传染病医院", "卫生"), ("{n}血站", "卫生"), ("{n}急救中心", "卫生"), ("{n}博物馆", "文化"),
]  # fmt: skip
ENTERPRISES = [
    ("{n}城市投资建设有限责任公司", "国资"), ("{n}国有资产投资经营有限责任公司", "国资"),
    ("{n}供排水有限责任公司", "水利"), ("{n}热力有限责任公司", "住建"), ("{n}公共交通有限责任公司", "交通"),
    ("{n}国有林场", "林业"), ("{n}种畜场", "农牧业"), ("{n}粮食收储库", "粮食"), ("{n}新华书店", "文化"),
    ("{n}医药有限责任公司", "卫生"), ("{n}农牧业发展有限责任公司", "农牧业"), ("{n}水利工程有限责任公司",
    "水利"),
    ("{n}建筑工程有限责任公司", "住建"), ("{n}旅游开发有限责任公司", "旅游"), ("{n}煤炭有限责任公司", "煤炭"),
    ("{n}天然气有限责任公司", "能源"), ("{n}物资储运公司", "商务"), ("{n}农机服务公司", "农牧业"),
]  # fmt: skip
BRANDS_HAN = [
    "鑫源", "恒泰", "金河", "草原", "绿源", "宏达", "利民", "昌盛", "宇翔", "永盛", "福瑞", "伊禾", "腾飞",
    "华洋", "富达", "天骄", "塞北", "北方", "大地", "兴旺", "嘉禾", "泰丰", "万通", "瑞丰", "金牛", "盛源",
    "广汇", "润泽", "德润", "祥瑞", "天宇", "鸿运", "锦程", "联丰", "亿利", "鼎盛", "东方", "长城", "金桥",
    "合力", "诚信", "众和", "康源", "青山", "蓝天", "丰汇", "永兴", "恒通", "光华", "新世纪", "鹿城", "青城",
]  # fmt: skip
BUSINESS = [
    ("商贸有限公司", "商贸"), ("建筑工程有限公司", "建筑"), ("乳业有限责任公司", "乳业"), ("肉业有限公司",
    "食品"),
    ("羊绒制品有限公司", "纺织"), ("煤业有限公司", "煤炭"), ("物流有限公司", "物流"), ("农牧业开发有限公司",
    "农牧业"),
    ("餐饮有限公司", "餐饮"), ("房地产开发有限公司", "房地产"), ("稀土新材料有限公司", "稀土"),
    ("化工有限公司", "化工"),
    ("汽车销售服务有限公司", "商贸"), ("牧业有限公司", "农牧业"), ("种业有限公司", "农牧业"),
    ("绒毛制品有限公司", "纺织"),
    ("物业服务有限公司", "物业"), ("酒店有限公司", "餐饮"), ("科技有限公司", "科技"), ("能源有限公司",
    "能源"),
    ("运输有限公司", "交通"), ("建材有限公司", "建材"), ("药业有限公司", "医药"), ("饲料有限公司", "农牧业"),
    ("马铃薯制品有限公司", "食品"), ("风电有限公司", "能源"), ("光伏发电有限公司", "能源"),
    ("广告传媒有限公司", "文化"),
]  # fmt: skip
SOCIAL = [
    "个体劳动者协会", "私营企业协会", "律师协会", "会计师协会", "慈善协会", "老年人体育协会", "作家协会",
    "书法家协会", "摄影家协会", "诗词学会", "蒙古语言文字学会", "马术协会", "搏克协会", "民间艺术协会",
    "青年企业家协会", "建筑业协会", "物流协会", "餐饮行业协会", "乳业协会", "养殖业协会", "种植业协会",
    "志愿者协会", "红十字会", "收藏家协会", "舞蹈家协会", "音乐家协会", "关心下一代工作委员会", "法学会",
]  # fmt: skip
SOCIAL_NAMED = [
    "{b}民办幼儿园",
    "{b}民办学校",
    "{b}律师事务所",
    "{b}会计师事务所",
    "{b}职业培训学校",
    "{b}民营医院",
]
TOWN_STATIONS = [
    ("{t}农牧业服务中心", Kind.STATION, "农牧业", TERR), ("{t}财政所", Kind.STATION, "财政", TERR),
    ("{t}派出所", Kind.STATION, "公安", SECTOR), ("{t}司法所", Kind.STATION, "司法", TERR),
    ("{t}卫生院", Kind.INSTITUTION, "卫生", TERR), ("{t}中心学校", Kind.INSTITUTION, "教育", TERR),
    ("{t}国土资源所", Kind.STATION, "国土资源", SECTOR), ("{t}文化站", Kind.STATION, "文化", TERR),
    ("{t}兽医站", Kind.STATION, "农牧业", TERR), ("{t}林业工作站", Kind.STATION, "林业", TERR),
    ("{t}水利工作站", Kind.STATION, "水利", TERR), ("{t}供电所", Kind.STATION, "电力", SECTOR),
    ("{t}信用社", Kind.STATION, "金融", SECTOR), ("{t}计划生育服务站", Kind.STATION, "卫生", TERR),
    ("{t}劳动保障所", Kind.STATION, "人社", TERR), ("{t}邮政所", Kind.STATION, "邮政", SECTOR),
    ("{t}社会事务办公室", Kind.STATION, "民政", TERR), ("{t}中心幼儿园", Kind.INSTITUTION, "教育", TERR),
    ("{t}草原工作站", Kind.STATION, "农牧业", TERR), ("{t}安全生产监督管理站", Kind.STATION, "安监", TERR),
]  # fmt: skip
SUBDISTRICT_STATIONS = [
    ("{t}派出所", Kind.STATION, "公安", SECTOR), ("{t}司法所", Kind.STATION, "司法", TERR),
    ("{t}社区卫生服务中心", Kind.INSTITUTION, "卫生", TERR), ("{t}劳动保障事务所", Kind.STATION, "人社",
    TERR),
    ("{t}综合执法中队", Kind.STATION, "城管", TERR), ("{t}计划生育服务站", Kind.STATION, "卫生", TERR),
    ("{t}财政所", Kind.STATION, "财政", TERR), ("{t}工商所", Kind.STATION, "工商", SECTOR),
    ("{t}食品药品监督管理所", Kind.STATION, "食药监", TERR), ("{t}文化站", Kind.STATION, "文化", TERR),
]  # fmt: skip
CROPS = ["马铃薯", "玉米", "向日葵", "燕麦", "杂粮", "蔬菜", "甜菜", "葵花", "小麦", "大豆", "枸杞", "沙棘"]
ANIMALS = ["肉羊", "奶牛", "肉牛", "绒山羊", "生猪", "蒙古马", "骆驼", "家禽", "细毛羊", "驯鹿"]

REGION_UNITS = [
    # (name, kind, industry, lead_by, area)
    *[(f"内蒙古自治区党委{x}", Kind.ORGAN, i, TERR, "urban") for x, i in [
        ("办公厅", ""), ("组织部", "组织"), ("宣传部", "宣传"), ("统战部", "统战"), ("政法委员会", "政法")]],
    ("内蒙古自治区纪律检查委员会", Kind.ORGAN, "纪检监察", TERR, "urban"),
    ("内蒙古自治区人大常委会办公厅", Kind.ORGAN, "人大", TERR, "urban"),
    ("内蒙古自治区政协办公厅", Kind.ORGAN, "政协", TERR, "urban"),
    *[(f"内蒙古自治区{x}", Kind.ORGAN, i, TERR, "urban") for x, i in [
        ("人民政府办公厅", ""), ("发展和改革委员会", "发展改革"), ("教育厅", "教育"), ("科学技术厅", "科技"),
        ("经济和信息化委员会", "工业"), ("民族事务委员会", "民族宗教"), ("公安厅", "公安"), ("民政厅",
        "民政"),
        ("司法厅", "司法"), ("财政厅", "财政"), ("人力资源和社会保障厅", "人社"), ("国土资源厅", "国土资源"),
        ("环境保护厅", "环保"), ("住房和城乡建设厅", "住建"), ("交通运输厅", "交通"), ("水利厅", "水利"),
        ("农牧业厅", "农牧业"), ("林业厅", "林业"), ("商务厅", "商务"), ("文化厅", "文化"),
        ("卫生和计划生育委员会", "卫生"), ("审计厅", "审计"), ("国有资产监督管理委员会", "国资"),
        ("地方税务局", "税务"), ("工商行政管理局", "工商"), ("高级人民法院", "政法"), ("人民检察院",
        "政法")]],
    ("内蒙古自治区国家税务局", Kind.ORGAN, "税务", SECTOR, "urban"),
    ("内蒙古自治区气象局", Kind.ORGAN, "气象", SECTOR, "urban"),
    ("中国人民银行呼和浩特中心支行", Kind.ORGAN, "金融", SECTOR, "urban"),
    ("内蒙古自治区党委党校", Kind.DIRECT, "组织", TERR, "urban"),
    ("内蒙古日报社", Kind.DIRECT, "文化", TERR, "urban"),
    ("内蒙古广播电视台", Kind.DIRECT, "文化", TERR, "urban"),
    ("内蒙古自治区档案馆", Kind.DIRECT, "", TERR, "urban"),
    ("内蒙古自治区图书馆", Kind.DIRECT, "文化", TERR, "urban"),
    ("内蒙古自治区社会科学院", Kind.DIRECT, "科技", TERR, "urban"),
    *[(x, Kind.INSTITUTION, "教育", TERR, "urban") for x in [
        "内蒙古大学", "内蒙古师范大学", "内蒙古农业大学", "内蒙古工业大学", "内蒙古医科大学",
        "内蒙古科技大学",
        "内蒙古财经大学", "内蒙古民族大学", "赤峰学院", "呼伦贝尔学院", "集宁师范学院", "河套学院",
        "呼和浩特民族学院", "内蒙古艺术学院"]],
    ("内蒙古自治区人民医院", Kind.INSTITUTION, "卫生", TERR, "urban"),
    ("内蒙古医科大学附属医院", Kind.INSTITUTION, "卫生", TERR, "urban"),
    ("内蒙古自治区国际蒙医医院", Kind.INSTITUTION, "卫生", TERR, "urban"),
    *[(x, Kind.ENTERPRISE, i, SECTOR if s else TERR, a) for x, i, s, a in [
        ("内蒙古电力（集团）有限责任公司", "电力", True, "urban"),
        ("包头钢铁（集团）有限责任公司", "冶金", False, "mining"),
        ("内蒙古能源发电投资集团有限公司", "电力", False, "urban"),
        ("内蒙古交通投资有限责任公司", "交通", False, "urban"),
        ("内蒙古高等级公路建设开发有限责任公司", "交通", False, "urban"),
        ("内蒙古森林工业集团有限责任公司", "林业", True, "forest"),
        ("内蒙古煤炭建设工程（集团）总公司", "煤炭", False, "mining"),
        ("内蒙古水务投资集团有限公司", "水利", False, "urban"),
        ("内蒙古出版集团", "文化", False, "urban"),
        ("内蒙古广播电视网络集团有限公司", "文化", False, "urban"),
        ("内蒙古农村信用社联合社", "金融", True, "urban"),
        ("呼和浩特铁路局", "铁路", True, "urban"),
        ("中国邮政集团公司内蒙古自治区分公司", "邮政", True, "urban"),
        ("内蒙古自治区烟草专卖局（公司）", "烟草", True, "urban")]],
    ("内蒙古自治区工商业联合会", Kind.SOCIAL, "群团", TERR, "urban"),
    ("内蒙古自治区律师协会", Kind.SOCIAL, "司法", TERR, "urban"),
    ("内蒙古自治区注册会计师协会", Kind.SOCIAL, "财政", TERR, "urban"),
    ("内蒙古伊利实业集团股份有限公司", Kind.NONPUBLIC, "乳业", TERR, "urban"),
    ("内蒙古蒙牛乳业（集团）股份有限公司", Kind.NONPUBLIC, "乳业", TERR, "urban"),
    ("内蒙古伊泰集团有限公司", Kind.NONPUBLIC, "煤炭", TERR, "mining"),
    ("鄂尔多斯资源股份有限公司", Kind.NONPUBLIC, "纺织", TERR, "mining"),
    ("内蒙古小肥羊餐饮连锁有限公司", Kind.NONPUBLIC, "餐饮", TERR, "urban"),
]  # fmt: skip

# ---------------------------------------------------------------------------------------------------------
# The plan: how many of what, where (pure and cheap: this is what the count tests check)
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    subdistricts: int
    townships: int  # towns, townships and sumu
    villages: int  # villages and gacha
    communities: int
    units: int
    members: int


FULL_TARGETS = Targets(
    subdistricts=274, townships=765, villages=11_195, communities=2_272, units=70_000, members=1_320_000
)
X10_COPIES = 10
X10_TARGETS = Targets(
    subdistricts=2_740, townships=7_650, villages=111_950, communities=22_720, units=700_000,
    members=13_200_000,
)  # fmt: skip
SMALL_TARGETS = Targets(
    subdistricts=6, townships=16, villages=110, communities=30, units=1_600, members=30_000
)
SMALL_COUNTIES = {
    "呼和浩特市": ["新城区", "土默特左旗", "武川县"],
    "包头市": ["昆都仑区", "固阳县", "达尔罕茂明安联合旗"],
    "锡林郭勒盟": ["锡林浩特市", "阿巴嘎旗"],
}
NON_TERRITORIAL = (
    Kind.ORGAN, Kind.DIRECT, Kind.STATION, Kind.ENTERPRISE, Kind.INSTITUTION, Kind.NONPUBLIC, Kind.SOCIAL,
)  # fmt: skip


@dataclass
class TownshipPlan:
    division: str
    area: str
    villages: int = 0
    communities: int = 0
    stations: int = 0  # templates taken from the station list (stations and the township's institutions)
    nonpublic: int = 0
    social: int = 0
    coops: int = 0  # cooperatives (non-public) under its villages
    community_orgs: int = 0  # joint branches under its communities

    @property
    def units(self) -> int:
        parts = (self.villages, self.communities, self.stations, self.nonpublic, self.social, self.coops)
        return 1 + sum(parts) + self.community_orgs


@dataclass
class CountyPlan:
    name: str
    code: str
    division: str
    area: str
    townships: list[TownshipPlan] = field(default_factory=list)
    organs: int = 0
    vertical: int = 0
    direct: int = 0
    institutions: int = 0
    enterprises: int = 0
    nonpublic: int = 0
    social: int = 0
    real: str = ""  # the real county a synthetic copy (scale x10) is made from; "" for the real one

    @property
    def base(self) -> str:
        """The real county's name (the key of the per-county tables: seats, special units, minorities)."""
        return self.real or self.name

    @property
    def own_units(self) -> int:
        special = len(SPECIAL_ENTERPRISES.get(self.base, [])) + len(SPECIAL_VERTICAL.get(self.base, []))
        return (1 + self.organs + self.vertical + self.direct + self.institutions + self.enterprises
                + self.nonpublic + self.social + special)  # fmt: skip

    @property
    def units(self) -> int:
        return self.own_units + sum(t.units for t in self.townships)


@dataclass
class LeaguePlan:
    name: str
    code: str
    division: str
    area: str
    counties: list[CountyPlan] = field(default_factory=list)
    organs: int = 0
    vertical: int = 0
    direct: int = 0
    institutions: int = 0
    enterprises: int = 0
    nonpublic: int = 0
    social: int = 0
    real: str = ""  # the real league a synthetic copy (scale x10) is made from; "" for the real one

    @property
    def base(self) -> str:
        return self.real or self.name

    @property
    def own_units(self) -> int:
        return (1 + self.organs + self.vertical + self.direct + self.institutions + self.enterprises
                + self.nonpublic + self.social)  # fmt: skip

    @property
    def units(self) -> int:
        return self.own_units + sum(c.units for c in self.counties)


@dataclass
class Plan:
    scale: str
    seed: int
    targets: Targets
    leagues: list[LeaguePlan]
    region_units: int

    def counties(self) -> Iterator[CountyPlan]:
        for league in self.leagues:
            yield from league.counties

    def townships(self) -> Iterator[TownshipPlan]:
        for county in self.counties():
            yield from county.townships

    def totals(self) -> dict[str, int]:
        towns = list(self.townships())
        return {
            "region": 1,
            "leagues": len(self.leagues),
            "counties": sum(1 for _ in self.counties()),
            "townships": sum(1 for t in towns if t.division != Division.SUBDISTRICT),
            "subdistricts": sum(1 for t in towns if t.division == Division.SUBDISTRICT),
            "villages": sum(t.villages for t in towns),
            "communities": sum(t.communities for t in towns),
            "units": 1 + self.region_units + sum(league.units for league in self.leagues),
            "members": self.targets.members,
        }


def apportion(total: int, weights: list[float], minimum: list[int] | int = 0) -> list[int]:
    """Split `total` into integers proportional to `weights`, each at least `minimum` (largest remainder)."""
    mins = minimum if isinstance(minimum, list) else [minimum] * len(weights)
    rest = total - sum(mins)
    if rest < 0:
        raise ValueError(f"cannot apportion {total}: the minimums already need {sum(mins)}")
    weight_sum = sum(weights)
    if weight_sum <= 0:
        raise ValueError("weights must have a positive sum")
    quotas = [rest * w / weight_sum for w in weights]
    counts = [int(q) for q in quotas]
    left = rest - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], i))  # largest remainder first
    for i in order[:left]:
        counts[i] += 1
    return [m + c for m, c in zip(mins, counts, strict=True)]


def read_counties() -> list[tuple[str, str, str, str, str]]:
    """(league, league division, county, county division, county code) in CSV order, codes by GB/T 2260."""
    rows = []
    next_number: dict[tuple[str, str], int] = {}
    with CSV_PATH.open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            league, kind = rec["league"], rec["county_kind"]
            group = {"district": "district", "county_city": "city"}.get(kind, "county")
            start = {"district": 2, "city": 81, "county": 21}[group]
            if rec["league_kind"] == "league":  # a 盟 has no districts: its cities are 01, 02 …
                start = {"city": 1, "county": COUNTY_START_IN_LEAGUE.get(league, 21)}.get(group, start)
            n = next_number.get((league, group), start)
            next_number[(league, group)] = n + 1
            code = LEAGUE_CODES[league][:4] + f"{n:02d}"
            rows.append((league, rec["league_kind"], rec["county"], kind, code))
    return rows


COUNTY_START_IN_LEAGUE = {"锡林郭勒盟": 22}  # 152521 is not in use: 阿巴嘎旗 is 152522 … 多伦县 152531


def county_area(name: str, division: str, league: str) -> str:
    if name in COUNTY_AREA:
        return COUNTY_AREA[name]
    if division == Division.DISTRICT:
        return AreaType.URBAN
    if division == Division.COUNTY_CITY:
        return AreaType.URBAN if LEAGUE_AREA[league] != AreaType.FOREST else AreaType.FOREST
    return AreaType.FARMING


def _township_division(rng: random.Random, county: CountyPlan, first: bool) -> str:
    if first:
        return Division.TOWN  # the county seat is a town
    r = rng.random()
    if county.area == AreaType.PASTORAL:
        return Division.SUMU if r < 0.62 else Division.TOWN
    if county.division in (Division.BANNER, Division.AUTONOMOUS_BANNER):
        return Division.TOWN if r < 0.55 else Division.SUMU if r < 0.75 else Division.TOWNSHIP
    if county.division == Division.DISTRICT:
        return Division.TOWN if r < 0.85 else Division.TOWNSHIP
    if county.division == Division.COUNTY_CITY:
        return Division.TOWN if r < 0.6 else Division.TOWNSHIP if r < 0.85 else Division.SUMU
    return Division.TOWN if r < 0.55 else Division.TOWNSHIP


def _township_area(rng: random.Random, county: CountyPlan, division: str) -> str:
    if division == Division.SUBDISTRICT:
        return AreaType.URBAN
    if division == Division.SUMU:
        return AreaType.PASTORAL
    r = rng.random()
    match county.area:
        case AreaType.PASTORAL:
            return AreaType.PASTORAL if r < 0.6 else AreaType.FARMING
        case AreaType.FOREST:
            return AreaType.FOREST if r < 0.7 else AreaType.FARMING
        case AreaType.MINING:
            return AreaType.MINING if r < 0.5 else AreaType.FARMING
        case _:
            return AreaType.FARMING


# Relative weights per county-level division: (subdistricts, townships).
TOWNSHIP_WEIGHTS = {
    ("district", "urban"): (9.0, 1.0), ("district", "mining"): (3.0, 2.0),
    ("county_city", "urban"): (6.0, 3.0), ("county_city", "mining"): (4.0, 2.0),
    ("county_city", "forest"): (3.0, 5.0), ("county_city", "farming"): (3.0, 6.0),
}  # fmt: skip
VILLAGE_WEIGHT = {"farming": 17.0, "pastoral": 9.0, "forest": 9.0, "mining": 13.0, "urban": 10.0}


def copy_code(code: str, copy: int) -> str:
    """The code of a place in synthetic copy `copy` (0 = the real region): 15xxxx becomes 9<copy>xxxx."""
    return code if copy == 0 else f"9{copy}{code[2:]}"


def copy_name(name: str, copy: int) -> str:
    """The name of a place in synthetic copy `copy`: 武川县 becomes 武川县（二） in copy 1."""
    return name if copy == 0 else f"{name}（{cn_number(copy + 1)}）"


def real_name(name: str) -> str:
    """The real place a (possibly synthetic) league or county name stands for."""
    return name.split("（", 1)[0]


def _build_plan(
    scale: str, seed: int, targets: Targets, chosen: dict[str, list[str]] | None, copies: int = 1
) -> Plan:
    rng = random.Random(f"echelon:{seed}:plan")
    leagues: dict[str, LeaguePlan] = {}
    counties: list[CountyPlan] = []
    rows = read_counties()
    for copy in range(copies):
        for league, league_kind, county, division, code in rows:
            if chosen is not None and county not in chosen.get(league, []):
                continue
            lname = copy_name(league, copy)
            if lname not in leagues:
                leagues[lname] = LeaguePlan(
                    lname, copy_code(LEAGUE_CODES[league], copy), league_kind, LEAGUE_AREA[league],
                    real=league if copy else "",
                )  # fmt: skip
            cp = CountyPlan(
                copy_name(county, copy), copy_code(code, copy), division,
                county_area(county, division, league), real=county if copy else "",
            )  # fmt: skip
            leagues[lname].counties.append(cp)
            counties.append(cp)

    # Township level: subdistricts and towns/townships/sumu per county.
    sub_w, town_w, sub_min = [], [], []
    for c in counties:
        w_sub, w_town = TOWNSHIP_WEIGHTS.get(
            (c.division, c.area), (0.5, 9.0 if c.area != "pastoral" else 7.5)
        )
        sub_w.append(w_sub * rng.uniform(0.75, 1.25))
        town_w.append(w_town * rng.uniform(0.7, 1.3))
        sub_min.append(2 if c.division == Division.DISTRICT and c.area == AreaType.URBAN else 0)
    if sum(sub_min) > targets.subdistricts:
        sub_min = [0] * len(counties)
    n_sub = apportion(targets.subdistricts, sub_w, sub_min)
    n_town = apportion(targets.townships, town_w, 1)
    for c, ns, nt in zip(counties, n_sub, n_town, strict=True):
        c.townships = [TownshipPlan(Division.SUBDISTRICT, AreaType.URBAN) for _ in range(ns)]
        for k in range(nt):
            division = _township_division(rng, c, first=k == 0)
            c.townships.append(TownshipPlan(division, _township_area(rng, c, division)))

    # Villages (under towns/townships/sumu) and communities (mostly under subdistricts).
    towns = [t for c in counties for t in c.townships]
    rural = [t for t in towns if t.division != Division.SUBDISTRICT]
    for t, n in zip(
        rural,
        apportion(targets.villages, [VILLAGE_WEIGHT[t.area] * rng.uniform(0.6, 1.4) for t in rural], 3),
        strict=True,
    ):
        t.villages = n
    community_w = [
        (7.0 if t.division == Division.SUBDISTRICT else 0.8 if t.division == Division.TOWN else 0.1)
        * rng.uniform(0.5, 1.5)
        for t in towns
    ]
    community_min = [2 if t.division == Division.SUBDISTRICT else 0 for t in towns]
    for t, n in zip(towns, apportion(targets.communities, community_w, community_min), strict=True):
        t.communities = n

    # Non-territorial units at the township and village levels.
    small = scale == "small"  # same shape, fewer organizations per territory
    for t in towns:
        if t.division == Division.SUBDISTRICT:
            t.stations = rng.randint(3, 5) if small else rng.randint(4, len(SUBDISTRICT_STATIONS))
            t.nonpublic = rng.randint(1, 4) if small else rng.randint(3, 12)
            t.social = rng.randint(1, 4)
        else:
            t.stations = (
                rng.randint(4, 7)
                if small
                else rng.randint(9, 15)
                if t.division == Division.TOWN
                else rng.randint(7, 12)
            )
            t.nonpublic = rng.randint(0, 3)
            t.social = rng.randint(0, 1)
        t.coops = sum(1 for _ in range(t.villages) if rng.random() < 0.09)
        t.community_orgs = sum(1 for _ in range(t.communities) if rng.random() < 0.8)

    # County and league level: organs, vertical units, direct units, institutions, enterprises, social.
    for c in counties:
        size = len(c.townships)
        if small:
            c.organs = rng.randint(ESSENTIAL_ORGANS, ESSENTIAL_ORGANS + 6)
            c.vertical, c.direct = rng.randint(2, 5), rng.randint(4, 8)
            c.institutions, c.enterprises, c.social = rng.randint(6, 10), rng.randint(1, 3), rng.randint(2, 5)
            continue
        c.organs = rng.randint(len(ORGANS) - 10, len(ORGANS))
        c.vertical = rng.randint(9, 14)
        c.direct = rng.randint(18, len(DIRECT))
        c.institutions = max(len(INSTITUTIONS_FIXED) - 3, int(size * rng.uniform(5.0, 7.0)))
        c.enterprises = rng.randint(5, 14)
        c.social = int(rng.uniform(15, 35) * (1.5 if c.area in ("urban", "mining") else 1.0))
    for lp in leagues.values():
        if small:
            lp.organs, lp.vertical, lp.direct = ESSENTIAL_ORGANS + 8, 6, 8
            lp.institutions, lp.enterprises = len(LEAGUE_INSTITUTIONS_FIXED), 3
            lp.social, lp.nonpublic = 4, 8
            continue
        lp.organs = len(ORGANS)
        lp.vertical = len(LEAGUE_VERTICAL)
        lp.direct = len(DIRECT)
        lp.institutions = len(LEAGUE_INSTITUTIONS_FIXED) + rng.randint(10, 30)
        lp.enterprises = rng.randint(8, len(ENTERPRISES) - 2)  # coal and stud farms only where they fit
        lp.social = rng.randint(12, 25)
        lp.nonpublic = rng.randint(20, 45)

    # Non-public economic organizations at county level fill up to the unit total, urban places first.
    plan = Plan(scale, seed, targets, list(leagues.values()), region_units=len(REGION_UNITS))
    missing = targets.units - plan.totals()["units"]
    np_weights = [
        (3.0 if c.area in ("urban", "mining") else 1.0) * (1 + len(c.townships)) * rng.uniform(0.7, 1.3)
        for c in counties
    ]
    for c, n in zip(counties, apportion(missing, np_weights, 5), strict=True):
        c.nonpublic = n
    assert plan.totals()["units"] == targets.units
    return plan


def plan_full(seed: int = DEFAULT_SEED) -> Plan:
    return _build_plan("full", seed, FULL_TARGETS, None)


def plan_small(seed: int = DEFAULT_SEED) -> Plan:
    return _build_plan("small", seed, SMALL_TARGETS, SMALL_COUNTIES)


def plan_x10(seed: int = DEFAULT_SEED) -> Plan:
    """Ten times the region: the real twelve leagues and nine synthetic copies of them (see the docstring)."""
    return _build_plan("x10", seed, X10_TARGETS, None, copies=X10_COPIES)


PLANS = {"full": plan_full, "small": plan_small, "x10": plan_x10}


# ---------------------------------------------------------------------------------------------------------
# People
# ---------------------------------------------------------------------------------------------------------

SURNAMES = [
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("杨", 31), ("赵", 35), ("陈", 25), ("高", 20), ("郭",
    19),
    ("马", 18), ("孙", 16), ("周", 15), ("吴", 13), ("徐", 12), ("胡", 12), ("朱", 11), ("韩", 11), ("贾", 9),
    ("郝", 9), ("武", 9), ("田", 8), ("任", 8), ("白", 9), ("于", 9), ("董", 8), ("何", 7), ("梁", 8), ("宋",
    8),
    ("冯", 7), ("魏", 7), ("闫", 7), ("薛", 6), ("苏", 7), ("吕", 6), ("乔", 6), ("侯", 6), ("石", 6), ("常",
    6),
    ("崔", 5), ("孟", 6), ("姜", 5), ("曹", 6), ("杜", 5), ("贺", 5), ("康", 5), ("秦", 4), ("史", 4), ("郑",
    5),
    ("谢", 4), ("唐", 4), ("许", 4), ("程", 4), ("袁", 4), ("牛", 4), ("温", 4), ("云", 4), ("包", 4), ("齐",
    4),
    ("安", 4), ("范", 4), ("丁", 4), ("卢", 4), ("彭", 3), ("黄", 7), ("林", 3), ("罗", 3), ("邓", 3), ("萧",
    2),
    ("曾", 2), ("沈", 2), ("傅", 2), ("蒋", 2), ("蔡", 2), ("叶", 2), ("余", 2), ("潘", 3), ("戴", 2), ("夏",
    3),
    ("钟", 2), ("汪", 2), ("方", 2), ("姚", 3), ("金", 3), ("陆", 2), ("孔", 3), ("毛", 3), ("邱", 2), ("江",
    2),
    ("顾", 2), ("邵", 2), ("段", 3), ("雷", 2), ("钱", 2), ("尹", 3), ("霍", 3), ("申", 2), ("岳", 2), ("庞",
    2),
    ("樊", 2), ("耿", 2), ("焦", 2), ("尚", 2), ("柴", 2), ("苗", 2), ("奇", 2), ("鲍", 2), ("宝", 1), ("敖",
    1),
    ("荣", 1), ("燕", 1), ("兰", 1), ("殷", 1), ("阎", 2), ("祁", 1), ("訾", 1), ("智", 1), ("边", 1), ("菅",
    1),
]  # fmt: skip
MALE_CHARS = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛"
    "昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇"
    "固之翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠风航弘占金玉银宝喜春"
    "秋红卫华满仓柱锁林根旺来存厚树"
)
FEMALE_CHARS = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤"
    "珍贞莉桂娣叶璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨琰韵园艺卿"
    "澜纯毓悦昭冰爽琬茗羽希宁欣育滢馥筠柔竹凝晓欢霄枫芸菲寒伊亚宜可舒影丽阳妮宝贝"
)
MONGOL_MALE = [
    "巴特尔", "额尔敦", "乌力吉", "苏和", "朝鲁", "宝音", "那顺", "满都拉", "敖其尔", "哈斯", "阿拉坦",
    "毕力格",
    "孟和", "吉日嘎拉", "格日勒图", "额尔德尼", "呼和", "巴雅尔", "阿木尔", "布和", "达来", "德力格尔",
    "图门",
    "特木尔", "扎那", "青格勒", "宝力道", "苏布道", "朝克图", "巴图", "乌恩", "旭日", "巴音", "其木德",
    "孟根",
    "毕力格图", "哈斯巴根", "宝力高", "乌日图", "斯日古楞", "额日和木", "布仁", "那木吉拉", "道尔吉",
    "朝格图",
    "敖日格勒", "特古斯", "巴图孟和", "吉日木图", "宝音图", "额尔敦巴雅尔", "阿拉坦仓", "达布希拉图",
    "乌云毕力格",
]  # fmt: skip
MONGOL_FEMALE = [
    "其其格", "萨仁", "图雅", "斯琴", "娜仁", "托娅", "高娃", "其木格", "塔娜", "乌云", "萨日娜", "格日乐",
    "乌兰", "娜仁花", "萨仁高娃", "斯琴高娃", "乌日娜", "苏日娜", "敖敦", "乌仁", "琪琪格", "萨如拉", "诺敏",
    "阿荣", "乌日汗", "哈斯高娃", "德力格尔玛", "道日娜", "莎日娜", "娜日苏", "阿茹娜", "索布德", "格根塔娜",
    "巴德玛", "乌兰其其格", "额尔敦其其格", "呼和其其格", "阿拉坦其其格", "斯琴图雅", "萨其拉", "乌日根",
]  # fmt: skip
MONGOL_MALE_PARTS = ["巴特尔", "额尔敦", "苏和", "朝鲁", "宝音", "孟和", "毕力格", "巴雅尔", "特木尔", "哈斯",
                     "阿拉坦", "那顺", "乌力吉", "图门", "达来", "布和", "巴图", "其木德", "格日勒",
                     "吉日嘎拉"]  # fmt: skip
MONGOL_FEMALE_PARTS = ["其其格", "萨仁", "斯琴", "娜仁", "高娃", "塔娜", "乌云", "花", "格日乐", "托娅",
"图雅",
                       "阿拉坦", "乌兰", "额尔敦", "萨日娜"]  # fmt: skip
PHONE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "177", "180", "181", "182", "183", "185", "186", "187", "188", "189",
]  # fmt: skip
# Age brackets in years and their weights: village and community members are older than staff.
AGES_RESIDENTS = [
    (20, 30, 9),
    (30, 40, 14),
    (40, 50, 21),
    (50, 60, 22),
    (60, 70, 18),
    (70, 80, 11),
    (80, 92, 5),
]
AGES_STAFF = [(20, 30, 19), (30, 40, 30), (40, 50, 31), (50, 60, 18), (60, 66, 2)]
MALE_SHARE = {
    Kind.VILLAGE: 0.80, Kind.COMMUNITY: 0.58, Kind.LEADERSHIP: 0.78, Kind.ORGAN: 0.70, Kind.DIRECT: 0.68,
    Kind.STATION: 0.76, Kind.INSTITUTION: 0.52, Kind.ENTERPRISE: 0.74, Kind.NONPUBLIC: 0.68,
    Kind.SOCIAL: 0.60,
}  # fmt: skip
MOBILE_SHARE = {
    Kind.VILLAGE: 0.06, Kind.COMMUNITY: 0.025, Kind.NONPUBLIC: 0.045, Kind.SOCIAL: 0.02,
    Kind.ENTERPRISE: 0.014,
}  # fmt: skip
PROBATIONARY_SHARE = 0.03
MOBILE_WITH_INFLOW = 0.85
PHONE_SHARE = 0.5
MONGOL_NAME_SHARE = 0.72  # of 蒙古族 members: the rest use a Chinese name (often with 包、白、云、奇 …)

# ---------------------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------------------

KIND_LETTER = {
    Kind.ORGAN: "O", Kind.DIRECT: "D", Kind.STATION: "S", Kind.ENTERPRISE: "E", Kind.INSTITUTION: "I",
    Kind.NONPUBLIC: "N", Kind.SOCIAL: "C",
}  # fmt: skip
COUNTY_SEATS = {
    "土默特左旗": "察素齐镇", "托克托县": "双河镇", "和林格尔县": "城关镇", "清水河县": "城关镇",
    "武川县": "可可以力更镇", "土默特右旗": "萨拉齐镇", "固阳县": "金山镇", "达尔罕茂明安联合旗": "百灵庙镇",
    "阿鲁科尔沁旗": "天山镇", "巴林左旗": "林东镇", "巴林右旗": "大板镇", "林西县": "林西镇",
    "克什克腾旗": "经棚镇",
    "翁牛特旗": "乌丹镇", "喀喇沁旗": "锦山镇", "宁城县": "天义镇", "敖汉旗": "新惠镇",
    "科尔沁左翼中旗": "保康镇",
    "科尔沁左翼后旗": "甘旗卡镇", "开鲁县": "开鲁镇", "库伦旗": "库伦镇", "奈曼旗": "大沁他拉镇",
    "扎鲁特旗": "鲁北镇",
    "达拉特旗": "树林召镇", "准格尔旗": "薛家湾镇", "鄂托克前旗": "敖勒召其镇", "鄂托克旗": "乌兰镇",
    "杭锦旗": "锡尼镇",
    "乌审旗": "嘎鲁图镇", "伊金霍洛旗": "阿勒腾席热镇", "阿荣旗": "那吉镇",
    "莫力达瓦达斡尔族自治旗": "尼尔基镇",
    "鄂伦春自治旗": "阿里河镇", "鄂温克族自治旗": "巴彦托海镇", "陈巴尔虎旗": "巴彦库仁镇",
    "新巴尔虎左旗": "阿木古郎镇",
    "新巴尔虎右旗": "阿拉坦额莫勒镇", "五原县": "隆兴昌镇", "磴口县": "巴彦高勒镇", "乌拉特前旗": "乌拉山镇",
    "乌拉特中旗": "海流图镇", "乌拉特后旗": "巴音宝力格镇", "杭锦后旗": "陕坝镇", "卓资县": "卓资山镇",
    "化德县": "长顺镇",
    "商都县": "七台镇", "兴和县": "城关镇", "凉城县": "岱海镇", "察哈尔右翼前旗": "土贵乌拉镇",
    "察哈尔右翼中旗": "科布尔镇", "察哈尔右翼后旗": "白音察干镇", "四子王旗": "乌兰花镇",
    "科尔沁右翼中旗": "巴彦呼舒镇",
    "扎赉特旗": "音德尔镇", "突泉县": "突泉镇", "阿巴嘎旗": "别力古台镇", "苏尼特左旗": "满都拉图镇",
    "苏尼特右旗": "赛汉塔拉镇", "东乌珠穆沁旗": "乌里雅斯太镇", "西乌珠穆沁旗": "巴拉嘎尔高勒镇",
    "太仆寺旗": "宝昌镇",
    "镶黄旗": "新宝拉格镇", "正镶白旗": "明安图镇", "正蓝旗": "上都镇", "多伦县": "多伦淖尔镇",
    "阿拉善左旗": "巴彦浩特镇",
    "阿拉善右旗": "额肯呼都格镇", "额济纳旗": "达来呼布镇",
}  # fmt: skip


class SeedUnit(UnitSpec):
    """A unit spec plus what the member generator needs to know about it."""

    __slots__ = ("area6", "county", "league", "weight")

    league: str
    county: str
    area6: str
    weight: float


def _expand(pairs: Sequence[tuple[T, float]], size: int = 1000) -> list[T]:
    """A lookup table: table[int(random() * size)] draws from the weighted choices."""
    total = sum(w for _, w in pairs)
    table: list[T] = []
    acc = 0.0
    for value, weight in pairs:
        acc += weight
        table.extend([value] * (round(acc / total * size) - len(table)))
    return table + [pairs[-1][0]] * (size - len(table))


class Generator:
    """Turns a plan into units (in depth-first order, ids ascending, so paths ascend too) and members."""

    def __init__(self, plan: Plan, first_unit_id: int = 1, first_member_id: int = 1) -> None:
        self.plan = plan
        self.rng = random.Random(f"echelon:{plan.seed}:units")
        self.units: list[SeedUnit] = []
        self.next_id = first_unit_id
        self.first_member_id = first_member_id
        self._numbers: dict[tuple[str, str], int] = {}
        self._names: dict[str, int] = {}  # names used in the current county (for unique village names)

    # --- units -----------------------------------------------------------------------------------------

    def add(
        self, parent: SeedUnit | None, code: str, name: str, level: int, kind: str, *, division: str = "",
        area: str = "", industry: str = "", lead_by: str = TERR,
    ) -> SeedUnit:  # fmt: skip
        unit = SeedUnit(
            id=self.next_id, code=code, name=name, parent=parent, level=level, kind=str(kind),
            division=str(division), area_type=str(area), industry=industry, lead_by=lead_by,
        )  # fmt: skip
        self.next_id += 1
        unit.place()
        if parent is None:
            unit.league, unit.county, unit.area6 = "", "", code[:6]
        else:
            unit.league, unit.county, unit.area6 = parent.league, parent.county, parent.area6
            if level == Level.LEAGUE and unit.is_territorial:
                unit.league, unit.area6 = name, code[:6]
            elif level == Level.COUNTY and unit.is_territorial:
                unit.county, unit.area6 = name, code[:6]
        unit.weight = self._weight(unit)
        self.units.append(unit)
        return unit

    def org(
        self, parent: SeedUnit, kind: str, name: str, industry: str = "", lead_by: str = TERR, area: str = ""
    ) -> SeedUnit:
        letter = KIND_LETTER[Kind(kind)]
        n = self._numbers.get((parent.code, letter), 0) + 1
        self._numbers[(parent.code, letter)] = n
        return self.add(
            parent, f"{parent.code}-{letter}{n:03d}", name, parent.level, kind,
            area=area or parent.area_type, industry=industry, lead_by=lead_by,
        )  # fmt: skip

    def unique(self, name: str, suffix: str) -> str:
        """`name + suffix`, made unique within the current county by a direction or number."""
        full = name + suffix
        if full not in self._names:
            self._names[full] = 1
            return full
        for extra in NUMERIC_SUFFIX[1:]:
            candidate = name + extra + suffix
            if candidate not in self._names:
                self._names[candidate] = 1
                return candidate
        self._names[full] += 1
        return f"{name}{cn_number(min(self._names[full], 99))}{suffix}"

    def mongol_place(self) -> str:
        rng = self.rng
        first = rng.choice(MONGOL_FIRST)
        second = rng.choice(MONGOL_SECOND)
        while second == first:
            second = rng.choice(MONGOL_SECOND)
        return first + second

    def han_village(self) -> str:
        rng = self.rng
        core = rng.choice(HAN_VILLAGE_CORE)
        prefix = rng.choice(HAN_VILLAGE_PREFIX) if rng.random() < 0.45 else ""
        return prefix + core + rng.choice(HAN_VILLAGE_SUFFIX)

    def build(self) -> list[SeedUnit]:
        L = Level
        region = self.add(
            None, REGION_CODE, REGION_NAME, L.REGION, Kind.LEADERSHIP, division="region", area="urban"
        )
        for name, kind, industry, lead_by, area in REGION_UNITS:
            self.org(region, kind, name, industry, lead_by, area)
        for lp in self.plan.leagues:
            league = self.add(
                region, lp.code, lp.name, L.LEAGUE, Kind.LEADERSHIP, division=lp.division, area=lp.area
            )
            self._own_units(league, lp, league_level=True)
            for cp in lp.counties:
                self._county(league, cp)
        if len(self.units) != self.plan.targets.units:
            raise AssertionError(
                f"generated {len(self.units)} units, the plan says {self.plan.targets.units}"
            )
        return self.units

    def _own_units(self, unit: SeedUnit, p: LeaguePlan | CountyPlan, *, league_level: bool) -> None:
        """Organs, vertical and direct units, institutions, enterprises, social and non-public organizations
        directly under a league or county."""
        rng, n = self.rng, unit.name
        gov = n + ("行政公署" if unit.division == Division.LEAGUE else "人民政府")
        court = n + ("中级人民法院" if league_level else "人民法院")
        organs = ORGANS[:ESSENTIAL_ORGANS] + sorted(
            rng.sample(ORGANS[ESSENTIAL_ORGANS:], p.organs - ESSENTIAL_ORGANS), key=ORGANS.index
        )
        for tpl, industry in organs:
            self.org(unit, Kind.ORGAN, tpl.format(n=n, gov=gov, court=court), industry)
        vertical_pool = LEAGUE_VERTICAL if league_level else VERTICAL[:-2]
        for tpl, kind, industry in sorted(rng.sample(vertical_pool, min(p.vertical, len(vertical_pool))),
                                          key=vertical_pool.index):  # fmt: skip
            self.org(unit, kind, tpl.format(n=n), industry, SECTOR)
        if not league_level:
            for name, kind, industry in SPECIAL_VERTICAL.get(p.base, []):
                self.org(unit, kind, name, industry, SECTOR)
            for name, industry, area in SPECIAL_ENTERPRISES.get(p.base, []):
                self.org(unit, Kind.ENTERPRISE, name, industry, SECTOR, area)
        for tpl, industry in sorted(rng.sample(DIRECT, p.direct), key=DIRECT.index):
            self.org(unit, Kind.DIRECT, tpl.format(n=n), industry)
        fixed = LEAGUE_INSTITUTIONS_FIXED if league_level else INSTITUTIONS_FIXED
        for k in range(p.institutions):
            if k < len(fixed):
                tpl, industry = fixed[k]
                self.org(unit, Kind.INSTITUTION, tpl.format(n=n), industry)
            else:
                j = k - len(fixed)
                tpl, industry = INSTITUTIONS_NUMBERED[j % 3]
                self.org(unit, Kind.INSTITUTION, tpl.format(n=n, k=cn_number(j // 3 + 1)), industry)
        pool = [
            e
            for e in ENTERPRISES
            if (e[1] != "煤炭" or unit.area_type == "mining")
            and (e[0] != "{n}种畜场" or unit.area_type == "pastoral")
        ]
        for tpl, industry in sorted(rng.sample(pool, min(p.enterprises, len(pool))), key=pool.index):
            self.org(unit, Kind.ENTERPRISE, tpl.format(n=n), industry)
        for _ in range(p.social):
            if rng.random() < 0.75:
                name = self.unique(n + rng.choice(SOCIAL), "")
            else:
                name = self.unique(n + rng.choice(SOCIAL_NAMED).format(b=rng.choice(BRANDS_HAN)), "")
            self.org(unit, Kind.SOCIAL, name, "社会组织")
        for _ in range(p.nonpublic):
            self._company(unit, n)

    def _company(self, parent: SeedUnit, prefix: str) -> SeedUnit:
        rng = self.rng
        brand = (
            self.mongol_place()
            if parent.area_type == "pastoral" and rng.random() < 0.4
            else rng.choice(BRANDS_HAN)
        )
        business, industry = rng.choice(BUSINESS)
        if industry == "煤炭" and parent.area_type not in ("mining", "urban"):
            business, industry = BUSINESS[0]
        return self.org(parent, Kind.NONPUBLIC, self.unique(prefix + brand, business), industry)

    def _county(self, league: SeedUnit, cp: CountyPlan) -> None:
        rng = self.rng
        self._names = {}
        county = self.add(
            league, cp.code, cp.name, Level.COUNTY, Kind.LEADERSHIP, division=cp.division, area=cp.area
        )
        self._own_units(county, cp, league_level=False)
        numbers = {"subdistrict": 1, "town": 100, "township": 200}  # 乡 and 苏木 share the 200s
        seat_index = sum(1 for t in cp.townships if t.division == Division.SUBDISTRICT)  # the first town
        for k, tp in enumerate(cp.townships):
            division = str(tp.division)
            group = "township" if division == Division.SUMU else division
            code = f"{cp.code}{numbers[group]:03d}"
            numbers[group] += 1
            if division == Division.SUBDISTRICT:
                name = self.unique(rng.choice(URBAN_CORE), "街道")
            elif division == Division.TOWN and k == seat_index and cp.base in COUNTY_SEATS:
                name = self.unique(COUNTY_SEATS[cp.base][:-1], "镇")
            elif division == Division.SUMU or (tp.area == "pastoral" and rng.random() < 0.7):
                name = self.unique(self.mongol_place(), {"sumu": "苏木", "town": "镇"}.get(division, "乡"))
            else:
                core = rng.choice(TOWN_CORE) if rng.random() < 0.7 else self.han_village()
                name = self.unique(core, "镇" if division == Division.TOWN else "乡")
            self._township(county, code, name, tp)

    def _township(self, county: SeedUnit, code: str, name: str, tp: TownshipPlan) -> None:
        rng = self.rng
        town = self.add(
            county, code, name, Level.TOWNSHIP, Kind.LEADERSHIP, division=tp.division, area=tp.area
        )
        if tp.division == Division.SUBDISTRICT:
            stations = SUBDISTRICT_STATIONS
        else:
            stations = [
                s
                for s in TOWN_STATIONS
                if (s[0] != "{t}草原工作站" or tp.area == "pastoral")
                and (s[0] != "{t}林业工作站" or tp.area != "pastoral")
            ]
        for tpl, kind, industry, lead_by in stations[: tp.stations]:
            self.org(town, kind, tpl.format(t=name), industry, lead_by)
        for _ in range(tp.nonpublic):
            if tp.division != Division.SUBDISTRICT and rng.random() < 0.6:
                what = rng.choice(ANIMALS if tp.area == "pastoral" else CROPS)
                trade = "养殖" if what in ANIMALS else "种植"
                self.org(town, Kind.NONPUBLIC, self.unique(name + what, f"{trade}专业合作社"), "农牧业")
            else:
                self._company(town, county.name)
        for _ in range(tp.social):
            self.org(town, Kind.SOCIAL, self.unique(name + rng.choice(SOCIAL), ""), "社会组织")
        # Communities (001…) and villages or gacha (201…), with their cooperatives and joint branches.
        coop_at = self._spread(tp.coops, tp.villages)
        orgs_at = self._spread(tp.community_orgs, tp.communities)
        for k in range(tp.communities):
            core = rng.choice(COMMUNITY_CORE) if rng.random() < 0.85 else rng.choice(URBAN_CORE)
            cname = self.unique(core, "社区")
            community = self.add(
                town,
                f"{code}{k + 1:03d}",
                cname,
                Level.VILLAGE,
                Kind.COMMUNITY,
                division="community",
                area="urban",
            )
            for _ in range(orgs_at[k]):
                if rng.random() < 0.5:
                    self.org(
                        community, Kind.NONPUBLIC, self.unique(cname, "非公有制企业联合党支部"), "非公经济"
                    )
                else:
                    self.org(community, Kind.SOCIAL, self.unique(cname, "社会组织联合党支部"), "社会组织")
        pastoral = tp.area == "pastoral"
        banner = county.division in (Division.BANNER, Division.AUTONOMOUS_BANNER)
        for k in range(tp.villages):
            gacha = pastoral or tp.division == Division.SUMU or (banner and rng.random() < 0.12)
            if gacha:
                vname = self.unique(self.mongol_place(), "嘎查")
            else:
                vname = self.unique(self.han_village(), "村")
            village = self.add(
                town, f"{code}{k + 201:03d}", vname, Level.VILLAGE, Kind.VILLAGE,
                division="gacha" if gacha else "village", area=tp.area,
            )  # fmt: skip
            for _ in range(coop_at[k]):
                what = rng.choice(ANIMALS if pastoral or rng.random() < 0.3 else CROPS)
                trade = "养殖" if what in ANIMALS else "种植"
                self.org(village, Kind.NONPUBLIC, self.unique(vname + what, f"{trade}专业合作社"), "农牧业")

    def _spread(self, count: int, slots: int) -> list[int]:
        at = [0] * slots
        for _ in range(count):
            at[self.rng.randrange(slots)] += 1
        return at

    # --- sizes -----------------------------------------------------------------------------------------

    def _weight(self, u: SeedUnit) -> float:
        """Relative number of members (the sizes are scaled to the plan's member total afterwards)."""
        r = self.rng.uniform
        kind, level = u.kind, u.level
        if kind == Kind.LEADERSHIP:
            return {1: 150.0, 2: 60.0, 3: 40.0}.get(level, 22.0 if u.division == "subdistrict" else 30.0)
        if kind == Kind.VILLAGE:
            return {"farming": 46.0, "pastoral": 30.0, "forest": 34.0, "mining": 40.0}.get(
                u.area_type, 40.0
            ) * r(0.5, 1.5)
        if kind == Kind.COMMUNITY:
            return 95.0 * r(0.4, 1.8)
        if kind == Kind.ORGAN:
            return {1: 180.0, 2: 60.0}.get(level, 28.0) * r(0.5, 1.5)
        if kind == Kind.DIRECT:
            return {1: 120.0, 2: 30.0}.get(level, 16.0) * r(0.5, 1.5)
        if kind == Kind.STATION:
            return 7.0 * r(0.5, 1.6)
        if kind == Kind.INSTITUTION:
            return {1: 1600.0, 2: 90.0, 3: 32.0}.get(level, 14.0) * r(0.5, 1.5)
        if kind == Kind.ENTERPRISE:
            return (
                {1: 2500.0, 2: 150.0, 3: 60.0}.get(level, 20.0)
                * r(0.4, 1.6)
                * (
                    6.0
                    if u.lead_by == SECTOR and u.industry in ("林业", "煤炭", "冶金") and level == 3
                    else 1.0
                )
            )
        if kind == Kind.NONPUBLIC:
            return {1: 800.0}.get(level, 7.0) * r(0.5, 1.6)
        return 5.0 * r(0.6, 1.4)  # social

    def sizes(self) -> list[int]:
        """Members per unit (in unit order), at least 3 each (a branch needs three full members), summing to
        exactly the plan's member total."""
        return apportion(self.plan.targets.members, [u.weight for u in self.units], 3)

    # --- members ---------------------------------------------------------------------------------------

    def members(self, now: str | datetime.datetime, chunk: int = 10_000) -> Iterator[list[tuple]]:
        """Member rows in `bulk.MEMBER_COLUMNS` order, in chunks, unit by unit."""
        rng = random.Random(f"echelon:{self.plan.seed}:members")
        rnd = rng.random
        sizes = self.sizes()
        units = self.units
        ref = REF_DATE.toordinal()
        base = datetime.date(1920, 1, 1).toordinal()
        iso = [datetime.date.fromordinal(o).isoformat() for o in range(base, ref + 1)]
        surnames = _expand(SURNAMES)
        male_chars, female_chars = MALE_CHARS, FEMALE_CHARS
        n_male, n_female = len(male_chars), len(female_chars)
        n_mm, n_mf = len(MONGOL_MALE), len(MONGOL_FEMALE)
        n_mmp, n_mfp = len(MONGOL_MALE_PARTS), len(MONGOL_FEMALE_PARTS)
        n_phone = len(PHONE_PREFIXES)
        age_tables = {
            "residents": [
                (lo * 365.25, hi * 365.25) for lo, hi in _expand([((a, b), w) for a, b, w in AGES_RESIDENTS])
            ],
            "staff": [
                (lo * 365.25, hi * 365.25) for lo, hi in _expand([((a, b), w) for a, b, w in AGES_STAFF])
            ],
        }
        adult = 6576  # days from birth to the 18th birthday, rounded up over leap years
        full_before = ref - 366  # full members joined more than a year before the reference date
        # Where mobile members went: communities and enterprises, in their own league or anywhere.
        pools: dict[str, list[SeedUnit]] = {}
        anywhere: list[SeedUnit] = []
        for u in units:
            if u.kind in (Kind.COMMUNITY, Kind.ENTERPRISE, Kind.NONPUBLIC) and u.level >= Level.COUNTY:
                pools.setdefault(u.league, []).append(u)
                anywhere.append(u)
        profiles: dict[tuple[str, str, str], list[str]] = {}
        serial: dict[str, int] = {}
        member_id = self.first_member_id
        rows: list[tuple] = []
        for unit, size in zip(units, sizes, strict=True):
            key = (unit.league, unit.county, unit.area_type)
            eth = profiles.get(key)
            if eth is None:
                eth = profiles[key] = _ethnicities(*key)
            kind = unit.kind
            p_male = MALE_SHARE[Kind(kind)]
            p_mobile = MOBILE_SHARE.get(Kind(kind), 0.01)
            ages = age_tables["residents" if kind in (Kind.VILLAGE, Kind.COMMUNITY) else "staff"]
            pool = pools.get(unit.league) or anywhere
            area6 = unit.area6
            seq = serial.get(area6, 0)
            uid, upath = unit.id, unit.path
            for _ in range(size):
                male = rnd() < p_male
                ethnicity = eth[int(rnd() * 1000)]
                if ethnicity == "蒙古族" and rnd() < MONGOL_NAME_SHARE:
                    if rnd() < 0.25:
                        name = (
                            MONGOL_MALE_PARTS[int(rnd() * n_mmp)] + MONGOL_MALE_PARTS[int(rnd() * n_mmp)]
                            if male
                            else MONGOL_FEMALE_PARTS[int(rnd() * n_mfp)]
                            + MONGOL_FEMALE_PARTS[int(rnd() * n_mfp)]
                        )
                    else:
                        name = MONGOL_MALE[int(rnd() * n_mm)] if male else MONGOL_FEMALE[int(rnd() * n_mf)]
                else:
                    chars, n_chars = (male_chars, n_male) if male else (female_chars, n_female)
                    name = surnames[int(rnd() * 1000)] + chars[int(rnd() * n_chars)]
                    if rnd() < 0.72:
                        name += chars[int(rnd() * n_chars)]
                if rnd() < PROBATIONARY_SHARE:
                    status = "probationary"
                    birth = ref - int(6940 + rnd() * 9500)  # 19 to 45 years old
                    join_lo = max(ref - 365, birth + adult)
                    joined = join_lo + int(rnd() * (ref - 1 - join_lo))
                else:
                    status = "full"
                    lo, hi = ages[int(rnd() * 1000)]
                    birth = ref - int(lo + rnd() * (hi - lo))
                    join_lo = birth + adult
                    r = rnd()
                    joined = join_lo + int((full_before - join_lo) * r * r)
                phone = (
                    PHONE_PREFIXES[int(rnd() * n_phone)] + f"{int(rnd() * 100_000_000):08d}"
                    if rnd() < PHONE_SHARE
                    else ""
                )
                inflow_id = None
                part_path = upath
                mobile = rnd() < p_mobile
                if mobile and rnd() < MOBILE_WITH_INFLOW:
                    target = (
                        pool[int(rnd() * len(pool))] if rnd() < 0.5 else anywhere[int(rnd() * len(anywhere))]
                    )
                    if target is unit:
                        target = anywhere[(anywhere.index(unit) + 1) % len(anywhere)]
                    inflow_id, part_path = target.id, target.path
                seq += 1
                rows.append((
                    member_id, f"{area6}{seq:07d}", name, "m" if male else "f", ethnicity, iso[birth - base],
                    iso[joined - base], status, phone, uid, upath, mobile, inflow_id, part_path, now,
                ))  # fmt: skip
                member_id += 1
                if len(rows) >= chunk:
                    yield rows
                    rows = []
            serial[area6] = seq
        if rows:
            yield rows


def _ethnicities(league: str, county: str, area: str) -> list[str]:
    """A 1000-entry lookup table of ethnicities for members of units in this place."""
    league, county = real_name(league), real_name(county)  # a synthetic copy (x10) is like its original
    base = MONGOL_SHARE.get(league, 0.22)  # region-level units: 0.22
    mongol = min(0.85, base * AREA_MONGOL_FACTOR.get(area, 1.0))
    others = LOCAL_MINORITIES.get(county, []) + LEAGUE_MINORITIES.get(league, DEFAULT_MINORITIES)
    pairs: list[tuple[str, float]] = [("蒙古族", mongol), *others]
    pairs.append(("汉族", max(0.0, 1.0 - sum(w for _, w in pairs))))
    return _expand(pairs)


# ---------------------------------------------------------------------------------------------------------
# Writing it: one transaction, one audit event, demo accounts
# ---------------------------------------------------------------------------------------------------------

# username, role, unit code ("" = the township/village chosen below), display name
DEMO_ACCOUNTS = [
    ("admin", "admin", REGION_CODE, "系统管理员"),
    ("region_office", "office", REGION_CODE, "自治区活动领导小组办公室"),
    ("league_office", "office", "150100", "呼和浩特市活动领导小组办公室"),
    ("county_office", "office", "150125", "武川县活动领导小组办公室"),
    ("county_supervisor", "supervisor", "150125", "武川县督导组成员"),
    ("township_operator", "operator", "150125100", "镇联络员"),
    ("township_instructor", "supervisor", "150125100", "镇派驻村指导员"),
    ("village_secretary", "operator", "150125100201", "村党支部书记"),
    ("liaison_leader", "leader", "150125", "武川县联系点领导"),
    ("outsider", "office", "150200", "包头市活动领导小组办公室"),
]


class SeedRefused(Exception):
    """The database already holds a registry and `force` was not given."""


@dataclass
class SeedResult:
    counts: dict[str, int]
    timings: list[tuple[str, float]]
    accounts: list[str]  # every demo account
    kept_accounts: list[str]  # those that existed already and kept their password

    @property
    def total_seconds(self) -> float:
        return sum(t for _, t in self.timings)


def _blocking_tables() -> list[str]:
    """Tables outside orgs/accounts that reference units or members and hold rows: wiping would break them."""
    from django.apps import apps

    from echelon.accounts.models import Grant
    from echelon.orgs.models import Member, Unit

    blocking = []
    existing = set(connection.introspection.table_names())
    for model in apps.get_models(include_auto_created=True):
        if model in (Unit, Member, Grant) or model._meta.db_table not in existing:
            continue
        refs = [
            f
            for f in model._meta.get_fields()
            if f.is_relation and f.concrete and f.related_model in (Unit, Member)
        ]
        if refs and model._default_manager.exists():
            blocking.append(str(model._meta.verbose_name))
    return blocking


def wipe() -> dict[str, int]:
    """Remove the registry (members, grants, units) before re-seeding. Users and audit events stay: users are
    re-used by name, and the audit trail is append-only."""
    from echelon.accounts.models import Grant
    from echelon.orgs.models import Member, Unit

    if blocking := _blocking_tables():
        raise SeedRefused("以下数据引用了组织或党员，不能清空重建：" + "、".join(blocking))
    counts = {}
    with connection.cursor() as cur:
        for model in (Member, Grant, Unit):
            table = connection.ops.quote_name(model._meta.db_table)
            cur.execute(f"DELETE FROM {table}")  # noqa: S608
            counts[model._meta.model_name or ""] = cur.rowcount
        if connection.vendor == "postgresql":
            cur.execute(
                "SET CONSTRAINTS ALL IMMEDIATE"
            )  # run the deferred checks now: the tables get altered
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
    return counts


def create_demo_accounts() -> tuple[list[str], list[str]]:
    """The demo personas (see conftest.PERSONAS), through the accounts services; returns (created, kept).

    A new account gets the demo password: one hash is computed once and given to every new demo account
    (hashing nine times would take seconds). An account that already exists under that name (a re-seed, or
    an administrator created by hand) keeps its password and flags and only gets its grant back."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.password_validation import validate_password

    from echelon.accounts import services as account_services
    from echelon.accounts.models import User
    from echelon.orgs.models import Unit

    validate_password(DEMO_PASSWORD)
    hashed = make_password(DEMO_PASSWORD)
    created, kept = [], []
    for username, role, code, display in DEMO_ACCOUNTS:
        unit = Unit.objects.get(code=code)
        if username == "township_operator":
            display = unit.name + "联络员"
        elif username == "township_instructor":
            display = unit.name + "派驻村指导员"
        elif username == "village_secretary":
            display = unit.name + "党支部书记"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = account_services.user_create(
                actor=None, username=username, password=None, display_name=display
            )
            changes: dict[str, Any] = {"password": hashed}
            if role == "admin":
                changes.update(is_superuser=True, is_staff=True)
            User.objects.filter(pk=user.pk).update(**changes)
            created.append(username)
        else:
            kept.append(username)
        account_services.grant_add(actor=None, user=user, unit=unit, role=role)
    return created, kept


def run(*, scale: str = "full", seed: int = DEFAULT_SEED, force: bool = False, log: Any = None) -> SeedResult:
    """Build the demo registry in the default database (one transaction)."""
    from django.db import transaction

    from echelon.core import audit
    from echelon.orgs import bulk
    from echelon.orgs.models import Member, Unit

    say = log or (lambda _msg: None)
    timings: list[tuple[str, float]] = []
    clock = [time.perf_counter()]

    def lap(label: str, seconds: float | None = None) -> None:
        now = time.perf_counter()
        spent = now - clock[0] if seconds is None else seconds
        clock[0] = now
        timings.append((label, spent))
        say(f"  {label}: {spent:.1f} s")

    plan = PLANS[scale](seed)
    lap("计划 plan")
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA cache_size=-262144")  # 256 MB of page cache while the indexes are built
    wiped: dict[str, int] = {}
    standalone = not connection.in_atomic_block  # not inside a caller's transaction (a test, say)
    with transaction.atomic():
        existing = Unit.objects.count()
        if existing:
            if not force:
                raise SeedRefused(
                    f"数据库中已有 {existing} 个组织，拒绝覆盖。"
                    "使用 --if-empty 跳过，或 --force 清空组织、党员和授权后重建。"
                )
            wiped = wipe()
            lap("清空 wipe")
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET LOCAL maintenance_work_mem = '256MB'")  # index builds sort in memory
        gen = Generator(plan, bulk.next_id(bulk.UNIT_TABLE), bulk.next_id(bulk.MEMBER_TABLE))
        units = gen.build()
        lap("生成组织 units: generate")
        unit_indexes = bulk.drop_secondary_indexes(bulk.UNIT_TABLE)
        member_indexes = bulk.drop_secondary_indexes(bulk.MEMBER_TABLE)
        now = bulk.db_now()
        bulk.insert_units(units, now)
        lap("写入组织 units: write")
        started = time.perf_counter()
        n_members, db_seconds = bulk.insert(bulk.MEMBER_TABLE, bulk.MEMBER_COLUMNS, gen.members(now))
        generated = time.perf_counter() - started - db_seconds
        lap("生成党员 members: generate", generated)
        lap("写入党员 members: write", db_seconds)
        bulk.run_statements(member_indexes)
        lap("党员索引 member indexes")
        bulk.finish()  # before the units' own indexes are back: the rollup UPDATEs then rewrite fewer indexes
        lap("汇总 rollups")
        bulk.run_statements(unit_indexes)
        bulk.reset_sequences()
        lap("组织索引 unit indexes")
        created, kept = create_demo_accounts()
        accounts = created + kept
        lap("演示账号 accounts")
        counts = plan.totals() | {"units": len(units), "members": n_members}
        counts["mobile"] = Member.objects.filter(is_mobile=True).count()
        counts["blind_spots"] = Member.objects.filter(is_mobile=True, inflow_unit__isnull=True).count()
        region = Unit.objects.get(pk=units[0].id)
        summary = {
            "scale": scale,
            "seed": seed,
            "counts": counts,
            "wiped": wiped,
            "accounts": created,
            "kept": kept,
        }
        audit.record(
            actor=None,
            verb=verbs.REGISTRY_SEED,
            obj=region,
            unit_id=region.pk,
            unit_path=region.path,
            after=summary,
        )
        if standalone:
            bulk.analyze()
            lap("统计信息 analyze")
    if standalone and connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cur.execute("PRAGMA cache_size=-65536")
        lap("检查点 checkpoint")
    return SeedResult(counts=counts, timings=timings, accounts=accounts, kept_accounts=kept)
