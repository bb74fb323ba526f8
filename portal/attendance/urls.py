from django.urls import path

from portal.attendance import views

app_name = "attendance"

course = "cursos/<slug:course_slug>/gestao/frequencia/"

urlpatterns = [
    path(course, views.course_attendance, name="course"),
    path(course + "<int:session_id>/", views.session_attendance, name="session"),
]
