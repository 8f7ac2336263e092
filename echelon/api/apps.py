from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "echelon.api"
    label = "api"
    verbose_name = "API"
