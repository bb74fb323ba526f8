from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "portal.assessments"
    label = "assessments"
    verbose_name = "Avaliações"
