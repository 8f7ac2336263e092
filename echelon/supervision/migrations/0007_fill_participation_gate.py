"""Fill ``Participation.gate`` and ``gate_at`` (campaigns 0003, 0004) from the reviews already written: the
last review of each participation's current phase when it is open, or decided otherwise than a pass, and
the day of its submission or decision."""

from django.db import migrations


def fill(apps, schema_editor):
    Participation = apps.get_model("campaigns", "Participation")
    Review = apps.get_model("supervision", "Review")
    latest: dict[int, tuple] = {}
    rows = Review.objects.order_by("participation_id", "submitted_at", "id").values_list(
        "participation_id", "phase", "state", "decision", "submitted_at", "decided_at"
    )
    for participation_id, phase, state, decision, submitted, decided in rows.iterator(chunk_size=20_000):
        latest[(participation_id, phase)] = (state, decision, (decided or submitted).date())
    gates: dict[tuple, list[int]] = {}
    for pk, current in Participation.objects.values_list("id", "current_phase").iterator(chunk_size=20_000):
        state, decision, day = latest.get((pk, current), ("", "", None))
        gate = "open" if state == "open" else ("" if decision in ("", "pass") else decision)
        if gate:
            gates.setdefault((gate, day), []).append(pk)
    for (gate, day), ids in gates.items():
        for i in range(0, len(ids), 5_000):
            Participation.objects.filter(pk__in=ids[i : i + 5_000]).update(gate=gate, gate_at=day)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0004_participation_due"),
        ("supervision", "0006_review_explanations"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
