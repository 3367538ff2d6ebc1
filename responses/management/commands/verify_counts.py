from django.core.management.base import BaseCommand, CommandError

from responses import stored_counts


class Command(BaseCommand):
    help = (
        "Recount every stored count (organisations' status mixes and chains, "
        "recommendations' demand and government statuses, themes' status mixes) from "
        "scratch and report any that differ; exit status 1 if one does."
    )

    def handle(self, *args, **options):
        found = stored_counts.differences()
        if found:
            for difference in found:
                self.stderr.write(difference)
            raise CommandError(
                f"{len(found)} stored count{'s' if len(found) != 1 else ''} differ"
                f"{'s' if len(found) == 1 else ''} from a recount from scratch."
            )
        self.stdout.write(f"Stored counts agree with a recount: {stored_counts.summary()}.")
