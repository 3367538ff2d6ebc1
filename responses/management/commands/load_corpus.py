from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import transaction

from recommendations.models import GovernmentStage, Report, StageQuote
from responses.models import Assessment, Evidence

STAGES_FIXTURE = "stages.json"
CORPUS_FIXTURES = ["recommendations.json", "responses.json", STAGES_FIXTURE]
# Rows whose history starts at loading: judgements and what the Government did.
WITH_HISTORY = (Assessment, Evidence, GovernmentStage, StageQuote)
LOADED = "Loaded from the shipped corpus"
# What names a shipped stage record in a database that may have renumbered it.
STAGE_KEY = ("recommendation_id", "stage", "status", "date")


class Command(BaseCommand):
    help = (
        "Load the shipped corpus (the Final Report's recommendations, what the Government "
        "did with them, the organisations' documents, asks and assessments) unless it is "
        "already there; into a database that holds it, add the stage records it lacks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load again even if the corpus is present, overwriting edits to shipped rows.",
        )

    def handle(self, *args, force, **options):
        # Loading on every start would silently undo what admins corrected since.
        if Report.objects.filter(slug="final-report").exists() and not force:
            added = add_missing_stages()
            if added:
                self.stdout.write(
                    self.style.SUCCESS(f"Added {added} stage records of the shipped corpus.")
                )
            else:
                self.stdout.write(
                    "The corpus is already loaded; nothing changed (use --force to reload)."
                )
            return
        with transaction.atomic():
            call_command("loaddata", *CORPUS_FIXTURES, verbosity=0)
            # loaddata bypasses save(), so give each row the "before" of its first change.
            for model in WITH_HISTORY:
                model.history.bulk_history_create(
                    list(model.objects.all()), default_change_reason=LOADED
                )
        self.stdout.write(self.style.SUCCESS("Loaded the shipped corpus."))


@transaction.atomic
def add_missing_stages() -> int:
    """Add, with their quotes, the shipped stage records that the database has never held
    (by recommendation, stage, status and date), and say how many; change no other row.
    A record an editor corrected or deleted is in its history under its shipped key, so it
    does not come back. All or nothing: if a record's recommendation is not held, none."""
    path = Path(settings.FIXTURE_DIRS[0]) / STAGES_FIXTURE
    try:
        shipped = [item.object for item in serializers.deserialize("json", path.read_text())]
    except DeserializationError as error:
        raise CommandError(
            f"No stage records added: one is about a recommendation this database does not "
            f"hold. Add it, then run load_corpus again. ({error})"
        ) from error
    held = set(GovernmentStage.history.values_list(*STAGE_KEY))
    held |= set(GovernmentStage.objects.values_list(*STAGE_KEY))
    stages = {
        stage.pk: stage
        for stage in shipped
        if isinstance(stage, GovernmentStage)
        and tuple(getattr(stage, field) for field in STAGE_KEY) not in held
    }
    quotes = [q for q in shipped if isinstance(q, StageQuote) and q.stage_id in stages]
    # New primary keys: the shipped ones may belong to stages an editor added.
    for row in (*stages.values(), *quotes):
        row.pk = None
    GovernmentStage.objects.bulk_create(stages.values())
    for quote in quotes:
        quote.stage = stages[quote.stage_id]
    StageQuote.objects.bulk_create(quotes)
    GovernmentStage.history.bulk_history_create(list(stages.values()), default_change_reason=LOADED)
    StageQuote.history.bulk_history_create(quotes, default_change_reason=LOADED)
    return len(stages)
