"""The workbench's lists read along an index in their own order (open: oldest submission first, ties by id;
returned: earliest deadline first) and stop after the rows the page shows, instead of sorting every review
of a busy group (thousands) per request."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("supervision", "0010_merge")]

    operations = [
        migrations.RemoveIndex(model_name="review", name="review_group_queue_idx"),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(
                fields=["group", "state", "submitted_at", "id"], name="review_group_queue_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(
                fields=["group", "state", "deadline", "decided_at"], name="review_group_returned_idx"
            ),
        ),
    ]
