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


# Stored counts (responses.models.OrganisationCounts, RecommendationCounts, ThemeCounts):
# three views recount them in SQL, the way `counted_asks`, `demand`, `chain_counts` and
# `with_government_statuses` count in Python; a function writes the recounted rows of
# the organisations and recommendations it is given over the stored ones; and triggers
# on every table the counts read call it after each statement with the keys that the
# statement's rows (PostgreSQL's transition tables) touched. verify_counts compares the
# stored rows with the querysets' own recount, so a view that drifts from them fails it.
REFRESH = "refresh_stored_counts"
REFRESH_ALL = "refresh_all_stored_counts"
COUNTS_TRIGGER = "stores_counts"
# Every recount first takes this transaction-level advisory lock, so a writer recounts
# only once no other writer that recounted is between its writes and its commit; the
# recount's statements, each with a fresh snapshot, then see every committed write.
# Without it two writers of one organisation would each recount without the other's
# writes, and the second to commit would fail (tests/test_stored_counts.py). Writers
# already queue for the data version's row in the same way, so it adds little waiting.
RECOUNT_LOCK = 7_015_216_001
# The stored tables, in the order they are recounted: recommendations first, as the
# organisations' chain reads their statuses.
STORED = {
    "recommendation_counts": "responses.RecommendationCounts",
    "organisation_counts": "responses.OrganisationCounts",
    "theme_counts": "responses.ThemeCounts",
}


def _in(values) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def _tables(state) -> dict[str, str]:
    labels = {
        "organisation": "responses.Organisation",
        "document": "responses.ResponseDocument",
        "ask": "responses.Ask",
        "ask_themes": "responses.Ask_themes",
        "assessment": "responses.Assessment",
        "evidence": "responses.Evidence",
        "stage": "recommendations.GovernmentStage",
        "recommendation": "recommendations.Recommendation",
        **STORED,
    }
    return {name: state.apps.get_model(label)._meta.db_table for name, label in labels.items()}


