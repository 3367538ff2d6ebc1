#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carereview.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Are you sure it's installed and "
            "available on your PYTHONPATH environment variable? Did you "
            "forget to activate a virtual environment?"
        ) from exc
    from django.db import InterfaceError, OperationalError

    try:
        execute_from_command_line(sys.argv)
    except (OperationalError, InterfaceError) as error:
        from carereview.outage import database_address, first_line, is_connection_failure

        if not is_connection_failure(error):
            raise
        # Every command, one sentence: where the database was looked for and why it failed.
        sys.exit(f"Cannot reach the database at {database_address()}: {first_line(error)}")


if __name__ == "__main__":
    main()
