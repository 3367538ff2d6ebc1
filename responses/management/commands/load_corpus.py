from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from recommendations.models import GovernmentStage, Report, StageQuote
from responses.corpus import LOADED, add_missing_documents, add_missing_stages
from responses.models import (
    Assessment,
    Evidence,
    GovernmentAssessment,
    NamedRecommendation,
    OrganisationNote,
)

STAGES_FIXTURE = "stages.json"
# The organisations' own verdicts of the shared corpus's round 2, in a file of their own:
# a database that holds the earlier corpus gains them by natural key.
ROUND_2 = "responses_round2.json"
CORPUS_FIXTURES = ["recommendations.json", "responses.json", STAGES_FIXTURE, ROUND_2]
# Rows whose history starts at loading: judgements, notes and what the Government did.
WITH_HISTORY = (
    Assessment,
    Evidence,
    GovernmentAssessment,
    NamedRecommendation,
    OrganisationNote,
    GovernmentStage,
    StageQuote,
)


class Command(BaseCommand):
    help = (
        "Load the shipped corpus (the Final Report's recommendations, what the Government "
        "did with them, the organisations' documents, asks, judgements and notes) unless it "
        "is already there; into a database that holds an earlier corpus, add the stage "
        "records and documents it lacks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "Load again even if the corpus is present, overwriting edits to shipped rows "
                "(matched by primary key: where round 2 was added to an earlier corpus, its "
                "rows may have other keys, and loading then stops, changing nothing)."
            ),
        )

    def handle(self, *args, force, **options):
        # Loading on every start would silently undo what admins corrected since.
        if Report.objects.filter(slug="final-report").exists() and not force:
            self._add_missing()
            return
        with transaction.atomic():
            call_command("loaddata", *CORPUS_FIXTURES, verbosity=0)
            # loaddata bypasses save(), so give each row the "before" of its first change.
            for model in WITH_HISTORY:
                model.history.bulk_history_create(
                    list(model.objects.all()), default_change_reason=LOADED
                )
        self.stdout.write(self.style.SUCCESS("Loaded the shipped corpus."))

    def _add_missing(self):
        """Add what the corpus shipped since this database was loaded: stage records and
        round 2's documents, in one transaction, so that a refusal of either adds
        nothing."""
        fixtures = Path(settings.FIXTURE_DIRS[0])
        try:
            with transaction.atomic():
                stages = add_missing_stages(fixture=fixtures / STAGES_FIXTURE)
                documents = add_missing_documents(
                    fixture=fixtures / ROUND_2,
                    recommendations_fixture=fixtures / "recommendations.json",
                )
        except ValidationError as error:
            raise CommandError(f"Nothing was added: {'; '.join(error.messages)}") from error
        if stages:
            self.stdout.write(
                self.style.SUCCESS(f"Added {stages} stage records of the shipped corpus.")
            )
        if documents:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Added {len(documents)} document{'s' * (len(documents) != 1)} of the "
                    "shipped corpus that this database did not hold."
                )
            )
        if not stages and not documents:
            self.stdout.write(
                "The corpus is already loaded; nothing changed (use --force to reload)."
            )
