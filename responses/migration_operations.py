"""Migration operations for the data version (responses.DataVersion): the database
triggers that renew its token on every write to the tables that pages show."""

from django.db.migrations.operations.base import Operation

TRIGGER = "renews_data_version"
FUNCTION = "renew_data_version"
# A fresh random token below 2**63, a bigint on both databases.
POSTGRESQL_TOKEN = "(random() * 9.2e18)::bigint"
SQLITE_TOKEN = "(random() & 9223372036854775807)"
SQLITE_EVENTS = ("insert", "update", "delete")


def _version_table(state) -> str:
    return state.apps.get_model("responses", "DataVersion")._meta.db_table


class DataVersionFunction(Operation):
    """PostgreSQL's trigger function that gives the data version a fresh token. SQLite's
    triggers carry their own statement, so there it does nothing."""

    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            table = schema_editor.quote_name(_version_table(to_state))
            schema_editor.execute(
                f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN UPDATE {table} SET token = {POSTGRESQL_TOKEN}; RETURN NULL; END $$"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION {FUNCTION}()")

    def describe(self):
        return "Create PostgreSQL's function that renews the data version"


class RenewDataVersionOnWrite(Operation):
    """Triggers that renew the data version whenever a row of one of `models` ("app.Model",
    or "app.Model_field" for a many-to-many table) is inserted, updated or deleted, or, on
    PostgreSQL, the table is truncated: once per statement there, once per row on SQLite.

    SQLite drops a table's triggers with the table, and Django's SQLite schema editor
    rebuilds a table for most alterations: tests/test_caching.py fails if any table that
    should renew the version does not."""

    reversible = True

    def __init__(self, models: list[str]):
        self.models = models

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {"models": self.models})

    def state_forwards(self, app_label, state):
        pass

    def _tables(self, state) -> list[str]:
        return [state.apps.get_model(label)._meta.db_table for label in self.models]

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        quote = schema_editor.quote_name
        version = quote(_version_table(to_state))
        for table in self._tables(to_state):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(
                    f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f"ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
                )
            else:
                for event in SQLITE_EVENTS:
                    schema_editor.execute(
                        f"CREATE TRIGGER {quote(f'{table}_{TRIGGER}_on_{event}')} "
                        f"AFTER {event.upper()} ON {quote(table)} "
                        f"BEGIN UPDATE {version} SET token = {SQLITE_TOKEN}; END"
                    )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        quote = schema_editor.quote_name
        for table in self._tables(from_state):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(f"DROP TRIGGER {TRIGGER} ON {quote(table)}")
            else:
                for event in SQLITE_EVENTS:
                    schema_editor.execute(f"DROP TRIGGER {quote(f'{table}_{TRIGGER}_on_{event}')}")

    def describe(self):
        return f"Renew the data version on every write to {len(self.models)} tables"
