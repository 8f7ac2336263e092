# Notifications live in core now (0004 copied the rows there).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0004_notifications_to_core'),
    ]

    operations = [
        migrations.DeleteModel(
            name='Notification',
        ),
        migrations.DeleteModel(
            name='NotificationDigest',
        ),
    ]
