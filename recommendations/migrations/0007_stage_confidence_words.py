"""A stage's confidence in the words the pages show (`STAGE_CONFIDENCE`): the help text
alone changes, nothing in the database."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0006_government_stages"),
    ]

    operations = [
        migrations.AlterField(
            model_name="governmentstage",
            name="confidence",
            field=models.CharField(
                choices=[
                    ("high", "High: a source quotes or closely reproduces it"),
                    ("medium", "Medium: described by a source, not quoted"),
                    ("low", "Low"),
                ],
                help_text="High: the quotes state the status. Medium: the quotes support it, but part is our reading. Low: the status is our reading, or no quote could be found.",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="historicalgovernmentstage",
            name="confidence",
            field=models.CharField(
                choices=[
                    ("high", "High: a source quotes or closely reproduces it"),
                    ("medium", "Medium: described by a source, not quoted"),
                    ("low", "Low"),
                ],
                help_text="High: the quotes state the status. Medium: the quotes support it, but part is our reading. Low: the status is our reading, or no quote could be found.",
                max_length=10,
            ),
        ),
    ]
