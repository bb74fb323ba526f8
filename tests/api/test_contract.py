"""What the API answers is what its document says: every GET of the authorisation matrix,
made by someone it is for, is checked against the generated OpenAPI schema of its route
(``OAS31Validator``: types, required fields, nullability, enums)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from openapi_schema_validator import OAS31Validator

from tests.api.test_authorisation import (  # noqa: F401 - the matrix's world and its fixtures
    ACCESS,
    ROUTES,
    _client,
    _url,
    assignment,
    media_root,
    world,
)


@pytest.fixture(scope="module")
def document() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _inline(node: Any, components: dict) -> Any:
    """The schema with every ``$ref`` to a component replaced by the component."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(components[node["$ref"].rsplit("/", 1)[1]], components)
        return {key: _inline(value, components) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, components) for value in node]
    return node


def _operation(document: dict, url: str) -> dict:
    path = url.split("?")[0]
    for template, operations in document["paths"].items():
        if re.fullmatch(re.sub(r"\{\w+\}", r"[^/]+", template), path):
            return operations["get"]
    raise AssertionError(f"{path} is not in the document")


FILES = (
    "material",
    "assignment-notebook",
    "assignment-bundle",
    "assignment-file",
    "gradebook-spreadsheet",
    "reports-archive-download",
)
# Each JSON GET with each caller it is for (the matrix checks the refusals).
ANSWERS = [
    pytest.param(route, who, id=f"{route.name}-{who}")
    for route in ROUTES
    if route.method == "get" and route.name not in FILES
    for who in ("alice", "bruno", "carla")
    if ACCESS[route.access][who] == 200
]


@pytest.mark.parametrize(("route", "who"), ANSWERS)
def test_each_answer_matches_the_document(
    route,
    who,
    world,  # noqa: F811 - the matrix's fixture, imported above
    document,
):
    response = _client(who, route, world).get(_url(route, world))
    assert response.status_code == 200, response.content
    schema = _operation(document, _url(route, world))["responses"]["200"]["content"]
    resolved = _inline(schema["application/json"]["schema"], document["components"]["schemas"])
    OAS31Validator(resolved).validate(response.json())
