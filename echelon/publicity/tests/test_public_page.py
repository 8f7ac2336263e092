"""The public unit page (issue 12 item 5) and the public API (item 9): what the unit published (frozen
copies), the opinion box and the tracking lookup of the ledger, no login; nothing unpublished, internal or
personal; a request for an unpublished item is a 404 that reveals nothing; the published part is cached
per unit and language and forgotten on publish and withdraw. The languages (item 6): the public pages
follow the cookie or the browser among Chinese and Mongolian; the staff pages do not."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from echelon.ledger import services as ledger
from echelon.publicity import services
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db

PROMISES = {"items": ["每月 5 日公开村务财务", "群众反映的问题 7 日内答复"]}
NOT_FOUND = "没有找到这项公示"


@pytest.fixture
def campaign(tree):
    return make_campaign(tree.region)


def _draft(personas, tree, kind="promises", content=None):
    return services.publication_create(
        actor=personas["village_secretary"], unit=tree.village, kind=kind, content=content
    )


def _published(personas, tree, kind="promises", content=PROMISES):
    p = _draft(personas, tree, kind, content if kind == "promises" else None)
    services.publication_submit(actor=personas["village_secretary"], publication=p)
    return services.publication_approve(actor=personas["township_operator"], publication=p)


def page(client, tree, **headers) -> str:
    response = client.get(f"/p/{tree.village.code}/", **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_what_is_published_with_the_opinion_box_and_tracking(tree, personas, campaign):
    ledger.problem_create(
        actor=personas["village_secretary"],
        unit=tree.village,
        title="路灯坏了没人修",
        category="bureaucratism",
        source="public",
        owner="王书记",
    )
    _published(personas, tree)
    _published(personas, tree, kind="problems")
    draft = _draft(personas, tree, content={"items": ["尚未审核的承诺"]})
    submitted = _draft(personas, tree, content={"items": ["等待审核的承诺"]})
    services.publication_submit(actor=personas["village_secretary"], publication=submitted)
    html = page(Client(), tree)
    assert "每月 5 日公开村务财务" in html and "路灯坏了没人修" in html
    assert (
        html.index("承诺事项") < html.index("问题清单和整改进展") < html.index('data-testid="opinion-form"')
    )
    assert 'data-testid="track-lookup"' in html and 'data-testid="language-switch"' in html
    assert "尚未审核的承诺" not in html and "等待审核的承诺" not in html
    assert "王书记" not in html and "village_secretary" not in html
    assert draft.pk  # (the draft exists, just not in public)


def test_an_unpublished_item_is_a_404_revealing_nothing(tree, personas, campaign):
    published = _published(personas, tree)
    draft = _draft(personas, tree, content={"items": ["草稿里的承诺"]})
    withdrawn = _published(personas, tree, content={"items": ["撤回的承诺"]})
    services.publication_withdraw(actor=personas["village_secretary"], publication=withdrawn, reason="有误")
    client = Client()
    ok = client.get(f"/p/{tree.village.code}/notice/{published.pk}/")
    assert ok.status_code == 200 and "每月 5 日公开村务财务" in ok.content.decode()
    assert 'data-testid="notice-qr"' in ok.content.decode()
    word = client.get(f"/p/{tree.village.code}/notice/{published.pk}/docx/")
    assert word.status_code == 200 and word.content[:2] == b"PK"
    import io

    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(word.content)).paragraphs)
    assert "东土城村承诺事项" in text and "1. 每月 5 日公开村务财务" in text and "公示期" in text
    assert client.get(f"/p/{tree.village.code}/notice/{draft.pk}/docx/").status_code == 404
    answers = [
        client.get(f"/p/{tree.village.code}/notice/{draft.pk}/"),
        client.get(f"/p/{tree.village.code}/notice/{withdrawn.pk}/"),
        client.get(f"/p/{tree.township.code}/notice/{published.pk}/"),  # another unit's address
        client.get(f"/p/999999999/notice/{published.pk}/"),  # no such unit
        client.get(f"/p/{tree.village.code}/notice/987654/"),
    ]
    # the same answer for all (but the language switch's token and the address it comes back to)
    bodies = {re.sub(r'name="(csrfmiddlewaretoken|next)"[^>]*', "", a.content.decode()) for a in answers}
    assert {a.status_code for a in answers} == {404} and len(bodies) == 1  # the same answer for all
    body = bodies.pop()
    assert NOT_FOUND in body and "草稿里的承诺" not in body and "撤回的承诺" not in body
    assert tree.village.name not in body


def test_the_published_part_is_cached_and_forgotten_on_publish_and_withdraw(tree, personas, campaign):
    client = Client()
    page(client, tree)
    with CaptureQueriesContext(connection) as first:
        page(client, tree)
    assert not any("publicity_publication" in q["sql"] for q in first.captured_queries)  # from the cache
    p = _published(personas, tree)
    assert "每月 5 日公开村务财务" in page(client, tree)
    assert "每月 5 日公开村务财务" in page(client, tree, HTTP_ACCEPT_LANGUAGE="mn")
    services.publication_withdraw(actor=personas["village_secretary"], publication=p, reason="有误")
    assert "每月 5 日公开村务财务" not in page(client, tree)
    assert "每月 5 日公开村务财务" not in page(client, tree, HTTP_ACCEPT_LANGUAGE="mn")


def test_a_notice_published_through_another_process_is_not_hidden_by_this_ones_cache(
    tree, personas, campaign, monkeypatch
):
    """Without Redis every gunicorn worker has a cache of its own (`make demo` runs two): publishing through
    one worker cannot delete the other's entries, so the other must not serve what it cached before. Here
    the deletions of the publishing "process" do not reach this test's cache."""
    from django.core.cache import cache as this_process

    client = Client()
    assert "每月 5 日公开村务财务" not in page(client, tree)  # cached here
    monkeypatch.setattr(this_process, "delete_many", lambda keys: None)
    monkeypatch.setattr(this_process, "delete", lambda key: None)
    p = _published(personas, tree)  # "in another process"
    assert "每月 5 日公开村务财务" in page(client, tree)
    services.publication_withdraw(actor=personas["village_secretary"], publication=p, reason="有误")
    assert "每月 5 日公开村务财务" not in page(client, tree)