def _views(t: dict[str, str]) -> dict[str, str]:
    """The recount of each stored table, as a view over the tables it counts from."""
    # Here, not at the top: migrations import this module before the apps are ready.
    from recommendations.models import ACCEPTED, DELIVERED, Stage, StageStatus

    from .models import ASSESSED, HEARD, POINTS_NOT_ASKS, Status

    statuses = ",\n".join(
        f"count(a.id) FILTER (WHERE s.status = '{status}') AS asks_{status}"
        for status in Status.values
        if status != Status.NOT_ASSESSED
    )
    # `counted_asks`: not a digest's points, not an earlier wording restated later.
    counted = (
        f"d.kind NOT IN {_in(POINTS_NOT_ASKS)} AND NOT EXISTS "
        f"(SELECT 1 FROM {t['ask']} later WHERE later.restates_id = a.id)"
    )

    def cites(statuses_field: str, statuses) -> str:
        # An EXISTS over the ask's evidence, as `chain_counts` asks it.
        return (
            f"EXISTS (SELECT 1 FROM {t['evidence']} e JOIN {t['recommendation_counts']} r "
            f"ON r.recommendation_id = e.recommendation_id WHERE e.assessment_id = s.id "
            f"AND r.{statuses_field} IN {_in(statuses)})"
        )

    heard = f"s.status IN {_in(HEARD)}"
    rank = " ".join(f"WHEN '{status}' THEN {status.rank}" for status in StageStatus)
    organisations = f"""
        SELECT o.id AS organisation_id,
            count(a.id) AS asks_total,
            {statuses},
            count(a.id) FILTER (WHERE s.status IS NULL OR s.status = '{Status.NOT_ASSESSED}')
                AS asks_not_assessed,
            count(a.id) FILTER (WHERE s.status IN {_in(ASSESSED)}) AS asked,
            count(a.id) FILTER (WHERE {heard}) AS recommended,
            count(a.id) FILTER (WHERE {heard} AND {cites("response_status", ACCEPTED)})
                AS accepted,
            count(a.id) FILTER (WHERE {heard} AND {cites("delivery_status", DELIVERED)})
                AS delivered
        FROM {t["organisation"]} o
        LEFT JOIN ({t["document"]} d JOIN {t["ask"]} a ON a.document_id = d.id AND {counted})
            ON d.organisation_id = o.id
        LEFT JOIN {t["assessment"]} s ON s.ask_id = a.id
        GROUP BY o.id"""
    demand = ", ".join(
        f"count(DISTINCT d.organisation_id) FILTER (WHERE s.status = '{status}') AS demand_{status}"
        for status in HEARD
    )
    recommendations = f"""
        SELECT r.id AS recommendation_id, heard.demand, heard.demand_realised,
            heard.demand_partly,
            (SELECT g.status FROM {t["stage"]} g
             WHERE g.recommendation_id = r.id AND g.stage = '{Stage.GOVERNMENT_RESPONSE}'
             ORDER BY g.date DESC, g.id DESC LIMIT 1) AS response_status,
            (SELECT g.status FROM {t["stage"]} g
             WHERE g.recommendation_id = r.id AND g.stage = '{Stage.DELIVERY}'
             ORDER BY CASE g.status {rank} END, g.date DESC, g.id LIMIT 1) AS delivery_status
        FROM {t["recommendation"]} r
        CROSS JOIN LATERAL (
            SELECT count(DISTINCT d.organisation_id) AS demand, {demand}
            FROM {t["evidence"]} e
            JOIN {t["assessment"]} s ON s.id = e.assessment_id
            JOIN {t["ask"]} a ON a.id = s.ask_id
            JOIN {t["document"]} d ON d.id = a.document_id
            WHERE e.recommendation_id = r.id AND {heard}
        ) heard"""
    themes = f"""
        SELECT at.theme_id, d.organisation_id,
            coalesce(s.status, '{Status.NOT_ASSESSED}') AS status, count(*) AS asks
        FROM {t["ask_themes"]} at
        JOIN {t["ask"]} a ON a.id = at.ask_id
        JOIN {t["document"]} d ON d.id = a.document_id
        LEFT JOIN {t["assessment"]} s ON s.ask_id = a.id
        WHERE {counted}
        GROUP BY at.theme_id, d.organisation_id, coalesce(s.status, '{Status.NOT_ASSESSED}')"""
    return {
        "organisation_counts": organisations,
        "recommendation_counts": recommendations,
        "theme_counts": themes,
    }


# Per source table: the organisations and the recommendations whose counts its changed
# rows (`changed`) may change. A recommendation's demand counts the organisations of the
# asks that cite it: it changes with its evidence, their judgements' statuses, and the
# organisation of their asks (an ask or a document moved), and only those are recounted,
# as recounting a recommendation reads all its evidence.
def _touched(t: dict[str, str]) -> dict[str, tuple[str | None, str | None]]:
    of_document = f"JOIN {t['document']} d ON d.id = {{}}.document_id"
    of_ask = f"JOIN {t['ask']} a ON a.id = {{}}.ask_id " + of_document.format("a")
    of_assessment = f"JOIN {t['assessment']} s ON s.id = {{}}.assessment_id " + of_ask.format("s")
    evidence = f"SELECT e.recommendation_id FROM {t['evidence']} e"
    cited_by_assessments = f"{evidence} JOIN changed c ON e.assessment_id = c.id"
    cited_by_asks = (
        f"{evidence} JOIN {t['assessment']} s ON s.id = e.assessment_id "
        f"JOIN changed c ON s.ask_id = c.id"
    )
    cited_by_documents = (
        f"{evidence} JOIN {t['assessment']} s ON s.id = e.assessment_id "
        f"JOIN {t['ask']} a ON a.id = s.ask_id JOIN changed c ON a.document_id = c.id"
    )
    return {
        "organisation": ("SELECT c.id FROM changed c", None),
        "document": ("SELECT c.organisation_id FROM changed c", cited_by_documents),
        "ask": (
            # The ask's organisation, and that of an earlier wording it (no longer) restates.
            (
                f"SELECT d.organisation_id FROM changed c {of_document.format('c')} "
                f"UNION SELECT d.organisation_id FROM changed c JOIN {t['ask']} r "
                f"ON r.id = c.restates_id {of_document.format('r')}"
            ),
            cited_by_asks,
        ),
        "ask_themes": (f"SELECT d.organisation_id FROM changed c {of_ask.format('c')}", None),
        "assessment": (
            f"SELECT d.organisation_id FROM changed c {of_ask.format('c')}",
            cited_by_assessments,
        ),
        "evidence": (
            f"SELECT d.organisation_id FROM changed c {of_assessment.format('c')}",
            "SELECT c.recommendation_id FROM changed c",
        ),
        "stage": (
            # Whoever cites the recommendation: its statuses make their chain.
            (
                f"SELECT d.organisation_id FROM changed c JOIN {t['evidence']} e "
                f"ON e.recommendation_id = c.recommendation_id {of_assessment.format('e')}"
            ),
            "SELECT c.recommendation_id FROM changed c",
        ),
        "recommendation": (None, "SELECT c.id FROM changed c"),
    }


