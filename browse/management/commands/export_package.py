import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from browse.package import write_package


class Command(BaseCommand):
    help = (
        "Write the data package (every CSV, datapackage.json, the data dictionary and "
        "CITATION.cff in one zip), the same bytes as /export/carereview-data.zip."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", type=Path, help="The zip file to write (replaced if it exists)."
        )

    def handle(self, *args, path: Path, **options):
        folder = path.parent
        if path.is_dir():
            raise CommandError(f"{path} is a folder: give the name of the zip file to write.")
        if not folder.is_dir():
            raise CommandError(f"There is no folder {folder} to write {path.name} in.")
        # Into a new file beside PATH, renamed over it once whole: a failure part way
        # leaves no half-written zip behind, nor a damaged earlier one.
        try:
            handle, partial = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
        except OSError as error:
            raise CommandError(f"Cannot write in {folder}: {error.strerror}.") from None
        try:
            # mkstemp's file is its owner's alone; a data package is for reading.
            os.fchmod(handle, 0o644)
            with os.fdopen(handle, "wb") as file:
                size = write_package(file, date=timezone.now().date())
            os.replace(partial, path)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        self.stdout.write(f"Wrote the data package to {path} ({size:,} bytes).")
