from django.apps import AppConfig


class OrgunitsConfig(AppConfig):
    name = "orgunits"
    verbose_name = "Organizations and organization units"

    def ready(self):
        from orgunits.api import schema  # noqa: F401 - registers the OpenAPI security schemes
