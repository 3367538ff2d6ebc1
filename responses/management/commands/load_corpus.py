from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from recommendations.models import Report
from responses.models import Assessment, Evidence

CORPUS_FIXTURES = ["recommendations.json", "responses.json"]


class Command(BaseCommand):
    help = (
        "Load the shipped corpus (the Final Report's recommendations, the organisations' "
        "documents, asks and assessments) unless it is already there."
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
            self.stdout.write(
                "The corpus is already loaded; nothing changed (use --force to reload)."
            )
            return
        with transaction.atomic():
            call_command("loaddata", *CORPUS_FIXTURES, verbosity=0)
            # loaddata bypasses save(), so give each judgement the "before" of its first change.
            for model in (Assessment, Evidence):
                model.history.bulk_history_create(
                    list(model.objects.all()),
                    default_change_reason="Loaded from the shipped corpus",
                )
        self.stdout.write(self.style.SUCCESS("Loaded the shipped corpus."))
