"""The demo campaign's ledger up to a day (``fill_ledger``): the opinions the units heard, the problems they
listed, the rectification tasks and how far they got, escalations up the chain of ancestors, batch-one
tasks handed over to batch-two units, and a few institutions, so that the demo's 问题台账 opens full.

Written after the history (``echelon/demo/history.py``), from what it recorded: a unit's phases as they
actually ran (``PhaseActual``). For each participating unit, by its kind and level (villages hear of
low-income allowances and roads, county organs of red tape and meetings: ``THEMES``):

- opinions from the start of its activity to today (a unit that has not started has none; one still in
  its first phase has a few), from the public on the web and gathered at forums, home visits, boxes…;
  some turned into problems (with a duplicate merged into them now and then), some answered publicly,
  some closed with a reason, the recent ones mostly still to triage;
- problems only once the unit reached the study phase, found in the study and examine phases, by the
  five sources (群众提 from its opinions), categories of the four winds, special items and carrier tags
  of ``campaign.spec.ledger``;
- tasks with a responsible person and a deadline; claimed, verified (销号, with evidence), returned,
  deferred with a new date, a few reopened, the others open (overdue when the deadline has passed); a
  problem is done when it has tasks and all are verified (as ``_sync_problem`` decides);
- escalations to a leadership ancestor (上报): accepted (the problem becomes the receiver's, its tasks
  are the receiver's), returned with a reason, or still pending (the problem ``escalated``, seen by the
  receiver through ``pending_path``), now and then a second hop;
- hand-overs: unfinished tasks of batch-one units linked to batch-two units where a named receiver exists
  (a user who may change that unit); some taken over (a problem and a task of the receiver follow);
- institutions answering problems, a few made jointly with sibling units.

The demo accounts find work on day one (``_ensure_persona_work``): whoever records for a unit (an office
or an operator grant) has opinions to triage there and an escalation from a unit below waiting; whoever
verifies (an office or supervisor grant) has claimed tasks below; each hand-over receiver has one offered.
The notices the services would have sent about what is still waiting go to the people who exist.

Amounts scale with the tree (``*_PER_UNIT``: about 500,000 opinions, 200,000 problems and 300,000 tasks
for the 70,000 units of the full demo). Everything is written in bulk like the history (one
``executemany`` per table, rows as the services write them, ids given so that rows can point at each
other), with the rollup counters the services would have moved (``ledger.rollup``: the summaries read
them) and fresh planner statistics (``core.db.analyze``: without them SQLite picks poor plans for the
lists of 200,000 problems), and one audit event summarising it (``ledger.simulate``); deterministic for a
campaign, day and seed. About a minute at full scale on two cores.
"""

from __future__ import annotations

import random
import time
import zlib
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import lru_cache
from itertools import accumulate
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from echelon.accounts.models import Grant, User
from echelon.accounts.roles import ROLE_ACTIONS, Role
from echelon.campaigns.models import Campaign, Participation, PhaseActual
from echelon.core import audit, db
from echelon.core.models import Notification, NotificationKind
from echelon.core.tree import SEGMENT_WIDTH
from echelon.demo import seed as demo_seed
from echelon.demo import verbs
from echelon.demo.history import DEFAULT_SEED, _Adapt, _big_cache, _latest, _pdf, _Table
from echelon.ledger import rollup
from echelon.ledger.models import (
    ITEM_KINDS,
    Channel,
    CountKind,
    Escalation,
    EscalationState,
    Evidence,
    Handover,
    HandoverState,
    Institution,
    InstitutionAction,
    LedgerCount,
    Opinion,
    OpinionStatus,
    Problem,
    ProblemStatus,
    Severity,
    Task,
    TaskStatus,
)
from echelon.ledger.services.opinions import TRACKING_ALPHABET, TRACKING_LENGTH, fingerprint
from echelon.supervision.models import GroupAssignment, SupervisionGroup

# Amounts per participating unit (the full demo's 70,000 units: about 500,000 / 200,000 / 300,000).
OPINIONS_PER_UNIT = 7.2
PROBLEMS_PER_UNIT = 2.9
# Persona work on day one.
NEW_OPINIONS_PER_DESK = 3  # opinions to triage at a unit where someone records
CLAIMS_PER_VERIFIER = 3  # claimed tasks below a verifier
PENDING_PER_DESK = 2  # escalations waiting at a unit where someone records
STREAM = 7  # the ledger's random stream (the history uses 0-3)

# ---------------------------------------------------------------------------------------------------------
# Texts: per kind of unit and category of the four winds, what people say and what the ledger makes of it
# ---------------------------------------------------------------------------------------------------------

VILLAGE, TOWNSHIP, ORGAN, UNIT, NONPUBLIC = "village", "township", "organ", "unit", "nonpublic"


@dataclass(frozen=True)
class Theme:
    """One kind of problem: what the public says (``issue``), the ledger's title, two measures, the special
    rectification item it belongs to (a key of the 2014 template; dropped when the campaign has no such
    item)."""

    category: str
    item: str
    issue: str
    title: str
    measures: tuple[str, str]


def _themes(*rows: str) -> tuple[Theme, ...]:
    """Themes written one per string: "category [item]｜issue｜title｜measure｜measure"."""
    out = []
    for row in rows:
        keys, issue, title, first, second = row.split("｜")
        category, _sep, item = keys.partition(" ")
        out.append(Theme(category, item, issue, title, (first, second)))
    return tuple(out)


