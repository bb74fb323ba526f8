from django.contrib import admin
from django.urls import include, path

from portal.core import views as core_views

urlpatterns = [
    path("", include("portal.classroom.urls")),
    path("", include("portal.courses.urls")),
    path("", include("portal.attendance.urls")),
    path("", include("portal.surveys.urls")),
    path("", include("portal.assessments.urls")),
    path("", include("portal.grading.urls")),
    path("", include("portal.review.urls")),
    path("", include("portal.gradebook.urls")),
    path("", include("portal.ranking.urls")),
    path("", include("portal.reports.urls")),
    path("", include("portal.certificates.urls")),
    path("", include("portal.notifications.urls")),
    path("", include("portal.api.urls")),
    path("accounts/", include("portal.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
]
