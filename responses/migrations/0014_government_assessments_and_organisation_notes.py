"""Judgements of the Government's response, kept apart from the Final Report's
(GovernmentAssessment, with the recommendations each names), and organisations' remarks
that judge no particular ask (OrganisationNote); a document kind for the pages that judge
the Government's response. Writes to the new tables renew the data version (0009)."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models

from responses.migration_operations import RenewDataVersionOnWrite


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0006_government_stages"),
        ("responses", "0013_government_stages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="GovernmentAssessment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("realised", "Taken up"),
                            ("partly", "Partly taken up"),
                            ("absent", "Not taken up"),
                            ("unclear", "Unclear: too vague to judge"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "judged_by",
                    models.CharField(
                        choices=[
                            ("organisation", "The organisation itself"),
                            ("editorial", "Editorial"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "rationale",
                    models.TextField(
                        blank=True,
                        help_text="The judge's reasoning. For the organisation's own judgement, sentences of its document exactly as written, one a line.",
                        validators=[django.core.validators.MaxLengthValidator(20000)],
                    ),
                ),
                (
                    "note",
                    models.TextField(
                        blank=True,
                        help_text="Editorial note, in our words.",
                        validators=[django.core.validators.MaxLengthValidator(20000)],
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("version", models.PositiveIntegerField(default=1, editable=False)),
            ],
            options={
                "verbose_name": "assessment of the Government's response",
                "verbose_name_plural": "assessments of the Government's response",
            },
        ),
        migrations.CreateModel(
            name="HistoricalGovernmentAssessment",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("realised", "Taken up"),
                            ("partly", "Partly taken up"),
                            ("absent", "Not taken up"),
                            ("unclear", "Unclear: too vague to judge"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "judged_by",
                    models.CharField(
                        choices=[
                            ("organisation", "The organisation itself"),
                            ("editorial", "Editorial"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "rationale",
                    models.TextField(
                        blank=True,
                        help_text="The judge's reasoning. For the organisation's own judgement, sentences of its document exactly as written, one a line.",
                        validators=[django.core.validators.MaxLengthValidator(20000)],
                    ),
                ),
                (
                    "note",
                    models.TextField(
                        blank=True,
                        help_text="Editorial note, in our words.",
                        validators=[django.core.validators.MaxLengthValidator(20000)],
                    ),
                ),
                ("updated_at", models.DateTimeField(blank=True, editable=False)),
                ("version", models.PositiveIntegerField(default=1, editable=False)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
            ],
            options={
                "verbose_name": "historical assessment of the Government's response",
                "verbose_name_plural": "historical assessments of the Government's response",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalNamedRecommendation",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "named_as",
                    models.TextField(
                        help_text="The words of the ask's document that name the recommendation, exactly.",
                        validators=[django.core.validators.MaxLengthValidator(10000)],
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
            ],
            options={
                "verbose_name": "historical recommendation named",
                "verbose_name_plural": "historical recommendations named",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalOrganisationNote",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                (
                    "note",
                    models.TextField(
                        help_text="What the remark says, in our words.",
                        validators=[django.core.validators.MaxLengthValidator(20000)],
                    ),
                ),
                (
                    "evidence",
                    models.TextField(
                        help_text="The sentence of the document that makes the remark, exactly as written.",
                        validators=[django.core.validators.MaxLengthValidator(10000)],
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
            ],
            options={
                "verbose_name": "historical organisation note",
                "verbose_name_plural": "historical organisation notes",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="NamedRecommendation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "named_as",
                    models.TextField(
                        help_text="The words of the ask's document that name the recommendation, exactly.",
                        validators=[django.core.validators.MaxLengthValidator(10000)],
                    ),
                ),
            ],
            options={
                "verbose_name": "recommendation named",
                "verbose_name_plural": "recommendations named",
                "ordering": ["assessment", "id"],
            },
        ),
        migrations.CreateModel(
            name="OrganisationNote",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "note",
                    models.TextField(
                        help_text="What the remark says, in our words.",
                        validators=[django.core.validators.MaxLengthValidator(20000)],
                    ),
                ),
                (
                    "evidence",
                    models.TextField(
                        help_text="The sentence of the document that makes the remark, exactly as written.",
                        validators=[django.core.validators.MaxLengthValidator(10000)],
                    ),
                ),
            ],
            options={
                "ordering": ["document", "id"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="responsedocument",
            name="document_kind_valid",
        ),
        migrations.AlterField(
            model_name="responsedocument",
            name="kind",
            field=models.CharField(
                choices=[
                    ("case_for_change_response", "Response to the Case for Change"),
                    ("case_for_change_digest", "Digest of the Case for Change"),
                    ("final_report_assessment", "Assessment of the Final Report"),
                    ("government_response_assessment", "Assessment of the Government's response"),
                    ("other", "Other"),
                ],
                max_length=40,
            ),
        ),
        migrations.AddConstraint(
            model_name="responsedocument",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "kind__in",
                        [
                            "case_for_change_response",
                            "case_for_change_digest",
                            "final_report_assessment",
                            "government_response_assessment",
                            "other",
                        ],
                    )
                ),
                name="document_kind_valid",
            ),
        ),
        migrations.AddField(
            model_name="governmentassessment",
            name="ask",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="government_assessment",
                to="responses.ask",
            ),
        ),
        migrations.AddField(
            model_name="historicalgovernmentassessment",
            name="ask",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="responses.ask",
            ),
        ),
        migrations.AddField(
            model_name="historicalgovernmentassessment",
            name="history_user",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalnamedrecommendation",
            name="assessment",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="responses.governmentassessment",
            ),
        ),
        migrations.AddField(
            model_name="historicalnamedrecommendation",
            name="history_user",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="historicalnamedrecommendation",
            name="recommendation",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="recommendations.recommendation",
            ),
        ),
        migrations.AddField(
            model_name="historicalorganisationnote",
            name="document",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="responses.responsedocument",
            ),
        ),
        migrations.AddField(
            model_name="historicalorganisationnote",
            name="history_user",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="namedrecommendation",
            name="assessment",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="named",
                to="responses.governmentassessment",
            ),
        ),
        migrations.AddField(
            model_name="namedrecommendation",
            name="recommendation",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="named_by_government_assessments",
                to="recommendations.recommendation",
            ),
        ),
        migrations.AddField(
            model_name="governmentassessment",
            name="recommendations",
            field=models.ManyToManyField(
                blank=True,
                related_name="government_assessments",
                through="responses.NamedRecommendation",
                to="recommendations.recommendation",
            ),
        ),
        migrations.AddField(
            model_name="organisationnote",
            name="document",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="organisation_notes",
                to="responses.responsedocument",
            ),
        ),
        migrations.AddConstraint(
            model_name="namedrecommendation",
            constraint=models.UniqueConstraint(
                fields=("assessment", "recommendation"),
                name="named_recommendation_once_per_assessment",
            ),
        ),
        migrations.AddConstraint(
            model_name="namedrecommendation",
            constraint=models.CheckConstraint(
                condition=models.Q(("named_as", ""), _negated=True),
                name="named_recommendation_named_as_not_empty",
            ),
        ),
        migrations.AddConstraint(
            model_name="governmentassessment",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ("realised", "partly", "absent", "unclear"))),
                name="government_assessment_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="governmentassessment",
            constraint=models.CheckConstraint(
                condition=models.Q(("judged_by__in", ("organisation", "editorial"))),
                name="government_assessment_judged_by_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="organisationnote",
            constraint=models.CheckConstraint(
                condition=models.Q(("note", ""), _negated=True), name="organisation_note_not_empty"
            ),
        ),
        migrations.AddConstraint(
            model_name="organisationnote",
            constraint=models.CheckConstraint(
                condition=models.Q(("evidence", ""), _negated=True),
                name="organisation_note_evidence_not_empty",
            ),
        ),
        RenewDataVersionOnWrite(
            models=[
                "responses.GovernmentAssessment",
                "responses.NamedRecommendation",
                "responses.OrganisationNote",
            ]
        ),
    ]
