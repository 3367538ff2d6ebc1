"""Migration operations for what only PostgreSQL has."""

from django.contrib.postgres.operations import TrigramExtension
from django.db.migrations.operations import AddIndex, RemoveIndex, RunSQL


class OnPostgreSQLOnly:
    """Mixed into an operation: its change to the state happens everywhere, its change
    to the database only on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class AddIndexOnPostgreSQL(OnPostgreSQLOnly, AddIndex):
    """Add a PostgreSQL index (GIN, with an operator class such as `gin_trgm_ops`) to
    the model's state everywhere, but to the database only on PostgreSQL: SQLite has no
    such index and its search does not need one."""


class RemoveIndexOnPostgreSQL(OnPostgreSQLOnly, RemoveIndex):
    """Remove an index that AddIndexOnPostgreSQL added: from the state everywhere, from
    the database only on PostgreSQL."""


class RunSQLOnPostgreSQL(OnPostgreSQLOnly, RunSQL):
    """SQL that only PostgreSQL runs (a function its indexes use); nothing elsewhere."""


class TrigramExtensionOnPostgreSQL(TrigramExtension):
    """pg_trgm, created on PostgreSQL (and nowhere else) and dropped there when unapplied.
    Django's own TrigramExtension looks for pg_extension even on SQLite when unapplied."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
