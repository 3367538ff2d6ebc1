"""Computing what a page shows once per state of the data, and reusing it until the data
changes.

Database triggers give the data version (`DataVersion`) a fresh random token whenever a
table that pages show is written, however it is written (migration 0009). A value cached
here is stored under the token read before computing it, so it is never older than the
data that token names; and once the data changes no request reads that token again.
Entries under old tokens are never read and leave the cache by its own culling and
timeout. Only what is the same for every user may be cached: never a CSRF token, a CSP
nonce or anything about the signed-in user.

`cached_page` keeps a page's whole response the same way, for visitors who are not
signed in, so that a page asked for again costs one query and a cache read.

Each process has its own cache (settings.CACHES): every gunicorn worker computes a page
once per state of the data. With REDIS_URL every process of every app server shares one
Redis: the keys are short ASCII, and the values (a page's data or rendered rows, pickled)
a few hundred kilobytes at most.
"""

import functools
import hashlib
import json
import secrets
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone

from responses.models import DataVersion

T = TypeVar("T")
# The one row of DataVersion, as migration 0009 creates it.
VERSION_ID = 1
_MISSING = object()


def fresh_token() -> int:
    """A random token below 2**63, as the triggers give."""
    return secrets.randbits(63)


def data_version() -> int:
    """The token naming the current state of the data, in one query. If the row is
    gone (a flush empties every table), a new one with a fresh token takes its place."""
    version, _ = DataVersion.objects.get_or_create(pk=VERSION_ID, defaults={"token": fresh_token()})
    return version.token


def cache_key(request, *, version: int, path: str | None = None, kind: str = "page") -> str:
    """The cache key for the page that `request` asks for, at `version`: its path (or
    `path`, the page's, when a chart's download asks with the page's query string) and
    every parameter of its query string, whichever a view reads. Parameters are taken
    in name order, so the same filters in another order share a key; the values of a
    repeated name keep their order, as the last is the one a view reads. `kind` names
    what is kept, and anything else it depends on."""
    page = path or request.path
    asked = json.dumps([page, sorted(request.GET.lists()), kind], separators=(",", ":"))
    digest = hashlib.sha256(asked.encode()).hexdigest()[:32]
    return f"carereview:page:{version}:{digest}"


def cached(request, *, compute: Callable[[], T], path: str | None = None) -> T:
    """What `compute()` returns for the page that `request` asks for (`cache_key`) in the
    current state of the data: computed on the first request in that state and kept,
    then taken from the cache until any table the pages show is written. `compute` may
    depend on the data, the path and the query string, and on nothing else: not on a
    header (a page and its htmx fragment share what it computes) nor on the user. The
    result must pickle. A chart's download gives its page's `path`, and so reads what
    the page computed, computing it for the page if the page has not."""
    version = _version_of(request)
    key = cache_key(request, version=version, path=path)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value)
    return value


def _version_of(request) -> int:
    """The data version for all that `request` reads, read once."""
    if getattr(request, "data_version", None) is None:
        # Kept for the page's printed copy, which names the data version (context_processors).
        request.data_version = data_version()
    return request.data_version


# Where a kept page had its CSP nonce: each response has a nonce of its own. NUL is in no
# text the database holds (PostgreSQL refuses it) nor in a template, so nothing else on a
# page can be taken for it.
NONCE_PLACEHOLDER = b"\x00csp-nonce\x00"
# What a kept response says of itself besides its body; the middleware adds the rest.
KEPT_HEADERS = ("Content-Type", "Vary")


def cached_page(view):
    """Keep the whole response of the page `view` in the current state of the data, and
    answer the same request with it until the data changes: no view runs, no template
    is rendered. A page is the same for every visitor who is not signed in, as `cached`
    requires, once its CSP nonce is each response's own; a signed-in user's page names
    them, and is made afresh. The key is `cache_key`'s, with what else the page shows:
    whether htmx asked for a fragment (and for which target), and the day (a printed
    page is dated)."""

    @functools.wraps(view)
    def page(request, *args, **kwargs):
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        htmx = request.htmx and not request.htmx.history_restore_request
        shown = json.dumps(
            [request.htmx.target if htmx else None, bool(htmx), timezone.localdate().isoformat()]
        )
        key = cache_key(request, version=_version_of(request), kind=f"response:{shown}")
        nonce = str(request.csp_nonce).encode()
        kept = cache.get(key)
        if kept is not None:
            content, headers = kept
            return HttpResponse(content.replace(NONCE_PLACEHOLDER, nonce), headers=headers)
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.streaming and not response.cookies:
            content = response.content.replace(nonce, NONCE_PLACEHOLDER)
            headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            cache.set(key, (content, headers))
        return response

    return page
