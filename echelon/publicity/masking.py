"""Personal data masked out of free text before it goes public (公示): phone numbers, ID card numbers,
e-mail addresses, and names of people who gave opinions (those their contacts name, and a surname and
given name after words like 村民/群众/户主).

Masking keeps the text readable (``138****5678``, ``张某某``) and never guesses more than it must: a unit's
own name or a problem's category is not a person. It runs when a notice is frozen (``kinds``), so what the
approver reads is what the public reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# 18-digit (last may be X) or 15-digit ID numbers, not inside a longer run of digits or letters
ID_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
LANDLINE_RE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{3,4})(\d{4})(?!\d)")
EMAIL_RE = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]{2,4}")

# Common surnames (the single-character ones that cover most of the region's Han population) and the words
# after which a name usually follows in a problem's text ("村民张三反映…").
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦"
    "戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻"
    "苑迟邝那"
)
MARKERS = (
    "村民|群众|居民|牧民|农民|农户|住户|户主|党员|老党员|老人|大爷|大娘|反映人|举报人|来访人|来信人|"
    "贫困户|低保户|五保户|困难户|退伍军人|老师|同志"
)
NAME_AFTER_MARKER_RE = re.compile(
    rf"(?:{MARKERS})([{''.join(sorted(SURNAMES))}])([\u4e00-\u9fff]{{1,2}}?)"
    r"(?=反映|提出|说|称|家|来访|来信|等|同志|、|，|,|。|；|：|:|\s|$)"
)
# words in a contact that are not a name
NOT_NAMES = {"电话", "手机", "微信", "联系", "联系方式", "邮箱", "先生", "女士", "匿名", "本人", "座机"}


def _mask_name(name: str) -> str:
    return name[0] + "某" * max(1, len(name) - 1)


def names_in_contacts(contacts: Iterable[str]) -> set[str]:
    """The names that opinion givers left in their contacts (runs of 2–4 Chinese characters that are not
    words like 电话、先生)."""
    names: set[str] = set()
    for contact in contacts:
        contact = contact or ""
        for word in NOT_NAMES:  # "王先生": a surname alone names nobody
            contact = contact.replace(word, " ")
        names.update(CJK_RUN_RE.findall(contact))
    return names


def mask(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with phone numbers, ID numbers, e-mail addresses and people's names masked."""
    if not text:
        return ""
    out = ID_RE.sub(lambda m: m.group(0)[:6] + "*" * (len(m.group(0)) - 10) + m.group(0)[-4:], text)
    out = MOBILE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", out)
    out = LANDLINE_RE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", out)
    out = EMAIL_RE.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", out)
    for name in sorted(set(names), key=len, reverse=True):
        if len(name) >= 2:
            out = out.replace(name, _mask_name(name))
    return NAME_AFTER_MARKER_RE.sub(
        lambda m: m.group(0)[: m.start(1) - m.start(0)] + m.group(1) + "某" * len(m.group(2)), out
    )
