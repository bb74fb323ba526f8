from django.urls import path

from portal.gradebook import views

app_name = "gradebook"

sheet = "cursos/<slug:course_slug>/entregas/<slug:slug>/planilha/"

urlpatterns = [
    path(sheet, views.spreadsheet_assignment, name="assignment"),
    path(sheet + "exportar.xlsx", views.spreadsheet_xlsx, name="xlsx"),
    path(sheet + "exportar.csv", views.spreadsheet_csv, name="csv"),
    path(sheet + "importar/", views.spreadsheet_import, name="import"),
    path(sheet + "importar/<str:token>/", views.spreadsheet_preview, name="preview"),
    path(sheet + "importar/<str:token>/confirmar/", views.spreadsheet_confirm, name="confirm"),
    path(sheet + "importar/<str:token>/cancelar/", views.spreadsheet_cancel, name="cancel"),
    path(
        "cursos/<slug:course_slug>/planilha/exportar.xlsx",
        views.spreadsheet_course_xlsx,
        name="course_xlsx",
    ),
]
