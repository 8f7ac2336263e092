"""Patrol visits (巡查): a group's members record visits to its targets and the units one level below."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from echelon.accounts.models import user_of
from echelon.core import audit
from echelon.core.actors import Actor
from echelon.core.text import within_length
from echelon.orgs.models import Unit
from echelon.supervision import selectors, verbs
from echelon.supervision.models import PatrolVisit, SupervisionGroup

PATROL_FIELDS = ["group_id", "unit_id", "date", "findings"]


def patrol_record(
    *, actor: Actor, group: SupervisionGroup, unit: Unit, date: date, findings: str
) -> PatrolVisit:
    """A group member records a patrol visit (巡查) to a unit of the group's patrol scope: one of its
    targets, or a unit one level below a target. The date may not be in the future."""
    findings = within_length(findings, 5_000, _("巡查发现"))
    with transaction.atomic():
        group = SupervisionGroup.objects.select_related("campaign").get(pk=group.pk)
        unit = Unit.objects.get(pk=unit.pk)
        if actor is not None and not selectors.is_group_member(actor, group):
            raise PermissionDenied(_("只有督导组成员可以记录巡查。"))
        if not selectors.in_patrol_scope(group, unit):
            raise ValidationError(
                _("“%(unit)s”不在“%(group)s”的巡查范围内：只能巡查督导对象及其下一级单位。")
                % {"unit": unit.name, "group": group.name}
            )
        if date > timezone.localdate():
            raise ValidationError(_("巡查日期不能晚于今天：巡查过后再记录。"))
        if not findings:
            raise ValidationError(_("请填写巡查发现的情况和问题。"))
        visit = PatrolVisit.objects.create(
            group=group,
            campaign_id=group.campaign_id,
            unit=unit,
            path=unit.path,
            date=date,
            findings=findings[:5000],
            created_by=user_of(actor),
        )
        audit.record(
            actor=actor,
            verb=verbs.PATROL_RECORD,
            obj=visit,
            object_repr=f"{group.name} → {unit.name} {date.isoformat()}",
            unit_id=unit.pk,
            unit_path=unit.path,
            after=audit.snapshot(visit, PATROL_FIELDS),
        )
        return visit
