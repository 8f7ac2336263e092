"""Publicity's routes (the API ``api:publication-*``, the public ``api:public-unit`` and
``publicity_public:notice``) for core's access kit (echelon/core/tests/test_access.py): the objects they act
on, built once per test through the services, and their declarations.

The world (the built-in campaign on the region): 东土城村's notices, drafted by its secretary —
``draft`` (a draft), ``submitted`` and ``submitted_too`` (waiting for the level above), ``published``
(approved by the township's operator, on the public page).

Who is refused a write (the wrong role at the right place, ADR 11):
- drafting, editing, submitting, withdrawing the village's notices: who looks at the village without
  changing it (the county's supervisor, the liaison leader, the township's leader: 403);
- approving or returning: the village's secretary (who submitted it: a unit never approves its own
  publicity) and those who look on without changing (403).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from echelon.campaigns.models import Campaign
from echelon.publicity import services
from echelon.publicity.models import Publication
from echelon.supervision.tests.helpers import make_campaign

PROMISES = {"items": ["每月 5 日公开村务财务", "群众反映的问题 7 日内答复"]}
LOOK_ON = ("county_supervisor", "liaison_leader", "township_leader")
DECIDE_REFUSED = ("village_secretary", *LOOK_ON)
APPROVER = "township_operator"


def world(ctx: Any) -> SimpleNamespace:
    """The notices for one test (cached on the kit's context)."""
    cached = getattr(ctx, "_publicity", None)
    if cached is not None:
        found: SimpleNamespace = cached
        return found
    tree, p = ctx.tree, ctx.personas
    Campaign.objects.filter(root=tree.region).first() or make_campaign(tree.region)
    secretary = p["village_secretary"]

    def draft(text: str) -> Publication:
        return services.publication_create(
            actor=secretary, unit=tree.village, kind="promises", content={"items": [text]}
        )

    submitted, submitted_too, published = draft("承诺一"), draft("承诺二"), draft("承诺三")
    for row in (submitted, submitted_too, published):
        services.publication_submit(actor=secretary, publication=row)
    services.publication_approve(actor=p[APPROVER], publication=published)
    w = SimpleNamespace(
        draft=draft("承诺草稿"), submitted=submitted, submitted_too=submitted_too, published=published
    )
    ctx._publicity = w
    return w


def _built(c: Any) -> dict[str, Any]:
    world(c)
    return {}


def _pk(attr: str) -> Any:
    return lambda c: {"pk": getattr(world(c), attr).pk}


def _count(c: Any) -> int:
    return Publication.objects.count()


def _field(attr: str, field: str) -> Any:
    def read(c: Any) -> Any:
        row = getattr(world(c), attr)
        return Publication.objects.filter(pk=row.pk).values_list(field, flat=True).first()

    return read


def declarations(D: Any) -> dict[str, Any]:
    """The declarations of publicity's routes; ``D`` is the kit's ``Declared``."""
    secretary = "village_secretary"
    return {
        # --- public: no login
        "publicity_public:notice": D(
            kwargs=lambda c: {"code": c.tree.village.code, "pk": world(c).published.pk},
            allowed=None,
            public=True,
        ),
        "publicity_public:notice_docx": D(
            kwargs=lambda c: {"code": c.tree.village.code, "pk": world(c).published.pk},
            allowed=None,
            public=True,
        ),
        "api:public-unit": D(
            kwargs=lambda c: (world(c), {"code": c.tree.village.code})[1], allowed=None, public=True
        ),
        # --- staff pages
        "publicity:waiting": D(kwargs=_built, allowed=APPROVER, outsider="empty"),
        "publicity:unit": D(kwargs=lambda c: (world(c), {"code": c.tree.village.code})[1], allowed=secretary),
        "publicity:create": D(
            kwargs=lambda c: (world(c), {"code": c.tree.village.code})[1],
            allowed=secretary,
            method="POST",
            data=lambda c: {"kind": "promises", "title": "", "promises": "每周一接待群众"},
            ok=(302,),
            effect=_count,
            verb="publication.create",
            refused=LOOK_ON,
            refusal=(403,),
        ),
        "publicity:submit": D(
            kwargs=_pk("draft"),
            allowed=secretary,
            method="POST",
            ok=(302,),
            effect=_field("draft", "status"),
            verb="publication.submit",
            refused=LOOK_ON,
            refusal=(403,),
        ),
        "publicity:approve": D(
            kwargs=_pk("submitted"),
            allowed=APPROVER,
            method="POST",
            ok=(302,),
            effect=_field("submitted", "status"),
            verb="publication.approve",
            refused=DECIDE_REFUSED,
            refusal=(403,),
        ),
        "publicity:return": D(
            kwargs=_pk("submitted_too"),
            allowed=APPROVER,
            method="POST",
            data=lambda c: {"note": "承诺要具体"},
            ok=(302,),
            effect=_field("submitted_too", "status"),
            verb="publication.return",
            refused=DECIDE_REFUSED,
            refusal=(403,),
        ),
        "publicity:withdraw": D(
            kwargs=_pk("published"),
            allowed=secretary,
            method="POST",
            data=lambda c: {"reason": "内容有误，重新公示"},
            ok=(302,),
            effect=_field("published", "status"),
            verb="publication.withdraw",
            refused=LOOK_ON,
            refusal=(403,),
        ),
        # --- staff API: reads
        "api:publication-list": D(kwargs=_built, allowed=secretary, outsider="empty"),
        "api:publication-detail": D(kwargs=_pk("published"), allowed=secretary),
        # --- staff API: writes
        "api:publication-list POST": D(
            kwargs=_built,
            allowed=secretary,
            method="POST",
            data=lambda c: {"unit": c.tree.village.code, "kind": "promises", "content": PROMISES},
            ok=(201,),
            effect=_count,
            verb="publication.create",
            refused=LOOK_ON,
            refusal=(403,),
        ),
        "api:publication-detail PATCH": D(
            kwargs=_pk("draft"),
            allowed=secretary,
            method="PATCH",
            data=lambda c: {"content": {"items": ["每周一接待群众"]}},
            effect=_field("draft", "content"),
            verb="publication.update",
            refused=LOOK_ON,
            refusal=(403,),
        ),
        "api:publication-submit POST": D(
            kwargs=_pk("draft"),
            allowed=secretary,
            method="POST",
            effect=_field("draft", "status"),
            verb="publication.submit",
            refused=LOOK_ON,
            refusal=(403,),
        ),
        "api:publication-approve POST": D(
            kwargs=_pk("submitted"),
            allowed=APPROVER,
            method="POST",
            effect=_field("submitted", "status"),
            verb="publication.approve",
            refused=DECIDE_REFUSED,
            refusal=(403,),
        ),
        "api:publication-return POST": D(
            kwargs=_pk("submitted_too"),
            allowed=APPROVER,
            method="POST",
            data=lambda c: {"note": "承诺要具体"},
            effect=_field("submitted_too", "status"),
            verb="publication.return",
            refused=DECIDE_REFUSED,
            refusal=(403,),
        ),
        "api:publication-withdraw POST": D(
            kwargs=_pk("published"),
            allowed=secretary,
            method="POST",
            data=lambda c: {"reason": "内容有误，重新公示"},
            effect=_field("published", "status"),
            verb="publication.withdraw",
            refused=LOOK_ON,
            refusal=(403,),
        ),
    }
