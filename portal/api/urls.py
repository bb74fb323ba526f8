"""``/api/v1/``: every app's ``apis.py`` routes, the OpenAPI document and its documentation UI.

Each app owns its endpoints (``portal/<app>/apis.py``, thin callers of its selectors and
services, like its HTML views); this module only puts them under one prefix and namespace.
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from portal.assessments import apis as assessments
from portal.classroom import apis as classroom
from portal.courses import apis as courses
from portal.gradebook import apis as gradebook
from portal.grading import apis as grading
from portal.reports import apis as reports
from portal.review import apis as review

v1 = [
    *courses.urlpatterns,
    *assessments.urlpatterns,
    *classroom.urlpatterns,
    *grading.urlpatterns,
    *review.urlpatterns,
    *gradebook.urlpatterns,
    *reports.urlpatterns,
]


class SchemaView(SpectacularAPIView):
    """The document is public: it describes the API, and holds no data."""

    permission_classes = (AllowAny,)
    authentication_classes = ()


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from our own origin (drf-spectacular-sidecar); its start-up script is a
    file of its own (``?script``), so the site's CSP needs no inline script."""

    permission_classes = (AllowAny,)
    authentication_classes = ()
    template_name = "api/docs.html"
    url_name = "api-schema"


urlpatterns = [
    path("api/v1/", include((v1, "api"))),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(), name="api-docs"),
]
