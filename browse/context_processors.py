"""What every page's template may need from browse: the data version its printed copy names."""

from django.utils.functional import SimpleLazyObject

from . import caching


def data_version(request) -> dict:
    """`data_version`, in hexadecimal: the one a cached page was computed at
    (`caching.cached` keeps it on the request), else read when a template first shows it,
    so a page pays at most one query for it and only if it prints it."""

    def read() -> str:
        version = getattr(request, "data_version", None)
        if version is None:
            version = caching.data_version()
        return f"{version:x}"

    return {"data_version": SimpleLazyObject(read)}
