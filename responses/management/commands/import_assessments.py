from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from responses.importing_assessments import import_assessments_file


class Command(BaseCommand):
    help = (
        "Read judgements back from asks.csv (as /export/asks.csv gives it): check every row, "
        "then record every changed ask in one transaction, or change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="asks.csv, UTF-8, with or without a BOM.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace judgements that the organisation made itself (otherwise an error).",
        )
        parser.add_argument(
            "--user", help="Username recorded in the history as who made the change."
        )

    def handle(self, *args, file, force, user, **options):
        who = None
        if user:
            who = get_user_model().objects.filter(username=user).first()
            if who is None:
                raise CommandError(f"No user is called {user!r}; nothing imported.")
        try:
            result = import_assessments_file(
                path=Path(file), force=force, user=who, reason=f"import_assessments {file}"
            )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        if result.errors:
            for line, message in result.errors:
                self.stderr.write(
                    f"{file}, line {line}: {message}" if line else f"{file}: {message}"
                )
            count = len(result.errors)
            raise CommandError(f"Nothing imported: {count} error{'s' * (count != 1)} in {file}.")
        for change in result.changed:
            self.stdout.write(
                f"Ask {change.ask_id} (line {change.line}): {change.before} -> {change.after}"
            )
        changed, unchanged = len(result.changed), result.unchanged
        self.stdout.write(
            self.style.SUCCESS(f"Imported {file}: {changed} asks changed, {unchanged} unchanged.")
        )
