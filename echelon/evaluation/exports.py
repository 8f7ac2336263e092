"""The evaluation's results in Excel: the subtree's figures per child unit (as on the board), then every
unit's current result (its latest closed session) with its redo, streamed by a write-only workbook."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from echelon.core import audit, tabular
from echelon.core.actors import Actor
from echelon.core.permissions import require
from echelon.core.tree import UPPER_BOUND
from echelon.evaluation import selectors, verbs
from echelon.evaluation.models import Redo, Session
from echelon.orgs.models import Unit


def _share(value: float | None) -> Any:
    return round(value * 100, 1) if value is not None else ""


def rollup_header() -> list[str]:
    return [
        _("单位"),
        _("单位代码"),
        _("参与单位"),
        _("已测评"),
        _("未测评"),
        _("满意票"),
        _("总票数"),
        _("满意率（%）"),
        _("低于补课线"),
        _("补课中"),
        _("补课完成"),
    ]


def unit_header() -> list[str]:
    return [
        _("单位"),
        _("单位代码"),
        _("轮次"),
        _("测评日期"),
        _("满意票"),
        _("总票数"),
        _("满意率（%）"),
        _("是否达标"),
        _("补课状态"),
    ]


def _unit_rows(campaign_id: int, focus: Unit) -> Iterator[list[Any]]:
    redo_status = {
        r["participation_id"]: r["status"]
        for r in Redo.objects.filter(
            campaign_id=campaign_id, path__gte=focus.path, path__lt=focus.path + UPPER_BOUND
        )
        .order_by("id")
        .values("participation_id", "status")
    }
    labels = dict(Redo._meta.get_field("status").flatchoices)
    rows = (
        Session.objects.filter(
            campaign_id=campaign_id, current=True, path__gte=focus.path, path__lt=focus.path + UPPER_BOUND
        )
        .order_by("path")
        .values_list(
            "unit__name",
            "unit__code",
            "round",
            "held_on",
            "satisfied_votes",
            "total_votes",
            "satisfied_share",
            "passed",
            "participation_id",
        )
        .iterator(chunk_size=5000)
    )
    for name, code, rnd, held_on, sat, total, share, passed, participation in rows:
        status = redo_status.get(participation)
        yield [
            name,
            code,
            rnd,
            held_on,
            sat,
            total,
            _share(share),
            _("是") if passed else _("否"),
            str(labels.get(status, "")) if status else "",
        ]


def results_xlsx(*, actor: Actor, focus: Unit) -> bytes:
    """The workbook of ``focus``'s subtree (audited as an export of that unit)."""
    with transaction.atomic():
        require(actor, "export", focus.path)
        campaign = selectors.campaign_for(focus)
        out = io.BytesIO()
        if campaign is None:
            tabular.write_xlsx(out, rollup_header(), [], title=_("满意度测评"))
        else:
            board = selectors.rollup(campaign, focus)
            summary = [
                [
                    r.unit.name if r.unit else r.path,
                    r.unit.code if r.unit else "",
                    r.units,
                    r.evaluated,
                    r.not_evaluated,
                    r.satisfied_votes,
                    r.total_votes,
                    _share(r.share),
                    r.below,
                    r.redo_open,
                    r.redo_done,
                ]
                for r in [*board.rows, board.total]
            ]
            units = [unit_header(), *_unit_rows(campaign.pk, focus)]
            tabular.write_xlsx(
                out, rollup_header(), summary, title=_("汇总"), extra_sheets=[(_("各单位结果"), units)]
            )
        audit.record(
            actor=actor,
            verb=verbs.EVALUATION_EXPORT,
            obj=focus,
            unit_id=focus.pk,
            unit_path=focus.path,
            after={"campaign": campaign.pk if campaign else None},
        )
        return out.getvalue()
