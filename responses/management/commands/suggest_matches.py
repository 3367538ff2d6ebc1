from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from recommendations.models import Recommendation
from responses.models import Ask, ResponseDocument
from responses.suggesting import store_suggestions


class Command(BaseCommand):
    help = (
        "Store an automatic suggestion, partly realised with evidence, for each ask with a "
        "close match among the recommendations; asks with none are left for a person, never "
        "stored absent. Asks judged by a person or by the organisation itself are left as "
        "they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--document", type=int, help="Only this document's asks (its id).")

    def handle(self, *args, document, **options):
        asks = Ask.objects.counted().select_related("assessment").order_by("document", "position")
        if document is not None:
            found = ResponseDocument.objects.filter(pk=document).first()
            if found is None:
                raise CommandError(f"No document with id {document}.")
            if not found.counts_asks:
                raise CommandError(f"“{found}” is a digest: its points are not asks.")
            asks = asks.filter(document=found)
        recommendations = list(Recommendation.objects.select_related("report"))
        if not recommendations:
            raise CommandError("The database holds no recommendations to match against.")

        asks = list(asks)
        with tqdm(total=len(asks), unit="ask", desc="Suggesting", disable=None) as progress:
            stored = store_suggestions(
                asks=asks, recommendations=recommendations, on_progress=progress.update
            )
        self.stdout.write(str(stored))
