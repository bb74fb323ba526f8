"""Routes of the rubric spreadsheet, relative to ``cursos/<slug:course_slug>/``.

Included by ``portal/grading/urls.py`` inside the ``grading`` namespace (no ``app_name``
here, so the names are ``grading:spreadsheet_*``).
"""

from django.urls import path

from portal.grading import spreadsheet_views as views

sheet = "entregas/<slug:slug>/planilha/"

urlpatterns = [
    path(sheet, views.spreadsheet_assignment, name="spreadsheet_assignment"),
    path(sheet + "exportar.xlsx", views.spreadsheet_xlsx, name="spreadsheet_xlsx"),
    path(sheet + "exportar.csv", views.spreadsheet_csv, name="spreadsheet_csv"),
    path(sheet + "importar/", views.spreadsheet_import, name="spreadsheet_import"),
    path(sheet + "importar/<str:token>/", views.spreadsheet_preview,
         name="spreadsheet_preview"),
    path(sheet + "importar/<str:token>/confirmar/", views.spreadsheet_confirm,
         name="spreadsheet_confirm"),
    path(sheet + "importar/<str:token>/cancelar/", views.spreadsheet_cancel,
         name="spreadsheet_cancel"),
    path("planilha/exportar.xlsx", views.spreadsheet_course_xlsx,
         name="spreadsheet_course_xlsx"),
]
