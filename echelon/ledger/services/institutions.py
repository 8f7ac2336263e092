"""Institutions (建章立制): rules made, revised or abolished, each answering problems of the unit's list (or
its subtree's); a joint rule names the other units that made it together."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.permissions import require
from echelon.core.querysets import in_scope
from echelon.core.text import within_length
from echelon.ledger import verbs
from echelon.ledger.models import TEXT_MAX, Institution, InstitutionAction, Problem
from echelon.ledger.services.common import campaign_of, check_date, required_text, save_upload
from echelon.orgs.models import Unit

MAX_PARTNERS = 20


def institution_record(
    *,
    actor: Actor,
    unit: Unit,
    title: str,
    action: str,
    adopted_on: date | None,
    summary: str = "",
    problems: Iterable[Problem] = (),
    partners: Iterable[Unit] = (),
    fileobj: IO[bytes] | None = None,
    name: str = "",
) -> Institution:
    title = required_text(title, 200, _("制度名称"))
    summary = within_length((summary or "").strip(), TEXT_MAX, _("主要内容"))
    if action not in InstitutionAction.values:
        raise ValidationError(_("未知的制度类型“%(value)s”。") % {"value": str(action)[:20]})
    problems, partners = list(problems), [p for p in partners if p.pk != unit.pk]
    if len(partners) > MAX_PARTNERS:
        raise ValidationError(_("联合制定单位最多 %(n)d 个。") % {"n": MAX_PARTNERS})
    with transaction.atomic():
        require(actor, "change", unit.path)
        campaign = campaign_of(unit)
        if campaign is None:
            raise ValidationError(_("“%(unit)s”没有参加任何活动。") % {"unit": unit.name})
        adopted_on = check_date(adopted_on, _("印发日期"), campaign=campaign)
        visible = in_scope(actor, Problem.objects, "view").filter(pk__in=[p.pk for p in problems])
        if visible.count() != len({p.pk for p in problems}):
            raise ValidationError(_("所选问题中有您无权查看的问题。"))
        seen = in_scope(actor, Unit.objects, "view").filter(pk__in=[u.pk for u in partners])
        if seen.count() != len({u.pk for u in partners}):
            raise ValidationError(_("联合制定单位须在您的管理范围内。"))
        institution = Institution(
            campaign=campaign,
            unit=unit,
            path=unit.path,
            title=title,
            action=action,
            adopted_on=adopted_on,
            summary=summary,
            created_by=user_of(actor),
        )
        if fileobj is not None:
            institution.document_name, _kind, _size = save_upload(institution, "document", fileobj, name)
        try:
            institution.save()
        except Exception:
            if fileobj is not None:
                institution.document.delete(save=False)
            raise
        institution.problems.set(problems)
        institution.partners.set(partners)
        audit.record(
            actor=actor,
            verb=verbs.INSTITUTION_RECORD,
            obj=institution,
            object_repr=f"{unit.name} · {title}",
            unit_id=unit.pk,
            unit_path=unit.path,
            after={
                "action": action,
                "adopted_on": adopted_on,
                "problems": [p.pk for p in problems],
                "partners": [u.code for u in partners],
            },
        )
        return institution
