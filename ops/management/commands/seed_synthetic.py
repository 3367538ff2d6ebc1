from django.core.management.base import BaseCommand, CommandError

from ops import synthetic


class Command(BaseCommand):
    help = (
        "Add a synthetic corpus (marked synthetic, built from the real corpus's words) on top "
        "of the real one, for benchmarks and load tests; --clear removes it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organisations", type=int, default=0)
        parser.add_argument("--asks-per-organisation", type=int, default=20)
        parser.add_argument("--recommendations", type=int, default=200)
        parser.add_argument(
            "--seed", type=int, default=1, help="The same seed gives the same rows."
        )
        parser.add_argument(
            "--clear",
            action="store_true",
            help="Remove the synthetic rows first (only those); alone, just remove them.",
        )

    def handle(
        self,
        *args,
        organisations,
        asks_per_organisation,
        recommendations,
        seed,
        clear,
        verbosity,
        **options,
    ):
        if not clear and not organisations:
            raise CommandError("Give --organisations N to add a synthetic corpus, or --clear.")
        try:
            if clear:
                removed = synthetic.clear()
                self.stdout.write(
                    f"Removed {removed['organisations']} synthetic organisations and "
                    f"{removed['recommendations']} synthetic recommendations."
                )
            if organisations:
                seeded = synthetic.seed(
                    organisations=organisations,
                    asks_per_organisation=asks_per_organisation,
                    recommendations=recommendations,
                    seed=seed,
                    progress=verbosity > 0,
                )
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Added {seeded.organisations} synthetic organisations, "
                        f"{seeded.documents} documents, {seeded.asks} asks, "
                        f"{seeded.assessments} assessments, {seeded.evidence} evidence links "
                        f"and {seeded.recommendations} recommendations."
                    )
                )
        except synthetic.SyntheticCorpusError as error:
            raise CommandError(str(error)) from error
