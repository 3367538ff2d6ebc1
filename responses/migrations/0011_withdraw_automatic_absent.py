"""Automatic suggestions that said "absent" become "not assessed" again, for a person to
judge: a best score below the matcher's threshold does not tell an ask the Final Report
left out from one it took up (matching/suggestions.py, MATCH_THRESHOLD). 0012 then
forbids them. Each change is written to the history, as `assessments.record` would, so
the history still ends in what the assessment says."""

from django.db import migrations
from django.utils import timezone

REASON = "Automatic absent withdrawn: the matcher does not judge absence"


def withdraw_automatic_absent(apps, schema_editor):
    Assessment = apps.get_model("responses", "Assessment")
    HistoricalAssessment = apps.get_model("responses", "HistoricalAssessment")
    Evidence = apps.get_model("responses", "Evidence")
    HistoricalEvidence = apps.get_model("responses", "HistoricalEvidence")
    now = timezone.now()
    for assessment in Assessment.objects.filter(judged_by="automatic", status="absent"):
        # `record` never lets an absent ask carry evidence; should any have been written
        # another way, it goes with the judgement it supported.
        for evidence in Evidence.objects.filter(assessment=assessment):
            HistoricalEvidence.objects.create(
                id=evidence.id,
                assessment_id=evidence.assessment_id,
                recommendation_id=evidence.recommendation_id,
                quote=evidence.quote,
                history_date=now,
                history_type="-",
                history_change_reason=REASON,
            )
            evidence.delete()
        assessment.status = "not_assessed"
        # "Not assessed" is nobody's judgement (assessment_judged_by_iff_assessed), and
        # the matcher's reasoning for "absent" no longer explains anything.
        assessment.judged_by = ""
        assessment.rationale = ""
        # A page opened before this change cannot then save over it unseen.
        assessment.version += 1
        assessment.save()
        HistoricalAssessment.objects.create(
            id=assessment.id,
            ask_id=assessment.ask_id,
            status=assessment.status,
            judged_by=assessment.judged_by,
            rationale=assessment.rationale,
            note=assessment.note,
            updated_at=assessment.updated_at,
            version=assessment.version,
            history_date=now,
            history_type="~",
            history_change_reason=REASON,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("responses", "0010_search_words_as_typed"),
    ]

    # Nothing to undo: which asks were automatically absent is in their history.
    operations = [
        migrations.RunPython(withdraw_automatic_absent, migrations.RunPython.noop),
    ]
