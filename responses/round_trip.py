"""Bringing an edited export back through admin: a preview of what the file would change,
then the same import applied only if the data is still what the preview was computed
from.

The importers plan (`importing_assessments.plan_assessments`, `importing_stages.plan_stages`)
and apply what they planned; the preview shows the plan, and applying plans again, inside
its transaction, after `check_unchanged` has locked the data version: a write by anyone
else since the preview renewed the version (database triggers), so the plan applied is
the plan shown, or nothing is applied.
"""

import secrets

from django.db import transaction

from .models import DataVersion

# The one row of DataVersion, as migration 0009 creates it.
_VERSION_ID = 1


class DataChanged(Exception):
    """The data changed since the preview; nothing was applied."""

    def __init__(self):
        super().__init__(
            "The data changed since the preview (someone saved something meanwhile), so "
            "nothing was applied: preview the file again to see what it would change now."
        )


def data_version() -> int:
    """The token naming the current state of the data."""
    version, _ = DataVersion.objects.get_or_create(
        pk=_VERSION_ID, defaults={"token": secrets.randbits(63)}
    )
    return version.token


def check_unchanged(expected: int) -> None:
    """Raise DataChanged unless the data version is still `expected`. Call in the
    transaction that applies: the version stays locked until it ends, so no other write
    (each renews the version) can come between this check and the import's own."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("check_unchanged must be called inside a transaction.")
    current = DataVersion.objects.select_for_update().filter(pk=_VERSION_ID).first()
    if current is None or current.token != expected:
        raise DataChanged()
