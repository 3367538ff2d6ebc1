"""Cursor pagination: each page ends with an opaque cursor naming its last row, and the
next page is the rows after it in the list's order. Unlike page numbers, a row written
or removed meanwhile never repeats or skips another, and every page costs the same.

The order is the queryset's own (`order_by`, as the filter form sets it or the endpoint
does) and must end with the primary key, so that no two rows tie."""

import base64
import binascii
import json
import math
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict

from .problems import ApiProblem

DEFAULT_LIMIT = 50
# Asks come with their judgements and evidence: 200 is a few hundred kilobytes.
MAX_LIMIT = 200
_BIGINT = 2**63


def _order(items: QuerySet) -> list[str]:
    order = list(items.query.order_by)
    if not order or order[-1].lstrip("-") not in ("id", "pk"):
        raise ValueError(f"A paginated list must be ordered by the primary key last, not {order}.")
    return order


def _value(item, lookup: str):
    for name in lookup.lstrip("-").split("__"):
        item = getattr(item, name)
    return item


def encode(order: list[str], item) -> str:
    """The cursor of the page after `item`, in the list ordered by `order`."""
    payload = {"order": order, "after": [_value(item, lookup) for lookup in order]}
    text = json.dumps(payload, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _bad(detail: str) -> ApiProblem:
    return ApiProblem(
        400,
        f"The cursor is not one this list gave: {detail}",
        errors=[{"parameter": "cursor", "messages": [detail]}],
    )


def _scalar(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -_BIGINT <= value < _BIGINT
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and "\x00" not in value


def decode(order: list[str], cursor: str) -> list:
    """The values of the row a cursor names, checked against the list's order."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        payload = json.loads(text)
    except (binascii.Error, ValueError):
        raise _bad("it does not decode.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("after"), list):
        raise _bad("it does not decode.")
    if payload.get("order") != order:
        raise _bad("it belongs to the same list in another order (`sort`).")
    values = payload["after"]
    if len(values) != len(order) or not all(map(_scalar, values)):
        raise _bad("its values are not a row's.")
    return values


def _after(order: list[str], values: Sequence) -> Q:
    """The rows after the one with `values` in `order`: the first key further on, or
    equal and the next further on, and so on."""
    names = [lookup.lstrip("-") for lookup in order]
    condition = Q()
    for index, lookup in enumerate(order):
        direction = "lt" if lookup.startswith("-") else "gt"
        further = Q(**{f"{names[index]}__{direction}": values[index]})
        ties = Q(**dict(zip(names[:index], values[:index])))
        condition |= ties & further
    return condition


def paginate(request, items: QuerySet, *, limit: int, cursor: str | None) -> dict:
    """The page of `items` after `cursor` (the first without one), at most `limit`
    rows, and the URL of the next page (None after the last): `limit + 1` rows are read
    to know whether there is one. A cursor that this list did not give is a 400."""
    order = _order(items)
    if cursor:
        try:
            items = items.filter(_after(order, decode(order, cursor)))
        except (ValueError, TypeError, ValidationError):
            # A value of the wrong type for its column.
            raise _bad("its values are not a row's.") from None
    rows = list(items[: limit + 1])
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        query = QueryDict(mutable=True)
        query.update(request.GET)
        query["cursor"] = encode(order, rows[-1])
        following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"results": rows, "next": following}