def test_the_public_api_returns_only_what_is_published_and_the_pages_address(tree, personas, campaign):
    _published(personas, tree)
    _draft(personas, tree, content={"items": ["草稿里的承诺"]})
    response = Client().get(f"/api/v1/public/units/{tree.village.code}/")
    assert response.status_code == 200
    data = response.json()
    assert data["url"] == f"http://testserver/p/{tree.village.code}/"
    assert (data["code"], data["name"], data["parent"]) == (tree.village.code, "东土城村", "可可以力更镇")
    [item] = data["publications"]
    assert item["kind"] == "promises" and item["content"] == PROMISES
    assert "草稿里的承诺" not in response.content.decode()
    assert Client().get("/api/v1/public/units/999999999/").status_code == 404
    tree.sibling_village.is_active = False
    tree.sibling_village.save(update_fields=["is_active"])
    assert Client().get(f"/api/v1/public/units/{tree.sibling_village.code}/").status_code == 404


def test_public_pages_follow_the_browser_among_chinese_and_mongolian(tree, personas, campaign):
    _published(personas, tree)
    client = Client()
    mongolian = client.get(f"/p/{tree.village.code}/", HTTP_ACCEPT_LANGUAGE="mn")
    assert mongolian["Content-Language"] == "mn" and '<html lang="mn">' in mongolian.content.decode()
    assert "Accept-Language" in mongolian["Vary"]
    assert "pub-mn" in mongolian.content.decode()
    chinese = client.get(f"/p/{tree.village.code}/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")
    assert chinese["Content-Language"] == "zh-hans"
    other = client.get(f"/p/{tree.village.code}/", HTTP_ACCEPT_LANGUAGE="fr-FR,en;q=0.8")
    assert other["Content-Language"] == "zh-hans"  # neither offered: Chinese first
    api = client.get(f"/api/v1/public/units/{tree.village.code}/", HTTP_ACCEPT_LANGUAGE="mn")
    assert api["Content-Language"] == "mn"
    client.cookies["django_language"] = "zh-hans"  # the switch wins over the browser
    assert client.get(f"/p/{tree.village.code}/", HTTP_ACCEPT_LANGUAGE="mn")["Content-Language"] == "zh-hans"


