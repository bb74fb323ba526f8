"""The OpenAPI document's shared parts: the one error body, and the refusals every operation
may answer with (core/api.py), so no view has to list them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

FieldError = inline_serializer(
    "FieldError",
    {"id": serializers.CharField(), "message": serializers.CharField()},
)
Error = inline_serializer(
    "Error",
    {
        "error": inline_serializer(
            "ErrorDetail",
            {
                "id": serializers.CharField(help_text="Stable message id, as on the pages."),
                "message": serializers.CharField(help_text="The text, in the request's language."),
                "fields": serializers.DictField(
                    child=FieldError.__class__(many=True),
                    required=False,
                    help_text="What is wrong with each input, when inputs are at fault.",
                ),
            },
        )
    },
)

READ_ERRORS = (401, 403, 404, 429)
WRITE_ERRORS = (400, 401, 403, 404, 409, 429, 503)


# One section of /api/docs/ per app, in the order a reader meets them.
TAGS = {
    "courses": "courses",
    "assessments": "assignments",
    "classroom": "attempts",
    "grading": "grading (instructors)",
    "review": "review (instructors)",
    "gradebook": "spreadsheet (instructors)",
    "reports": "reports (admins)",
}


class AutoSchema(SpectacularAutoSchema):
    def get_tags(self) -> list[str]:
        app = type(self.view).__module__.split(".")[1]
        return [TAGS.get(app, app)]

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if getattr(self.view, "schema_public", False):
            return responses
        codes = READ_ERRORS if self.method in ("GET", "HEAD") else WRITE_ERRORS
        for code in codes:
            responses.setdefault(str(code), self._get_response_for_code(Error, str(code)))
        return responses
