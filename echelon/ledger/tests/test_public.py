"""The public side of the ledger (issue 11, item 1): a unit's page by its short link, the receipt, the
tracking page, the QR poster and the public API, without an account; and the abuse guard (rate limits per
address and per unit, honeypot, minimum fill time, lengths, duplicates, unknown units). Nothing about the
organization's inside shows: no contact, no other unit, no staff interface."""

from __future__ import annotations

import json
import re
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from echelon.core.models import AuditEvent
from echelon.ledger import services, throttle
from echelon.ledger.models import Opinion, OpinionStatus
from echelon.supervision.tests.helpers import make_campaign

pytestmark = pytest.mark.django_db

API = "/api/v1/public/opinions/"
CONTACT = "13912345678 王大爷"


def page_url(tree) -> str:
    return f"/p/{tree.village.code}/"


def form(code: str, text: str, contact: str = "", *, age: float = 10.0, **extra: str) -> dict[str, str]:
    """What the page's form posts, shown ``age`` seconds ago."""
    data = {"text": text, "contact": contact, "started": throttle.form_token(code, now=time.time() - age)}
    data["website"] = ""
    data.update(extra)
    return data


def post_page(client, tree, text: str, contact: str = "", address: str = "10.1.1.1", **kw):
    return client.post(page_url(tree), form(tree.village.code, text, contact, **kw), REMOTE_ADDR=address)


def post_api(client, payload, address: str = "10.1.1.1", **headers):
    return client.post(
        API,
        json.dumps(payload, ensure_ascii=False),
        content_type="application/json",
        REMOTE_ADDR=address,
        **headers,
    )


def body(response) -> str:
    return response.content.decode()


# --- the whole path ---------------------------------------------------------------------------------------


def test_anonymous_opinion_from_the_page_to_the_receipt_and_tracking(tree, client):
    page = client.get(page_url(tree))
    assert page.status_code == 200
    html = body(page)
    assert tree.village.name in html and tree.township.name in html  # the unit, its parent for orientation
    assert 'name="text"' in html and 'name="contact"' in html and 'name="website"' in html
    assert "只有本组织的办公室能看到" in html
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]

    sent = post_page(client, tree, "村里路灯坏了三个月没人修，晚上出行不便。")
    assert sent.status_code == 302 and sent["Location"].startswith("/p/receipt/")
    opinion = Opinion.objects.get()
    assert opinion.unit_id == tree.village.pk and opinion.contact == "" and opinion.channel == "web"
    assert opinion.created_by is None and opinion.status == OpinionStatus.NEW
    assert AuditEvent.objects.filter(verb="opinion.submit", object_id=str(opinion.pk)).exists()

    receipt = client.get(sent["Location"])
    assert receipt.status_code == 200
    assert f'data-code="{opinion.tracking_code}"' in body(receipt)
    assert f"/p/track/{opinion.tracking_code}/" in body(receipt)
    assert tree.village.name in body(receipt)

    tracking = client.get(f"/p/track/{opinion.tracking_code}/")
    assert tracking.status_code == 200
    assert "已收到，正在处理" in body(tracking) and "尚未答复" in body(tracking)
    # typed in lower case, with a dash, from the form: the same opinion
    typed = client.get(
        "/p/track/", {"code": f"{opinion.tracking_code[:5].lower()}-{opinion.tracking_code[5:]}"}
    )
    assert typed.status_code == 302 and typed["Location"] == f"/p/track/{opinion.tracking_code}/"


def test_with_a_contact_that_never_shows_and_a_reply_that_does(tree, personas, client):
    make_campaign(tree.region)
    sent = post_page(client, tree, "希望村务公开栏按月更新，账目写清楚。", CONTACT)
    assert sent.status_code == 302
    opinion = Opinion.objects.get()
    assert opinion.contact == CONTACT and opinion.campaign_id is not None

    services.opinion_reply(
        actor=personas["village_secretary"], opinion=opinion, reply="已按月更新公开栏，欢迎监督。"
    )
    tracking = client.get(f"/p/track/{opinion.tracking_code}/")
    html = body(tracking)
    assert "已答复" in html and "已按月更新公开栏，欢迎监督。" in html and "答复于" in html
    api = client.get(f"{API}{opinion.tracking_code}/")
    assert api.status_code == 200
    assert set(api.json()) == {
        "tracking_code",
        "unit",
        "received_on",
        "status",
        "status_label",
        "reply",
        "replied_at",
    }
    assert api.json()["status"] == "replied" and api.json()["reply"] == "已按月更新公开栏，欢迎监督。"
    assert api.json()["unit"] == tree.village.name
    for answer in (html, body(client.get(sent["Location"])), api.content.decode()):
        assert "13912345678" not in answer and "王大爷" not in answer
        assert opinion.text not in answer  # the opinion's own text is not shown to whoever holds the code


