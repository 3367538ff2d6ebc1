"""The Government's stages (recommendations' 0006) renew the data version, as the tables
the pages show do (0009), and the groups' rights over them, as 0002 gives over the rest:
Editors add, correct and delete stages and their quotes, Viewers read them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from responses.migration_operations import RenewDataVersionOnWrite

STAGE_MODELS = ["governmentstage", "stagequote"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("recommendations")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    viewers, _ = Group.objects.get_or_create(name="Viewers")
    permissions = Permission.objects.filter(content_type__app_label="recommendations")
    viewers.permissions.add(*permissions.filter(codename__in=codenames("view")))
    editors.permissions.add(
        *permissions.filter(codename__in=codenames("view", "add", "change", "delete"))
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    granted = Permission.objects.filter(
        content_type__app_label="recommendations",
        codename__in=codenames("view", "add", "change", "delete"),
    )
    for group in Group.objects.filter(name__in=["Editors", "Viewers"]):
        group.permissions.remove(*granted)


def codenames(*actions: str) -> list[str]:
    return [f"{action}_{model}" for action in actions for model in STAGE_MODELS]


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0006_government_stages"),
        ("responses", "0012_assessment_automatic_never_absent"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        RenewDataVersionOnWrite(
            models=["recommendations.GovernmentStage", "recommendations.StageQuote"]
        ),
        migrations.RunPython(grant, revoke),
    ]
