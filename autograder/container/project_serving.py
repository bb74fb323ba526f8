"""The project's API, started as the student and probed over HTTP on loopback.

The app (found by ``project_api``) is served by uvicorn or flask as the student; the probe
waits for it to answer, tries the health paths, posts a valid and an invalid body to the
predict route and measures the latency of sequential requests. Every read has a time-out and
a size cap, and at the deadline the app is killed, which ends every read at once. Standard
library only.
"""

from __future__ import annotations

import http.client
import json
import socket
import sys
import threading
import time
from typing import Any

from autograder.container.common import TIMINGS, clip
from autograder.container.project_api import (
    LOOKED_FOR,
    app_from_command,
    declared_port,
    find_apps,
    plan_bodies,
)
from autograder.container.project_tree import REPO
from autograder.container.student_process import (
    PROJECT,
    StudentProcess,
    student_environment,
)

APP_LOG_TAIL_BYTES = 4 * 1024
RESPONSE_MAX_BYTES = 64 * 1024
OPENAPI_MAX_BYTES = 1024 * 1024
SAMPLE_MAX_CHARS = 500
REQUEST_TIMEOUT_S = 10.0
DEFAULT_PORT = 8000  # where a `serve` command without --port is expected to listen


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_request(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    *,
    limit: int = RESPONSE_MAX_BYTES,
    timeout: float = REQUEST_TIMEOUT_S,
) -> tuple[int, bytes]:
    """(status, first ``limit`` bytes of the body); raises OSError/HTTPException."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Accept": "application/json", "Connection": "close"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(limit)
    finally:
        connection.close()


def _sample(data: bytes) -> str:
    return clip(data.decode("utf-8", errors="replace"), SAMPLE_MAX_CHARS)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def server_argv(app: dict[str, Any], port: int) -> list[str]:
    target = f"{app['module']}:{app['attribute']}"
    if app["framework"] == "fastapi":
        argv = [
            sys.executable,
            "-m",
            "uvicorn",
            target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        return [*argv, "--factory"] if app["factory"] else argv
    if app["factory"]:
        target += "()"
    return [
        sys.executable,
        "-m",
        "flask",
        "--app",
        target,
        "run",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-reload",
        "--no-debugger",
    ]


def run_serving(
    params: dict[str, Any], files: list[str], pythonpath: list[str], deadline: float
) -> dict[str, Any]:
    """Start the app as the student and probe it; the report (``project_run.py`` has it).

    With ``params["command"]`` (``serve`` of the projeto.yaml) the app is the one that
    command names (:func:`~autograder.container.project_api.app_from_command`), served the
    way discovery serves it; a command that names none runs as written (``/bin/sh -c``,
    with ``PORT`` and ``HOST``) and is probed on its ``--port``, else ``params["port"]``,
    else 8000. Without it the app is found by ``find_apps``.
    """
    declared = str(params.get("command") or "").strip()
    report: dict[str, Any] = {
        "source": "projeto.yaml" if declared else "descoberta",
        "command": declared or None,
        "mode": "descoberta",  # "declarado": the named app; "comando": the command as is
        "found": False,
        "app": None,
        "candidates": [],
        "tried": {},
        "started": False,
        "startup_seconds": None,
        "exit_code": None,
        "health": None,
        "health_tried": [],
        "openapi": False,
        "predict": None,
        "invalid": None,
        "latency": None,
        "errors": [],
        "log_tail": "",
        "reason": "",
    }
    src_layout = str(PROJECT / "src") in pythonpath  # not the length: /opt/mle-deps is there too
    env = student_environment(pythonpath)
    if declared:
        app, argv, port = _declared(report, declared, params, files, pythonpath, env, src_layout)
    else:
        apps = find_apps(REPO, files, src_layout=src_layout, tried=report["tried"])
        report["candidates"] = [
            {k: a[k] for k in ("file", "attribute", "framework")} for a in apps[:5]
        ]
        if not apps:
            report["reason"] = _nothing_found(report["tried"])
            return report
        app = apps[0]
        port = free_port()
        argv = server_argv(app, port)
    report["found"] = True
    report["app"] = {k: app[k] for k in ("file", "module", "attribute", "framework", "factory")}
    startup = float(params.get("startup_seconds", 60))
    health_paths = [str(p) for p in params.get("health_paths", ["/health"])]
    predict_paths = [str(p) for p in params.get("predict_paths", ["/predict"])]
    server = StudentProcess(argv, env=env, tail_bytes=APP_LOG_TAIL_BYTES)

    # Per-request time-outs do not bound an app that answers one byte at a time: at the
    # deadline the app is killed, which ends every read of ours at once.
    def out_of_time() -> None:
        report["errors"].append("a API foi encerrada no limite de tempo do contêiner")
        server.kill()

    watchdog = threading.Timer(max(deadline - time.monotonic(), 0.0), out_of_time)
    watchdog.daemon = True
    watchdog.start()
    try:
        _probe(
            report,
            server,
            port,
            app,
            startup=startup,
            deadline=deadline,
            health_paths=health_paths,
            predict_paths=predict_paths,
            requests=int(params.get("requests", 50)),
        )
    finally:
        watchdog.cancel()
        exit_code = server.process.poll()
        server.kill()
        report["exit_code"] = exit_code
        report["log_tail"] = server.output.text()
        TIMINGS["serving"] = server.seconds
    return report


def _declared(
    report: dict[str, Any],
    command: str,
    params: dict[str, Any],
    files: list[str],
    pythonpath: list[str],
    env: dict[str, str],
    src_layout: bool,
) -> tuple[dict[str, Any], list[str], int]:
    """(app, argv, port) for the projeto.yaml's ``serve``; ``env`` is updated in place."""
    named = app_from_command(command, REPO, files, src_layout=src_layout)
    if named is not None:
        report["mode"] = "declarado"
        if named["pythonpath"]:
            env["PYTHONPATH"] = ":".join([f"{PROJECT}/{named['pythonpath']}", *pythonpath])
        port = free_port()
        argv = server_argv(named, port)
        report["served_with"] = f"{argv[2]} {named['module']}:{named['attribute']}"
        return named, argv, port
    report["mode"] = "comando"
    port = declared_port(command) or _port(params.get("port"))
    env.update(PORT=str(port), HOST="127.0.0.1")
    report["port"] = port
    app = {"file": None, "module": None, "attribute": None, "framework": None, "factory": False}
    return app, ["/bin/sh", "-c", command], port


