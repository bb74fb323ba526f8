from django.urls import path

from portal.grading import views

app_name = "grading"

prefix = "cursos/<slug:course_slug>/entregas/<slug:slug>/correcao/"

urlpatterns = [
    path("operacao/", views.operations_page, name="operations"),
    path("status/", views.status_page, name="status"),
    path(prefix, views.assignment_grading, name="assignment"),
    path(prefix + "progresso/", views.assignment_progress, name="progress"),
    path(prefix + "corrigir-todas/", views.assignment_rerun, name="assignment_rerun"),
    path(
        prefix + "tentativas/<int:submission_id>/corrigir/",
        views.submission_rerun,
        name="submission_rerun",
    ),
]
