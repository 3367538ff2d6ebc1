import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from matching import MATCH_THRESHOLD
from ops.evaluation import GoldFileError, evaluate, parse_gold
from recommendations.models import Recommendation


def _short(text: str, length: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"


class Command(BaseCommand):
    help = (
        "Run the matcher on a gold file's asks against the recommendations in the database "
        "and print, per ask, the expected and suggested recommendations, then what the "
        "figures mean and the figures."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "gold", help="A JSON list of {organisation, ask, status, recommendations}."
        )

    def handle(self, *args, gold, **options):
        try:
            data = json.loads(Path(gold).read_text(encoding="utf-8"))
        except OSError as error:
            raise CommandError(f"Cannot read {gold}: {error.strerror or error}.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{gold} is not UTF-8 text.") from None
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{gold} is not valid JSON: {error.msg} at line {error.lineno}."
            ) from None
        try:
            asks = parse_gold(data)
        except GoldFileError as error:
            raise CommandError(f"{gold}: {error}.") from None
        recommendations = list(Recommendation.objects.select_related("report"))
        if not recommendations:
            raise CommandError("The database holds no recommendations to match against.")

        outcomes, figures = evaluate(gold=asks, recommendations=recommendations)
        for number, outcome in enumerate(outcomes, start=1):
            mark = (
                "ok"
                if outcome.threshold_agrees and (outcome.top3 or not outcome.counts_for_recall)
                else "--"
            )
            self.stdout.write(
                f"{number:>3} {mark} {outcome.gold.organisation}: {_short(outcome.gold.ask)}"
            )
            expected = " ".join(outcome.gold.recommendations) or "none"
            self.stdout.write(f"       expected:  {outcome.gold.status} {expected}")
            suggested = ", ".join(
                f"{s.recommendation.ref} ({s.score:.1f})" for s in outcome.suggestions[:3]
            )
            close = "close match" if outcome.close else "no close match"
            self.stdout.write(f"       suggested: {close}; best {suggested or 'none'}")
            if outcome.unknown:
                self.stdout.write(f"       not in the database: {' '.join(outcome.unknown)}")
            elif outcome.gold.status != "absent" and not outcome.expected:
                self.stdout.write("       cites no recommendation: left out of recall")
        self.stdout.write(
            f"threshold_agreement: how often no close match (no score of {MATCH_THRESHOLD:.0f} "
            "or more) fell on an ask the gold says absent, and a close match on one it says "
            "heard; always_heard_agreement: the same for answering heard every time. A "
            "measurement of the threshold: carereview never stores absent from it."
        )
        self.stdout.write(str(figures))
