"""Search's indexes: full-text over an ask's title and text, and trigrams (pg_trgm) on
each and on organisations' names, for misspelt words."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0003_search_indexes"),
        ("responses", "0004_mark_synthetic_organisations"),
    ]

    operations = [
        # pg_trgm comes from recommendations' 0003_search_indexes.
        migrations.AddIndex(
            model_name="ask",
            index=GinIndex(
                SearchVector("title", "text", config="english"), name="ask_search_vector"
            ),
        ),
        migrations.AddIndex(
            model_name="ask",
            index=GinIndex(fields=["title"], name="ask_title_trgm", opclasses=["gin_trgm_ops"]),
        ),
        migrations.AddIndex(
            model_name="ask",
            index=GinIndex(fields=["text"], name="ask_text_trgm", opclasses=["gin_trgm_ops"]),
        ),
        migrations.AddIndex(
            model_name="organisation",
            index=GinIndex(
                fields=["name"], name="organisation_name_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
