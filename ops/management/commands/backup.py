from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backups import BackupError, back_up, database_label


class Command(BaseCommand):
    help = (
        "Back up the whole database to one file, in pg_dump's custom format. Restore it "
        "with the restore command."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="Where to write the backup (never overwritten); by default a new file in "
            "backups/ named for the time, UTC.",
        )

    def handle(self, *args, output, **options):
        try:
            path = back_up(path=output)
        except BackupError as error:
            raise CommandError(str(error)) from None
        size = path.stat().st_size
        self.stdout.write(f"Backed up the {database_label()} to {path} ({size:,} bytes).")
