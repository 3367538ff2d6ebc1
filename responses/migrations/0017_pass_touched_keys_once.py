from django.db import migrations

from responses.migration_operations import PassTouchedKeysOnce


class Migration(migrations.Migration):
    dependencies = [
        ("responses", "0016_stored_counts"),
    ]

    operations = [
        PassTouchedKeysOnce(),
    ]
