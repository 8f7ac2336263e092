"""The `echelon` console script: the project's manage.py."""

import os
import sys


def _without_postgres_extras() -> None:
    """On SQLite, keep `django.contrib.postgres` (and with it psycopg, a fifth of a cold start) out of the
    process: django-tables2 imports it only to offer a column type for PostgreSQL's hstore, and treats it
    as absent when it cannot import it (as DRF and django-filter do). Nothing in Echelon uses it."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        sys.modules.setdefault("django.contrib.postgres.fields", None)  # type: ignore[arg-type]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echelon.settings")
    from django.core.management import execute_from_command_line

    _without_postgres_extras()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
