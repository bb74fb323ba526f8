from django.urls import path

from portal.classroom import calendar_views, views

app_name = "classroom"

course = "cursos/<slug:course_slug>/"
assignment = course + "entregas/<slug:slug>/"
attempt = assignment + "tentativas/<int:attempt>/"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("minhas-notas/", views.my_grades, name="grades"),
    path(course, views.course_home, name="course"),
    path(course + "calendario/", calendar_views.calendar_page, name="calendar"),
    path(
        course + "calendario/novo-endereco/", calendar_views.calendar_renew, name="calendar_renew"
    ),
    path(course + "calendario.ics", calendar_views.calendar_download, name="calendar_download"),
    path("calendario/<str:token>.ics", calendar_views.calendar_feed, name="calendar_feed"),
    path(course + "semanas/<int:number>/", views.week_detail, name="week"),
    path(assignment, views.assignment_detail, name="assignment"),
    path(assignment + "placar/", views.leaderboard_toggle, name="leaderboard"),
    path(attempt, views.submission_detail, name="submission"),
    path(attempt + "status/", views.submission_status, name="status"),
    path(attempt + "feedback/", views.submission_feedback, name="feedback"),
    path(attempt + "revisao/", views.regrade_request, name="regrade"),
]
