"""An automatic suggestion never says an ask is absent; 0011 withdrew those that did. A
migration of its own, as PostgreSQL refuses to alter a table while trigger events from
rows that the same transaction changed are pending."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("responses", "0011_withdraw_automatic_absent"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="assessment",
            constraint=models.CheckConstraint(
                condition=models.Q(("judged_by", "automatic"), ("status", "absent"), _negated=True),
                name="assessment_automatic_never_absent",
                violation_error_message=(
                    "An automatic suggestion cannot say an ask is absent: only a person or "
                    "the organisation itself judges that the Final Report left an ask out."
                ),
            ),
        ),
    ]
