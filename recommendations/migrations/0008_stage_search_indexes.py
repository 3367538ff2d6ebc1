"""Search's full-text and trigram indexes over the stages' summaries, through which
search finds a recommendation by what the Government did with it (browse/search.py)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0007_stage_confidence_words"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="governmentstage",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector(
                    models.Func(
                        models.F("summary"),
                        function="carereview_words",
                        output_field=models.TextField(),
                    ),
                    config="simple",
                ),
                name="stage_summary_words",
            ),
        ),
        migrations.AddIndex(
            model_name="governmentstage",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["summary"], name="stage_summary_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