def test_the_switch_sets_mongolian_and_staff_pages_stay_chinese(tree, personas, campaign):
    client = Client()
    client.post("/i18n/setlang/", {"language": "mn", "next": f"/p/{tree.village.code}/"})
    assert client.get(f"/p/{tree.village.code}/")["Content-Language"] == "mn"
    client.force_login(personas["village_secretary"])
    staff = client.get("/ledger/", HTTP_ACCEPT_LANGUAGE="mn")
    assert staff["Content-Language"] == "zh-hans"  # the cookie says mn: the staff side stays Chinese
    assert 'value="mn"' not in staff.content.decode()  # and its switch offers English only
    client.cookies["django_language"] = "en"
    assert client.get("/ledger/")["Content-Language"] == "en"


# --- Mongolian: every string of the public pages, and nothing Cyrillic --------------------------------------

PUBLIC_TEMPLATES = [
    "echelon/ledger/templates/ledger/public",
    "echelon/publicity/templates/publicity/public",
    "echelon/publicity/templates/publicity/kinds",
    "echelon/evaluation/templates/evaluation/public",
]
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
MONGOLIAN = re.compile(r"[\u1800-\u18af]")


def _template_strings() -> set[str]:
    from pathlib import Path

    strings: set[str] = set()
    for folder in PUBLIC_TEMPLATES:
        for path in Path(folder).glob("*.html"):
            text = path.read_text(encoding="utf-8")
            strings.update(re.findall(r"{% translate [\"']([^\"']+)[\"'] %}", text))
            for body in re.findall(r"{% blocktranslate[^%]*%}(.*?){% endblocktranslate %}", text, re.S):
                strings.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", body))
    return strings


def test_every_public_page_string_has_mongolian():
    from django.utils import translation

    strings = _template_strings()
    assert len(strings) > 50
    with translation.override("mn"):
        missing = sorted(s for s in strings if not MONGOLIAN.search(translation.gettext(s)))
    assert not missing, f"add these to echelon/locale/mn/LC_MESSAGES/django.po: {missing}"


def test_the_public_pages_in_mongolian_show_no_cyrillic(tree, personas, campaign):
    from django.contrib.auth.models import AnonymousUser

    p = _published(personas, tree)
    _published(personas, tree, kind="problems")
    opinion = ledger.opinion_submit_public(
        actor=AnonymousUser(), unit_code=tree.village.code, text="路灯坏了。"
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="mn")
    code = tree.village.code
    for url, status in [
        (f"/p/{code}/", 200),
        (f"/p/{code}/poster/", 200),
        (f"/p/{code}/notice/{p.pk}/", 200),
        ("/p/track/", 200),
        (f"/p/track/{opinion.tracking_code}/", 200),
        (f"/p/receipt/{opinion.tracking_code}/", 200),
        ("/p/track/ABCDEFGHJK/", 404),
        ("/p/no-such-unit/", 404),
    ]:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == status, url
        assert MONGOLIAN.search(html) and not CYRILLIC.search(html), url


def test_the_word_notice_of_a_problem_list(tree, personas, campaign):
    import io

    from docx import Document

    problem = ledger.problem_create(
        actor=personas["village_secretary"],
        unit=tree.village,
        title="路灯坏了没人修",
        category="bureaucratism",
        source="public",
    )
    ledger.task_add(
        actor=personas["village_secretary"],
        problem=problem,
        measure="更换路灯三盏",
        responsible="李会计",
        deadline=campaign.end,
    )
    p = _published(personas, tree, kind="problems")
    word = Client().get(f"/p/{tree.village.code}/notice/{p.pk}/docx/")
    table = Document(io.BytesIO(word.content)).tables[0]
    assert [c.text for c in table.rows[1].cells] == [
        "1",
        "路灯坏了没人修",
        "官僚主义",
        f"更换路灯三盏（限 {campaign.end.isoformat()} 前完成）",
        "整改中",
    ]
