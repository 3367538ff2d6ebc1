"""Several app servers share one page cache when REDIS_URL is set: Django's own Redis
backend, against a real redis-server (conftest's `redis_url`). A page one server computed
is the other's too, and no server shows a page older than a write."""

import runpy

import pytest
import redis
from django.core.cache import cache
from django.test import RequestFactory, override_settings

from browse import caching
from tests import factories
from tests.servers import ROOT, Gunicorn, database_url_of_the_tests, get

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


def _page_keys(redis_url: str) -> set[bytes]:
    with redis.Redis.from_url(redis_url) as client:
        return set(client.scan_iter("*carereview:page:*"))


@pytest.fixture
def redis_cache(redis_url):
    """The page cache in Redis, as settings.py makes it with REDIS_URL, empty."""
    with override_settings(CACHES={"default": {"BACKEND": REDIS_CACHE, "LOCATION": redis_url}}):
        cache.clear()
        yield redis_url


def test_a_page_cached_in_redis_is_read_back_as_computed_under_its_data_version(db, redis_cache):
    computed = []
    organisation = factories.organisation(name="Shared")

    def compute() -> dict:
        computed.append(1)
        # A page's data: model rows, and a rendered table of a few hundred kilobytes.
        return {"organisation": organisation, "rows": "<tr>…" * 60_000}

    request = RequestFactory().get("/organisations/", {"sort": "realised", "page": "2"})
    first = caching.cached(request, compute=compute)
    again = caching.cached(request, compute=compute)

    assert computed == [1]
    assert again["rows"] == first["rows"]
    assert again["organisation"].name == "Shared"
    [key] = _page_keys(redis_cache)
    version = caching.data_version()
    assert key.decode().endswith(caching.cache_key(request, version=version))


@pytest.fixture(scope="module")
def two_servers(django_db_setup, django_db_blocker, redis_url, tmp_path_factory):
    """Two gunicorn servers, as two app servers behind one proxy: the same database (the
    tests') and the same Redis."""
    with django_db_blocker.unblock():
        database_url = database_url_of_the_tests()
    logs = tmp_path_factory.mktemp("two-servers")
    servers = [
        Gunicorn(
            database_url=database_url, log=logs / f"{name}.log", wait=False, REDIS_URL=redis_url
        )
        for name in ("a", "b")
    ]
    # Started together, waited for together.
    for server in servers:
        server.wait_until_answering()
    yield servers
    for server in servers:
        server.stop()


def test_two_servers_share_pages_and_neither_shows_one_older_than_a_write(
    transactional_db, two_servers, redis_url
):
    a, b = two_servers
    factories.organisation(name="Written before")
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()

    first = get(f"{a.url}/organisations/")
    computed_by_a = _page_keys(redis_url)
    second = get(f"{b.url}/organisations/")

    assert first[0] == second[0] == 200
    assert "Written before" in first[2] and "Written before" in second[2]
    assert computed_by_a, "a stored what it computed in Redis"
    assert _page_keys(redis_url) == computed_by_a, "b computed nothing: it read a's"

    factories.organisation(name="Written after")

    for server in (b, a):
        status, _, page = get(f"{server.url}/organisations/")
        assert status == 200
        assert "Written after" in page, f"{server.url} showed a page older than the write"


def test_the_page_cache_is_in_redis_when_redis_url_is_set_and_in_memory_otherwise(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    settings_path = str(ROOT / "carereview" / "settings.py")
    assert runpy.run_path(settings_path)["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    shared = runpy.run_path(settings_path)["CACHES"]["default"]
    assert shared["BACKEND"] == REDIS_CACHE
    assert shared["LOCATION"] == "redis://cache.internal:6379/0"
