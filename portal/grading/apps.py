from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "portal.grading"
    label = "grading"
    verbose_name = "Correção"
