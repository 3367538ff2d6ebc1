"""Who may read the API, how often, and answering `304 Not Modified` to a client that
holds the current data: one guard around every endpoint, in that order, so that neither
a stranger nor a client over its rate learns even whether the data changed."""

import functools
import math
import time

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from ninja.throttling import SimpleRateThrottle

from browse.caching import data_version

from .models import ApiToken
from .problems import ApiProblem, problem_response

# Who `request.auth` is on an open carereview, where nobody signs in.
ANYONE = "anyone"

UNAUTHORISED = (
    "This carereview needs a sign-in: send an API token issued in admin, as "
    "`Authorization: Bearer <token>`. A revoked or unknown token is refused."
)


def reader(request):
    """The token, signed-in user or `ANYONE` that may read, or None. A token that is
    sent must be live, even where the API is open: a client is told its token is wrong
    rather than served as a stranger."""
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        return ApiToken.objects.authenticate(secret.strip())
    if not settings.CAREREVIEW_REQUIRE_LOGIN:
        return ANYONE
    if request.user.is_authenticated:
        # Signed in to the site, as the interactive docs are used.
        return request.user
    return None


class PerClient(SimpleRateThrottle):
    """At most `CAREREVIEW_API_RATE` requests per client: a token is a client wherever it
    is sent from, anyone else is their address, as django-ipware reads it with the
    settings that django-axes uses (so behind a proxy, `BEHIND_PROXY`)."""

    cache_format = "carereview:api:throttle:%(ident)s"

    def get_cache_key(self, request) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        else:
            ident = f"address-{get_client_ip_address(request)}"
        return self.cache_format % {"ident": ident}

    def wait(self) -> float:
        """Seconds until the oldest request in the window leaves it, so always a number
        for `Retry-After`."""
        oldest = self.history[-1] if self.history else self.now
        return max(1, math.ceil(self.duration - (self.now - oldest)))


THROTTLE = PerClient(rate=settings.CAREREVIEW_API_RATE)


def admitted(request) -> ApiProblem | None:
    """Who reads (`request.auth`), or the problem that refuses them: 401 or 429."""
    request.auth = reader(request)
    if request.auth is None:
        return ApiProblem(401, UNAUTHORISED, headers={"WWW-Authenticate": "Bearer"})
    if not THROTTLE.allow_request(request):
        wait = THROTTLE.wait()
        detail = f"Too many requests from this client: try again in {wait} seconds."
        return ApiProblem(429, detail, headers={"Retry-After": str(wait)})
    return None


def first_seen(version: int) -> float:
    """When this process first served data version `version`: its `Last-Modified`. The
    data version is a random token with no date; a later time than the true change is
    safe, as it only makes a client read again what it had."""
    return cache.get_or_set(f"carereview:api:seen:{version}", time.time, timeout=None)


def guarded(run):
    """Around an endpoint (ninja's `decorate_view`): refuse a reader who may not read
    (401, 429), answer 304 to a conditional request for the data the client holds
    (`If-None-Match` with the `ETag`, or `If-Modified-Since`), and otherwise run it and
    give the response those validators."""

    @functools.wraps(run)
    def wrapped(request, **kwargs):
        refusal = admitted(request)
        if refusal is not None:
            return problem_response(refusal)
        version = data_version()
        etag = f'"{version:x}"'
        modified = first_seen(version)
        response = get_conditional_response(request, etag=etag, last_modified=int(modified))
        if response is None:
            response = run(request, **kwargs)
        if response.status_code in (200, 304):
            response["ETag"] = etag
            response["Last-Modified"] = http_date(modified)
        # Always ask again, with the validators; and keep a token's answers private.
        patch_cache_control(response, no_cache=True)
        if settings.CAREREVIEW_REQUIRE_LOGIN:
            patch_cache_control(response, private=True)
            patch_vary_headers(response, ["Authorization", "Cookie"])
        return response

    return wrapped


def guarded_docs(view):
    """Around the schema and the docs: the same readers, no validators."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        refusal = admitted(request)
        if refusal is not None:
            return problem_response(refusal)
        return view(request, *args, **kwargs)

    return wrapped
