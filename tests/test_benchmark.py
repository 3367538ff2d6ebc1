import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from browse import export
from ops import benchmarking
from ops.served import measure_served
from responses.models import Organisation

from . import corpus_snapshot
from .servers import database_url_of_the_tests


def run_benchmark(tmp_path, *args) -> dict:
    output = tmp_path / "bench.json"
    call_command(
        "benchmark",
        "--json",
        str(output),
        *args,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    return json.loads(output.read_text())


@pytest.fixture(scope="module")
def small_benchmark(django_db_setup, django_db_blocker, tmp_path_factory):
    """One small benchmark over the corpus for the module's tests, which read what it
    measured (seeding its two sizes is most of its cost), with what it left in the
    database: the corpus, in a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        corpus_snapshot.load()
        measured = run_benchmark(
            tmp_path_factory.mktemp("benchmark"),
            "--sizes",
            "3",
            "40",
            "--asks-per-organisation",
            "4",
            "--recommendations",
            "10",
            "--runs",
            "2",
            "--export-rows",
            # The data is in this transaction, which a server cannot see: timed below.
            "--no-server",
        )
        measured["left_behind"] = {
            "synthetic": Organisation.objects.filter(synthetic=True).count(),
            "real": Organisation.objects.filter(synthetic=False).count(),
        }
        transaction.set_rollback(True)
    return measured


def test_every_page_and_fragment_answers_at_both_sizes(small_benchmark):
    for size in small_benchmark["sizes"]:
        assert [
            (p["name"], p["status_code"]) for p in size["pages"] if p["status_code"] != 200
        ] == []


@pytest.mark.parametrize("counted", ["queries", "warm_queries"])
def test_every_page_issues_as_many_queries_with_several_times_the_asks(small_benchmark, counted):
    small, large = small_benchmark["sizes"]
    assert large["asks"] > 3 * small["asks"]
    queries = [{p["name"]: p[counted] for p in size["pages"]} for size in (small, large)]
    assert queries[0] == queries[1]
    assert all(count > 0 for count in queries[0].values())


def test_every_page_is_kept_whole_and_read_warm_with_one_query(small_benchmark):
    for size in small_benchmark["sizes"]:
        for page in size["pages"]:
            assert page["warm_queries"] == 1 < page["queries"], page["name"]
            assert page["warm_median_ms"] > 0 and page["median_ms"] > 0


def test_benchmark_measures_search_and_matching_at_each_size(small_benchmark):
    for size in small_benchmark["sizes"]:
        assert size["search"]["runs"] == 2
        assert size["matching"]["all_asks"] == size["asks"]
        assert size["matching"]["cdist_vs_loop"]["pairs"] > 0


# The tests' database, DEBUG on only to spare a collectstatic (the static file comes from
# the finders), and the cache of the server's own process.
def _served_environ() -> dict[str, str]:
    return {"DATABASE_URL": database_url_of_the_tests(), "DEBUG": "true", "REDIS_URL": ""}


def test_warm_pages_are_timed_through_gunicorn_beside_a_static_file(db):
    pages = [("overview", "/", False), ("search", "/search/?q=family", True)]
    served = measure_served(pages=pages, runs=2, environ=_served_environ())
    assert served["static_p95_ms"] > 0
    assert [(p["name"], p["path"], p["htmx"]) for p in served["pages"]] == pages
    for page in served["pages"]:
        assert page["times_static"] == round(page["warm_p95_ms"] / served["static_p95_ms"], 1)


def test_served_measure_refuses_a_page_that_does_not_answer(db):
    with pytest.raises(RuntimeError, match="/no-such-page/ answered 404"):
        measure_served(
            pages=[("missing", "/no-such-page/", False)], runs=2, environ=_served_environ()
        )


def test_benchmark_leaves_no_synthetic_rows_behind(small_benchmark):
    assert small_benchmark["left_behind"]["synthetic"] == 0
    assert small_benchmark["left_behind"]["real"] > 0


def test_export_measure_streams_each_file_beside_a_plain_copy_of_its_rows(corpus):
    measured = benchmarking.measure_export(rows=10)
    asks, stages = measured["exports"]
    assert (asks["name"], stages["name"]) == ("asks.csv", "stages.csv")
    assert measured["rows"] == asks["rows"] == len(list(export.asks_table().rows)) > 10
    assert stages["rows"] == len(list(export.stages_table().rows)) > 10
    assert asks["of_plain_copy"] > 0 and asks["plain_copy_rows_per_s"] > 0
    assert measured["peak_rss_mb"] >= measured["start_rss_mb"] > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--runs", "1"], "at least 2"),
        (["--sizes", "0"], "positive"),
        (["--export-rows", "-5"], "positive"),
    ],
)
def test_bad_benchmark_arguments_give_a_clear_error(corpus, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        run_benchmark(tmp_path, *args)
