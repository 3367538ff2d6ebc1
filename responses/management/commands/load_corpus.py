from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from recommendations.models import Report
from responses.corpus import LOADED, add_missing_documents
from responses.models import (
    Assessment,
    Evidence,
    GovernmentAssessment,
    NamedRecommendation,
    OrganisationNote,
)

# The organisations' own verdicts of the shared corpus's round 2, in a file of their own:
# a database that holds the earlier corpus gains them by natural key.
ROUND_2 = "responses_round2.json"
CORPUS_FIXTURES = ["recommendations.json", "responses.json", ROUND_2]


class Command(BaseCommand):
    help = (
        "Load the shipped corpus (the Final Report's recommendations, the organisations' "
        "documents, asks, judgements and notes) unless it is already there; to a database "
        "that holds an earlier corpus, add the documents it lacks."
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
            # loaddata bypasses save(), so give each judgement and note the "before" of
            # its first change.
            for model in (
                Assessment,
                Evidence,
                GovernmentAssessment,
                NamedRecommendation,
                OrganisationNote,
            ):
                model.history.bulk_history_create(
                    list(model.objects.all()), default_change_reason=LOADED
                )
        self.stdout.write(self.style.SUCCESS("Loaded the shipped corpus."))

    def _add_missing(self):
        fixtures = settings.FIXTURE_DIRS[0]
        try:
            added = add_missing_documents(
                fixture=fixtures / ROUND_2,
                recommendations_fixture=fixtures / "recommendations.json",
            )
        except ValidationError as error:
            raise CommandError(f"Nothing was added: {'; '.join(error.messages)}") from error
        if added:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Added {len(added)} document{'s' * (len(added) != 1)} of the shipped "
                    "corpus that this database did not hold; nothing else changed."
                )
            )
        else:
            self.stdout.write(
                "The corpus is already loaded; nothing changed (use --force to reload)."
            )
