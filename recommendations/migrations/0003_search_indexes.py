"""Search's indexes on PostgreSQL: full-text over a recommendation's title and text, and
trigrams (pg_trgm) on each, for misspelt words. SQLite gets none: it searches in Python."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

from recommendations.migration_operations import AddIndexOnPostgreSQL, TrigramExtensionOnPostgreSQL


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0002_mark_synthetic_reports_and_recommendations"),
    ]

    operations = [
        # Before any gin_trgm_ops index, here and in responses' 0005_search_indexes, which
        # depends on this migration; nothing on SQLite, nor where pg_trgm already exists.
        TrigramExtensionOnPostgreSQL(),
        AddIndexOnPostgreSQL(
            model_name="recommendation",
            index=GinIndex(
                SearchVector("title", "text", config="english"),
                name="recommendation_search_vector",
            ),
        ),
        AddIndexOnPostgreSQL(
            model_name="recommendation",
            index=GinIndex(
                fields=["title"], name="recommendation_title_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        AddIndexOnPostgreSQL(
            model_name="recommendation",
            index=GinIndex(
                fields=["text"], name="recommendation_text_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
