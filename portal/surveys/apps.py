from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "portal.surveys"
    label = "surveys"
    verbose_name = "Avaliação do curso"
