from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from responses.importing import ImportRefused, import_response
from responses.models import DocumentKind, OrganisationKind


class Command(BaseCommand):
    help = (
        "Import a response document from a .txt, .md or .html file, creating its "
        "organisation if new. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A .txt, .md or .html file, UTF-8.")
        parser.add_argument("--organisation", required=True, help="The organisation's name.")
        parser.add_argument("--title", required=True, help="The document's title.")
        parser.add_argument(
            "--kind", required=True, help=f"One of: {', '.join(DocumentKind.values)}."
        )
        parser.add_argument("--published", help="YYYY, YYYY-MM or YYYY-MM-DD.")
        parser.add_argument("--url", default="", help="Where the document was published.")
        parser.add_argument(
            "--organisation-kind",
            default=OrganisationKind.OTHER,
            help="For a new organisation: one of "
            f"{', '.join(OrganisationKind.values)} (default: other).",
        )

    def handle(self, *args, file, organisation, title, kind, published, url, **options):
        try:
            document, created = import_response(
                path=Path(file),
                organisation=organisation,
                title=title,
                kind=kind,
                published=published,
                url=url,
                organisation_kind=options["organisation_kind"],
            )
        except ImportRefused as error:
            raise CommandError(str(error)) from None
        except DatabaseError as error:
            raise CommandError(
                f"The database refused the import: {error}".splitlines()[0]
            ) from None
        if created:
            self.stdout.write(
                f"Created organisation {document.organisation.name} "
                f"(kind: {document.organisation.get_kind_display().lower()}; correct it in admin)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported “{document.title}” (document {document.pk}, "
                f"{len(document.text):,} characters). Split it into asks in admin."
            )
        )
