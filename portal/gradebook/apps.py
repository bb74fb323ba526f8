from django.apps import AppConfig


class GradebookConfig(AppConfig):
    name = "portal.gradebook"
    label = "gradebook"
    verbose_name = "Planilha de notas"
