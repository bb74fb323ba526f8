"""The OpenAPI document is generated from the views, valid, and complete: every route and
method of /api/v1/ is in it with a body for its answers, and generating it raises no warning
(drf-spectacular warns when it cannot tell what a view takes or returns)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import validate
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.urls import v1

REPO = Path(__file__).resolve().parents[2]
METHODS = ("get", "post", "put", "patch", "delete")


def _routes(patterns: list, prefix: str = "/api/v1/") -> list[tuple[str, URLPattern]]:
    found = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            found.append((prefix + str(pattern.pattern), pattern))
    return found


def _openapi_path(route: str) -> str:
    # Django's "<int:pk>" / "<slug:course_slug>" become OpenAPI's "{pk}" / "{course_slug}".
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def schema_problems(patterns: list) -> list[str]:
    """What is missing or guessed in the document of ``patterns`` (empty: complete)."""
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        generator = SchemaGenerator(patterns=[path("api/v1/", include((patterns, "api")))])
        document = generator.get_schema(request=None, public=True)
    problems = [f"spectacular: {msg}" for msg in GENERATOR_STATS._warn_cache]
    problems += [f"spectacular: {msg}" for msg in GENERATOR_STATS._error_cache]
    GENERATOR_STATS.reset()
    for route, pattern in _routes(patterns):
        view = pattern.callback.cls  # type: ignore[attr-defined]
        operations = document["paths"].get(_openapi_path(route))
        if operations is None:
            problems.append(f"{route}: not in the document")
            continue
        for method in METHODS:
            if not hasattr(view, method):
                continue
            operation = operations.get(method)
            if operation is None:
                problems.append(f"{method.upper()} {route}: not in the document")
                continue
            ok = [c for c in operation["responses"] if c.startswith("2")]
            if not ok:
                problems.append(f"{method.upper()} {route}: no success response")
            for code in ok:
                if code != "204" and not operation["responses"][code].get("content"):
                    problems.append(f"{method.upper()} {route}: {code} has no body schema")
    return problems


def test_every_api_route_has_a_complete_schema(db):
    assert schema_problems(v1) == []
    assert len(_routes(v1)) >= 20  # every app's endpoints are mounted, not an empty list


class Unschemaed(APIView):
    write_scope = "manage"

    def get(self, request):
        return Response({"secret": 1})

    def post(self, request):
        return Response({"done": True})


def test_a_view_without_a_schema_is_caught(db):
    problems = schema_problems([path("bare/", Unschemaed.as_view(), name="bare")])
    assert any("GET /api/v1/bare/" in p and "no body schema" in p for p in problems), problems
    assert any("unable to guess serializer" in p for p in problems), problems


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_the_served_document_is_valid_openapi(client, fmt):
    response = client.get("/api/schema/", {"format": fmt})
    assert response.status_code == 200
    text = response.content.decode()
    document = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    validate(document)  # raises on any violation of the OpenAPI 3.1 specification
    assert document["openapi"] == "3.1.0"
    assert "personalToken" in document["components"]["securitySchemes"]
    assert "/api/v1/me/" in document["paths"]


def test_no_api_document_is_committed_by_hand():
    tracked = subprocess.run(
        ["git", "ls-files", "*.yaml", "*.yml", "*.json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    hand_written = []
    for name in tracked:
        head = (REPO / name).read_text(encoding="utf-8", errors="replace")[:300]
        if '"openapi"' in head or head.lstrip().startswith("openapi:"):
            hand_written.append(name)
    assert hand_written == []


def test_the_docs_page_loads_swagger_from_our_origin_without_inline_code(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<style>" not in html
    assert "<script>" not in html  # the start-up script is a file of its own (?script)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "https://" not in html  # no CDN
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
