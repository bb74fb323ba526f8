"""Finding the project's app and what to send it (autograder/container/project_api.py), on
the host: pure functions over files and JSON schemas, nothing is run."""

from __future__ import annotations

import json

import pytest

from autograder.container import project_api, project_serving


def test_schema_example_follows_pydantic_schemas():
    components = {
        "Customer": {
            "type": "object",
            "required": ["tenure", "plan"],
            "properties": {
                "tenure": {"type": "integer", "minimum": 0, "maximum": 120},
                "charges": {"type": "number", "exclusiveMinimum": 0},
                "plan": {"$ref": "#/components/schemas/Plan"},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                "city": {"type": "string", "examples": ["Recife"]},
            },
        },
        "Plan": {"type": "string", "enum": ["mensal", "anual"]},
    }
    body = project_api.schema_example({"$ref": "#/components/schemas/Customer"}, components)
    assert body == {
        "tenure": 60,
        "charges": 1.0,
        "plan": "mensal",
        "note": "a",
        "tags": ["a", "a"],
        "city": "Recife",
    }
    bad = project_api.invalid_example({"$ref": "#/components/schemas/Customer"}, components, body)
    assert bad["tenure"] == "não-é-um-número"


def test_find_apps_prefers_the_app_module_over_tests(tmp_path):
    files = {
        "src/churn/api.py": "from fastapi import FastAPI\napp = FastAPI()\n"
        "@app.get('/health')\ndef h(): ...\n",
        "tests/test_api.py": "from fastapi import FastAPI\napp = FastAPI()\n",
        "web/factory.py": "import flask\ndef create_app():\n    a = flask.Flask(__name__)\n"
        "    return a\n",
        "broken.py": "def (:\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    apps = project_api.find_apps(tmp_path, sorted(files), src_layout=True)
    assert [
        (a["file"], a["module"], a["attribute"], a["framework"], a["factory"]) for a in apps
    ] == [
        ("src/churn/api.py", "churn.api", "app", "fastapi", False),
        ("web/factory.py", "web.factory", "create_app", "flask", True),
        ("tests/test_api.py", "tests.test_api", "app", "fastapi", False),
    ]
    assert project_serving.server_argv(apps[1], 5000)[2:5] == [
        "flask",
        "--app",
        "web.factory:create_app()",
    ]


def test_schema_example_survives_hostile_schemas():
    many = {f"p{i}": {"$ref": "#/components/schemas/Loop"} for i in range(50)}
    components = {
        "Loop": {"type": "object", "properties": many},
        "Wide": {
            "type": "array",
            "minItems": 10**9,
            "items": {"type": "array", "minItems": 10**9, "items": {"type": "number"}},
        },
    }
    loop = project_api.schema_example({"$ref": "#/components/schemas/Loop"}, components)
    assert len(json.dumps(loop)) < 1_000_000
    wide = project_api.schema_example({"$ref": "#/components/schemas/Wide"}, components)
    assert wide == [[1.0] * 100]
    spec = {
        "paths": {
            "/predict": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"type": "object", "properties": ["x"]}}
                        }
                    }
                }
            }
        }
    }
    with pytest.raises(AttributeError):  # _probe falls back to a guessed body
        project_api.plan_bodies(spec, {"file": "main.py"}, ["/predict"])


def test_flask_body_keys_are_the_keys_read_from_the_json_body():
    source = (
        "def prever():\n    d = request.get_json()\n    x = d['idade']\n"
        "    y = d.get('renda')\n    p = os.environ.get('MODEL_PATH')\n"
    )
    assert project_api.flask_body_keys(source) == ["idade", "renda"]
