from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "portal.courses"
    label = "courses"
    verbose_name = "Cursos"
