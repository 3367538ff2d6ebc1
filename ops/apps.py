from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running carereview: backups, synthetic data, benchmarks, matcher evaluation."""

    name = "ops"
