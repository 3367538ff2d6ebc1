from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The read-only JSON API for researchers, under /api/: the pages' data and filters,
    typed and paginated, with its OpenAPI schema."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
