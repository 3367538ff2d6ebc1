from django.apps import AppConfig


class BrowseConfig(AppConfig):
    """The public pages: what organisations asked for beside what the Review recommended."""

    name = "browse"