THEMES: dict[str, tuple[Theme, ...]] = {
    VILLAGE: _themes(
        "formalism｜村务公开栏里的内容好几个月没更新了，公开的都是些没用的"
        "｜村务公开流于形式，公开栏内容长期不更新｜每月定期更新村务公开栏，重点公开财务收支和惠民资金"
        "｜建立村务公开台账，由村务监督委员会逐月签字确认",
        "formalism meetings｜村里开会就是念文件，开完会啥事也没解决｜村级会议多念文件、少解决实际问题"
        "｜改进会风，每次村民会议明确要解决的具体事项｜村民会议议定事项建立台账，逐项落实并公布结果",
        "formalism vanity_projects｜村口修了个大牌楼花了不少钱，可村里的路还是土路｜村级项目重形象、轻民生"
        "｜暂停牌楼等形象工程后续投入，资金优先用于村内道路｜村级项目立项前召开村民代表会议征求意见",
        "formalism｜驻村干部来了就拍照填表，很少到农户家里了解情况｜驻村干部入户走访走过场"
        "｜驻村干部每月入户走访不少于十户并记录民情日志｜苏木乡镇对驻村干部走访情况随机电话回访",
        "bureaucratism policies_shrunk｜低保评定不公开，谁家吃低保群众都不清楚，有的条件好的也吃上了"
        "｜低保评定程序不公开、不透明，存在优亲厚友现象｜低保对象评议结果张榜公示七天，接受群众监督"
        "｜对现有低保户逐户复核，不符合条件的及时清退",
        "bureaucratism hard_to_do｜到村委会办事经常找不到人，开个证明要跑好几趟"
        "｜村干部坐班值守不落实，群众办事跑多趟｜村两委成员轮流坐班，公布值班电话"
        "｜推行村级代办服务，群众办事“最多跑一次”",
        "bureaucratism harm_interests｜村里主干道还没硬化，一下雨就是泥路，孩子上学很难走"
        "｜村内道路未硬化，群众出行难｜争取通村道路硬化项目，制定分年度实施计划"
        "｜先行对主干道坑洼路段铺垫砂石",
        "bureaucratism harm_interests｜灌溉用水分配不公平，渠道年久失修，下游的地浇不上水"
        "｜灌溉用水分配不公，水渠年久失修｜制定灌溉轮灌方案并张榜公布｜组织维修渗漏严重的支渠",
        "bureaucratism money_owed｜前年征地的补偿款到现在还有一部分没发到手｜征地补偿款发放不及时"
        "｜核清征地补偿款发放明细并逐户公示｜未发放的补偿款限期发放到户",
        "bureaucratism arbitrary_charges｜村里修路让每户摊钱，也没说钱是怎么花的"
        "｜向群众摊派修路费用且收支不公开｜停止向农牧户摊派，已收款项清退或公示使用情况"
        "｜一事一议筹资严格按程序召开村民会议表决",
        "hedonism｜有的村干部白天在小卖部打牌，群众找他办事找不到｜个别村干部工作时间打牌娱乐"
        "｜村两委召开专题组织生活会，严肃工作纪律｜苏木乡镇纪委对村干部工作纪律不定期抽查",
        "hedonism commuting_cadres｜村支书家住在旗里，一个星期来村里一两趟｜村干部不住村、“走读”现象"
        "｜村干部实行住村值班制度，公布去向｜苏木乡镇建立村干部在岗情况通报制度",
        "hedonism｜村干部年底拿误工补贴，可平时干活的时候人不在｜村干部误工补贴发放与实际工作脱节"
        "｜村干部误工补贴与坐班考勤挂钩｜补贴发放情况在村务公开栏公示",
        "extravagance gifts_banquets｜村里来人接待就下馆子，吃的都是集体的钱｜用村集体资金吃喝招待"
        "｜严禁用集体资金吃喝，公务接待实行清单管理｜清理近三年招待费用并向村民公开",
        "extravagance｜村里红白事大操大办，随礼越来越重，群众负担太大｜婚丧喜庆大操大办，人情负担重"
        "｜成立红白理事会，修订村规民约｜党员干部带头简办婚丧事宜并作出承诺",
        "extravagance｜村委会办公室装修得比乡里还好，还买了新沙发｜村委会办公场所装修超标"
        "｜清理超标办公设施，调剂用于便民服务室｜村级办公经费使用情况按季度公开",
    ),
    TOWNSHIP: _themes(
        "formalism meetings｜镇里开会太多，村干部一个星期有三四天在镇里开会"
        "｜召集村干部开会过多，挤占村里工作时间｜精简召集村干部的会议，能合并的合并"
        "｜推行“无会日”，每周固定一天不召集村干部开会",
        "formalism meetings｜上面检查一来，村里就要准备一大堆材料，表格填都填不完"
        "｜迎检材料多、报表多，基层负担重｜清理规范向嘎查村布置的报表，统一归口"
        "｜对检查考核事项进行合并，减少重复检查",
        "formalism｜包村干部下村就是打个卡，问题都没帮着解决｜包村干部下村打卡走过场"
        "｜包村干部每月驻村工作不少于规定天数并记录实绩｜将群众评价纳入包村干部考核",
        "bureaucratism hard_to_do｜便民服务中心中午和下午四点以后就没人了，办事老是碰不上"
        "｜便民服务中心工作人员不在岗，群众办事难｜便民服务中心实行午间值班和延时服务"
        "｜公开服务承诺和监督电话",
        "bureaucratism policies_shrunk｜草原补奖资金发放不透明，到手的钱和政策说的不一样"
        "｜草原生态补奖资金发放不透明、有缩水｜补奖资金发放明细逐户张榜公示"
        "｜开展补奖资金专项清查，发现问题立即纠正",
        "bureaucratism arbitrary_charges｜办准生证、开证明还要收费｜办证收费不规范，存在乱收费"
        "｜全面清理收费项目，取消无依据收费｜收费项目和标准在便民服务中心公示",
        "bureaucratism harm_interests｜反映了好几次自来水的问题，镇里一直推说是村里的事"
        "｜对群众反映的饮水问题推诿扯皮｜实行首问负责制，明确饮水安全责任人｜实施饮水安全巩固提升工程",
        "bureaucratism money_owed｜给镇里干活的工钱拖了一年多还没给｜拖欠农民工工程款"
        "｜摸清拖欠工程款底数，制定清偿计划｜限期清偿拖欠的农民工工资",
        "hedonism commuting_cadres｜镇干部都住在旗里，下午不到五点就回去了｜镇干部“走读”、在岗时间不足"
        "｜落实干部住镇值班制度，严格考勤｜开展“走读”干部专项整治，公开通报",
        "hedonism｜工作日中午镇干部在饭馆喝酒｜工作日午间饮酒｜重申工作日午间禁酒规定｜纪委开展午间明察暗访",
        "extravagance three_public｜镇里接待上级吃饭太铺张，都去大酒店｜公务接待超标准"
        "｜严格执行公务接待标准，接待一律在机关食堂｜公务接待费用每季度公开",
        "extravagance cars_offices｜镇里的公车周末还停在干部家门口｜公车私用｜公务用车统一停放、派车登记"
        "｜安装公务用车定位系统",
    ),
    ORGAN: _themes(
        "formalism meetings｜会议太多，一个会套一个会，基层同志疲于应付｜文山会海，会议多、文件多"
        "｜压缩会议数量和时间，能合并的合并、能视频的视频｜严控发文数量，不发没有实质内容的文件",
        "formalism meetings｜检查评比太多，一年到头都在迎检｜检查评比过多过滥"
        "｜清理规范检查评比项目，取消不必要的评比｜实行年度检查计划审批制度",
        "formalism｜领导下来调研就是听汇报、看点，真正的问题听不到｜调研走马观花，不深入基层"
        "｜领导干部每年到基层蹲点调研不少于规定天数｜推行“四不两直”随机调研",
        "formalism vanity_projects｜城区修了那么多广场雕塑，老旧小区的下水道却多年没人管"
        "｜热衷形象工程，民生欠账多｜停建缓建形象工程，资金优先投向民生项目｜重大项目决策前开展群众听证",
        "bureaucratism doors_faces｜到局里办事门难进、脸难看，问个事都爱答不理｜“门难进、脸难看、事难办”"
        "｜窗口单位推行微笑服务和首问负责制｜开展作风建设“回头看”，群众评议窗口服务",
        "bureaucratism hard_to_do｜办一个审批要盖十几个章，跑了一个多月还没办下来"
        "｜审批环节多、时限长，群众办事难｜精简审批事项和环节，公布办事指南｜推行并联审批和限时办结",
        "bureaucratism｜给局里写信反映问题，几个月都没人回复｜对群众来信来访推诿拖延"
        "｜建立来信来访台账，限时答复｜领导干部定期接访并公开接访安排",
        "bureaucratism harm_interests｜小区供暖不达标，打了多少次电话都说在处理｜对群众供暖投诉处置不力"
        "｜督促供热企业限期整改，设立投诉专线｜建立供热质量回访制度",
        "hedonism cars_offices｜领导的办公室好几间，面积明显超标｜办公用房面积超标"
        "｜按标准清理腾退超标办公用房｜办公用房使用情况在单位内公示",
        "hedonism cars_offices｜单位的公车周末经常出现在景区和饭店门口｜公车私用"
        "｜公务用车实行定点停放和派车登记｜开展公车使用专项检查",
        "hedonism ghost_payroll｜单位里有人好几年不上班还照样领工资｜“吃空饷”问题"
        "｜开展“吃空饷”专项清理，清退违规领取的工资｜建立在编在岗人员动态核查制度",
        "hedonism｜上班时间办公室里没人，打电话说在开会｜工作纪律松弛，上班迟到早退｜严格考勤，实行去向公示"
        "｜开展作风纪律明察暗访",
        "hedonism costly_courses｜有的领导参加动辄几万元的培训班，钱还是公家出｜参加高收费培训"
        "｜清理领导干部参加的高收费培训｜明确公款培训审批程序",
        "hedonism gambling｜听说有干部下班后聚在一起赌钱，输赢还不小｜党员干部参与赌博"
        "｜开展党员干部参与赌博专项治理｜对查实的问题严肃处理并通报",
        "hedonism naked_officials｜有的干部家属子女都移居国外了，本人还在重要岗位上｜“裸官”岗位管理不严"
        "｜对配偶子女移居国（境）外的干部进行摸底登记｜按规定对“裸官”进行岗位调整",
        "extravagance gifts_banquets｜逢年过节用公款买礼品送来送去｜节日期间公款送礼｜严禁公款购买、赠送节礼"
        "｜节日前后开展专项监督检查",
        "extravagance three_public｜单位接待太铺张，出国考察名额年年都有｜“三公”经费开支过大"
        "｜压减“三公”经费预算并向社会公开｜严格因公出国（境）审批",
        "extravagance lavish_building｜新盖的办公楼太豪华，跟周边老百姓的房子对比太明显｜违规修建楼堂馆所"
        "｜停止在建楼堂馆所项目，开展清理｜新建项目严格履行审批程序",
        "extravagance cash_gifts｜听说有的干部收购物卡、收红包｜收送购物卡、红包｜开展收送购物卡专项清退"
        "｜领导干部签订廉洁承诺书",
        "extravagance private_clubs｜有的干部经常出入私人会所｜出入私人会所"
        "｜开展私人会所中的不正之风专项整治｜领导干部如实报告有关情况",
    ),
    UNIT: _themes(
        "formalism｜单位制度都挂在墙上，实际工作中没人照着做｜制度上墙不落实"
        "｜梳理现行制度，逐项明确执行责任人｜每季度检查制度执行情况",
        "formalism｜学习就是念念报纸、记记笔记应付检查｜学习走过场，笔记应付检查"
        "｜改进学习方式，每次学习结合业务确定讨论题目｜学习情况纳入年度考核",
        "bureaucratism doors_faces｜窗口工作人员态度生硬，老年人问两句就不耐烦｜窗口服务态度生硬"
        "｜开展窗口服务规范培训｜设立服务评价器和意见箱",
        "bureaucratism hard_to_do｜看病挂号排队时间太长，检查结果几天才能拿到｜群众就医排队时间长"
        "｜推行预约挂号和分时段就诊｜优化检查流程，缩短报告出具时间",
        "bureaucratism arbitrary_charges｜学校每学期都要交资料费，也不给收据｜违规收取费用"
        "｜清理收费项目，已收费用按规定清退｜收费项目和标准公示并开具票据",
        "bureaucratism hard_to_do｜农技站的人很少下乡，种地遇到问题找不到人问"
        "｜下乡服务少，农牧民技术需求得不到满足｜农技人员包片联系，每月下乡服务｜开通农技服务热线",
        "hedonism｜上班时间有人玩手机、炒股，群众等着办事｜上班时间干私事｜严格工作纪律，开展明察暗访"
        "｜工作纪律执行情况纳入绩效考核",
        "hedonism｜值班电话经常打不通，晚上出了事找不到人｜值班制度不落实，值班脱岗"
        "｜完善值班制度，值班电话向社会公布｜领导带班，定期抽查值班情况",
        "hedonism company_posts｜单位领导在企业挂名兼职拿报酬｜领导干部在企业违规兼职"
        "｜清理领导干部在企业兼职情况｜严格兼职审批并公开",
        "extravagance three_public｜单位接待标准太高，经常在高档饭店吃饭｜公务接待超标准"
        "｜严格执行接待标准和审批｜接待费用支出定期公开",
        "extravagance training_centres｜单位的培训中心对外营业，开会都在那里吃住｜培训中心变相公款吃喝"
        "｜培训中心停止超标接待｜开展培训中心专项清理",
        "extravagance｜年底突击花钱，买了很多用不上的设备｜年底突击花钱，浪费资金"
        "｜严格预算执行，实行政府采购｜开展资产清查，闲置资产调剂使用",
    ),
    NONPUBLIC: _themes(
        "formalism｜公司党支部一年也开不了几次会，开会就是签个到｜党组织活动不经常，“三会一课”流于形式"
        "｜制定年度党组织活动计划并按月落实｜建立“三会一课”记录，上级党组织定期检查",
        "formalism｜党建工作就是写写材料，和生产经营是两张皮｜党建工作与生产经营“两张皮”"
        "｜围绕生产经营开展党员先锋岗活动｜党组织书记参与企业重要事项研究",
        "bureaucratism money_owed｜工资经常拖着不发，加班费也不给算｜拖欠职工工资和加班费"
        "｜清偿拖欠的工资和加班费｜建立工资按月足额发放制度",
        "bureaucratism｜职工反映的问题党员干部不当回事，没人管｜联系服务职工不够，对职工诉求不重视"
        "｜党员联系职工，定期谈心谈话｜设立职工意见箱，每月集中答复",
        "hedonism｜有的党员不亮身份，工作中不起带头作用｜党员意识淡薄，作用发挥不明显"
        "｜开展党员亮身份、作承诺活动｜对党员进行民主评议",
        "hedonism｜党员缴纳党费不按时，有的好几个月没交｜党费收缴不及时｜规范党费收缴，按月足额缴纳"
        "｜党费收缴情况定期公示",
        "extravagance｜公司年会办得太铺张，请客送礼花了不少钱｜年会庆典铺张浪费｜简化庆典活动，节约开支"
        "｜制定厉行节约的具体规定",
        "extravagance｜逢年过节给有关部门送礼｜节日向有关部门送礼｜严禁节日送礼，开展自查自纠"
        "｜建立廉洁经营承诺制度",
    ),
}
# What is said that is no problem of the four winds: suggestions answered, matters closed.
REMARKS = (
    "希望多组织党员学习，也让群众参加进来",
    "建议把活动的进展情况在公开栏里公布",
    "感谢干部上门听取意见，希望以后常来",
    "希望加强对年轻党员的培养",
    "建议多开展实用技术培训，帮助群众增收",
    "希望能办个图书室，方便大家看书看报",
    "建议定期召开群众座谈会，听听大家的想法",
    "希望困难党员和老党员能得到更多关心",
    "邻居占了我家的宅基地，希望帮忙协调",
    "家里老人看病报销的事情想咨询一下",
    "希望能把办事流程印成明白纸发给群众",
    "建议评选表彰一批优秀党员，树立榜样",
)
OPENERS: dict[str, tuple[str, ...]] = {
    Channel.WEB: ("", "我想反映一个问题：", "匿名反映：", "网上留言：", "说个情况："),
    Channel.FORUM: ("座谈会上群众代表提出：", "座谈中有同志反映：", "座谈会意见：", ""),
    Channel.VISIT: ("走访中群众反映：", "入户走访时了解到：", "走访意见：", ""),
    Channel.QUESTIONNAIRE: ("问卷意见：", "问卷中提到：", ""),
    Channel.BOX: ("意见箱来信：", "意见箱：", ""),
    Channel.LETTER: ("来信反映：", "来访群众反映：", ""),
    Channel.OTHER: ("电话反映：", ""),
}
REQUESTS = (
    "。",
    "，希望尽快解决。",
    "，希望领导重视。",
    "，请给群众一个说法。",
    "，建议公开处理结果。",
    "，希望能改一改。",
    "，盼早日解决。",
    "，希望引起重视、切实整改。",
    "，大家意见比较大。",
    "，这个问题好多人都在说。",
)
REMARK_ENDINGS = ("。", "，谢谢。", "，供参考。", "，希望考虑。")
CHANNELS = (
    (Channel.WEB, 22),
    (Channel.FORUM, 24),
    (Channel.VISIT, 22),
    (Channel.QUESTIONNAIRE, 12),
    (Channel.BOX, 11),
    (Channel.LETTER, 6),
    (Channel.OTHER, 3),
)
REPLIES = (
    "您反映的问题已收到，已列入我们的问题清单，正在研究整改措施。",
    "感谢您的意见。经核实情况属实，我们已制定整改措施，将按期整改到位并公示结果。",
    "已转交相关负责同志办理，办理结果将及时告知。",
    "感谢您的监督。相关问题已在班子会议上研究，明确了责任人和完成时限。",
)
REMARK_REPLIES = (
    "感谢您的建议，我们将在下一步工作中认真采纳。",
    "您的建议很好，已纳入活动安排，欢迎继续提出意见。",
    "已安排工作人员与您联系，当面解答有关问题。",
)
CLOSE_REASONS = (
    "属于民事纠纷，已告知通过人民调解或司法途径解决",
    "反映内容经核实与事实不符，已当面向反映人说明",
    "属于其他部门职责，已告知反映渠道",
    "内容不具体，无法核实，联系反映人未果",
    "个人诉求已当面答复解决",
)
SOURCE_LEADS = {
    "public": "群众反映：",
    "self": "班子成员对照检查自己查找：",
    "superior": "上级督导组指出：",
    "mutual": "在谈心谈话和征求意见中同志们提出：",
    "collective": "经班子集体研究认为：",
}
SOURCES = (("public", 34), ("self", 28), ("superior", 13), ("mutual", 11), ("collective", 14))
SEVERITIES = ((Severity.GENERAL, 76), (Severity.SERIOUS, 19), (Severity.MAJOR, 5))
ROLES = {
    VILLAGE: ("党支部书记", "村委会主任", "支部委员"),
    TOWNSHIP: ("党委书记", "镇长", "党委副书记", "副镇长", "纪委书记"),
    ORGAN: ("局长", "主任", "副局长", "副主任", "党组书记"),
    UNIT: ("站长", "院长", "校长", "经理", "负责人"),
    NONPUBLIC: ("党支部书记", "负责人"),
}
CLAIM_NOTES = (
    "已按要求完成整改，相关材料已上传，请验收。",
    "整改措施已落实，结果已公示，附公示照片。",
    "已召开专题会议研究落实，附会议记录。",
    "已完成整改，群众代表签字确认。",
)
ACCEPT_NOTES = ("", "", "经核实已整改到位，同意销号。", "佐证材料齐全，同意销号。", "群众满意，同意销号。")
RETURN_NOTES = (
    "整改不到位，佐证材料不足，请补充后再申请。",
    "群众回访反映问题仍然存在，请继续整改。",
    "整改措施落实不彻底，请完善后再申请销号。",
)
DEFER_NOTES = (
    "需要上级资金支持，暂不能解决，调整完成时限。",
    "涉及政策调整，须待上级出台意见后解决。",
    "受季节影响无法施工，待开春后完成。",
)
REOPEN_REASONS = ("群众再次反映问题反弹，重新整改。", "回头看发现整改不彻底，重新打开。")
ESCALATE_REASONS = {
    VILLAGE: (
        "涉及资金较多，村里无力解决，请苏木乡镇统筹。",
        "需要跨村协调，超出本村职责范围。",
        "涉及苏木乡镇站所职责，请上级协调解决。",
    ),
    TOWNSHIP: ("需要旗县有关部门立项和资金支持，本级无力解决。", "涉及政策调整，超出本级权限。"),
    ORGAN: ("涉及政策层面问题，需上级统筹研究解决。", "需要跨部门协调，请上级统筹。"),
    UNIT: ("超出本单位职责范围，请上级协调解决。",),
    NONPUBLIC: ("需要主管部门协调解决。",),
}
ACCEPT_ANSWERS = ("同意接收，纳入本级问题清单统筹整改。", "已接收，由本级牵头整改。", "")
RETURN_ANSWERS = (
    "属于本单位职责范围，请自行制定整改措施。",
    "问题情况不清，请核实后再报。",
    "可由本单位先行整改，需要支持时再报。",
)
HANDOVER_NOTES = (
    "该任务涉及你单位，请承接并按期整改。",
    "第一批整改中形成的任务，需在第二批活动中继续推进。",
    "",
)
EVIDENCE_NAMES = ("整改佐证材料", "公示照片", "会议记录", "整改情况报告", "群众签字确认表")
INSTITUTIONS: dict[str, tuple[str, ...]] = {
    VILLAGE: (
        "村务公开制度",
        "“四议两公开”工作法实施细则",
        "低保评议公示制度",
        "村级财务管理制度",
        "红白理事会章程",
    ),
    TOWNSHIP: ("便民服务中心值班制度", "干部驻村工作制度", "惠民资金发放公示制度", "干部考勤和去向公示制度"),
    ORGAN: (
        "关于进一步精简会议和文件的规定",
        "机关作风建设若干规定",
        "公务接待管理办法",
        "公务用车管理制度",
        "领导干部下基层调研制度",
        "首问负责制和限时办结制",
        "“三公”经费公开办法",
    ),
    UNIT: ("窗口服务规范", "收费公示制度", "值班和带班制度", "学习制度"),
    NONPUBLIC: ("党组织“三会一课”制度", "党员联系职工制度", "厉行节约规定"),
}
INSTITUTION_SUMMARY = "针对查摆出的问题，明确了责任分工、工作标准和监督检查办法，自印发之日起施行。"


