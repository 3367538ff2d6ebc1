"""Computing what a page shows once per state of the data, and reusing it until the data
changes.

Database triggers give the data version (`DataVersion`) a fresh random token whenever a
table that pages show is written, however it is written (migration 0009). A value cached
here is stored under the token read before computing it, so it is never older than the
data that token names; and once the data changes no request reads that token again.
Entries under old tokens are never read and leave the cache by its own culling and
timeout. Only what is the same for every user may be cached: never a CSRF token, a CSP
nonce or anything about the signed-in user.

Each process has its own cache (settings.CACHES): every gunicorn worker computes a page
once per state of the data.
"""

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

from .models import DataVersion

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


def cache_key(name: str, *, version: int, parts: dict) -> str:
    """The cache key for `name` with `parts` (JSON-able values, in any order) at
    `version`: equal parts give equal keys."""
    normalised = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    digest = hashlib.sha256(normalised.encode()).hexdigest()[:32]
    return f"carereview:{name}:{version}:{digest}"


def cached(name: str, *, parts: dict, compute: Callable[[], T]) -> T:
    """What `compute()` returns for `name` and `parts` in the current state of the data:
    computed on the first call in that state and kept, then taken from the cache until
    any table the pages show is written. `parts` holds everything `compute`'s result
    depends on besides the data (the filters, the page number); the result must pickle."""
    key = cache_key(name, version=data_version(), parts=parts)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value)
    return value
