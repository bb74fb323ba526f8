"""Routes of the ranking (``portal.grading.ranking_views``).

Included by ``portal/grading/urls.py`` under ``cursos/<slug:course_slug>/`` inside the
``grading`` namespace, so the names are ``grading:ranking`` and so on. No ``app_name`` here:
the namespace is the including module's.
"""

from django.urls import path

from portal.grading import ranking_views

urlpatterns = [
    path("classificacao/", ranking_views.ranking_page, name="ranking"),
    path("classificacao/finalistas/", ranking_views.ranking_confirm, name="ranking_confirm"),
    path("classificacao/finalistas/<int:finalist_id>/apresentacao/",
         ranking_views.ranking_presentation, name="ranking_presentation"),
    path("classificacao/finalistas/<int:finalist_id>/vencedor/",
         ranking_views.ranking_winner, name="ranking_winner"),
]
