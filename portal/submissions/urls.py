from django.urls import path

from portal.submissions import views

app_name = "submissions"

prefix = "cursos/<slug:course_slug>/entregas/<slug:slug>/"
attempt = prefix + "tentativas/<int:attempt>/"

urlpatterns = [
    path(prefix, views.assignment_detail, name="assignment"),
    path(prefix + "notebook/", views.release_download, name="release"),
    path(prefix + "pacote.zip", views.bundle_download, name="bundle"),
    path(prefix + "dados/<str:name>", views.data_download, name="data"),
    path(prefix + "placar/", views.leaderboard_toggle, name="leaderboard"),
    path(attempt, views.submission_detail, name="submission"),
    path(attempt + "status/", views.submission_status, name="status"),
    path(attempt + "feedback/", views.submission_feedback, name="feedback"),
    path(attempt + "revisao/", views.regrade_request, name="regrade"),
]
