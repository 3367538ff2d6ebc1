"""Search's full-text index over recommendations' words as typed (the "simple"
configuration, on the text with every run of other characters made a space), in place
of English stems (browse/search.py)."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

from recommendations.words import CREATE_WORDS_FUNCTION, DROP_WORDS_FUNCTION, words_vector


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0004_links_are_http_or_https"),
    ]

    operations = [
        # The words of a text, for this index and responses' (0010_search_words_as_typed).
        migrations.RunSQL(CREATE_WORDS_FUNCTION, reverse_sql=DROP_WORDS_FUNCTION),
        migrations.RemoveIndex(model_name="recommendation", name="recommendation_search_vector"),
        migrations.AddIndex(
            model_name="recommendation",
            index=GinIndex(words_vector("title", "text"), name="recommendation_words"),
        ),
    ]
