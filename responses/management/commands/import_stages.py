from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from responses.importing_stages import import_stages_file


class Command(BaseCommand):
    help = (
        "Read what the Government did back from stages.csv (as /export/stages.csv gives it): "
        "check every row, then update the stage records that differ and add the new ones in "
        "one transaction, or change nothing. Records not in the file are not touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="stages.csv, UTF-8, with or without a BOM.")
        parser.add_argument(
            "--user", required=True, help="Username recorded in the history as who made the change."
        )

    def handle(self, *args, file, user, **options):
        who = get_user_model().objects.filter(username=user).first()
        if who is None:
            raise CommandError(f"No user is called {user!r}; nothing imported.")
        try:
            result = import_stages_file(path=Path(file), user=who, reason=f"import_stages {file}")
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
                f"Stage {change.stage_id} of {change.ref} (line {change.line}): changed "
                f"{', '.join(change.changed)}"
            )
        for change in result.added:
            self.stdout.write(
                f"Stage {change.stage_id} of {change.ref} (line {change.line}): added"
            )
        changed, added, unchanged = len(result.changed), len(result.added), result.unchanged
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {file}: {changed} stage records changed, {added} added, "
                f"{unchanged} unchanged."
            )
        )
