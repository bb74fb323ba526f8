from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    name = "portal.classroom"
    label = "classroom"
    verbose_name = "Sala de aula"
