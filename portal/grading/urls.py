from django.urls import include, path

from portal.grading import review_views, views

app_name = "grading"

prefix = "cursos/<slug:course_slug>/entregas/<slug:slug>/correcao/"
review = "cursos/<slug:course_slug>/entregas/<slug:slug>/revisao/"

urlpatterns = [
    path(prefix, views.assignment_grading, name="assignment"),
    path(prefix + "progresso/", views.assignment_progress, name="progress"),
    path(prefix + "corrigir-todas/", views.assignment_rerun, name="assignment_rerun"),
    path(prefix + "tentativas/<int:submission_id>/corrigir/", views.submission_rerun,
         name="submission_rerun"),
    path(review, review_views.review_queue, name="review_queue"),
    path(review + "liberar/", review_views.release_toggle, name="release"),
    path(review + "<int:student_id>/", review_views.review_detail, name="review"),
    path(review + "<int:student_id>/pedidos/<int:pk>/", review_views.regrade_answer,
         name="regrade_answer"),
    path("cursos/<slug:course_slug>/", include("portal.grading.ranking_urls")),
    path("cursos/<slug:course_slug>/", include("portal.grading.report_urls")),
    path("cursos/<slug:course_slug>/", include("portal.grading.spreadsheet_urls")),
]
