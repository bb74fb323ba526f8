"""Routes of the admins' feedback reports.

Included by the project under ``cursos/<slug:course_slug>/`` in the ``grading`` namespace,
so these names are ``grading:report_*``.
"""

from django.urls import path

from portal.grading import report_views as views

urlpatterns = [
    path("relatorios/", views.report_course, name="report_course"),
    path("relatorios/resumo.pdf", views.report_course_pdf, name="report_course_pdf"),
    path("relatorios/relatorios.zip", views.report_zip, name="report_zip"),
    path("relatorios/graficos/situacao.png", views.report_chart_counts,
         name="report_chart_counts"),
    path("relatorios/graficos/notas.png", views.report_chart_distribution,
         name="report_chart_distribution"),
    path("relatorios/graficos/criterios/<slug:slug>.png", views.report_chart_criteria,
         name="report_chart_criteria"),
    path("relatorios/alunos/<int:student_id>/", views.report_student, name="report_student"),
    path("relatorios/alunos/<int:student_id>.pdf", views.report_student_pdf,
         name="report_student_pdf"),
]