def test_the_api_path(tree, personas, client):
    make_campaign(tree.region)
    created = post_api(
        client, {"unit": tree.village.code, "text": "低保评定希望张榜公示。", "contact": CONTACT}
    )
    assert created.status_code == 201
    assert set(created.json()) == {"tracking_code"}
    code = created.json()["tracking_code"]
    opinion = Opinion.objects.get(tracking_code=code)
    assert opinion.contact == CONTACT and opinion.created_by is None
    anonymous = post_api(client, {"unit": tree.village.code, "text": "垃圾清运不及时，夏天有味道。"})
    assert anonymous.status_code == 201 and Opinion.objects.count() == 2

    services.opinion_close(actor=personas["village_secretary"], opinion=opinion, reason="已当面答复")
    status = client.get(f"{API}{code.lower()}/").json()
    assert status["status"] == "closed" and "13912345678" not in json.dumps(status, ensure_ascii=False)
    assert "已当面答复" not in json.dumps(status, ensure_ascii=False)  # the internal reason stays inside

    missing = client.get(f"{API}ZZZZZZZZZZ/")
    assert missing.status_code == 404 and "回执号" in missing.json()["detail"]


def test_a_signed_in_user_is_not_needed_and_staff_see_no_inside(tree, personas):
    staff = Client()
    staff.force_login(personas["county_office"])
    for url in (page_url(tree), "/p/track/", f"/p/{tree.village.code}/poster/"):
        html = body(staff.get(url))
        assert "county_office" not in html and "/ledger/" not in html and "/orgs/" not in html
        assert "/api/docs/" not in html and "dropdown-menu" not in html
    # nothing of the staff interface, no code of another unit
    html = body(Client().get(page_url(tree)))
    for unit in (tree.township, tree.county, tree.region, tree.sibling_village):
        assert not re.search(rf"(?<![0-9]){unit.code}(?![0-9])", html), unit.code
    assert tree.county.name not in html


def test_the_poster(tree, client, settings):
    poster = client.get(f"/p/{tree.village.code}/poster/")
    assert poster.status_code == 200
    html = body(poster)
    assert "向东土城村提意见" in html and "<svg" in html and 'viewBox="0 0 ' in html
    assert f"testserver/p/{tree.village.code}/" in html and "匿名" in html and "回执号" in html
    settings.ECHELON_PUBLIC_URL = "https://yijian.example.cn/"
    html = body(client.get(f"/p/{tree.village.code}/poster/"))
    assert f"https://yijian.example.cn/p/{tree.village.code}/" in html
    assert client.get("/p/999999/poster/").status_code == 404


def test_the_schema_describes_the_public_api(tree, personas):
    staff = Client()
    staff.force_login(personas["county_office"])
    schema = staff.get("/api/schema/?format=json").json()
    create = schema["paths"]["/api/v1/public/opinions/"]["post"]
    assert create["operationId"] == "public_opinion_create" and create["tags"] == ["public"]
    assert create.get("security", []) in ([], [{}])  # no login
    assert "201" in create["responses"] and "429" in create["responses"]
    detail = schema["paths"]["/api/v1/public/opinions/{tracking_code}/"]["get"]
    props = schema["components"]["schemas"]["PublicStatus"]["properties"]
    assert set(props) == {
        "tracking_code",
        "unit",
        "received_on",
        "status",
        "status_label",
        "reply",
        "replied_at",
    }
    assert "404" in detail["responses"]


# --- bad input --------------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script> 村委会办事要跑好几趟"
IMG = "<img src=x onerror=alert(1)> 医保报销手续太复杂"


def test_markup_is_stored_as_text_and_shown_escaped(tree, personas, client):
    assert post_page(client, tree, SCRIPT).status_code == 302
    assert post_api(client, {"unit": tree.village.code, "text": IMG}).status_code == 201
    assert set(Opinion.objects.values_list("text", flat=True)) == {SCRIPT, IMG}
    # the text comes back in the form when something is refused: escaped
    again = post_page(client, tree, IMG + " 又一次", age=0)
    assert again.status_code == 400
    assert "&lt;img src=x onerror=alert(1)&gt;" in body(again) and "<img src=x" not in body(again)
    # a reply with markup is shown as text on the tracking page
    opinion = Opinion.objects.get(text=SCRIPT)
    services.opinion_reply(actor=personas["village_secretary"], opinion=opinion, reply=IMG)
    html = body(client.get(f"/p/track/{opinion.tracking_code}/"))
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html
    assert "<script>alert(1)</script>" not in html


