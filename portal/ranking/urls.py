from django.urls import path

from portal.ranking import views

app_name = "ranking"

ranking = "cursos/<slug:course_slug>/classificacao/"

urlpatterns = [
    path(ranking, views.ranking_page, name="page"),
    path(ranking + "finalistas/", views.ranking_confirm, name="confirm"),
    path(
        ranking + "finalistas/<int:finalist_id>/apresentacao/",
        views.ranking_presentation,
        name="presentation",
    ),
    path(ranking + "finalistas/<int:finalist_id>/vencedor/", views.ranking_winner, name="winner"),
]
