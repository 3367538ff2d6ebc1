"""What the Government did with each recommendation: its stage records and their quotes,
with their history. The triggers that renew the data version on writes to them, and the
groups' permissions, are in responses' 0013: responses owns both."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0005_search_words_as_typed"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="GovernmentStage",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "stage",
                    models.CharField(
                        choices=[
                            ("government_response", "Government response"),
                            ("delivery", "Delivery"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            (
                                "accepted",
                                "Accepted: to be done as recommended, if first through a pilot",
                            ),
                            (
                                "accepted_in_part",
                                "Accepted in part: some of it, a weaker form, or a promise to consult or pilot",
                            ),
                            ("not_accepted", "Not accepted: rejected, or another measure chosen"),
                            (
                                "legislated",
                                "Legislated: enacted in an Act or regulations, in force or not",
                            ),
                            (
                                "delivered",
                                "Delivered: the action, or the stated part of it, has happened",
                            ),
                            (
                                "legislation_in_progress",
                                "Legislation in progress: a Bill or clause before Parliament",
                            ),
                            ("in_progress", "In progress: programmes, pilots or funding under way"),
                        ],
                        max_length=30,
                    ),
                ),
                (
                    "date",
                    models.DateField(
                        help_text="For a year or month only, the first day of it, with the precision below."
                    ),
                ),
                (
                    "date_precision",
                    models.CharField(
                        choices=[("year", "Year"), ("month", "Month"), ("day", "Day")], max_length=5
                    ),
                ),
                ("summary", models.TextField(help_text="One sentence, in our own words.")),
                (
                    "confidence",
                    models.CharField(
                        choices=[
                            ("high", "High: a source quotes or closely reproduces it"),
                            ("medium", "Medium: described by a source, not quoted"),
                            ("low", "Low"),
                        ],
                        help_text="High: the quotes state the status. Medium: they support it, but part is a reading. Low: the status is our reading, or no quote could be found.",
                        max_length=10,
                    ),
                ),
                (
                    "note",
                    models.TextField(
                        blank=True, help_text="Caveats: copies of pages, what is not quoted."
                    ),
                ),
                (
                    "recommendation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="stages",
                        to="recommendations.recommendation",
                    ),
                ),
            ],
            options={
                "ordering": ["recommendation", "date", "id"],
            },
        ),
        migrations.CreateModel(
            name="HistoricalGovernmentStage",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "stage",
                    models.CharField(
                        choices=[
                            ("government_response", "Government response"),
                            ("delivery", "Delivery"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            (
                                "accepted",
                                "Accepted: to be done as recommended, if first through a pilot",
                            ),
                            (
                                "accepted_in_part",
                                "Accepted in part: some of it, a weaker form, or a promise to consult or pilot",
                            ),
                            ("not_accepted", "Not accepted: rejected, or another measure chosen"),
                            (
                                "legislated",
                                "Legislated: enacted in an Act or regulations, in force or not",
                            ),
                            (
                                "delivered",
                                "Delivered: the action, or the stated part of it, has happened",
                            ),
                            (
                                "legislation_in_progress",
                                "Legislation in progress: a Bill or clause before Parliament",
                            ),
                            ("in_progress", "In progress: programmes, pilots or funding under way"),
                        ],
                        max_length=30,
                    ),
                ),
                (
                    "date",
                    models.DateField(
                        help_text="For a year or month only, the first day of it, with the precision below."
                    ),
                ),
                (
                    "date_precision",
                    models.CharField(
                        choices=[("year", "Year"), ("month", "Month"), ("day", "Day")], max_length=5
                    ),
                ),
                ("summary", models.TextField(help_text="One sentence, in our own words.")),
                (
                    "confidence",
                    models.CharField(
                        choices=[
                            ("high", "High: a source quotes or closely reproduces it"),
                            ("medium", "Medium: described by a source, not quoted"),
                            ("low", "Low"),
                        ],
                        help_text="High: the quotes state the status. Medium: they support it, but part is a reading. Low: the status is our reading, or no quote could be found.",
                        max_length=10,
                    ),
                ),
                (
                    "note",
                    models.TextField(
                        blank=True, help_text="Caveats: copies of pages, what is not quoted."
                    ),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "recommendation",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="recommendations.recommendation",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical government stage",
                "verbose_name_plural": "historical government stages",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalStageQuote",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("text", models.TextField(help_text="Exact words quoted from the page.")),
                (
                    "url",
                    models.URLField(
                        max_length=500,
                        validators=[
                            django.core.validators.URLValidator(
                                message="Enter a web address starting http:// or https://.",
                                schemes=["http", "https"],
                            )
                        ],
                        verbose_name="source URL",
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "stage",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="recommendations.governmentstage",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical stage quote",
                "verbose_name_plural": "historical stage quotes",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="StageQuote",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("text", models.TextField(help_text="Exact words quoted from the page.")),
                (
                    "url",
                    models.URLField(
                        max_length=500,
                        validators=[
                            django.core.validators.URLValidator(
                                message="Enter a web address starting http:// or https://.",
                                schemes=["http", "https"],
                            )
                        ],
                        verbose_name="source URL",
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0)),
                (
                    "stage",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="quotes",
                        to="recommendations.governmentstage",
                    ),
                ),
            ],
            options={
                "ordering": ["stage", "position", "id"],
            },
        ),
        migrations.AddConstraint(
            model_name="governmentstage",
            constraint=models.CheckConstraint(
                condition=models.Q(("stage__in", ["government_response", "delivery"])),
                name="stage_stage_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="governmentstage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        [
                            "accepted",
                            "accepted_in_part",
                            "not_accepted",
                            "legislated",
                            "delivered",
                            "legislation_in_progress",
                            "in_progress",
                        ],
                    )
                ),
                name="stage_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="governmentstage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("stage", "government_response"),
                        ("status__in", ["accepted", "accepted_in_part", "not_accepted"]),
                    ),
                    models.Q(
                        ("stage", "delivery"),
                        (
                            "status__in",
                            ["legislated", "delivered", "legislation_in_progress", "in_progress"],
                        ),
                    ),
                    _connector="OR",
                ),
                name="stage_status_matches_stage",
                violation_error_message="A government response is accepted, accepted in part or not accepted; delivery is legislated, delivered, legislation in progress or in progress.",
            ),
        ),
        migrations.AddConstraint(
            model_name="governmentstage",
            constraint=models.CheckConstraint(
                condition=models.Q(("date_precision__in", ["year", "month", "day"])),
                name="stage_date_precision_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="governmentstage",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("date_precision", "day"),
                    models.Q(("date__day", 1), ("date_precision", "month")),
                    models.Q(("date__day", 1), ("date__month", 1), ("date_precision", "year")),
                    _connector="OR",
                ),
                name="stage_partial_date_is_its_first_day",
                violation_error_message="For a month or a year, give its first day (e.g. 1 December 2023).",
            ),
        ),
        migrations.AddConstraint(
            model_name="governmentstage",
            constraint=models.CheckConstraint(
                condition=models.Q(("confidence__in", ["high", "medium", "low"])),
                name="stage_confidence_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="governmentstage",
            constraint=models.CheckConstraint(
                condition=models.Q(("summary", ""), _negated=True), name="stage_summary_not_empty"
            ),
        ),
        migrations.AddConstraint(
            model_name="stagequote",
            constraint=models.CheckConstraint(
                condition=models.Q(("text", ""), _negated=True), name="stage_quote_text_not_empty"
            ),
        ),
        migrations.AddConstraint(
            model_name="stagequote",
            constraint=models.CheckConstraint(
                condition=models.Q(("url", ""), _negated=True), name="stage_quote_url_not_empty"
            ),
        ),
    ]
