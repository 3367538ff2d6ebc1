"""What each server process does once it has started, before it answers requests."""

import gc

from django.urls import get_resolver


def freeze_startup_objects() -> None:
    """Leave the objects that live as long as the process out of Python's full garbage
    collections.

    A full collection examines every object the collector tracks. Once the modules, the
    models and the URL conf are loaded there are some 125,000, and examining them took
    50 ms or more, added to whichever request set the collection off: the p95 of every page
    that makes many objects. None of them will ever be garbage; frozen, they are skipped,
    and a full collection examines only what requests have made since (5 ms)."""
    # Loading the URL conf imports the views, the API and the admin, as the first request
    # would; collecting first leaves no garbage of the start-up among what is frozen.
    get_resolver().url_patterns  # noqa: B018
    gc.collect()
    gc.freeze()