def _port(value: Any) -> int:
    """The declared ``port`` param when it is a port number, else :data:`DEFAULT_PORT`."""
    try:
        port = int(value or DEFAULT_PORT)
    except (TypeError, ValueError):
        return DEFAULT_PORT
    return port if 1 <= port <= 65535 else DEFAULT_PORT


def _nothing_found(tried: dict[str, Any]) -> str:
    """pt-BR: no app found, and what was looked at."""
    count = int(tried.get("python_files") or 0)
    if not count:
        return "nenhuma aplicação FastAPI ou Flask encontrada: o projeto não tem arquivos .py"
    files = f"{count} arquivo{'s' if count != 1 else ''} .py"
    text = f"nenhuma aplicação FastAPI ou Flask encontrada em {files} (procurado {LOOKED_FOR})"
    if tried.get("syntax_errors"):
        text += f"; com erro de sintaxe, não lidos: {', '.join(tried['syntax_errors'])}"
    if tried.get("too_large"):
        text += f"; grandes demais, não lidos: {', '.join(tried['too_large'])}"
    if tried.get("not_parsed"):
        text += f"; {tried['not_parsed']} além do limite de arquivos lidos"
    return text


def _wait_started(server: StudentProcess, port: int, path: str, until: float) -> bool:
    while time.monotonic() < until:
        if server.process.poll() is not None:
            return False
        try:
            http_request(port, "GET", path, limit=1024, timeout=2.0)
            return True
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
    return False


