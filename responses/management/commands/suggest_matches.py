from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from recommendations.models import Recommendation
from responses import assessments, matching
from responses.models import Ask, JudgedBy, ResponseDocument, Status


def _rationale(status: matching.StatusSuggestion, best: matching.Suggestion | None) -> str:
    if status.status == Status.ABSENT:
        closest = f" (closest: {best.recommendation.ref}, {best.score:.1f})" if best else ""
        return (
            f"Automatic suggestion: no recommendation scored {matching.MATCH_THRESHOLD:.0f} "
            f"or more out of 100{closest}. Not checked by a person."
        )
    cited = ", ".join(f"{m.recommendation.ref} ({m.score:.1f})" for m in status.matches)
    return f"Automatic suggestion from shared words: {cited}. Not checked by a person."


class Command(BaseCommand):
    help = (
        "Suggest a status and evidence for asks, stored as automatic suggestions. Asks "
        "judged by a person or by the organisation itself are left as they are."
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

        open_asks, skipped = [], 0
        for ask in asks:
            current = getattr(ask, "assessment", None)
            if assessments.may_replace(current=current, judged_by=JudgedBy.AUTOMATIC):
                open_asks.append(ask)
            else:
                skipped += 1

        counts = {Status.PARTLY: 0, Status.ABSENT: 0}
        with (
            transaction.atomic(),
            tqdm(total=len(open_asks), unit="ask", desc="Suggesting", disable=None) as progress,
        ):
            for start in range(0, len(open_asks), matching.BATCH_SIZE):
                batch = open_asks[start : start + matching.BATCH_SIZE]
                ranked = matching.suggest(
                    texts=[a.text for a in batch], recommendations=recommendations
                )
                for ask, suggestions in zip(batch, ranked):
                    status = matching.suggest_status(suggestions=suggestions)
                    assessments.record(
                        ask=ask,
                        status=status.status,
                        judged_by=JudgedBy.AUTOMATIC,
                        rationale=_rationale(status, suggestions[0] if suggestions else None),
                        evidence=[
                            (
                                m.recommendation,
                                matching.evidence_quote(
                                    recommendation_text=m.recommendation.text,
                                    shared_words=m.shared_words,
                                ),
                            )
                            for m in status.matches
                        ],
                        reason="suggest_matches",
                    )
                    counts[status.status] += 1
                    progress.update()
        self.stdout.write(
            f"Stored {len(open_asks)} automatic suggestion{'s' if len(open_asks) != 1 else ''}: "
            f"{counts[Status.PARTLY]} partly realised, {counts[Status.ABSENT]} absent. "
            f"Skipped {skipped} ask{'s' if skipped != 1 else ''} judged by a person or by "
            "the organisation itself."
        )
