"""The supervision report as a Word document: content, official style, scoping of page and API."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document

from echelon.core.docx import period_label
from echelon.supervision import selectors, services
from echelon.supervision.models import Decision
from echelon.supervision.reports import build_report, report_title
from echelon.supervision.services import CheckResult
from echelon.supervision.tests.helpers import PREPARED, group, make_campaign, part, user
from echelon.supervision.tests.test_gates import meeting, upload

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def client_for(u):
    c = Client()
    c.force_login(u)
    return c


@pytest.fixture
def county_group(tree, personas, settings, tmp_path):
    """武川县第一督导组 supervising the township; the township's phase one done, phase two returned with a
    failed materials check."""
    settings.MEDIA_ROOT = tmp_path
    campaign = make_campaign(tree.region)
    supervisor = personas["county_supervisor"]
    g = group(campaign, tree.county, "武川县第一督导组", members=(supervisor,))
    services.assign(actor=None, group=g, participation=part(campaign, tree.township))
    operator = personas["township_operator"]
    p = part(campaign, tree.township)
    for key, evidence in _actions(p, 0):
        _do(operator, p, 0, key, evidence)
    services.gate_submit(actor=operator, participation=p, day=PREPARED)
    for key, evidence in _actions(p, 1):
        _do(operator, p, 1, key, evidence)
    review = services.gate_submit(actor=operator, participation=p)
    services.gate_decide(
        actor=supervisor,
        review=review,
        decision=Decision.RETURN,
        comment="征求意见不充分。",  # typed as a whole sentence: the report must not double its stop
        checks={
            "thinking": CheckResult(True),
            "materials": CheckResult(False, "意见汇总缺少群众来信。"),
            "work": CheckResult(True),
        },
        deadline=TODAY + timedelta(days=5),
    )
    return campaign, g


def _actions(p, phase):
    spec = p.campaign.spec
    return [(a.key, a.evidence) for a in spec.actions(spec.phases[phase].key, p.kind)]


def _do(actor, p, phase, key, evidence):
    if evidence == "material":
        upload(actor, p, phase, key)
    elif evidence == "meeting":
        meeting(actor, p, phase, key)
    else:
        services.action_confirm(actor=actor, participation=p, phase=phase, action_key=key)


def test_period_label_and_title(tree, county_group):
    _campaign, g = county_group
    assert period_label(date(2014, 3, 1), date(2014, 3, 31)) == "2014年3月1日—3月31日"
    assert period_label(date(2014, 12, 1), date(2015, 1, 31)) == "2014年12月1日—2015年1月31日"
    data = selectors.report_data(g, date(2014, 3, 1), date(2014, 3, 31))
    assert report_title(data) == "武川县第一督导组督导工作报告（2014年3月1日—3月31日）"


def test_the_document_opens_and_says_what_happened(tree, county_group):
    _campaign, g = county_group
    data = selectors.report_data(g, TODAY.replace(day=1), TODAY)
    assert data.by_decision["打回修改"] == 1 and data.open_now == 0
    doc = Document(io.BytesIO(build_report(data)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "武川县第一督导组督导工作报告" in text
    assert "一、基本情况" in text and "二、发现的问题" in text and "三、下一步工作" in text
    assert "可可以力更镇" in text and "征求意见不充分" in text and "意见汇总缺少群众来信" in text
    for doubled in ("。；", "。。", "；。", "；；", "。，"):
        assert doubled not in text, doubled
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert "可可以力更镇" in cells and tree.township.code in cells and "打回修改" in cells
    # official style: named styles with East Asian fonts, and fallbacks in the font table
    body = doc.styles["督导报告正文"]
    fonts = body.element.rPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rFonts")
    assert (
        fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋_GB2312"
    )
    assert doc.paragraphs[1].style.name == "督导报告一级标题"
    table = next(r.target_part for r in doc.part.rels.values() if r.reltype.endswith("/fontTable"))
    assert "仿宋_GB2312".encode() in table.blob and b"altName" in table.blob


def test_page_and_api_for_members_and_the_office_outsider_404(tree, personas, county_group):
    _campaign, g = county_group
    query = f"?start={TODAY.replace(day=1).isoformat()}&end={TODAY.isoformat()}"
    for who in ("county_supervisor", "county_office", "region_office"):
        c = client_for(personas[who])
        r = c.get(reverse("supervision:group_report_docx", args=[g.pk]) + query)
        assert r.status_code == 200 and r["Content-Type"] == DOCX, who
        assert "可可以力更镇" in "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
        page = c.get(reverse("supervision:group_report", args=[g.pk]) + query)
        assert page.status_code == 200 and "下载 Word 文档" in page.content.decode()
    api = client_for(personas["county_supervisor"]).get(f"/api/v1/supervision/groups/{g.pk}/report/{query}")
    assert api.status_code == 200 and api.content[:2] == b"PK"
    assert "武川县第一督导组" in "\n".join(p.text for p in Document(io.BytesIO(api.content)).paragraphs)
    # like the group page: whoever may view the dispatching county (its office, the liaison leader there)
    # or is in the group; a village below, a sibling league: 404
    for who in ("outsider", "village_secretary"):
        c = client_for(personas[who])
        assert c.get(reverse("supervision:group_report_docx", args=[g.pk])).status_code == 404, who
        assert c.get(f"/api/v1/supervision/groups/{g.pk}/report/").status_code == 404, who
    bad = client_for(personas["county_office"]).get(
        reverse("supervision:group_report_docx", args=[g.pk]) + "?start=2014-03-31&end=2014-03-01"
    )
    assert bad.status_code == 400
    stranger = client_for(user("stranger"))
    assert stranger.get(reverse("supervision:group_report", args=[g.pk])).status_code == 404
