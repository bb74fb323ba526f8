from django.urls import path

from portal.assessments import views

app_name = "assessments"

prefix = "cursos/<slug:course_slug>/entregas/<slug:slug>/"

urlpatterns = [
    path(prefix + "notebook/", views.release_download, name="release"),
    path(prefix + "pacote.zip", views.bundle_download, name="bundle"),
    path(prefix + "dados/<str:name>", views.data_download, name="data"),
]
