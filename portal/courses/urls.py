from django.urls import path

from portal.courses import views

app_name = "courses"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cursos/<slug:course_slug>/", views.course_home, name="course"),
    path("cursos/<slug:course_slug>/semanas/<int:number>/", views.week_detail, name="week"),
    path("cursos/<slug:course_slug>/paginas/<slug:page_slug>/", views.page_detail, name="page"),
    path("cursos/<slug:course_slug>/materiais/<int:material_id>/", views.material_download,
         name="material"),
    path("cursos/<slug:course_slug>/gestao/", views.manage_course, name="manage"),
    path("cursos/<slug:course_slug>/gestao/semanas/<int:number>/publicacao/",
         views.week_publication, name="week_publication"),
    path("cursos/<slug:course_slug>/gestao/matriculas/importar/", views.roster_upload,
         name="roster_import"),
]
