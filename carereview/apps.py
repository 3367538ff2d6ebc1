from django.contrib.staticfiles.apps import StaticFilesConfig


class StaticFiles(StaticFilesConfig):
    """Django's static files, collected without source maps (only browser developer tools
    read them) and without ReDoc, which django-ninja ships beside the Swagger UI that the
    API's docs use: 6 MB that no page serves, and most of the time `collectstatic` takes
    to compress what it collects."""

    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "*.map", "redoc*"]
