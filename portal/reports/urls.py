from django.urls import path

from portal.reports import views

app_name = "reports"

reports = "cursos/<slug:course_slug>/relatorios/"

urlpatterns = [
    path(reports, views.report_course, name="course"),
    path(reports + "resumo.pdf", views.report_course_pdf, name="course_pdf"),
    path(reports + "relatorios.zip", views.report_zip, name="zip"),  # old: redirects
    path(reports + "arquivos/", views.report_archive_request, name="archive_request"),
    path(reports + "arquivos/situacao/", views.report_archive_status, name="archive_status"),
    path(
        reports + "arquivos/<int:archive_id>/relatorios.zip",
        views.report_archive_download,
        name="archive_download",
    ),
    path(reports + "graficos/situacao.png", views.report_chart_counts, name="chart_counts"),
    path(
        reports + "graficos/notas.png", views.report_chart_distribution, name="chart_distribution"
    ),
    path(
        reports + "graficos/criterios/<slug:slug>.png",
        views.report_chart_criteria,
        name="chart_criteria",
    ),
    path(reports + "alunos/<int:student_id>/", views.report_student, name="student"),
    path(reports + "alunos/<int:student_id>.pdf", views.report_student_pdf, name="student_pdf"),
]
