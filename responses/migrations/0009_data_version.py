"""The data version: one row whose token database triggers renew on every write to the
tables whose rows the pages show, so that a page cached under a token is never served for
data that has changed since (browse/caching.py). History tables are not watched: no
cached page shows them."""

import secrets

from django.db import migrations, models

from responses.migration_operations import DataVersionFunction, RenewDataVersionOnWrite

WATCHED = [
    "recommendations.Report",
    "recommendations.Chapter",
    "recommendations.Theme",
    "recommendations.Recommendation",
    "recommendations.Recommendation_themes",
    "recommendations.Source",
    "responses.Organisation",
    "responses.ResponseDocument",
    "responses.Ask",
    "responses.Ask_themes",
    "responses.Assessment",
    "responses.Evidence",
]


def create_the_version(apps, schema_editor):
    apps.get_model("responses", "DataVersion").objects.create(token=secrets.randbits(63))


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0004_links_are_http_or_https"),
        ("responses", "0008_organisation_search_vector"),
    ]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.BigIntegerField()),
            ],
            options={"verbose_name": "data version"},
        ),
        migrations.RunPython(create_the_version, migrations.RunPython.noop),
        DataVersionFunction(),
        RenewDataVersionOnWrite(models=WATCHED),
    ]