def _view_name(stored: str) -> str:
    return f"{stored}_recount"


# How the triggers pass the keys a statement touched to the recount. Migration 0016 passed
# them as integer[], each as often as the statement's rows named it. The ids are bigint,
# and PostgreSQL hashes a `key = ANY(keys)` filter only when both sides are of one type:
# so each recount compared every row it read with every key in turn, and a statement of
# many rows (a bulk load's) took time in the product of its rows and the rows it read.
# Migration 0017 passes each key once, as bigint[], which a filter looks up in a hash.
KEYS_0016 = {"keys": "integer[]", "once": False}
KEYS = {"keys": "bigint[]", "once": True}


def _stored_columns(state) -> dict[str, str]:
    return {
        stored: ", ".join(
            field.column
            for field in state.apps.get_model(STORED[stored])._meta.concrete_fields
            if field.column != "id"
        )
        for stored in STORED
    }


def _refresh_function(t, columns, quote, *, keys: str) -> str:
    """The function that recounts the organisations and recommendations given."""
    key = {
        "recommendation_counts": ("recommendation_id", "recommendations"),
        "organisation_counts": ("organisation_id", "organisations"),
        "theme_counts": ("organisation_id", "organisations"),
    }
    rewrite = "\n".join(
        f"DELETE FROM {quote(t[stored])} WHERE {key[stored][0]} = ANY({key[stored][1]}); "
        f"INSERT INTO {quote(t[stored])} ({columns[stored]}) SELECT {columns[stored]} "
        f"FROM {quote(_view_name(t[stored]))} WHERE {key[stored][0]} = ANY({key[stored][1]});"
        for stored in STORED
    )
    return (
        f"CREATE OR REPLACE FUNCTION {REFRESH}(organisations {keys}, recommendations {keys}) "
        f"RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
        f"PERFORM pg_advisory_xact_lock({RECOUNT_LOCK}); {rewrite} END $$"
    )


def _source_functions(t, *, keys: str, once: bool) -> dict[str, str]:
    """Per source table, the trigger function that recounts what a statement touched."""
    nothing = "SELECT NULL::integer WHERE false"
    rows = {
        "INSERT": "SELECT * FROM new_rows",
        "DELETE": "SELECT * FROM old_rows",
        "UPDATE": "SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows",
    }

    def touched(changed: str, query: str) -> str:
        query = f"WITH changed AS ({changed}) {query}"
        if once:
            query = f"SELECT DISTINCT key FROM ({query}) AS touched(key)"
        return f"ARRAY({query})"

    functions = {}
    for source, (organisations, recommendations) in _touched(t).items():
        branches = " ".join(
            f"{'IF' if i == 0 else 'ELSIF'} TG_OP = '{op}' THEN "
            f"organisations := {touched(sql, organisations or nothing)}; "
            f"recommendations := {touched(sql, recommendations or nothing)};"
            for i, (op, sql) in enumerate(rows.items())
        )
        functions[source] = (
            f"CREATE OR REPLACE FUNCTION {t[source]}_{COUNTS_TRIGGER}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ DECLARE organisations {keys}; recommendations {keys}; "
            f"BEGIN {branches} END IF; PERFORM {REFRESH}(organisations, recommendations); "
            f"RETURN NULL; END $$"
        )
    return functions


