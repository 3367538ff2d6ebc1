"""Search's indexes on PostgreSQL: full-text over an ask's title and text, and trigrams
(pg_trgm) on each and on organisations' names, for misspelt words. SQLite gets none: it
searches in Python."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

from recommendations.migration_operations import AddIndexOnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0003_search_indexes"),
        ("responses", "0004_mark_synthetic_organisations"),
    ]

    operations = [
        # pg_trgm comes from recommendations' 0003_search_indexes.
        AddIndexOnPostgreSQL(
            model_name="ask",
            index=GinIndex(
                SearchVector("title", "text", config="english"), name="ask_search_vector"
            ),
        ),
        AddIndexOnPostgreSQL(
            model_name="ask",
            index=GinIndex(fields=["title"], name="ask_title_trgm", opclasses=["gin_trgm_ops"]),
        ),
        AddIndexOnPostgreSQL(
            model_name="ask",
            index=GinIndex(fields=["text"], name="ask_text_trgm", opclasses=["gin_trgm_ops"]),
        ),
        AddIndexOnPostgreSQL(
            model_name="organisation",
            index=GinIndex(
                fields=["name"], name="organisation_name_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
