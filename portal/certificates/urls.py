from django.urls import path

from portal.certificates import views

app_name = "certificates"

urlpatterns = [
    path("cursos/<slug:course_slug>/certificados/", views.course_certificates, name="course"),
    path("certificados/<str:code>/", views.verify, name="verify"),
    path("certificados/<str:code>/pdf/", views.download, name="download"),
]