def test_a_megabyte_of_text_is_refused_in_chinese_and_nothing_written(tree, client):
    mega = "长" * 1_000_000
    api = post_api(client, {"unit": tree.village.code, "text": mega})
    assert api.status_code == 400 and "最多 2000 个字" in api.json()["detail"][0]
    page = post_page(client, tree, mega)
    assert page.status_code == 400 and "最多 2000 个字" in body(page)
    # beyond DATA_UPLOAD_MAX_MEMORY_SIZE (10 MB) the middleware refuses before any view
    huge = post_api(client, {"unit": tree.village.code, "text": "长" * 4_000_000})
    assert huge.status_code == 400 and huge.json()["detail"] == "提交的内容过大。"
    too_short = post_api(client, {"unit": tree.village.code, "text": "好"}, address="10.8.0.1")
    assert too_short.status_code == 400 and "太短" in too_short.json()["detail"][0]
    long_contact = post_api(
        client,
        {"unit": tree.village.code, "text": "正常的意见内容", "contact": "1" * 101},
        address="10.8.0.2",
    )
    assert long_contact.status_code == 400 and "联系方式" in long_contact.json()["detail"][0]
    for i, bad in enumerate(
        ([1, 2], {"unit": tree.village.code}, {"unit": tree.village.code, "text": {"a": 1}})
    ):
        refused = post_api(client, bad, address=f"10.8.1.{i}")
        assert refused.status_code == 400, refused.content
    not_json = client.post(API, "{not json", content_type="application/json", REMOTE_ADDR="10.9.9.9")
    assert not_json.status_code == 400 and "JSON" in not_json.json()["detail"]
    assert Opinion.objects.count() == 0


def test_an_unknown_unit(tree, client):
    api = post_api(client, {"unit": "999999", "text": "一条正常的意见内容"})
    assert api.status_code == 400 and "找不到该组织" in api.json()["detail"][0]
    page = client.get("/p/999999/")
    assert page.status_code == 404 and "找不到该组织" in body(page)
    posted = client.post("/p/999999/", form("999999", "一条正常的意见内容"))
    assert posted.status_code == 404
    tree.sibling_village.is_active = False
    tree.sibling_village.save(update_fields=["is_active"])
    assert client.get(f"/p/{tree.sibling_village.code}/").status_code == 404
    unknown = client.get("/p/track/ZZZZZZZZZZ/")
    assert unknown.status_code == 404 and "没有找到回执号" in body(unknown)
    assert client.get("/p/receipt/ZZZZZZZZZZ/").status_code == 404
    assert Opinion.objects.count() == 0


def test_a_flood_from_one_address_is_refused_with_429(tree, client):
    for i in range(3):
        assert post_page(client, tree, f"第{i}条意见：道路需要修补").status_code == 302
    for i in range(3, 5):
        assert (
            post_api(client, {"unit": tree.village.code, "text": f"第{i}条意见：道路需要修补"}).status_code
            == 201
        )
    api = post_api(client, {"unit": tree.village.code, "text": "第5条意见：道路需要修补"})
    assert api.status_code == 429 and "频繁" in api.json()["detail"]
    assert 0 < int(api["Retry-After"]) <= 600
    page = post_page(client, tree, "第6条意见：道路需要修补")
    assert page.status_code == 429 and "提交过于频繁" in body(page) and int(page["Retry-After"]) > 0
    assert "第6条意见：道路需要修补" in body(page)  # what was written is given back
    # X-Forwarded-For is not believed unless a setting says a proxy of ours sets it
    spoofed = post_api(
        client, {"unit": tree.village.code, "text": "第7条意见：道路需要修补"}, HTTP_X_FORWARDED_FOR="1.2.3.4"
    )
    assert spoofed.status_code == 429
    assert Opinion.objects.count() == 5
    # another address is not affected
    assert (
        post_api(
            client, {"unit": tree.village.code, "text": "另一户：道路需要修补"}, address="10.2.2.2"
        ).status_code
        == 201
    )


def test_per_unit_limit_and_trusted_proxy(tree, client, settings):
    settings.ECHELON_PUBLIC_PER_UNIT = (3, 3600)
    for i in range(3):
        sent = post_api(
            client, {"unit": tree.village.code, "text": f"第{i}户的意见内容"}, address=f"10.3.0.{i}"
        )
        assert sent.status_code == 201
    refused = post_api(client, {"unit": tree.village.code, "text": "第4户的意见内容"}, address="10.3.0.9")
    assert refused.status_code == 429
    assert (
        post_api(
            client, {"unit": tree.community.code, "text": "社区的意见内容"}, address="10.3.0.9"
        ).status_code
        == 201
    )

    settings.ECHELON_PUBLIC_PROXY_COUNT = 1
    settings.ECHELON_PUBLIC_PER_ADDRESS = (1, 600)
    first = post_api(
        client,
        {"unit": tree.community.code, "text": "代理后面的第一户"},
        address="127.0.0.1",
        HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7",
    )
    second = post_api(
        client,
        {"unit": tree.community.code, "text": "代理后面的第二户"},
        address="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.8",
    )
    assert first.status_code == 201 and second.status_code == 201  # two clients behind one proxy
    third = post_api(
        client,
        {"unit": tree.community.code, "text": "代理后面的第一户又来了"},
        address="127.0.0.1",
        HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7",  # a forged left part changes nothing
    )
    assert third.status_code == 429
    assert Opinion.objects.count() == 6


