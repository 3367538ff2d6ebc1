"""Search's full-text indexes over organisations' and asks' words as typed (the "simple"
configuration, on the text with every run of other characters made a space), in place
of English stems (browse/search.py)."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

from recommendations.words import words_vector


class Migration(migrations.Migration):
    dependencies = [
        ("responses", "0009_data_version"),
        ("recommendations", "0005_search_words_as_typed"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="organisation", name="organisation_search_vector"),
        migrations.AddIndex(
            model_name="organisation",
            index=GinIndex(words_vector("name"), name="organisation_words"),
        ),
        migrations.RemoveIndex(model_name="ask", name="ask_search_vector"),
        migrations.AddIndex(
            model_name="ask",
            index=GinIndex(words_vector("title", "text"), name="ask_words"),
        ),
    ]
