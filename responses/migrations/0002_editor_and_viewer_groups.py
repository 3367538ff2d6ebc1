"""Two groups for admin users: Editors change the record, Viewers only read it.

Editors may also add and correct recommendations (better sources keep arriving), but
not delete them: a recommendation is the other half of every judgement.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITED_MODELS = {
    "responses": [
        "organisation",
        "responsedocument",
        "ask",
        "assessment",
        "evidence",
        "historicalassessment",
    ],
    "recommendations": ["report", "chapter", "theme", "recommendation", "source"],
}


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    define_groups(apps)


def define_groups(apps):
    """Create or complete both groups from the permissions that exist."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    viewers, _ = Group.objects.get_or_create(name="Viewers")
    for app_label, models in EDITED_MODELS.items():
        for model in models:
            view = Permission.objects.get(
                content_type__app_label=app_label, codename=f"view_{model}"
            )
            viewers.permissions.add(view)
            editors.permissions.add(view)
            actions = {
                "responses": ("add", "change", "delete"),
                "recommendations": ("add", "change")
                if model in ("recommendation", "source")
                else (),
            }[app_label]
            editors.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label,
                    codename__in=[f"{action}_{model}" for action in actions],
                )
            )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Viewers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("responses", "0001_initial"),
        ("recommendations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