def _probe(
    report: dict[str, Any],
    server: StudentProcess,
    port: int,
    app: dict[str, Any],
    *,
    startup: float,
    deadline: float,
    health_paths: list[str],
    predict_paths: list[str],
    requests: int,
) -> None:
    errors: list[str] = report["errors"]
    until = min(time.monotonic() + startup, deadline - 20)
    if not _wait_started(server, port, health_paths[0], until):
        code = server.process.poll()
        report["reason"] = (
            f"a API encerrou ao iniciar (código {code})"
            if code is not None
            else f"a API não respondeu em {startup:.0f} s"
        )
        return
    report["started"] = True
    report["startup_seconds"] = round(time.monotonic() - server.began, 2)

    for path in health_paths:
        try:
            status, body = http_request(port, "GET", path)
        except (OSError, http.client.HTTPException) as exc:
            report["health_tried"].append(
                {"path": path, "status": None, "error": type(exc).__name__}
            )
            continue
        report["health_tried"].append({"path": path, "status": status})
        if 200 <= status < 300:
            report["health"] = {"path": path, "status": status, "body": _sample(body)}
            break

    spec = None
    if app["framework"] != "flask":  # FastAPI, or an app of the student's own command
        try:
            status, body = http_request(port, "GET", "/openapi.json", limit=OPENAPI_MAX_BYTES)
            spec = json.loads(body) if status == 200 else None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            errors.append(f"/openapi.json ilegível: {type(exc).__name__}")
        report["openapi"] = isinstance(spec, dict)
    try:
        route, valid, bad = plan_bodies(spec, app, predict_paths)
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        errors.append(f"esquema OpenAPI fora do padrão: {type(exc).__name__}")
        route, valid, bad = plan_bodies(None, app, predict_paths)
    predict: dict[str, Any] = {
        "path": route["path"],
        "method": "POST",
        "status": None,
        "body_sent": valid,
        "response": "",
        "from_schema": bool(route.get("schema")),
    }
    report["predict"] = predict
    if not route.get("schema") and app["framework"] != "fastapi":
        for path in predict_paths:  # no schema: the first predict path that exists
            try:
                status, body = http_request(port, "POST", path, valid)
            except (OSError, http.client.HTTPException):
                continue
            if status != 404:
                predict["path"] = path
                break
    try:
        status, body = http_request(port, "POST", predict["path"], valid)
        predict.update(status=status, response=_sample(body))
    except (OSError, http.client.HTTPException) as exc:
        errors.append(f"POST {predict['path']}: {type(exc).__name__}: {exc}"[:300])

    invalid: dict[str, Any] = {"path": predict["path"], "status": None, "body_sent": bad}
    report["invalid"] = invalid
    try:
        status, body = http_request(port, "POST", predict["path"], bad)
        invalid.update(status=status, response=_sample(body))
    except (OSError, http.client.HTTPException) as exc:
        errors.append(f"POST {predict['path']} (inválido): {type(exc).__name__}")

    ok_predict = predict["status"] is not None and 200 <= predict["status"] < 300
    target = (
        ("POST", predict["path"], valid)
        if ok_predict
        else (("GET", report["health"]["path"], None) if report["health"] else None)
    )
    if target is not None:
        report["latency"] = _latency(port, *target, requests=requests, deadline=deadline - 12)


def _latency(
    port: int, method: str, path: str, body: Any, *, requests: int, deadline: float
) -> dict[str, Any]:
    """Sequential requests on one keep-alive connection (reopened when the app closes it)."""
    samples: list[float] = []
    failures = 0
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    connection: http.client.HTTPConnection | None = None
    for _ in range(max(1, min(requests, 1000))):
        if time.monotonic() > deadline:
            break
        try:
            if connection is None:
                connection = http.client.HTTPConnection(
                    "127.0.0.1", port, timeout=REQUEST_TIMEOUT_S
                )
            began = time.perf_counter()
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            response.read(RESPONSE_MAX_BYTES)
            elapsed = (time.perf_counter() - began) * 1000
            if response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException):
            failures += 1
            if connection is not None:
                connection.close()
            connection = None
            continue
        samples.append(elapsed)
        if not 200 <= response.status < 300:
            failures += 1
    if connection is not None:
        connection.close()
    result: dict[str, Any] = {
        "method": method,
        "path": path,
        "requests": len(samples),
        "failures": failures,
    }
    if samples:
        result.update(
            p50_ms=round(percentile(samples, 0.5), 2),
            p95_ms=round(percentile(samples, 0.95), 2),
            max_ms=round(max(samples), 2),
        )
    return result
