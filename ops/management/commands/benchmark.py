import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops import benchmarking, synthetic


class Command(BaseCommand):
    help = (
        "Measure pages, search, matching and CSV export on synthetic corpora of two sizes "
        "(seeded on top of the real corpus and removed afterwards); print a table and "
        "write the figures as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", dest="output", type=Path, required=True, help="Where to write the figures."
        )
        parser.add_argument(
            "--sizes",
            type=int,
            nargs="+",
            default=[200, 2000],
            help="Synthetic organisations at each size (default 200 2000).",
        )
        parser.add_argument("--asks-per-organisation", type=int, default=20)
        parser.add_argument("--recommendations", type=int, default=200)
        parser.add_argument("--runs", type=int, default=30, help="Requests per page (at least 30).")
        parser.add_argument(
            "--export-rows",
            type=int,
            nargs="*",
            # Not a million by default: seeding that many rows, each statement recounting the
            # stored counts of the recommendations it cites, takes longer than a run should.
            default=[100_000],
            help="Rows of asks.csv to export (default 100000; e.g. 100000 1000000); none to skip.",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--no-server",
            dest="served",
            action="store_false",
            help="Do not time warm pages through gunicorn (a server cannot see data that "
            "this process has not committed).",
        )

    def handle(
        self,
        *args,
        output,
        sizes,
        asks_per_organisation,
        recommendations,
        runs,
        export_rows,
        seed,
        served,
        **options,
    ):
        if runs < 2:
            raise CommandError("--runs must be at least 2 to give a median and a 95th percentile.")
        if any(size < 1 for size in sizes) or any(rows < 1 for rows in export_rows):
            raise CommandError("Sizes and row counts must be positive.")
        if not output.parent.is_dir():
            raise CommandError(f"No such directory for --json: {output.parent}")
        try:
            results = benchmarking.run(
                sizes=sizes,
                asks_per_organisation=asks_per_organisation,
                recommendations=recommendations,
                runs=runs,
                export_rows=export_rows,
                seed=seed,
                served=served,
                log=lambda line: self.stderr.write(line),
            )
        except synthetic.SyntheticCorpusError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(benchmarking.table(results))
        output.write_text(json.dumps(results, indent=2) + "\n")
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}"))
