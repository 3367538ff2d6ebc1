"""Migration operations for the data version (responses.DataVersion): the database
triggers that renew its token on every write to the tables that pages show."""

from django.db.migrations.operations.base import Operation

TRIGGER = "renews_data_version"
FUNCTION = "renew_data_version"
# A fresh random token below 2**63, a bigint.
TOKEN = "(random() * 9.2e18)::bigint"


def _version_table(state) -> str:
    return state.apps.get_model("responses", "DataVersion")._meta.db_table


class DataVersionFunction(Operation):
    """The trigger function that gives the data version a fresh token."""

    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        table = schema_editor.quote_name(_version_table(to_state))
        schema_editor.execute(
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN UPDATE {table} SET token = {TOKEN}; RETURN NULL; END $$"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        schema_editor.execute(f"DROP FUNCTION {FUNCTION}()")

    def describe(self):
        return "Create PostgreSQL's function that renews the data version"


class RenewDataVersionOnWrite(Operation):
    """Triggers that renew the data version, once per statement, whenever a row of one of
    `models` ("app.Model", or "app.Model_field" for a many-to-many table) is inserted,
    updated or deleted, or the table is truncated. tests/test_caching.py fails if any
    table that should renew the version does not."""

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
        for table in self._tables(to_state):
            schema_editor.execute(
                f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        quote = schema_editor.quote_name
        for table in self._tables(from_state):
            schema_editor.execute(f"DROP TRIGGER {TRIGGER} ON {quote(table)}")

    def describe(self):
        return f"Renew the data version on every write to {len(self.models)} tables"
