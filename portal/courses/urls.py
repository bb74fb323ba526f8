from django.urls import path

from portal.courses import views

app_name = "courses"

course = "cursos/<slug:course_slug>/"

urlpatterns = [
    path(course + "paginas/<slug:page_slug>/", views.page_detail, name="page"),
    path(course + "materiais/<int:material_id>/", views.material_download, name="material"),
    path(course + "gestao/", views.manage_course, name="manage"),
    path(course + "gestao/aulas/", views.session_links, name="sessions"),
    path(
        course + "gestao/semanas/<int:number>/publicacao/",
        views.week_publication,
        name="week_publication",
    ),
    path(course + "gestao/matriculas/importar/", views.roster_upload, name="roster_import"),
]
