"""Search's indexes: full-text over a recommendation's title and text, and trigrams
(pg_trgm) on each, for misspelt words."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import TrigramExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0002_mark_synthetic_reports_and_recommendations"),
    ]

    operations = [
        # Before any gin_trgm_ops index, here and in responses' 0005_search_indexes, which
        # depends on this migration; nothing where pg_trgm already exists.
        TrigramExtension(),
        migrations.AddIndex(
            model_name="recommendation",
            index=GinIndex(
                SearchVector("title", "text", config="english"),
                name="recommendation_search_vector",
            ),
        ),
        migrations.AddIndex(
            model_name="recommendation",
            index=GinIndex(
                fields=["title"], name="recommendation_title_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="recommendation",
            index=GinIndex(
                fields=["text"], name="recommendation_text_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
