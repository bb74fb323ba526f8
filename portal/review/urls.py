from django.urls import path

from portal.review import views

app_name = "review"

review = "cursos/<slug:course_slug>/entregas/<slug:slug>/revisao/"

urlpatterns = [
    path(review, views.review_queue, name="queue"),
    path(review + "liberar/", views.release_toggle, name="release"),
    path(review + "diferencas/", views.conflicts_resolve_all, name="conflicts_resolve_all"),
    path(review + "<int:student_id>/", views.review_detail, name="detail"),
    path(
        review + "<int:student_id>/pedidos/<int:pk>/", views.regrade_answer, name="regrade_answer"
    ),
    path(
        review + "<int:student_id>/diferencas/<int:pk>/",
        views.conflict_resolve,
        name="conflict_resolve",
    ),
]
