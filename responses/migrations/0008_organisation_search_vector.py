"""Search's full-text index on organisations' names: without it, finding a name by its
words computes every organisation's tsvector."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("responses", "0007_text_size_limits_and_http_links"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="organisation",
            index=GinIndex(
                SearchVector("name", config="english"), name="organisation_search_vector"
            ),
        ),
    ]
