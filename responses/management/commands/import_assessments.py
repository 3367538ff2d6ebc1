import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from responses.importing_assessments import import_assessments_file

# Off a terminal (a log, a pipe), a line of progress at least every so many asks recorded
# or every so many seconds, whichever comes first.
PROGRESS_EVERY_ASKS = 500
PROGRESS_EVERY_SECONDS = 5


class ProgressBar:
    """On a terminal: a bar, redrawn in place."""

    def __init__(self, out):
        self.out, self.bar = out, None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, file=self, unit="ask", desc="Recording changed asks")
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    # tqdm writes its frames here: through the command's stdout, without its line endings.
    def write(self, text: str) -> None:
        self.out.write(text, ending="")

    def flush(self) -> None:
        self.out.flush()


class ProgressLines:
    """Off a terminal: a plain line now and then, and none redrawn, so a log holds no
    carriage returns."""

    def __init__(self, out):
        self.out, self.shown, self.at = out, 0, time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if (
            done == total
            or done - self.shown >= PROGRESS_EVERY_ASKS
            or now - self.at >= PROGRESS_EVERY_SECONDS
        ):
            self.out.write(f"recorded {done:,} of {total:,} changed asks")
            self.shown, self.at = done, now

    def close(self) -> None:
        pass


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
        progress = (ProgressBar if self.stdout.isatty() else ProgressLines)(self.stdout)
        try:
            result = import_assessments_file(
                path=Path(file),
                force=force,
                user=who,
                reason=f"import_assessments {file}",
                progress=progress,
            )
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        finally:
            progress.close()
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
