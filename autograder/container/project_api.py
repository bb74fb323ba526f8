"""Finding the project's API and the requests to send it, without running anything.

The app is found by parsing the project's Python with ``ast`` (size-capped, never imported);
the predict route and its request bodies come from the app's OpenAPI schema (FastAPI) or,
without one (Flask), from the keys the app's file reads out of the JSON body. The schema is
the student's: every walk over it is bounded. Standard library only.
"""

from __future__ import annotations

import ast
import contextlib
import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any

from autograder.container.project_tests import (
    PYTHON_LAUNCHER,  # the launcher pytest_arguments knows
)
from autograder.container.project_tree import REPO

MAX_PARSE_BYTES = 1024 * 1024  # per Python file parsed to find the app
MAX_PARSED_FILES = 400
SCHEMA_NODES = 5000  # nodes of the app's JSON schema visited to build an example


def _call_name(node: ast.AST) -> str:
    """``FastAPI`` for ``FastAPI(...)`` and ``fastapi.FastAPI(...)``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


FRAMEWORKS = {"FastAPI": "fastapi", "Flask": "flask"}
FACTORY_NAMES = ("create_app", "make_app", "get_app")
LOOKED_FOR = (
    "`X = FastAPI(...)` ou `X = Flask(...)` no nível do módulo, ou uma função "
    f"({', '.join(FACTORY_NAMES)} ou outra com app no nome) que crie e retorne um deles"
)


def _module_name(relative: str, src_layout: bool) -> str:
    parts = list(PurePosixPath(relative).with_suffix("").parts)
    if src_layout and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def find_apps(
    root: Path,
    files: list[str],
    *,
    src_layout: bool = False,
    route_words: tuple[str, ...] = ("predict", "health"),
    tried: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """FastAPI/Flask apps defined in the project, best first (found by AST, never imported).

    A module-level ``X = FastAPI(...)`` / ``X = Flask(...)``, or a module-level factory
    (``create_app`` or any function that builds and returns one). Files under tests/ last.
    ``tried``, when given, is filled with what was looked at (:data:`LOOKED_FOR`, the
    Python files parsed, those skipped for a syntax error or their size), for a reason that
    says what was tried when nothing is found.
    """
    found: list[dict[str, Any]] = []
    parsed = 0
    syntax_errors: list[str] = []
    too_large: list[str] = []
    not_parsed = 0
    for relative in files:
        if not relative.endswith(".py"):
            continue
        if parsed >= MAX_PARSED_FILES:
            not_parsed += 1
            continue
        path = root / relative
        try:
            if path.stat().st_size > MAX_PARSE_BYTES:
                too_large.append(relative)
                continue
            source = path.read_bytes()
            tree = ast.parse(source, filename=relative)
        except (SyntaxError, ValueError):
            syntax_errors.append(relative)
            continue
        except OSError:
            continue
        parsed += 1
        text = source.decode("utf-8", errors="replace").lower()
        for node in tree.body:
            app = _app_of(node)
            if app is None:
                continue
            attribute, framework, factory = app
            in_tests = bool(
                re.search(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|conftest", relative)
            )
            score = (0 if in_tests else 100) + sum(10 for w in route_words if w in text)
            score -= relative.count("/")
            found.append(
                {
                    "file": relative,
                    "module": _module_name(relative, src_layout),
                    "attribute": attribute,
                    "framework": framework,
                    "factory": factory,
                    "score": score,
                }
            )
    found.sort(key=lambda app: (-app["score"], app["factory"], app["file"]))
    if tried is not None:
        tried.update(
            looked_for=LOOKED_FOR,
            python_files=parsed + len(syntax_errors) + len(too_large) + not_parsed,
            parsed=parsed,
            syntax_errors=syntax_errors[:5],
            too_large=too_large[:5],
            not_parsed=not_parsed,
        )
    return found[:10]


def _app_of(node: ast.stmt) -> tuple[str, str, bool] | None:
    if isinstance(node, ast.Assign | ast.AnnAssign):
        value = node.value
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        name = _call_name(value) if isinstance(value, ast.Call) else ""
        if name in FRAMEWORKS and isinstance(targets[0], ast.Name):
            return targets[0].id, FRAMEWORKS[name], False
    if isinstance(node, ast.FunctionDef) and not node.args.args:
        built = {_call_name(sub) for sub in ast.walk(node) if isinstance(sub, ast.Call)}
        frameworks = [FRAMEWORKS[name] for name in FRAMEWORKS if name in built]
        returns = any(
            isinstance(sub, ast.Return) and sub.value is not None for sub in ast.walk(node)
        )
        if frameworks and returns and (node.name in FACTORY_NAMES or "app" in node.name):
            return node.name, frameworks[0], True
    return None


def flask_body_keys(source: str) -> list[str]:
    """Keys a Flask view reads from the JSON body: ``data["x"]``, ``payload.get("x")``."""
    keys: list[str] = []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return keys
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            key = node.slice.value
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            key = node.args[0].value
        if isinstance(key, str) and key.isidentifier() and not key.isupper() and key not in keys:
            keys.append(key)
    return keys[:50]


def schema_example(
    schema: Any, components: dict[str, Any], depth: int = 0, budget: list[int] | None = None
) -> Any:
    """A value valid for a JSON schema (the subset pydantic emits): examples, enums, bounds.

    The schema comes from the student's app: ``budget`` caps the nodes visited (recursive
    ``$ref``s), and only arrays of scalars are repeated up to ``minItems``.
    """
    budget = [SCHEMA_NODES] if budget is None else budget
    budget[0] -= 1
    if not isinstance(schema, dict) or depth > 12 or budget[0] < 0:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return schema_example(
            components.get(ref.rsplit("/", 1)[1], {}), components, depth + 1, budget
        )
    for key in ("example", "default", "const"):
        if key in schema and schema[key] is not None:
            return schema[key]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        options = [
            o for o in schema.get(key, []) if isinstance(o, dict) and o.get("type") != "null"
        ]
        if options:
            return schema_example(options[0], components, depth + 1, budget)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = schema_example(part, components, depth + 1, budget)
            if isinstance(value, dict):
                merged.update(value)
            elif len(schema["allOf"]) == 1:
                return value
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        return {
            name: schema_example(sub, components, depth + 1, budget)
            for name, sub in list(properties.items())[:200]
        }
    if kind == "array":
        item = schema_example(schema.get("items", {}), components, depth + 1, budget)
        count = 1
        if not isinstance(item, dict | list):
            with contextlib.suppress(TypeError, ValueError):
                count = min(max(1, int(schema.get("minItems", 1) or 1)), 100)
        return [item] * count
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "string":
        return _string(schema)
    return None


def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value: float = 1.0
    if isinstance(low, int | float) and isinstance(high, int | float):
        value = (low + high) / 2
    elif isinstance(low, int | float):
        value = low + 1
    elif isinstance(high, int | float):
        value = high - 1
    if integer:
        return round(value)
    return float(value)


def _string(schema: dict[str, Any]) -> str:
    formats = {
        "date": "2024-01-01",
        "date-time": "2024-01-01T00:00:00Z",
        "email": "aluno@example.com",
        "uuid": "00000000-0000-0000-0000-000000000000",
        "uri": "https://example.com",
    }
    if schema.get("format") in formats:
        return formats[schema["format"]]
    length = int(schema.get("minLength", 1) or 1)
    return "a" * max(1, min(length, 1000))


def invalid_example(schema: Any, components: dict[str, Any], valid: Any) -> Any:
    """A body the app should refuse: the first field with the wrong type, else ``{}``."""
    resolved = _resolve(schema, components)
    if isinstance(valid, dict) and valid:
        properties = resolved.get("properties", {}) if isinstance(resolved, dict) else {}
        for name in valid:
            kind = _resolve(properties.get(name, {}), components).get("type")
            if kind in ("integer", "number", "boolean", "array", "object"):
                return {**valid, name: "não-é-um-número"}
        return {**valid, next(iter(valid)): {"aninhado": []}}
    if isinstance(valid, list):
        return {"não": "é uma lista"}
    return {}


def _resolve(schema: Any, components: dict[str, Any]) -> dict[str, Any]:
    for _ in range(10):
        if not isinstance(schema, dict):
            return {}
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            schema = components.get(ref.rsplit("/", 1)[1], {})
            continue
        options = [
            o for o in schema.get("anyOf", []) if isinstance(o, dict) and o.get("type") != "null"
        ]
        if options and "type" not in schema:
            schema = options[0]
            continue
        return schema
    return {}


def find_predict_route(spec: dict[str, Any], predict_paths: list[str]) -> dict[str, Any] | None:
    """The POST route to predict with, and its JSON body schema, from an OpenAPI document."""
    paths = spec.get("paths") if isinstance(spec, dict) else None
    if not isinstance(paths, dict):
        return None
    posts = [
        path
        for path, ops in paths.items()
        if isinstance(ops, dict) and isinstance(ops.get("post"), dict)
    ]
    chosen = next((p for p in predict_paths if p in posts), None)
    chosen = chosen or next((p for p in posts if re.search(r"predi|prev", p)), None)
    if chosen is None:
        return None
    operation = paths[chosen]["post"]
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema") or {}
    return {"path": chosen, "schema": schema}


def plan_bodies(
    spec: Any, app: dict[str, Any], predict_paths: list[str]
) -> tuple[dict[str, Any], Any, Any]:
    """(route, a valid body, an invalid body) for the predict endpoint.

    From the OpenAPI schema when there is one; else (Flask) from the keys the app's file
    reads out of the JSON body, each set to 1.0 (a best guess).
    """
    route = None
    components: dict[str, Any] = {}
    if isinstance(spec, dict):
        components = (spec.get("components") or {}).get("schemas") or {}
        route = find_predict_route(spec, predict_paths)
    if route is None:
        keys: list[str] = []
        if app.get("file"):  # an app started by the student's own command has none
            with contextlib.suppress(OSError):
                source = (REPO / app["file"]).read_text("utf-8", errors="replace")
                keys = flask_body_keys(source)
        body_keys = [k for k in keys if k not in ("json", "methods")]
        route = {
            "path": predict_paths[0],
            "schema": None,
            "guess": {k: 1.0 for k in body_keys[:30]},
        }
    valid = (
        schema_example(route["schema"], components)
        if route.get("schema")
        else route.get("guess", {})
    )
    if valid is None:
        valid = {}
    return route, valid, invalid_example(route.get("schema"), components, valid)


# -- the app a projeto.yaml's `serve` command names -----------------------------------------------

_TARGET = re.compile(r"([A-Za-z_][\w.]*):([A-Za-z_]\w*)(\(\))?")
_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=.*", re.DOTALL)
_SHELL = re.compile(r"[|&;<>`$]")
_PORT = re.compile(r"(?:--port[= ]+|(?:-b|--bind)[= ]+\S*:)(\d{1,5})\b")
# fastapi-cli options that take a value (what is not one of them nor an option is the path).
FASTAPI_CLI_FILES = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py")
_FASTAPI_VALUED = {"--host", "--port", "--app", "--entrypoint", "-e", "--root-path", "--workers"}


def declared_port(command: str) -> int | None:
    """The port a server command binds: ``--port 8000``, ``--port=8000``, ``-b 0.0.0.0:8000``."""
    match = _PORT.search(command)
    if match and 1 <= int(match.group(1)) <= 65535:
        return int(match.group(1))
    return None


def _program(words: list[str]) -> tuple[str, list[str], dict[str, str]]:
    """(program, its arguments, leading ``VAR=value`` assignments) of a command's words.

    ``python -m uvicorn x:app`` and ``.venv/bin/uvicorn x:app`` are both ``uvicorn``.
    """
    env: dict[str, str] = {}
    while words and _ASSIGNMENT.fullmatch(words[0]):
        name, value = words[0].split("=", 1)
        env[name] = value
        words = words[1:]
    if len(words) >= 3 and PYTHON_LAUNCHER.fullmatch(words[0]) and words[1] == "-m":
        return words[2], words[3:], env
    if not words:
        return "", [], env
    return PurePosixPath(words[0]).name, words[1:], env


def _option(args: list[str], *names: str) -> str | None:
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg[len(name) + 1 :]
    return None


def _target(args: list[str]) -> tuple[str, str, bool] | None:
    """(module, attribute, called) of the first ``module:attr`` / ``module:factory()``."""
    for arg in args:
        match = _TARGET.fullmatch(arg)
        if match:
            return match.group(1), match.group(2), bool(match.group(3))
    return None


def _module_file(module: str, files: set[str], roots: list[str]) -> str | None:
    dotted = module.replace(".", "/")
    for root in roots:
        prefix = f"{root.strip('/')}/" if root.strip("/.") else ""
        for candidate in (f"{prefix}{dotted}.py", f"{prefix}{dotted}/__init__.py"):
            if candidate in files:
                return candidate
    return None


def _path_module(path: str, files: set[str]) -> tuple[str, str]:
    """(module, directory to put on sys.path) of a file path, as fastapi-cli resolves it:
    up through the directories that are packages (have an ``__init__.py``)."""
    parts = list(PurePosixPath(path.removeprefix("./")).with_suffix("").parts)
    top = len(parts) - 1  # index of the first part of the module
    while top > 0 and "/".join([*parts[:top], "__init__.py"]) in files:
        top -= 1
    module_parts = parts[top:]
    if module_parts and module_parts[-1] == "__init__" and len(module_parts) > 1:
        module_parts = module_parts[:-1]
    return ".".join(module_parts), "/".join(parts[:top])


def _fastapi_cli(args: list[str]) -> tuple[str | None, str | None]:
    """(path, --app) of ``fastapi run|dev [path] [--app name]``."""
    path = None
    skip = False
    for arg in args[1:]:
        if skip:
            skip = False
            continue
        if arg in _FASTAPI_VALUED:
            skip = True
        elif not arg.startswith("-") and path is None:
            path = arg
    return path, _option(args, "--app")


def app_from_command(
    command: str, root: Path, files: list[str], *, src_layout: bool = False
) -> dict[str, Any] | None:
    """The app a server command names, to serve it the way discovery does; None otherwise.

    ``uvicorn mod:app [--app-dir d] [--factory]`` (or ``python -m uvicorn``), ``gunicorn
    [-k uvicorn.workers.UvicornWorker] mod:app [--chdir d]``, ``flask --app mod[:app] run``
    (or ``FLASK_APP=mod flask run``) and ``fastapi run|dev path.py [--app name]``. The result
    is :func:`find_apps`'s shape plus ``server`` (the program named) and ``pythonpath`` (a
    directory of the project to put first on ``sys.path``, "" for none). The framework is
    the one the file defines (by AST) when found, else the server's. Commands with shell
    syntax (``&&``, ``$PORT``, redirections) are None: they run as written.
    """
    if _SHELL.search(command):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    program, args, env = _program(words)
    names = set(files)
    extra = ""
    attribute: str | None = None
    factory = False
    file: str | None = None
    if program in ("uvicorn", "gunicorn"):
        target = _target(args)
        if target is None:
            return None
        module, attribute, factory = target
        extra = (_option(args, "--app-dir", "--chdir") or "").strip("/")
        factory = factory or "--factory" in args
        worker = _option(args, "-k", "--worker-class") or ""
        framework = "fastapi" if program == "uvicorn" or "uvicorn" in worker.lower() else "flask"
    elif program == "flask" and "run" in args:
        given = _option(args, "--app", "-A") or env.get("FLASK_APP")
        if not given:
            return None
        framework = "flask"
        module, _, rest = given.partition(":")
        if rest:
            attribute, factory = rest.removesuffix("()"), rest.endswith("()")
        if module.endswith(".py") or "/" in module:
            file = module.removeprefix("./")
            module, extra = _path_module(file, names)
    elif program == "fastapi" and args[:1] in (["run"], ["dev"]):
        framework = "fastapi"
        path, attribute = _fastapi_cli(args)
        path = path or next((p for p in FASTAPI_CLI_FILES if p in names), None)
        if path is None:
            return None
        file = path.removeprefix("./")
        module, extra = _path_module(file, names)
    else:
        return None
    roots = [extra] if extra else ["", *(["src"] if src_layout else [])]
    file = file if file in names else _module_file(module, names, roots)
    defined = find_apps(root, [file], src_layout=False) if file else []
    if attribute:
        chosen = next((app for app in defined if app["attribute"] == attribute), None)
    else:  # flask/fastapi-cli look for `app` (then `application`/`api`), then a factory
        chosen = next(
            (
                app
                for name in ("app", "application", "api")
                for app in defined
                if app["attribute"] == name
            ),
            defined[0] if defined else None,
        )
    if chosen is not None:
        attribute, framework = chosen["attribute"], chosen["framework"]
        factory = factory or chosen["factory"]
    return {
        "file": file,
        "module": module,
        "attribute": attribute or "app",
        "framework": framework,
        "factory": factory,
        "server": program,
        "pythonpath": extra,
    }
