from django.urls import path

from portal.surveys import views

app_name = "surveys"

urlpatterns = [
    path("cursos/<slug:course_slug>/avaliacao-do-curso/", views.survey_page, name="answer"),
    path(
        "cursos/<slug:course_slug>/gestao/avaliacao-do-curso/",
        views.survey_results,
        name="results",
    ),
]
