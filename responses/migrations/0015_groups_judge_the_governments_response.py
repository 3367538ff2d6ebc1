"""Editors change judgements of the Government's response, the recommendations they name
and organisations' notes, as they change assessments (0002); Viewers read them and their
history."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITED_MODELS = ["governmentassessment", "namedrecommendation", "organisationnote"]
HISTORY_MODELS = [
    "historicalgovernmentassessment",
    "historicalnamedrecommendation",
    "historicalorganisationnote",
]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("responses")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    viewers, _ = Group.objects.get_or_create(name="Viewers")
    responses = Permission.objects.filter(content_type__app_label="responses")
    views = responses.filter(codename__in=[f"view_{m}" for m in EDITED_MODELS + HISTORY_MODELS])
    viewers.permissions.add(*views)
    editors.permissions.add(*views)
    editors.permissions.add(
        *responses.filter(
            codename__in=[
                f"{action}_{model}"
                for model in EDITED_MODELS
                for action in ("add", "change", "delete")
            ]
        )
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    granted = Permission.objects.filter(
        content_type__app_label="responses",
        content_type__model__in=EDITED_MODELS + HISTORY_MODELS,
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Viewers"]):
        group.permissions.remove(*granted)


class Migration(migrations.Migration):
    dependencies = [
        ("responses", "0014_government_assessments_and_organisation_notes"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