def _group(kind: str, level: int) -> str:
    if kind in ("village", "community"):
        return VILLAGE
    if kind in ("nonpublic", "social"):
        return NONPUBLIC
    if kind in ("leadership", "organ"):
        return TOWNSHIP if level >= 4 else ORGAN
    return UNIT


# (opinions, problems) weight of a unit by its group; the leagues' and the region's organs hear more.
WEIGHTS = {
    VILLAGE: (12.0, 3.5),
    TOWNSHIP: (30.0, 9.0),
    ORGAN: (40.0, 12.0),
    UNIT: (5.0, 2.6),
    NONPUBLIC: (2.5, 1.2),
}
LEVEL_BOOST = {1: 2.0, 2: 1.5}
ESCALATE = {VILLAGE: 0.08, TOWNSHIP: 0.05, ORGAN: 0.03, UNIT: 0.03, NONPUBLIC: 0.015}  # problems sent up
INSTITUTION_SHARE = {VILLAGE: 0.03, TOWNSHIP: 0.12, ORGAN: 0.12, UNIT: 0.01, NONPUBLIC: 0.005}

# ---------------------------------------------------------------------------------------------------------
# What is read, what is made
# ---------------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Unit:
    pid: int
    id: int
    code: str
    name: str
    path: str
    level: int
    kind: str
    batch: int  # the batch's ordinal
    group_id: int | None
    phases: list[tuple[date, date | None]] = field(default_factory=list)  # as they actually ran
    operator: int | None = None

    @property
    def group(self) -> str:
        return _group(self.kind, self.level)


class _Opinion:
    __slots__ = (
        "at",
        "by",
        "channel",
        "contact",
        "id",
        "merged",
        "print",
        "problem",
        "reason",
        "received",
        "replied",
        "reply",
        "status",
        "text",
        "theme",
        "unit",
    )

    def __init__(self, unit: _Unit, theme: Theme | None, received: date) -> None:
        self.id = 0
        self.unit, self.theme, self.received = unit, theme, received
        self.channel: str = Channel.WEB
        self.text = self.print = self.contact = self.reply = self.reason = ""
        self.status: str = OpinionStatus.NEW
        self.replied: datetime | None = None
        self.merged: _Opinion | None = None
        self.problem: _Problem | None = None
        self.at: datetime | None = None
        self.by: int | None = None


class _Problem:
    __slots__ = (
        "at",
        "by",
        "description",
        "done",
        "escalations",
        "found",
        "id",
        "item",
        "origin",
        "owner",
        "pending",
        "phase",
        "severity",
        "since",
        "source",
        "status",
        "tags",
        "tasks",
        "theme",
        "title",
        "unit",
    )

    def __init__(self, unit: _Unit, theme: Theme, found: date) -> None:
        self.id = 0
        self.unit = self.origin = unit  # owner now, and who raised it
        self.pending: _Unit | None = None
        self.theme, self.found = theme, found
        self.title = theme.title
        self.description = self.source = self.item = self.owner = ""
        self.tags: tuple[str, ...] = ()
        self.severity: str = Severity.GENERAL
        self.phase: int | None = None
        self.status: str = ProblemStatus.OPEN
        self.done: date | None = None
        self.at: datetime | None = None
        self.by: int | None = None
        self.tasks: list[_Task] = []
        self.escalations: list[_Escalation] = []
        self.since = found  # the day the current owner got it


