from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backups import BackupError, check, database_label, restore


class Command(BaseCommand):
    help = (
        "Replace everything in the database with a backup made by the backup command, in "
        "one transaction: if anything fails, the database is left as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path, help="The backup file.")
        parser.add_argument(
            "--yes",
            action="store_true",
            help="Confirm that everything now in the database may be replaced.",
        )

    def handle(self, *args, backup, yes, **options):
        try:
            checked = check(path=backup)
            if not yes:
                raise CommandError(
                    f"{backup} is a backup of {checked.database} taken {checked.created}. "
                    f"Restoring it replaces everything in the {database_label()}; "
                    "nothing was changed. Run again with --yes to restore it "
                    "(make restore BACKUP=... CONFIRM=yes)."
                )
            restore(path=backup)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored the {database_label()} from {backup}, "
            f"a backup of {checked.database} taken {checked.created}."
        )