class StoredCounts(Operation):
    """The stored counts' views, the functions that write them and the triggers that call
    those after every statement on a table they count from; then every count, recounted.
    The tables themselves are the models' (CreateModel before this). The functions are
    those of migration 0016 (`KEYS_0016`); `PassTouchedKeysOnce` replaces them."""

    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        t = _tables(to_state)
        run = schema_editor.execute
        quote = schema_editor.quote_name
        views = _views(t)
        for stored, sql in views.items():
            run(f"CREATE VIEW {quote(_view_name(t[stored]))} AS {sql}")
        columns = _stored_columns(to_state)
        run(_refresh_function(t, columns, quote, keys=KEYS_0016["keys"]))
        everything = "\n".join(
            f"DELETE FROM {quote(t[stored])}; INSERT INTO {quote(t[stored])} "
            f"({columns[stored]}) SELECT {columns[stored]} FROM {quote(_view_name(t[stored]))};"
            for stored in STORED
        )
        run(
            f"CREATE FUNCTION {REFRESH_ALL}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"PERFORM pg_advisory_xact_lock({RECOUNT_LOCK}); {everything} RETURN NULL; END $$"
        )
        for source, function in _source_functions(t, **KEYS_0016).items():
            run(function)
            self._source_triggers(run, quote, t[source])
        for stored in STORED:
            run(
                f"INSERT INTO {quote(t[stored])} ({columns[stored]}) SELECT {columns[stored]} "
                f"FROM {quote(_view_name(t[stored]))}"
            )

    @staticmethod
    def _source_triggers(run, quote, table):
        function = f"{table}_{COUNTS_TRIGGER}"
        referencing = {
            "INSERT": "NEW TABLE AS new_rows",
            "DELETE": "OLD TABLE AS old_rows",
            "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        }
        for op, transition in referencing.items():
            run(
                f"CREATE TRIGGER {COUNTS_TRIGGER}_on_{op.lower()} AFTER {op} ON {quote(table)} "
                f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
        run(
            f"CREATE TRIGGER {COUNTS_TRIGGER}_on_truncate AFTER TRUNCATE ON {quote(table)} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {REFRESH_ALL}()"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        t = _tables(from_state)
        run = schema_editor.execute
        quote = schema_editor.quote_name
        for source in _touched(t):
            for op in ("insert", "update", "delete", "truncate"):
                run(f"DROP TRIGGER {COUNTS_TRIGGER}_on_{op} ON {quote(t[source])}")
            run(f"DROP FUNCTION {t[source]}_{COUNTS_TRIGGER}()")
        run(f"DROP FUNCTION {REFRESH_ALL}()")
        run(f"DROP FUNCTION {REFRESH}({KEYS_0016['keys']}, {KEYS_0016['keys']})")
        for stored in STORED:
            run(f"DROP VIEW {quote(_view_name(t[stored]))}")

    def describe(self):
        return "Keep the stored counts by database triggers"


class PassTouchedKeysOnce(Operation):
    """The stored counts' triggers pass the recount each key a statement touched once, and
    as bigint[], the type of the ids (`KEYS`), in place of migration 0016's functions."""

    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._replace(schema_editor, to_state, new=KEYS, old=KEYS_0016)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._replace(schema_editor, from_state, new=KEYS_0016, old=KEYS)

    @staticmethod
    def _replace(schema_editor, state, *, new, old):
        t = _tables(state)
        run = schema_editor.execute
        # A function of other argument types is another function: made beside the old,
        # which goes once no trigger function calls it.
        run(
            _refresh_function(t, _stored_columns(state), schema_editor.quote_name, keys=new["keys"])
        )
        for function in _source_functions(t, **new).values():
            run(function)
        run(f"DROP FUNCTION {REFRESH}({old['keys']}, {old['keys']})")

    def describe(self):
        return "Pass the stored counts' recount each touched key once, as bigint[]"