class _Task:
    __slots__ = (
        "at",
        "by",
        "claim_note",
        "claimed_at",
        "claimed_by",
        "created",
        "deadline",
        "evidence",
        "id",
        "measure",
        "problem",
        "reopened",
        "responsible",
        "status",
        "unit",
        "verdict_note",
        "verified_at",
        "verified_by",
    )

    def __init__(self, problem: _Problem, unit: _Unit, measure: str, created: date, deadline: date) -> None:
        self.id = 0
        self.problem, self.unit, self.measure = problem, unit, measure
        self.created, self.deadline = created, deadline
        self.responsible = ""
        self.status: str = TaskStatus.OPEN
        self.claim_note = self.verdict_note = ""
        self.claimed_at: datetime | None = None
        self.verified_at: datetime | None = None
        self.claimed_by: int | None = None
        self.verified_by: int | None = None
        self.reopened = 0
        self.at: datetime | None = None
        self.by: int | None = None
        self.evidence: list[datetime] = []  # the upload moment of each version


@dataclass(eq=False)
class _Escalation:
    problem: _Problem
    source: _Unit
    to: _Unit
    reason: str
    sent: datetime
    by: int | None
    state: str = EscalationState.PENDING
    answer: str = ""
    decided: datetime | None = None
    decided_by: int | None = None


@dataclass(eq=False)
class _Handover:
    task: _Task
    to: _Unit
    receiver: int
    note: str
    offered: datetime
    state: str = HandoverState.OFFERED
    accepted: datetime | None = None
    follow: _Task | None = None
    id: int = 0


@dataclass(eq=False)
class _Institution:
    unit: _Unit
    title: str
    action: str
    adopted: date
    at: datetime
    by: int | None
    problems: list[_Problem]
    partners: list[_Unit]
    id: int = 0


@dataclass
class _People:
    """Who exists to record, verify and decide (the demo accounts): grants by unit."""

    desks: dict[int, list[int]]  # unit -> users who may change it there (office, operator)
    verifiers: list[tuple[int, str]]  # (user, grant path): office and supervisor grants
    operators: dict[int, list[int]]  # unit -> operator users
    operator_paths: dict[int, list[str]]  # user -> paths of their operator grants
    offices_at: dict[str, list[int]]  # unit path -> office users
    deciders: dict[int, int | None]  # group -> its leader, else a member
    group_people: dict[int, set[int]]  # group -> members and leader
    names: dict[int, str]  # user -> the name the services write (full name, else username)


@dataclass
class _Context:
    campaign: Campaign
    today: date
    seed: int
    now: datetime
    found_phases: tuple[int, ...]  # where problems are found (study, examine)
    rectify: int | None
    categories: tuple[str, ...]
    items: frozenset[str]
    tags: tuple[str, ...]
    sources: tuple[tuple[str, ...], tuple[float, ...]]
    themes: dict[str, tuple[Theme, ...]]
    units: list[_Unit]  # by path
    by_path: dict[str, _Unit]
    people: _People
    phase_count: int = 0
    scale_opinions: float = 0.0
    scale_problems: float = 0.0


# ---------------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------------


def _rng(seed: int, code: str) -> random.Random:
    """One unit's random numbers: fixed by the seed and the unit's code, whatever the order."""
    return random.Random((seed * 8 + STREAM) * 2**32 + zlib.crc32(code.encode()))


_MOMENTS: dict[date, list[datetime]] = {}