def test_client_address():
    from django.test import RequestFactory

    rf = RequestFactory()
    assert throttle.client_address(rf.get("/", REMOTE_ADDR="2001:db8:1:2:3:4:5:6")) == "2001:db8:1:2::/64"
    assert throttle.client_address(rf.get("/", REMOTE_ADDR="::ffff:10.0.0.1")) == "10.0.0.1"
    assert throttle.client_address(rf.get("/", REMOTE_ADDR="nonsense")) == "unknown"


def test_the_honeypot_and_the_fill_time(tree, client, settings):
    text = "村里的健身器材坏了，希望修一修。"
    trapped = post_page(client, tree, text, website="http://spam.example")
    assert trapped.status_code == 400 and "提交未成功" in body(trapped)
    assert text in body(trapped) and "spam.example" not in body(trapped)  # the text kept, the trap emptied
    fast = post_page(client, tree, text, age=0.5)
    assert fast.status_code == 400 and "提交得太快了" in body(fast) and text in body(fast)
    missing = client.post(page_url(tree), {"text": text}, REMOTE_ADDR="10.4.0.1")
    assert missing.status_code == 400 and "页面已失效" in body(missing)
    foreign = client.post(page_url(tree), form(tree.community.code, text), REMOTE_ADDR="10.4.0.2")
    assert foreign.status_code == 400
    old = post_page(client, tree, text, age=3 * 24 * 3600, address="10.4.0.3")
    assert old.status_code == 400 and "页面已失效" in body(old)
    forged = dict(form(tree.village.code, text), started="x:y:z")
    assert client.post(page_url(tree), forged, REMOTE_ADDR="10.4.0.4").status_code == 400
    assert Opinion.objects.count() == 0
    # the page re-shown carries a fresh token: sending again later works
    assert post_page(client, tree, text, address="10.4.0.5").status_code == 302


def test_a_duplicate_is_refused(tree, client):
    assert post_page(client, tree, "村卫生室经常没人值班。").status_code == 302
    again = post_page(client, tree, "村卫生室 经常没人值班！", address="10.5.0.2")
    assert again.status_code == 400 and "相同内容的意见已经收到" in body(again)
    api = post_api(client, {"unit": tree.village.code, "text": "村卫生室经常没人值班"}, address="10.5.0.3")
    assert api.status_code == 400 and "相同内容" in api.json()["detail"][0]
    assert Opinion.objects.count() == 1
    # the same text to another unit is another opinion
    other = post_api(
        client, {"unit": tree.community.code, "text": "村卫生室经常没人值班"}, address="10.5.0.4"
    )
    assert other.status_code == 201


def test_control_characters_are_refused(tree, client):
    refused = post_api(client, {"unit": tree.village.code, "text": "正常的意见\u202e内容"})
    assert refused.status_code == 400
    assert Opinion.objects.count() == 0


def test_lookups_are_rate_limited(tree, client, settings):
    settings.ECHELON_PUBLIC_LOOKUPS_PER_ADDRESS = (3, 60)
    opinion = services.opinion_submit_public(
        actor=AnonymousUser(), unit_code=tree.village.code, text="集体经济收支希望公开。"
    )
    for _ in range(3):
        assert client.get(f"/p/track/{opinion.tracking_code}/", REMOTE_ADDR="10.6.0.1").status_code == 200
    page = client.get(f"/p/track/{opinion.tracking_code}/", REMOTE_ADDR="10.6.0.1")
    assert page.status_code == 429 and "查询过于频繁" in body(page) and page["Retry-After"]
    assert "梯次" not in body(page)  # the public page, not the product's
    api = client.get(f"{API}{opinion.tracking_code}/", REMOTE_ADDR="10.6.0.1")
    assert api.status_code == 429 and "查询过于频繁" in api.json()["detail"]
    assert client.get(f"{API}{opinion.tracking_code}/", REMOTE_ADDR="10.6.0.2").status_code == 200


def test_only_get_and_post(tree, client):
    assert client.put(page_url(tree)).status_code == 405
    assert client.post(f"/p/{tree.village.code}/poster/").status_code == 405
    assert client.delete(API, REMOTE_ADDR="10.7.0.1").status_code == 405
    form_encoded = client.post(
        API, {"unit": tree.village.code, "text": "表单方式提交的意见"}, REMOTE_ADDR="10.7.0.2"
    )
    assert form_encoded.status_code in (400, 415)  # JSON only (a form read by the middleware comes empty)
    assert Opinion.objects.count() == 0