def _at(day: date, rng: random.Random, first: int = 8, last: int = 18) -> datetime:
    """A moment of office hours on ``day`` (local time, to ten minutes)."""
    moments = _MOMENTS.get(day)
    if moments is None:
        zone = timezone.get_default_timezone()
        moments = _MOMENTS[day] = [
            datetime.combine(day, clock(slot // 6, slot % 6 * 10), tzinfo=zone) for slot in range(24 * 6)
        ]
    return moments[first * 6 + int(rng.random() * (last - first) * 6)]


def _one(rng: random.Random, seq: Sequence[Any]) -> Any:
    """``rng.choice`` without its rejection sampling (a few times faster; plenty random for a demo)."""
    return seq[int(rng.random() * len(seq))]


def _int(rng: random.Random, first: int, last: int) -> int:
    """``rng.randint``, likewise."""
    return first + int(rng.random() * (last - first + 1))


def _day_between(rng: random.Random, first: date, last: date) -> date:
    span = (last - first).days
    return first if span <= 0 else first + timedelta(days=int(rng.random() * (span + 1)))


def _weighted(pairs: Sequence[tuple[Any, float]]) -> tuple[tuple[Any, ...], tuple[float, ...]]:
    return tuple(k for k, _w in pairs), tuple(accumulate(w for _k, w in pairs))


_CHANNELS = _weighted(CHANNELS)
_SEVERITIES = _weighted(SEVERITIES)
_SURNAMES = _weighted(demo_seed.SURNAMES)


def _pick(rng: random.Random, table: tuple[tuple[Any, ...], tuple[float, ...]]) -> Any:
    keys, cum = table
    return keys[bisect(cum, rng.random() * cum[-1])]


def _count(rng: random.Random, expected: float) -> int:
    """A whole number with the given expectation (its floor, one more with the fraction's chance), spread
    a little so that units alike are not all the same."""
    expected *= 0.5 + rng.random()
    n = int(expected)
    return n + (rng.random() < expected - n)


def _a_name(rng: random.Random) -> str:
    if rng.random() < 0.12:
        return _one(rng, demo_seed.MONGOL_MALE if rng.random() < 0.7 else demo_seed.MONGOL_FEMALE)
    chars = demo_seed.MALE_CHARS if rng.random() < 0.7 else demo_seed.FEMALE_CHARS
    given = _one(rng, chars) + (_one(rng, chars) if rng.random() < 0.75 else "")
    return _pick(rng, _SURNAMES) + given


# The people named as owners and responsible: drawn once (a few thousand), then picked from.
_NAMES = tuple(_a_name(random.Random(DEFAULT_SEED * 31 + n)) for n in range(4_000))


def _name(rng: random.Random) -> str:
    return _NAMES[int(rng.random() * len(_NAMES))]


_fingerprint = lru_cache(maxsize=200_000)(fingerprint)  # the same wordings recur in many units


def _phone(rng: random.Random) -> str:
    return _one(rng, demo_seed.PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


# Two characters of the tracking-code alphabet per ten random bits.
_PAIRS = tuple(a + b for a in TRACKING_ALPHABET for b in TRACKING_ALPHABET)


def _tracking_code(rng: random.Random, taken: set[str]) -> str:
    """A code like ``services.opinions.new_tracking_code``'s (its alphabet and length), from the seeded
    numbers so that the demo is the same every time; unique."""
    assert len(TRACKING_ALPHABET) == 32 and TRACKING_LENGTH % 2 == 0
    while True:
        bits = rng.getrandbits(5 * TRACKING_LENGTH)
        code = "".join(_PAIRS[(bits >> shift) & 1023] for shift in range(0, 5 * TRACKING_LENGTH, 10))
        if code not in taken:
            taken.add(code)
            return code


# ---------------------------------------------------------------------------------------------------------
# Reading the campaign
# ---------------------------------------------------------------------------------------------------------


def _read_units(campaign: Campaign) -> list[_Unit]:
    rows = (
        Participation.objects.filter(campaign=campaign)
        .order_by("path")
        .values_list("id", "unit_id", "unit__code", "unit__name", "path", "level", "kind", "batch__ordinal")
    )
    units = [
        _Unit(pid, uid, code, name, path, level, kind, batch, None)
        for pid, uid, code, name, path, level, kind, batch in rows.iterator(chunk_size=10_000)
    ]
    by_pid = {u.pid: u for u in units}
    actuals = (
        PhaseActual.objects.filter(participation__campaign=campaign)
        .order_by("participation_id", "phase")
        .values_list("participation_id", "phase", "start", "end")
    )
    for pid, phase, start, end in actuals.iterator(chunk_size=20_000):
        unit = by_pid[pid]
        if phase == len(unit.phases):  # phases in a row from the first
            unit.phases.append((start, end))
    assignments = (
        GroupAssignment.objects.filter(campaign=campaign)
        .order_by("participation_id", "override_reason", "group_id")
        .values_list("participation_id", "group_id")
    )
    for pid, gid in assignments.iterator(chunk_size=20_000):
        if by_pid[pid].group_id is None:
            by_pid[pid].group_id = gid
    return units


def _read_people(campaign: Campaign, units: Sequence[_Unit]) -> _People:
    desks: dict[int, list[int]] = defaultdict(list)
    operators: dict[int, list[int]] = defaultdict(list)
    operator_paths: dict[int, list[str]] = defaultdict(list)
    offices_at: dict[str, list[int]] = defaultdict(list)
    verifiers: list[tuple[int, str]] = []
    grants = (
        Grant.objects.filter(user__is_active=True, role__in=(Role.OFFICE, Role.OPERATOR, Role.SUPERVISOR))
        .order_by("unit__path", "user_id")
        .values_list("user_id", "unit_id", "unit__path", "role")
    )
    for user, unit, path, role in grants:
        if "change" in ROLE_ACTIONS[role]:
            desks[unit].append(user)
        if role == Role.OPERATOR:
            operators[unit].append(user)
            operator_paths[user].append(path)
        if role == Role.OFFICE:
            offices_at[path].append(user)
        if "verify" in ROLE_ACTIONS[role]:
            verifiers.append((user, path))
    members: dict[int, list[int]] = defaultdict(list)
    through = SupervisionGroup.members.through
    for gid, uid in (
        through.objects.filter(supervisiongroup__campaign=campaign)
        .order_by("supervisiongroup_id", "user_id")
        .values_list("supervisiongroup_id", "user_id")
    ):
        members[gid].append(uid)
    deciders: dict[int, int | None] = {}
    group_people: dict[int, set[int]] = {}
    for gid, leader in SupervisionGroup.objects.filter(campaign=campaign).values_list("pk", "leader_id"):
        deciders[gid] = leader or (members[gid][0] if members[gid] else None)
        people = set(members[gid]) | ({leader} if leader else set())
        if people:
            group_people[gid] = people
    names = {}
    for pk, first, last, username in User.objects.filter(pk__in=list(_users(desks, verifiers))).values_list(
        "pk", "first_name", "last_name", "username"
    ):
        names[pk] = f"{first} {last}".strip() or username
    return _People(
        dict(desks),
        verifiers,
        dict(operators),
        dict(operator_paths),
        dict(offices_at),
        deciders,
        group_people,
        names,
    )


def _users(desks: dict[int, list[int]], verifiers: Sequence[tuple[int, str]]) -> set[int]:
    return {user for people in desks.values() for user in people} | {user for user, _path in verifiers}


def _context(campaign: Campaign, today: date, seed: int) -> _Context:
    spec = campaign.spec
    keys = [p.key for p in spec.phases]
    found = (
        tuple(keys.index(k) for k in ("study", "examine") if k in keys)
        or tuple(k for k in (1, 2) if k < len(keys))
        or (0,)
    )
    rectify = keys.index("rectify") if "rectify" in keys else (3 if len(keys) > 3 else None)
    ledger = spec.ledger
    categories = tuple(t.key for t in ledger.categories)
    known = {t.key for t in ledger.sources}
    sources = _weighted([(k, w) for k, w in SOURCES if k in known] or [(t.key, 1) for t in ledger.sources])
    themes: dict[str, tuple[Theme, ...]] = {}
    for group, rows in THEMES.items():
        fitting = tuple(t for t in rows if t.category in categories)
        if not fitting:  # another campaign's taxonomy: its categories with plain texts
            fitting = tuple(
                Theme(
                    t.key,
                    "",
                    f"希望在{t.name}方面进一步改进",
                    f"{t.name}方面存在的问题",
                    ("召开专题会议研究整改措施", "建立台账，明确责任人和完成时限"),
                )
                for t in ledger.categories
            )
        themes[group] = fitting
    units = _read_units(campaign)
    return _Context(
        campaign=campaign,
        today=today,
        seed=seed,
        now=_latest(today),
        found_phases=found,
        rectify=rectify,
        categories=categories,
        items=frozenset(t.key for t in ledger.items),
        tags=tuple(t.key for t in ledger.tags),
        sources=sources,
        themes=themes,
        units=units,
        by_path={u.path: u for u in units},
        people=_read_people(campaign, units),
        phase_count=len(keys),
    )


# ---------------------------------------------------------------------------------------------------------
# One unit's ledger
# ---------------------------------------------------------------------------------------------------------


def _reached(ctx: _Context, u: _Unit) -> int:
    """The phase the unit is in (or the number of phases when it is done); -1 before its start."""
    if not u.phases:
        return -1
    if len(u.phases) == ctx.phase_count and u.phases[-1][1] is not None:
        return len(u.phases)
    return len(u.phases) - 1


def _weights(ctx: _Context, u: _Unit) -> tuple[float, float]:
    reached = _reached(ctx, u)
    if reached < 0:
        return 0.0, 0.0
    w_op, w_pr = WEIGHTS[u.group]
    boost = LEVEL_BOOST.get(u.level, 1.0)
    first = ctx.found_phases[0]
    if reached < first:
        return 0.25 * w_op * boost, 0.0
    if reached == first and len(ctx.found_phases) > 1:
        return 0.7 * w_op * boost, 0.45 * w_pr * boost
    return w_op * boost, w_pr * boost


def _span(ctx: _Context, u: _Unit, k: int) -> tuple[date, date] | None:
    """Phase k's days as it ran (to today when still open), None when not reached."""
    if k >= len(u.phases):
        return None
    start, end = u.phases[k]
    return start, min(end or ctx.today, ctx.today)


def _opinion_text(rng: random.Random, op: _Opinion, issue: str, taken: set[str]) -> bool:
    """The opinion's words (its channel's way of putting it): False when every wording is taken in the unit
    (the intake would refuse a duplicate)."""
    openers, endings = OPENERS[op.channel], REQUESTS if op.theme is not None else REMARK_ENDINGS
    for _attempt in range(6):
        text = _one(rng, openers) + issue + _one(rng, endings)
        if text.endswith("。。"):
            text = text[:-1]
        printed = _fingerprint(text)
        if printed not in taken:
            taken.add(printed)
            op.text, op.print = text, printed
            return True
    return False


def _new_opinion(
    ctx: _Context,
    rng: random.Random,
    u: _Unit,
    theme: Theme | None,
    received: date,
    taken: set[str],
    issue: str | None = None,
) -> _Opinion | None:
    op = _Opinion(u, theme, received)
    op.channel = _pick(rng, _CHANNELS)
    if not _opinion_text(rng, op, issue or (theme.issue if theme else _one(rng, REMARKS)), taken):
        return None
    if rng.random() < (0.35 if op.channel == Channel.WEB else 0.1):
        op.contact = _phone(rng)
    op.at = _at(received, rng, 7, 22) if op.channel == Channel.WEB else _at(received, rng)
    op.by = None if op.channel == Channel.WEB else u.operator
    return op


def _unit_ledger(
    ctx: _Context, u: _Unit, rng: random.Random, opinions_expected: float, problems_expected: float
) -> tuple[list[_Opinion], list[_Problem]]:
    today = ctx.today
    reached = _reached(ctx, u)
    start = u.phases[0][0]
    last = today
    if ctx.rectify is not None and reached > ctx.rectify:
        last = min(today, (u.phases[ctx.rectify][1] or today) + timedelta(days=30))
    themes = ctx.themes[u.group]
    taken: set[str] = set()
    opinions: list[_Opinion] = []
    problems: list[_Problem] = []
    role = ROLES[u.group]

    spans = [(k, s) for k in ctx.found_phases if (s := _span(ctx, u, k)) is not None]
    for _n in range(_count(rng, problems_expected) if spans else 0):
        theme = _one(rng, themes)
        k, (first, end) = spans[0] if len(spans) == 1 or rng.random() < 0.4 else spans[1]
        p = _Problem(u, theme, _day_between(rng, first, end))
        p.phase = k
        p.source = _pick(rng, ctx.sources)
        p.item = theme.item if theme.item in ctx.items else ""
        if ctx.tags and rng.random() < 0.7:
            p.tags = tuple(sorted(set(rng.sample(ctx.tags, _one(rng, (1, 1, 2))))))
        p.severity = _pick(rng, _SEVERITIES)
        p.owner = f"{_name(rng)}（{_one(rng, role)}）"
        lead = SOURCE_LEADS.get(p.source, "")
        p.description = f"{lead}{theme.issue}。" if lead else f"{theme.issue}。"
        p.at, p.by = _at(p.found, rng), u.operator
        problems.append(p)
        if p.source == "public":  # the opinions it was made of, received before
            linked = 1 if rng.random() < 0.7 else 2 if rng.random() < 0.83 else 3
            for _m in range(linked):
                op = _new_opinion(ctx, rng, u, theme, _day_between(rng, start, p.found), taken)
                if op is None:
                    continue
                op.status, op.problem = OpinionStatus.PROBLEM, p
                if rng.random() < 0.3:
                    op.reply = _one(rng, REPLIES)
                    op.replied = _at(
                        _day_between(rng, p.found, min(today, p.found + timedelta(days=10))), rng
                    )
                opinions.append(op)
                if rng.random() < 0.1:  # a near-identical one merged into it
                    dup = _new_opinion(ctx, rng, u, theme, _day_between(rng, op.received, p.found), taken)
                    if dup is not None:
                        dup.status, dup.merged, dup.problem = OpinionStatus.MERGED, op, p
                        opinions.append(dup)

    said: dict[str, list[_Opinion]] = defaultdict(list)  # by what was said: what a repeat merges into
    for op in opinions:
        if op.merged is None and op.theme is not None:
            said[op.theme.issue].append(op)
    for _n in range(max(0, _count(rng, opinions_expected) - len(opinions))):
        theme = _one(rng, themes) if rng.random() < 0.65 else None
        issue = theme.issue if theme is not None else _one(rng, REMARKS)
        received = _day_between(rng, start, last)
        before = said.get(issue)
        if before and rng.random() < 0.25:  # said again: merged into what was said before
            into = _one(rng, before)
            op = _new_opinion(ctx, rng, u, theme, max(received, into.received), taken, issue)
            if op is not None:
                op.status, op.merged, op.problem = OpinionStatus.MERGED, into, into.problem
                opinions.append(op)
            continue
        op = _new_opinion(ctx, rng, u, theme, received, taken, issue)
        if op is None:
            continue
        said[issue].append(op)
        age = (today - received).days
        r = rng.random()
        if (age < 14 and r < 0.7) or r < 0.18:
            pass  # still to triage
        elif r < (0.34 if theme is not None else 0.45):
            op.status, op.reason = OpinionStatus.CLOSED, _one(rng, CLOSE_REASONS)
        else:
            op.status = OpinionStatus.REPLIED
            op.reply = _one(rng, REPLIES if theme else REMARK_REPLIES)
        if op.status == OpinionStatus.REPLIED or (op.status == OpinionStatus.CLOSED and rng.random() < 0.4):
            op.reply = op.reply or _one(rng, REMARK_REPLIES)
            op.replied = _at(_day_between(rng, received, min(today, received + timedelta(days=15))), rng)
        opinions.append(op)
    return opinions, problems


# ---------------------------------------------------------------------------------------------------------
# Escalations, tasks
# ---------------------------------------------------------------------------------------------------------


def _leaders_above(ctx: _Context, u: _Unit) -> list[_Unit]:
    """The leadership units among the unit's ancestors, nearest first (where it may send a problem)."""
    out = []
    path = u.path[:-SEGMENT_WIDTH]
    while path:
        above = ctx.by_path.get(path)
        if above is not None and above.kind == "leadership":
            out.append(above)
        path = path[:-SEGMENT_WIDTH]
    return out


def _desk(ctx: _Context, u: _Unit) -> int | None:
    people = ctx.people.desks.get(u.id)
    return people[0] if people else None


def _escalate(ctx: _Context, rng: random.Random, p: _Problem) -> None:
    """Send the problem up (maybe twice): accepted, returned or still pending today."""
    today = ctx.today
    for hop in range(2):
        if rng.random() >= (ESCALATE[p.unit.group] if hop == 0 else 0.15):
            return
        above = _leaders_above(ctx, p.unit)
        if not above:
            return
        to = above[0] if len(above) == 1 or rng.random() < 0.85 else above[1]
        sent_day = p.since + timedelta(days=_int(rng, 1, 12))
        if sent_day > today:
            return
        e = _Escalation(
            p, p.unit, to, _one(rng, ESCALATE_REASONS[p.unit.group]), _at(sent_day, rng), _desk(ctx, p.unit)
        )
        p.escalations.append(e)
        decided_day = sent_day + timedelta(days=_int(rng, 1, 14))
        if decided_day > today:  # still waiting
            p.status, p.pending = ProblemStatus.ESCALATED, to
            return
        e.decided = max(_at(decided_day, rng), e.sent + timedelta(hours=1))
        e.decided_by = _desk(ctx, to)
        p.since = decided_day
        if rng.random() < 0.68:
            e.state, e.answer = EscalationState.ACCEPTED, _one(rng, ACCEPT_ANSWERS)
            p.unit = to
        else:
            e.state, e.answer = EscalationState.RETURNED, _one(rng, RETURN_ANSWERS)
            return


def _verifier(ctx: _Context, u: _Unit) -> int | None:
    """Who ticks off the unit's tasks in the demo: its group's decider (the demo's groups have people only
    where the personas are), else nobody known (recorded by the group outside the system)."""
    return ctx.people.deciders.get(u.group_id) if u.group_id is not None else None


def _task_fate(ctx: _Context, rng: random.Random, t: _Task, finished: bool) -> None:
    """How far the task got by today: claimed, verified, returned, deferred, reopened or still open."""
    today = ctx.today
    age = (today - t.created).days
    if age < 1:
        return
    span = max(1, (t.deadline - t.created).days)
    progress = min(1.0, age / span)
    claimed_share = 0.95 if finished else 0.2 + 0.55 * progress
    if rng.random() >= claimed_share:
        return
    claim_day = t.created + timedelta(days=_int(rng, min(age, 2), max(min(age, 2), min(age, span + 10))))
    if claim_day > today:
        return
    t.status, t.claim_note = TaskStatus.CLAIMED, _one(rng, CLAIM_NOTES)
    t.claimed_at, t.claimed_by = _at(claim_day, rng), t.unit.operator
    if rng.random() < 0.85:
        t.evidence.append(_at(max(t.created, claim_day - timedelta(days=_int(rng, 0, 3))), rng, 8, 12))
    decide_day = claim_day + timedelta(days=_int(rng, 1, 12))
    if decide_day > today:
        return  # waiting for the level above
    decided = max(_at(decide_day, rng), t.claimed_at + timedelta(hours=1))
    r = rng.random()
    verifier = _verifier(ctx, t.unit)
    if r < 0.8:
        t.status, t.verdict_note = TaskStatus.VERIFIED, _one(rng, ACCEPT_NOTES)
        t.verified_at, t.verified_by = decided, verifier
        if rng.random() < 0.02:
            reopen_day = decide_day + timedelta(days=_int(rng, 5, 30))
            if reopen_day <= today:
                t.status, t.verdict_note, t.reopened = TaskStatus.OPEN, _one(rng, REOPEN_REASONS), 1
    elif r < 0.9:
        t.status, t.verdict_note, t.verified_by = TaskStatus.OPEN, _one(rng, RETURN_NOTES), verifier
        if rng.random() < 0.5 and t.evidence:
            t.evidence.append(_at(min(today, decide_day + timedelta(days=_int(rng, 1, 5))), rng, 13, 17))
    else:
        t.status, t.verdict_note, t.verified_by = TaskStatus.DEFERRED, _one(rng, DEFER_NOTES), verifier
        t.deadline = decide_day + timedelta(days=_int(rng, 20, 150))


def _add_tasks(ctx: _Context, rng: random.Random, p: _Problem) -> None:
    if p.status == ProblemStatus.ESCALATED:
        return  # no measures while it waits upstairs (task_add refuses)
    today, owner = ctx.today, p.unit
    recent = (today - p.since).days < 7
    if rng.random() < (0.4 if recent else 0.06):
        return  # measures still to be drawn up
    n = 1 if rng.random() < 0.4 else 2 if rng.random() < 0.62 else 3
    finished = ctx.rectify is not None and _reached(ctx, owner) > ctx.rectify
    for i in range(n):
        created = min(today, p.since + timedelta(days=_int(rng, 0, 10)))
        deadline = created + timedelta(days=_one(rng, (15, 20, 30, 30, 45, 60, 60, 90, 120)))
        measure = p.theme.measures[i % 2] if i < 2 else "建立长效机制，定期“回头看”，防止问题反弹"
        t = _Task(p, owner, measure, created, deadline)
        t.responsible = _name(rng)
        t.at, t.by = _at(created, rng), owner.operator
        _task_fate(ctx, rng, t, finished)
        p.tasks.append(t)
    _sync(p)


def _sync(p: _Problem) -> None:
    """As ``_sync_problem``: done when it has tasks and every one is verified (on the last one's day)."""
    if p.status == ProblemStatus.ESCALATED:
        return
    if p.tasks and all(t.status == TaskStatus.VERIFIED for t in p.tasks):
        p.status = ProblemStatus.DONE
        p.done = max(timezone.localtime(t.verified_at).date() for t in p.tasks if t.verified_at)
    else:
        p.status, p.done = ProblemStatus.OPEN, None


# ---------------------------------------------------------------------------------------------------------
# Hand-overs, institutions
# ---------------------------------------------------------------------------------------------------------


def _receivers(ctx: _Context, targets: Iterable[_Unit]) -> dict[_Unit, int]:
    """For each target, the user who may change it from the nearest grant (its own office or operator, else
    one above it); units covered from the root only are left out when deeper ones exist."""
    out: dict[_Unit, tuple[int, int]] = {}
    for u in targets:
        path = u.path
        while path:
            above = ctx.by_path.get(path)
            people = ctx.people.desks.get(above.id, []) if above is not None else []
            if people:
                out[u] = (len(path), people[0])
                break
            path = path[:-SEGMENT_WIDTH]
    deeper = {u: who for u, (depth, who) in out.items() if depth > SEGMENT_WIDTH}
    return deeper or {u: who for u, (_depth, who) in out.items()}


def _handovers(ctx: _Context, problems: Sequence[_Problem]) -> list[_Handover]:
    """Unfinished tasks of batch-one units linked to batch-two leadership units (leagues, counties) that
    have a receiver; some taken over, with the receiver's problem and task that follow them."""
    ordinals = sorted({u.batch for u in ctx.units})
    if len(ordinals) < 2:
        return []
    first = ordinals[0]
    later = [u for u in ctx.units if u.batch != first and u.kind == "leadership" and u.level in (2, 3)]
    receivers = _receivers(ctx, later)
    targets = sorted(receivers, key=lambda u: u.path)
    if not targets:
        return []
    start = min((u.phases[0][0] for u in ctx.units if u.batch != first and u.phases), default=ctx.today)
    out: list[_Handover] = []
    rng = _rng(ctx.seed, "handover")
    unfinished = [
        t
        for p in problems
        if p.origin.batch == first and p.unit.batch == first and p.status != ProblemStatus.ESCALATED
        for t in p.tasks
        if t.status in (TaskStatus.OPEN, TaskStatus.DEFERRED, TaskStatus.CLAIMED)
    ]
    for t in unfinished:
        if rng.random() >= 0.6:
            continue
        for to in rng.sample(targets, min(len(targets), _one(rng, (1, 1, 2)))):
            offered_day = _day_between(rng, start, min(ctx.today, start + timedelta(days=40)))
            h = _Handover(t, to, receivers[to], _one(rng, HANDOVER_NOTES), _at(offered_day, rng))
            out.append(h)
    seen: set[int] = set()
    for h in out:  # each receiver has one to take over; the others mostly taken over already
        if h.receiver not in seen:
            seen.add(h.receiver)
            continue
        accept_day = timezone.localtime(h.offered).date() + timedelta(days=_int(rng, 2, 20))
        if accept_day <= ctx.today and rng.random() < 0.7:
            _take_over(ctx, rng, h, accept_day)
    return out


def _take_over(ctx: _Context, rng: random.Random, h: _Handover, day: date) -> None:
    """As ``handover_accept``: the receiving unit gets a problem (raised by the batch-one unit) and a task."""
    original, to = h.task, h.to
    h.state, h.accepted = HandoverState.ACCEPTED, max(_at(day, rng), h.offered + timedelta(hours=1))
    source = original.problem
    p = _Problem(to, source.theme, day)
    p.origin, p.source, p.item, p.tags = original.unit, source.source, source.item, source.tags
    p.title, p.description, p.severity = source.title, source.description, source.severity
    name = ctx.people.names.get(h.receiver, "")
    p.owner, p.at, p.by = name, h.accepted, h.receiver
    deadline = original.deadline if original.deadline > day else day + timedelta(days=60)
    t = _Task(p, to, original.measure, day, deadline)
    t.responsible, t.at, t.by = name, h.accepted, h.receiver
    _task_fate(ctx, rng, t, finished=False)
    p.tasks.append(t)
    _sync(p)
    h.follow = t


def _institutions(ctx: _Context, problems_of: dict[_Unit, list[_Problem]]) -> list[_Institution]:
    out: list[_Institution] = []
    siblings: dict[str, list[_Unit]] = defaultdict(list)
    for u in ctx.units:
        if u.kind in ("leadership", "organ"):
            siblings[u.path[:-SEGMENT_WIDTH]].append(u)
    for u, problems in problems_of.items():
        examine = ctx.found_phases[-1]
        span = _span(ctx, u, examine)
        if span is None or not problems:
            continue
        rng = _rng(ctx.seed, "institution" + u.code)
        if rng.random() >= INSTITUTION_SHARE[u.group]:
            continue
        for title in rng.sample(INSTITUTIONS[u.group], min(len(INSTITUTIONS[u.group]), _one(rng, (1, 1, 2)))):
            adopted = _day_between(rng, span[0] + timedelta(days=5), ctx.today)
            answered = [p for p in problems if p.found <= adopted]
            if not answered:
                continue
            r = rng.random()
            action = (
                InstitutionAction.MADE
                if r < 0.7
                else InstitutionAction.REVISED
                if r < 0.95
                else (InstitutionAction.ABOLISHED)
            )
            partners = []
            if rng.random() < 0.12:
                near = [s for s in siblings.get(u.path[:-SEGMENT_WIDTH], []) if s is not u]
                partners = rng.sample(near, min(len(near), _one(rng, (1, 2))))
            out.append(
                _Institution(
                    u,
                    title if action != InstitutionAction.REVISED else f"{title}（修订）",
                    action,
                    adopted,
                    _at(adopted, rng),
                    u.operator,
                    rng.sample(answered, min(len(answered), _one(rng, (1, 2, 3)))),
                    partners,
                )
            )
    return out


# ---------------------------------------------------------------------------------------------------------
# The personas' day one
# ---------------------------------------------------------------------------------------------------------


def _ensure_persona_work(
    ctx: _Context,
    opinions_of: dict[_Unit, list[_Opinion]],
    problems: list[_Problem],
    handovers: list[_Handover],
) -> None:
    today = ctx.today
    rng = _rng(ctx.seed, "personas")
    people = ctx.people
    children: dict[str, list[_Unit]] = defaultdict(list)
    for u in ctx.units:
        children[u.path[:-SEGMENT_WIDTH]].append(u)
    desk_units = [u for u in ctx.units if people.desks.get(u.id)]

    # Opinions to triage where someone records.
    for u in desk_units:
        mine = opinions_of.get(u, [])
        waiting = sum(1 for o in mine if o.status == OpinionStatus.NEW)
        if waiting >= NEW_OPINIONS_PER_DESK or not u.phases:
            continue
        targets = {id(o.merged) for o in mine if o.merged is not None}
        for o in sorted(mine, key=lambda o: o.received, reverse=True):
            if waiting >= NEW_OPINIONS_PER_DESK:
                break
            if o.status in (OpinionStatus.REPLIED, OpinionStatus.CLOSED) and id(o) not in targets:
                o.status, o.reply, o.replied, o.reason = OpinionStatus.NEW, "", None, ""
                waiting += 1
        taken = {o.print for o in mine}
        while waiting < NEW_OPINIONS_PER_DESK:
            theme = _one(rng, ctx.themes[u.group])
            received = max(u.phases[0][0], today - timedelta(days=_int(rng, 0, 6)))
            op = _new_opinion(ctx, rng, u, theme, received, taken)
            if op is None:
                break
            opinions_of.setdefault(u, []).append(op)
            waiting += 1

    # An escalation from a unit below waiting where someone records.
    by_unit: dict[_Unit, list[_Problem]] = defaultdict(list)
    for p in problems:
        by_unit[p.unit].append(p)
    handed = {id(h.task.problem) for h in handovers} | {id(h.follow.problem) for h in handovers if h.follow}
    for u in desk_units:
        pending = sum(1 for p in problems if p.pending is u)
        below = sorted(children.get(u.path, []), key=lambda c: (not people.desks.get(c.id), c.path))
        for c in below:
            if pending >= PENDING_PER_DESK:
                break
            candidates = [
                p
                for p in by_unit.get(c, [])
                if p.status == ProblemStatus.OPEN
                and not p.escalations
                and p.found < today
                and id(p) not in handed
            ]
            fresh = [p for p in candidates if not p.tasks] or [
                p
                for p in candidates
                if all(t.status == TaskStatus.OPEN and not t.claimed_at for t in p.tasks)
            ]
            if not fresh:
                continue
            chosen = fresh[-1]
            chosen.tasks = []  # measures not drawn up yet: it went up first
            sent_day = max(chosen.found + timedelta(days=1), today - timedelta(days=_int(rng, 0, 4)))
            reason = _one(rng, ESCALATE_REASONS[c.group])
            chosen.escalations.append(_Escalation(chosen, c, u, reason, _at(sent_day, rng), _desk(ctx, c)))
            chosen.status, chosen.pending, chosen.done = ProblemStatus.ESCALATED, u, None
            pending += 1

    # Claimed tasks below whoever verifies.
    tasks_at: dict[_Unit, list[_Task]] = defaultdict(list)
    for p in problems:
        for t in p.tasks:
            tasks_at[t.unit].append(t)
    for user, path in people.verifiers:
        blocked = people.operator_paths.get(user, [])
        below = [c for c in children.get(path, []) if not any(c.path.startswith(b) for b in blocked)]
        below += [g for c in below for g in children.get(c.path, [])]
        claimed = [
            t
            for c in below
            for t in tasks_at.get(c, [])
            if t.status == TaskStatus.CLAIMED and t.claimed_by != user
        ]
        need = CLAIMS_PER_VERIFIER - len(claimed)
        for c in below:
            if need <= 0:
                break
            for t in tasks_at.get(c, []):
                if need <= 0:
                    break
                if t.status != TaskStatus.OPEN or t.claimed_at or t.reopened or t.created >= today:
                    continue
                day = _day_between(rng, max(t.created, today - timedelta(days=5)), today)
                t.status, t.claim_note = TaskStatus.CLAIMED, _one(rng, CLAIM_NOTES)
                t.claimed_at, t.claimed_by = min(_at(day, rng), ctx.now), t.unit.operator
                t.evidence = [t.claimed_at]
                _sync(t.problem)
                need -= 1
    # Each receiver of hand-overs has one still to take over: ``_handovers`` keeps the first offered.


# ---------------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------------

EVIDENCE_FILE = "ledger/demo/evidence.pdf"


def evidence_file() -> tuple[str, int]:
    """The shared demo PDF the demo's evidence rows point at (written once through the storage), as the
    history's materials do; a real upload gets its own file as always."""
    content = _pdf("Echelon demo evidence")
    name = EVIDENCE_FILE
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(content))
    return name, len(content)


def _next_id(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
        return int(cursor.fetchone()[0] or 0) + 1


def _write(
    ctx: _Context,
    opinions: Sequence[_Opinion],
    problems: Sequence[_Problem],
    handovers: Sequence[_Handover],
    institutions: Sequence[_Institution],
) -> dict[str, int]:
    a = _Adapt(ctx.now)
    campaign_id = ctx.campaign.pk
    tags_field = Problem._meta.get_field("tags")
    tags_cache: dict[tuple[str, ...], Any] = {}

    def tags(value: tuple[str, ...]) -> Any:
        out = tags_cache.get(value)
        if out is None:
            out = tags_cache[value] = tags_field.get_db_prep_save(list(value), connection)
        return out

    next_problem, next_task, next_opinion = _next_id(Problem), _next_id(Task), _next_id(Opinion)
    tasks: list[_Task] = []
    for n, p in enumerate(problems):
        p.id = next_problem + n
        tasks.extend(p.tasks)
    for n, t in enumerate(tasks):
        t.id = next_task + n
    for n, o in enumerate(opinions):
        o.id = next_opinion + n

    problem_rows = _Table(
        Problem,
        [
            "id",
            "campaign",
            "unit",
            "path",
            "level",
            "origin_unit",
            "origin_path",
            "pending_path",
            "title",
            "description",
            "source",
            "category",
            "item",
            "tags",
            "severity",
            "phase",
            "owner",
            "status",
            "found_on",
            "done_on",
            "created_at",
            "created_by",
        ],
    )
    for p in problems:
        problem_rows.rows.append(
            (
                p.id,
                campaign_id,
                p.unit.id,
                p.unit.path,
                p.unit.level,
                p.origin.id,
                p.origin.path,
                p.pending.path if p.pending else "",
                p.title,
                p.description,
                p.source,
                p.theme.category,
                p.item,
                tags(p.tags),
                p.severity,
                p.phase,
                p.owner,
                p.status,
                a.day(p.found),
                a.day(p.done),
                a.moment(p.at),
                p.by,
            )
        )
    task_rows = _Table(
        Task,
        [
            "id",
            "problem",
            "unit",
            "path",
            "level",
            "category",
            "item",
            "measure",
            "responsible",
            "deadline",
            "status",
            "claim_note",
            "claimed_at",
            "claimed_by",
            "verdict_note",
            "verified_at",
            "verified_by",
            "reopened",
            "created_at",
            "created_by",
        ],
    )
    evidence_rows = _Table(
        Evidence,
        [
            "task",
            "path",
            "version",
            "file",
            "original_name",
            "file_type",
            "size",
            "uploaded_at",
            "uploaded_by",
        ],
    )
    file_name, size = evidence_file() if any(t.evidence for t in tasks) else ("", 0)
    for t in tasks:
        u = t.unit
        task_rows.rows.append(
            (
                t.id,
                t.problem.id,
                u.id,
                u.path,
                u.level,
                t.problem.theme.category,
                t.problem.item,
                t.measure,
                t.responsible,
                a.day(t.deadline),
                t.status,
                t.claim_note,
                a.moment(t.claimed_at),
                t.claimed_by,
                t.verdict_note,
                a.moment(t.verified_at),
                t.verified_by,
                t.reopened,
                a.moment(t.at),
                t.by,
            )
        )
        for version, moment in enumerate(t.evidence, start=1):
            label = EVIDENCE_NAMES[(t.id + version) % len(EVIDENCE_NAMES)]
            evidence_rows.rows.append(
                (
                    t.id,
                    u.path,
                    version,
                    file_name,
                    f"{label}.pdf",
                    "pdf",
                    size,
                    a.moment(moment),
                    t.claimed_by,
                )
            )
    opinion_rows = _Table(
        Opinion,
        [
            "id",
            "campaign",
            "unit",
            "path",
            "level",
            "tracking_code",
            "channel",
            "text",
            "contact",
            "fingerprint",
            "status",
            "public_reply",
            "replied_at",
            "close_reason",
            "merged_into",
            "problem",
            "received_on",
            "created_at",
            "created_by",
        ],
    )
    codes: set[str] = set(Opinion.objects.values_list("tracking_code", flat=True))
    code_rng = _rng(ctx.seed, "tracking")
    for o in opinions:
        u = o.unit
        opinion_rows.rows.append(
            (
                o.id,
                campaign_id,
                u.id,
                u.path,
                u.level,
                _tracking_code(code_rng, codes),
                o.channel,
                o.text,
                o.contact,
                o.print,
                o.status,
                o.reply,
                a.moment(o.replied),
                o.reason,
                o.merged.id if o.merged else None,
                o.problem.id if o.problem else None,
                a.day(o.received),
                a.moment(o.at),
                o.by,
            )
        )
    escalation_rows = _Table(
        Escalation,
        [
            "problem",
            "from_unit",
            "from_path",
            "to_unit",
            "to_path",
            "reason",
            "state",
            "answer",
            "sent_at",
            "sent_by",
            "decided_at",
            "decided_by",
        ],
    )
    for p in problems:
        for e in p.escalations:
            escalation_rows.rows.append(
                (
                    p.id,
                    e.source.id,
                    e.source.path,
                    e.to.id,
                    e.to.path,
                    e.reason,
                    e.state,
                    e.answer,
                    a.moment(e.sent),
                    e.by,
                    a.moment(e.decided),
                    e.decided_by,
                )
            )
    handover_rows = _Table(
        Handover,
        [
            "id",
            "task",
            "from_unit",
            "from_path",
            "to_unit",
            "to_path",
            "receiver",
            "note",
            "state",
            "follow_task",
            "offered_at",
            "offered_by",
            "accepted_at",
        ],
    )
    next_handover = _next_id(Handover)
    for n, h in enumerate(handovers):
        h.id = next_handover + n
        t = h.task
        handover_rows.rows.append(
            (
                h.id,
                t.id,
                t.unit.id,
                t.unit.path,
                h.to.id,
                h.to.path,
                h.receiver,
                h.note,
                h.state,
                h.follow.id if h.follow else None,
                a.moment(h.offered),
                t.unit.operator,
                a.moment(h.accepted),
            )
        )
    institution_rows = _Table(
        Institution,
        [
            "id",
            "campaign",
            "unit",
            "path",
            "title",
            "action",
            "adopted_on",
            "summary",
            "document",
            "document_name",
            "created_at",
            "created_by",
        ],
    )
    answers = _Table(Institution.problems.through, ["institution", "problem"])
    partners = _Table(Institution.partners.through, ["institution", "unit"])
    next_institution = _next_id(Institution)
    for n, i in enumerate(institutions):
        i.id = next_institution + n
        institution_rows.rows.append(
            (
                i.id,
                campaign_id,
                i.unit.id,
                i.unit.path,
                i.title,
                i.action,
                a.day(i.adopted),
                INSTITUTION_SUMMARY,
                "",
                "",
                a.moment(i.at),
                i.by,
            )
        )
        answers.rows.extend((i.id, p.id) for p in i.problems)
        partners.rows.extend((i.id, u.id) for u in i.partners)

    counts = {}
    for name, table in (
        ("problems", problem_rows),
        ("tasks", task_rows),
        ("opinions", opinion_rows),
        ("evidence", evidence_rows),
        ("escalations", escalation_rows),
        ("handovers", handover_rows),
        ("institutions", institution_rows),
        ("institution_problems", answers),
        ("institution_partners", partners),
    ):
        counts[name] = table.write()
    counts["counters"] = _counters(opinions, problems)
    if connection.vendor != "sqlite":  # ids were given: the sequences go on after them
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [Problem, Task, Opinion, Handover, Institution]
            ):
                cursor.execute(sql)
    return counts


def _counters(opinions: Sequence[_Opinion], problems: Sequence[_Problem]) -> int:
    """The rollup counters (``ledger.rollup``) the services would have moved row by row: per unit, the
    opinions, problems and tasks of its whole subtree by category and status. Written in bulk when there are
    none yet (the demo's first ledger), else recomputed from all the rows (``rollup.rebuild``)."""
    if LedgerCount.objects.exists():
        return rollup.rebuild()
    # (path, category, status, item) of each row, as ``rollup.key_of`` reads them
    own: dict[str, Counter[tuple[str, str, str, str]]] = {
        CountKind.OPINION: Counter((o.unit.path, "", o.status, "") for o in opinions),
        CountKind.PROBLEM: Counter((p.unit.path, p.theme.category, p.status, p.item) for p in problems),
        CountKind.TASK: Counter(
            (t.unit.path, p.theme.category, t.status, p.item) for p in problems for t in p.tasks
        ),
    }
    subtree: Counter[tuple[str, str, str, str]] = Counter()
    for kind, counted in own.items():  # every ancestor's counter, by category and by item (``rollup._apply``)
        by_item = ITEM_KINDS.get(CountKind(kind))
        for (path, category, status, item), n in counted.items():
            key_kind, key_status = str(kind), str(status)
            for width in range(SEGMENT_WIDTH, len(path) + 1, SEGMENT_WIDTH):
                subtree[(path[:width], key_kind, category, key_status)] += n
                if by_item and item:
                    subtree[(path[:width], str(by_item), item, key_status)] += n
    table = _Table(LedgerCount, ["path", "depth", "kind", "category", "status", "n"])
    table.rows = sorted(
        (path, len(path) // SEGMENT_WIDTH, kind, category, status, n)
        for (path, kind, category, status), n in subtree.items()
    )
    return table.write()


def _notify(ctx: _Context, problems: Sequence[_Problem], handovers: Sequence[_Handover]) -> int:
    """The notices the services would have sent about what is still waiting, to the people who exist: a
    claim → the unit's group and the offices one level up (``notify_claim``); a pending escalation → the
    receiving unit's offices and operators; an offered hand-over → its receiver."""
    people = ctx.people
    rows: list[Notification] = []
    now = ctx.now
    task_type, problem_type = Task._meta.label_lower, Problem._meta.label_lower
    for p in problems:
        for t in p.tasks:
            if t.status != TaskStatus.CLAIMED or t.claimed_at is None:
                continue
            who = set(people.group_people.get(t.unit.group_id or 0, set()))
            who |= set(people.offices_at.get(t.unit.path[:-SEGMENT_WIDTH], []))
            if t.claimed_by is not None:
                who.discard(t.claimed_by)
            for user in sorted(who):
                rows.append(
                    Notification(
                        user_id=user,
                        kind=NotificationKind.LEDGER,
                        text=f"“{t.unit.name}”申请整改任务销号：{t.measure[:60]}",
                        target_type=task_type,
                        target_id=str(t.id),
                        created=min(t.claimed_at, now),
                    )
                )
        if p.status == ProblemStatus.ESCALATED and p.pending is not None:
            e = p.escalations[-1]
            for user in sorted(set(people.desks.get(p.pending.id, [])) - {e.by}):
                rows.append(
                    Notification(
                        user_id=user,
                        kind=NotificationKind.LEDGER,
                        text=f"“{e.source.name}”上报了问题“{p.title[:60]}”，请接收或退回。",
                        target_type=problem_type,
                        target_id=str(p.id),
                        created=min(e.sent, now),
                    )
                )
    for h in handovers:
        if h.state == HandoverState.OFFERED:
            rows.append(
                Notification(
                    user_id=h.receiver,
                    kind=NotificationKind.LEDGER,
                    text=f"“{h.task.unit.name}”把整改任务“{h.task.measure[:60]}”移交给“{h.to.name}”，请您承接。",
                    target_type=task_type,
                    target_id=str(h.task.id),
                    created=min(h.offered, now),
                )
            )
    Notification.objects.bulk_create(rows, batch_size=2_000)
    return len(rows)


# ---------------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------------


@dataclass
class LedgerResult:
    counts: dict[str, int]
    seconds: float
    states: dict[str, dict[str, int]] = field(default_factory=dict)

    def line(self) -> str:
        c, s = self.counts, self.states
        esc = s.get("escalations", {})
        return (
            f"问题台账：意见 {c['opinions']:,} 条（待处理 {s['opinions'].get('new', 0):,}），"
            f"问题 {c['problems']:,} 个（已销号 {s['problems'].get('done', 0):,}，上报中 "
            f"{s['problems'].get('escalated', 0):,}），整改任务 {c['tasks']:,} 项（待验收 "
            f"{s['tasks'].get('claimed', 0):,}，逾期 {c['overdue']:,}），上报 {c['escalations']:,} 次（接收 "
            f"{esc.get('accepted', 0):,}，退回 {esc.get('returned', 0):,}），承接 {c['handovers']:,} 项，"
            f"制度 {c['institutions']:,} 项，通知 {c['notifications']:,} 条；用时 {self.seconds:.1f} 秒。"
        )


def fill_ledger(
    campaign: Campaign,
    today: date | None = None,
    seed: int = DEFAULT_SEED,
    *,
    log: Callable[[str], Any] | None = None,
) -> LedgerResult:
    """Fill the campaign's ledger up to ``today`` (see the module's docstring). The campaign must have its
    history (``history.simulate``) and no ledger yet."""
    began, cpu = time.perf_counter(), time.process_time()
    say = log or (lambda _msg: None)

    def lap() -> str:
        return f"{time.perf_counter() - began:.1f} s (CPU {time.process_time() - cpu:.1f} s)"

    today = today or timezone.localdate()
    campaign = Campaign.objects.select_related("root").get(pk=campaign.pk)
    if Problem.objects.filter(campaign=campaign).exists():
        raise ValueError("the campaign already has a ledger")
    with transaction.atomic():
        ctx = _context(campaign, today, seed)
        weights = {u: _weights(ctx, u) for u in ctx.units}
        total_op = sum(w for w, _p in weights.values()) or 1.0
        total_pr = sum(p for _w, p in weights.values()) or 1.0
        ctx.scale_opinions = OPINIONS_PER_UNIT * len(ctx.units) / total_op
        ctx.scale_problems = PROBLEMS_PER_UNIT * len(ctx.units) / total_pr
        for u in ctx.units:
            ops = ctx.people.operators.get(u.id)
            u.operator = ops[0] if ops else None
        say(f"  读取 read: {len(ctx.units):,} 个参与单位，{lap()}")

        opinions_of: dict[_Unit, list[_Opinion]] = {}
        problems: list[_Problem] = []
        for u in ctx.units:
            w_op, w_pr = weights[u]
            if w_op <= 0:
                continue
            rng = _rng(seed, u.code)
            mine, found = _unit_ledger(ctx, u, rng, w_op * ctx.scale_opinions, w_pr * ctx.scale_problems)
            opinions_of[u] = mine
            for p in found:
                _escalate(ctx, rng, p)
                _add_tasks(ctx, rng, p)
            problems.extend(found)
        handovers = _handovers(ctx, problems)
        problems.extend(h.follow.problem for h in handovers if h.follow is not None)
        _ensure_persona_work(ctx, opinions_of, problems, handovers)
        problems_of: dict[_Unit, list[_Problem]] = defaultdict(list)
        for p in problems:
            problems_of[p.unit].append(p)
        institutions = _institutions(ctx, problems_of)
        opinions = [o for u in ctx.units for o in opinions_of.get(u, ())]
        say(f"  模拟 simulate: {lap()}")

        with _big_cache():
            counts = _write(ctx, opinions, problems, handovers, institutions)
        counts["overdue"] = sum(
            1
            for p in problems
            for t in p.tasks
            if t.status in (TaskStatus.OPEN, TaskStatus.DEFERRED) and t.deadline < today
        )
        counts["notifications"] = _notify(ctx, problems, handovers)
        db.analyze(m._meta.db_table for m in (Opinion, Problem, Task, Evidence, Escalation, LedgerCount))
        say(f"  写入 write: {lap()}")
        states = {
            "opinions": dict(Counter(str(o.status) for o in opinions)),
            "problems": dict(Counter(str(p.status) for p in problems)),
            "tasks": dict(Counter(str(t.status) for p in problems for t in p.tasks)),
            "escalations": dict(Counter(str(e.state) for p in problems for e in p.escalations)),
            "handovers": dict(Counter(str(h.state) for h in handovers)),
        }
        audit.record(
            actor=None,
            verb=verbs.LEDGER_SIMULATE,
            obj=campaign,
            unit_id=campaign.root_id,
            unit_path=campaign.path,
            after={"today": today, "seed": seed, "counts": counts, "states": states},
        )
    return LedgerResult(counts, time.perf_counter() - began, states)
