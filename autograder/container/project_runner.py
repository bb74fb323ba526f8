"""The project container's command: run a final project's tests and API, one result file out.

The checks ``tests`` and ``serving`` (``autograder/checks/``) grade what this script reports;
the host starts it with ``autograder/project_run.py``. The lockdown is the notebook runner's
(``runner.py``, ``autograder/notebooks.py``): this runs as uid 0 with every capability dropped
except SETUID + SETGID (``setpriv`` to the student's uid) and KILL (end the student's
processes, another uid); no DAC_OVERRIDE, so file permissions bind this root too.

Layout (``/tmp`` and ``/aluno`` are separate size-capped tmpfs mounts; no network but ``lo``):

    /tmp                 root 0711
    /tmp/grader          root 0700: nothing below is reachable by the student
      repo/               read-only bind mount: the checkout at the pinned commit
      in/params.json      read-only bind mount: the rubric params of ``tests`` and ``serving``
      out/                bind mount: result.json leaves the container only through here
    /aluno               root 1777: the student's scratch
      projeto/            the student's copy of the repository (uid 1001, writable)
      home, tmp, saida    root 1777: HOME, TMPDIR and pytest's JUnit report

What runs as whom:

- Root reads only ``repo/`` (read-only for everybody) and ``in/``: it lists the files, parses
  Python with ``ast`` (size-capped, never imported) to find the app, and streams a tar of the
  tree to ``tar -x`` running *as the student*, so the copy is the student's own and root never
  writes, let alone follows, anything in ``/aluno``.
- Everything of the project (pytest, the app server) runs as uid 1001 through ``setpriv``
  with a clean environment, oom_score_adj 1000 (a memory or fork bomb kills the student's
  processes, not this one) and stdout/stderr on pipes that root drains into capped tails.
- Files the student wrote (the JUnit report) are read back *as the student* (``setpriv head
  -c``) and parsed here size-capped, DOCTYPE refused, so a symlink or an entity bomb gets
  nothing. HTTP answers of the app are read with timeouts and size caps.
- Between the steps and at the end every process of uid 1001 is killed (``procs.py``).
- ``result.json`` is created O_EXCL | O_NOFOLLOW in ``out/``, which the student cannot reach.

    python project_runner.py --wall-seconds 600

Standard library only (the host's tests import this file for its pure helpers).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
import traceback
import xml.etree.ElementTree as ET  # size-capped, DOCTYPE refused before parsing
from pathlib import Path, PurePosixPath
from typing import Any

HERE = Path(__file__).resolve().parent
SCRATCH = Path("/tmp")  # noqa: S108 - the container's private tmpfs
GRADER = SCRATCH / "grader"
REPO = GRADER / "repo"
IN = GRADER / "in"
OUT = GRADER / "out"
STUDENT_ROOT = Path("/aluno")
PROJECT = STUDENT_ROOT / "projeto"
STUDENT_HOME = STUDENT_ROOT / "home"
STUDENT_TMP = STUDENT_ROOT / "tmp"
STUDENT_OUT = STUDENT_ROOT / "saida"
JUNIT = STUDENT_OUT / "junit.xml"

STUDENT_UID = STUDENT_GID = 1001
PARAMS_FILE = "params.json"
RESULT_FILE = "result.json"
RESULT_SCHEMA = 1
RESULT_MAX_BYTES = 2 * 1024 * 1024  # the host refuses more than 3 MiB

MAX_FILES = 5000  # copied into the student's tree
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_TREE_BYTES = 200 * 1024 * 1024
MAX_PARSE_BYTES = 1024 * 1024  # per Python file parsed to find the app
MAX_PARSED_FILES = 400
SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "node_modules",
             ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox"}

JUNIT_MAX_BYTES = 4 * 1024 * 1024
OUTPUT_TAIL_BYTES = 8 * 1024
APP_LOG_TAIL_BYTES = 4 * 1024
MESSAGE_MAX_CHARS = 500
MAX_FAILURES = 20
RESPONSE_MAX_BYTES = 64 * 1024
OPENAPI_MAX_BYTES = 1024 * 1024
SAMPLE_MAX_CHARS = 500
REQUEST_TIMEOUT_S = 10.0
SCHEMA_NODES = 5000  # nodes of the app's JSON schema visited to build an example
RESERVE_S = 8.0  # what must fit after the last step: killing leftovers, writing the result

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "tests": {"timeout_seconds": 240},
    "serving": {
        "health_paths": ["/health", "/healthz", "/saude"],
        "predict_paths": ["/predict", "/prever", "/predicao"],
        "requests": 50,
        "startup_seconds": 60,
    },
}

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_NO_MODULE = re.compile(r"No module named '([A-Za-z_][\w.]*)'")
_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([A-Za-z_][\w.]*)'")
_BAD_OPTION = re.compile(r"unrecognized arguments: ([^\n]+)")
TIMINGS: dict[str, float] = {}


def log(message: str) -> None:
    print(f"[project-runner] {message}", flush=True)


def clip(text: str, limit: int) -> str:
    text = _ANSI.sub("", text)
    return text if len(text) <= limit else "…" + text[-limit:]


# -- the scratch tree and the student's copy -------------------------------------------------------


def _mkdir(path: Path, mode: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)


def build_layout() -> None:
    os.umask(0o077)
    os.chmod(SCRATCH, 0o711)  # noqa: S103 - traverse only
    os.chmod(GRADER, 0o700)
    os.chmod(STUDENT_ROOT, 0o1777)  # noqa: S103 - the student's own scratch, sticky
    for directory in (STUDENT_HOME, STUDENT_TMP, STUDENT_OUT):
        _mkdir(directory, 0o1777)


def lower_own_oom_score() -> None:
    try:
        Path("/proc/self/oom_score_adj").write_text("0")
    except OSError as exc:
        log(f"oom_score_adj not lowered: {exc}")


def list_tree(root: Path) -> tuple[list[str], list[str], dict[str, Any]]:
    """(files, symlinks, summary) of ``root``, relative POSIX paths, capped, VCS dirs skipped.

    Nothing is followed: directories are walked without following links and a symlink stays
    a symlink (resolved later in the container, with the student's uid).
    """
    files: list[str] = []
    links: list[str] = []
    skipped: list[str] = []
    total = 0
    for current, dirs, names in os.walk(root, followlinks=False):
        base = Path(current)
        for name in list(dirs):
            if name in SKIP_DIRS or (base / name).is_symlink():
                dirs.remove(name)
                if (base / name).is_symlink():
                    links.append((base / name).relative_to(root).as_posix())
        dirs.sort()
        for name in sorted(names):
            path = base / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                links.append(relative)
                continue
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if len(files) >= MAX_FILES or size > MAX_FILE_BYTES or total + size > MAX_TREE_BYTES:
                if len(skipped) < 20:
                    skipped.append(relative)
                continue
            files.append(relative)
            total += size
    summary = {"files": len(files), "bytes": total, "symlinks": len(links), "skipped": skipped}
    return files, links, summary


def student_command(argv: list[str], cwd: Path = STUDENT_ROOT) -> list[str]:
    """``argv`` as the student: uid/gid 1001, no groups, no capabilities, oom_score_adj 1000.

    The student changes into ``cwd`` itself: root never enters the student's directories.
    """
    script = 'echo 1000 >/proc/self/oom_score_adj 2>/dev/null; cd "$0" && exec "$@"'
    return [
        "setpriv", f"--reuid={STUDENT_UID}", f"--regid={STUDENT_GID}", "--clear-groups",
        "--inh-caps=-all", "--", "/bin/sh", "-c", script, str(cwd), *argv,
    ]


def student_environment(pythonpath: list[str], threads: int = 1) -> dict[str, str]:
    return {
        "PATH": os.path.dirname(sys.executable) + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": str(STUDENT_HOME),
        "TMPDIR": str(STUDENT_TMP),
        "LANG": "C.UTF-8",
        "PYTHONPATH": ":".join(pythonpath),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(STUDENT_HOME / ".config" / "matplotlib"),
        "OMP_NUM_THREADS": str(threads),
        "OPENBLAS_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
        "MLFLOW_TRACKING_URI": f"file://{STUDENT_TMP / 'mlruns'}",
        "NO_PROXY": "*",
    }


def copy_project(files: list[str], links: list[str]) -> None:
    """Stream the tree as a tar into ``tar -x`` running as the student (see the docstring)."""
    extract = subprocess.Popen(  # noqa: S603 - fixed command, no shell
        student_command(["tar", "-x", "-f", "-", "-C", str(STUDENT_ROOT), "--no-same-owner"]),
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert extract.stdin is not None
    try:
        with tarfile.open(fileobj=extract.stdin, mode="w|") as archive:
            top = tarfile.TarInfo("projeto")
            top.type, top.mode = tarfile.DIRTYPE, 0o755
            archive.addfile(top)
            for relative in [*files, *links]:
                try:
                    archive.add(REPO / relative, arcname=f"projeto/{relative}", recursive=False)
                except OSError as exc:  # unreadable for a root without DAC_OVERRIDE: skipped
                    log(f"not copied: {relative}: {exc}")
    finally:
        extract.stdin.close()
    assert extract.stderr is not None
    stderr = extract.stderr.read(64 * 1024)
    extract.stderr.close()
    if extract.wait(timeout=120) != 0:
        raise RuntimeError(f"cópia do projeto falhou: {stderr.decode(errors='replace')[-300:]}")


def python_path(files: list[str]) -> list[str]:
    """The project root, plus ``src`` for a src layout (a package under ``src/``)."""
    paths = [str(PROJECT)]
    names = set(files)
    has_src_packages = any(p.startswith("src/") and p.count("/") >= 2 for p in files)
    if has_src_packages and "src/__init__.py" not in names:
        paths.append(str(PROJECT / "src"))
    return paths


def kill_student_processes() -> int:
    from procs import kill_student_processes  # this script's directory is sys.path[0]

    killed = kill_student_processes(STUDENT_UID)
    if killed:
        log(f"killed {killed} leftover student process(es)")
    return killed


def read_as_student(path: Path, max_bytes: int) -> bytes | None:
    """``path``'s first ``max_bytes`` + 1 bytes, read with the student's uid, or None."""
    command = ["setpriv", f"--reuid={STUDENT_UID}", f"--regid={STUDENT_GID}",
               "--clear-groups", "--inh-caps=-all", "head", "-c", str(max_bytes + 1), str(path)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=20, check=False,  # noqa: S603
                              env={"PATH": "/usr/bin:/bin"})
    except (subprocess.TimeoutExpired, OSError):
        return None
    return done.stdout if done.returncode == 0 else None


class Tail(threading.Thread):
    """Drains a pipe, keeping only its last ``limit`` bytes (the student may print forever)."""

    def __init__(self, pipe: Any, limit: int) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe
        self.limit = limit
        self.data = bytearray()
        self.total = 0
        self.start()

    def run(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            while chunk := self.pipe.read1(65536):
                self.total += len(chunk)
                self.data += chunk
                if len(self.data) > 2 * self.limit:
                    del self.data[: len(self.data) - self.limit]

    def text(self) -> str:
        self.join(2.0)
        return clip(bytes(self.data[-self.limit:]).decode("utf-8", errors="replace"), self.limit)


class StudentProcess:
    """One command of the project, as the student, in its own session, output on a pipe."""

    def __init__(self, argv: list[str], *, env: dict[str, str], tail_bytes: int) -> None:
        self.began = time.monotonic()
        self.process = spawn(student_command(argv, PROJECT), env=env)
        assert self.process.stdout is not None
        self.output = Tail(self.process.stdout, tail_bytes)

    def wait(self, timeout: float) -> int | None:
        """Exit code, or None when it was killed at the time-out."""
        try:
            return self.process.wait(timeout=max(timeout, 0.1))
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        kill_student_processes()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)

    @property
    def seconds(self) -> float:
        return round(time.monotonic() - self.began, 3)


def spawn(argv: list[str], *, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Popen in PROJECT, retried briefly: a fork bomb that is being killed may hold the pids."""
    for attempt in range(20):
        try:
            return subprocess.Popen(  # noqa: S603 - fixed command, no shell
                argv, cwd="/", env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        except BlockingIOError:
            kill_student_processes()
            time.sleep(0.1 * (attempt + 1))
    raise RuntimeError("não foi possível iniciar um processo (limite de processos)")


# -- (a) the tests ---------------------------------------------------------------------------------


def parse_junit(data: bytes) -> ET.Element:
    """The JUnit report's root; ValueError when it is not plain XML of a sane size."""
    if len(data) > JUNIT_MAX_BYTES:
        raise ValueError("relatório JUnit grande demais")
    head = data[:4096].lower()
    if b"<!doctype" in data.lower() or b"<!entity" in head:
        raise ValueError("relatório JUnit com DOCTYPE")
    try:
        return ET.fromstring(data)  # noqa: S314 - no DOCTYPE, so no entities; size-capped
    except ET.ParseError as exc:
        raise ValueError(f"relatório JUnit inválido: {exc}") from exc


def test_id(classname: str, name: str, files: set[str]) -> str:
    """``tests/test_api.py::TestX::test_y`` from JUnit's dotted classname, when it is a file."""
    parts = [part for part in classname.split(".") if part]
    for cut in range(len(parts), 0, -1):
        path = "/".join(parts[:cut]) + ".py"
        if path in files:
            return "::".join([path, *parts[cut:], name])
    return f"{classname}::{name}" if classname else name


def module_problems(text: str, project_files: set[str]) -> tuple[list[str], list[str]]:
    """(missing third-party modules, project modules not importable) named in ``text``."""
    tops = {PurePosixPath(p).parts[0].removesuffix(".py") for p in project_files}
    tops |= {PurePosixPath(p).parts[1].removesuffix(".py") for p in project_files
             if p.startswith("src/") and p.count("/") >= 1}
    missing: list[str] = []
    own: list[str] = []
    names = [m.group(1) for m in _NO_MODULE.finditer(text)]
    names += [m.group(2) for m in _CANNOT_IMPORT.finditer(text)
              if m.group(2).split(".")[0] not in tops]
    for dotted in names:
        top = dotted.split(".")[0]
        target = own if top in tops else missing
        value = dotted if top in tops else top
        if value not in target:
            target.append(value)
    return missing[:10], own[:10]


def summarize_junit(root: ET.Element, files: set[str]) -> dict[str, Any]:
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    failures: list[dict[str, str]] = []
    collection: list[dict[str, str]] = []
    texts: list[str] = []
    by_file: dict[str, dict[str, int]] = {}
    for case in root.iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        outcome = "passed"
        detail = None
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome, detail = child.tag, child
                break
        message = ""
        if detail is not None:
            message = clip((detail.get("message") or "") + "\n" + (detail.text or ""), 4000)
            texts.append(message)
        if outcome == "error" and (not classname or detail.get("message", "").startswith(
                "collection failure")):
            path = name.replace(".", "/") + ".py" if "/" not in name else name
            collection.append({"name": path if path in files else name,
                               "message": clip(message, MESSAGE_MAX_CHARS)})
            continue
        key = {"passed": "passed", "failure": "failed", "error": "errors",
               "skipped": "skipped"}[outcome]
        counts[key] += 1
        file = test_id(classname, name, files).split("::")[0]
        tally = by_file.setdefault(file if file.endswith(".py") else "?", {"passed": 0, "total": 0})
        tally["total"] += 1
        tally["passed"] += outcome == "passed"
        if outcome in ("failure", "error") and len(failures) < MAX_FAILURES:
            failures.append({"name": test_id(classname, name, files),
                             "kind": "falha" if outcome == "failure" else "erro",
                             "message": clip(message.strip(), MESSAGE_MAX_CHARS)})
    missing, own = module_problems("\n".join(texts), files)
    return {**counts, "total": sum(counts.values()), "failures": failures,
            "collection_errors": collection[:MAX_FAILURES], "missing_modules": missing,
            "by_file": [{"file": name, **tally} for name, tally in sorted(by_file.items())][:50],
            "unimportable_project_modules": own}


def count_test_files(files: list[str]) -> int:
    return sum(1 for p in files if re.fullmatch(r"(.*/)?(test_[^/]*|[^/]*_test)\.py", p))


def run_tests(params: dict[str, Any], files: list[str], pythonpath: list[str],
              deadline: float) -> dict[str, Any]:
    timeout = float(params.get("timeout_seconds", 240))
    budget = min(timeout, deadline - time.monotonic())
    report: dict[str, Any] = {
        "ran": False, "exit_code": None, "timed_out": False, "timeout_seconds": round(budget, 1),
        "seconds": 0.0, "total": 0, "passed": 0, "failed": 0, "errors": 0, "skipped": 0,
        "failures": [], "collection_errors": [], "missing_modules": [], "by_file": [],
        "unimportable_project_modules": [], "killed_processes": 0, "bad_options": [],
        "no_tests": False,
        "test_files": count_test_files(files), "junit": "missing", "output_tail": "",
        "reason": "",
    }
    if budget < 5:
        report["reason"] = "sem tempo para rodar os testes dentro do limite do contêiner"
        return report
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={JUNIT}",
            "-q", "--continue-on-collection-errors"]
    student = StudentProcess(argv, env=student_environment(pythonpath),
                             tail_bytes=OUTPUT_TAIL_BYTES)
    returncode = student.wait(budget)
    report["seconds"] = TIMINGS["tests"] = student.seconds
    report["killed_processes"] = kill_student_processes()
    output = student.output.text()
    report.update(ran=True, exit_code=returncode, timed_out=returncode is None,
                  output_tail=output)
    if returncode is None:
        report["reason"] = f"os testes passaram do tempo limite de {budget:.0f} s"
    elif returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in signal.valid_signals() else ""
        report["reason"] = f"o pytest foi encerrado pelo sinal {name or -returncode}"
        if -returncode == signal.SIGKILL:
            report["reason"] += " (memória ou limite de processos esgotados?)"
    report["no_tests"] = returncode == 5
    report["bad_options"] = [m.group(1).strip()[:200] for m in _BAD_OPTION.finditer(output)][:5]

    data = read_as_student(JUNIT, JUNIT_MAX_BYTES)
    if data is not None:
        try:
            report.update(summarize_junit(parse_junit(data), set(files)))
            report["junit"] = "ok"
        except ValueError as exc:
            report["junit"] = "invalid"
            report["reason"] = report["reason"] or str(exc)
    missing, own = module_problems(output, set(files))
    for key, found in (("missing_modules", missing), ("unimportable_project_modules", own)):
        report[key] = list(dict.fromkeys([*report[key], *found]))[:10]
    return report


# -- (b) the API -----------------------------------------------------------------------------------


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


def _module_name(relative: str, src_layout: bool) -> str:
    parts = list(PurePosixPath(relative).with_suffix("").parts)
    if src_layout and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def find_apps(root: Path, files: list[str], *, src_layout: bool = False,
              route_words: tuple[str, ...] = ("predict", "health")) -> list[dict[str, Any]]:
    """FastAPI/Flask apps defined in the project, best first (found by AST, never imported).

    A module-level ``X = FastAPI(...)`` / ``X = Flask(...)``, or a module-level factory
    (``create_app`` or any function that builds and returns one). Files under tests/ last.
    """
    found: list[dict[str, Any]] = []
    parsed = 0
    for relative in files:
        if not relative.endswith(".py") or parsed >= MAX_PARSED_FILES:
            continue
        path = root / relative
        try:
            if path.stat().st_size > MAX_PARSE_BYTES:
                continue
            source = path.read_bytes()
            tree = ast.parse(source, filename=relative)
        except (OSError, SyntaxError, ValueError):
            continue
        parsed += 1
        text = source.decode("utf-8", errors="replace").lower()
        for node in tree.body:
            app = _app_of(node)
            if app is None:
                continue
            attribute, framework, factory = app
            in_tests = bool(re.search(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|conftest",
                                      relative))
            score = (0 if in_tests else 100) + sum(10 for w in route_words if w in text)
            score -= relative.count("/")
            found.append({"file": relative, "module": _module_name(relative, src_layout),
                          "attribute": attribute, "framework": framework, "factory": factory,
                          "score": score})
    found.sort(key=lambda app: (-app["score"], app["factory"], app["file"]))
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
        returns = any(isinstance(sub, ast.Return) and sub.value is not None
                      for sub in ast.walk(node))
        if frameworks and returns and (node.name in ("create_app", "make_app", "get_app")
                                       or "app" in node.name):
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
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "get" and node.args
              and isinstance(node.args[0], ast.Constant)):
            key = node.args[0].value
        if (isinstance(key, str) and key.isidentifier() and not key.isupper()
                and key not in keys):
            keys.append(key)
    return keys[:50]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_request(port: int, method: str, path: str, body: Any = None, *,
                 limit: int = RESPONSE_MAX_BYTES,
                 timeout: float = REQUEST_TIMEOUT_S) -> tuple[int, bytes]:
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


def schema_example(schema: Any, components: dict[str, Any], depth: int = 0,
                   budget: list[int] | None = None) -> Any:
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
        return schema_example(components.get(ref.rsplit("/", 1)[1], {}), components, depth + 1,
                              budget)
    for key in ("example", "default", "const"):
        if key in schema and schema[key] is not None:
            return schema[key]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        options = [o for o in schema.get(key, []) if isinstance(o, dict)
                   and o.get("type") != "null"]
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
        return {name: schema_example(sub, components, depth + 1, budget)
                for name, sub in list(properties.items())[:200]}
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
    formats = {"date": "2024-01-01", "date-time": "2024-01-01T00:00:00Z",
               "email": "aluno@example.com", "uuid": "00000000-0000-0000-0000-000000000000",
               "uri": "https://example.com"}
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
        options = [o for o in schema.get("anyOf", []) if isinstance(o, dict)
                   and o.get("type") != "null"]
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
    posts = [path for path, ops in paths.items()
             if isinstance(ops, dict) and isinstance(ops.get("post"), dict)]
    chosen = next((p for p in predict_paths if p in posts), None)
    chosen = chosen or next((p for p in posts if re.search(r"predi|prev", p)), None)
    if chosen is None:
        return None
    operation = paths[chosen]["post"]
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema") or {}
    return {"path": chosen, "schema": schema}


def plan_bodies(spec: Any, app: dict[str, Any],
                predict_paths: list[str]) -> tuple[dict[str, Any], Any, Any]:
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
        with contextlib.suppress(OSError):
            keys = flask_body_keys((REPO / app["file"]).read_text("utf-8", errors="replace"))
        body_keys = [k for k in keys if k not in ("json", "methods")]
        route = {"path": predict_paths[0], "schema": None,
                 "guess": {k: 1.0 for k in body_keys[:30]}}
    valid = (schema_example(route["schema"], components) if route.get("schema")
             else route.get("guess", {}))
    if valid is None:
        valid = {}
    return route, valid, invalid_example(route.get("schema"), components, valid)


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
        argv = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1",
                "--port", str(port), "--workers", "1", "--log-level", "warning",
                "--no-access-log"]
        return [*argv, "--factory"] if app["factory"] else argv
    if app["factory"]:
        target += "()"
    return [sys.executable, "-m", "flask", "--app", target, "run", "--host", "127.0.0.1",
            "--port", str(port), "--no-reload", "--no-debugger"]


def run_serving(params: dict[str, Any], files: list[str], pythonpath: list[str],
                deadline: float) -> dict[str, Any]:
    report: dict[str, Any] = {
        "found": False, "app": None, "candidates": [], "started": False,
        "startup_seconds": None, "exit_code": None, "health": None, "health_tried": [],
        "openapi": False, "predict": None, "invalid": None, "latency": None, "errors": [],
        "log_tail": "", "reason": "",
    }
    src_layout = len(pythonpath) > 1
    apps = find_apps(REPO, files, src_layout=src_layout)
    report["candidates"] = [{k: a[k] for k in ("file", "attribute", "framework")}
                            for a in apps[:5]]
    if not apps:
        report["reason"] = "nenhuma aplicação FastAPI ou Flask encontrada no código"
        return report
    app = apps[0]
    report["found"] = True
    report["app"] = {k: app[k] for k in ("file", "module", "attribute", "framework",
                                         "factory")}
    startup = float(params.get("startup_seconds", 60))
    health_paths = [str(p) for p in params.get("health_paths", ["/health"])]
    predict_paths = [str(p) for p in params.get("predict_paths", ["/predict"])]
    port = free_port()
    server = StudentProcess(server_argv(app, port), env=student_environment(pythonpath),
                            tail_bytes=APP_LOG_TAIL_BYTES)
    # Per-request time-outs do not bound an app that answers one byte at a time: at the
    # deadline the app is killed, which ends every read of ours at once.
    def out_of_time() -> None:
        report["errors"].append("a API foi encerrada no limite de tempo do contêiner")
        server.kill()

    watchdog = threading.Timer(max(deadline - time.monotonic(), 0.0), out_of_time)
    watchdog.daemon = True
    watchdog.start()
    try:
        _probe(report, server, port, app, startup=startup, deadline=deadline,
               health_paths=health_paths, predict_paths=predict_paths,
               requests=int(params.get("requests", 50)))
    finally:
        watchdog.cancel()
        exit_code = server.process.poll()
        server.kill()
        report["exit_code"] = exit_code
        report["log_tail"] = server.output.text()
        TIMINGS["serving"] = server.seconds
    return report


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


def _probe(report: dict[str, Any], server: StudentProcess, port: int, app: dict[str, Any], *,
           startup: float, deadline: float, health_paths: list[str], predict_paths: list[str],
           requests: int) -> None:
    errors: list[str] = report["errors"]
    until = min(time.monotonic() + startup, deadline - 20)
    if not _wait_started(server, port, health_paths[0], until):
        code = server.process.poll()
        report["reason"] = (f"a API encerrou ao iniciar (código {code})" if code is not None
                            else f"a API não respondeu em {startup:.0f} s")
        return
    report["started"] = True
    report["startup_seconds"] = round(time.monotonic() - server.began, 2)

    for path in health_paths:
        try:
            status, body = http_request(port, "GET", path)
        except (OSError, http.client.HTTPException) as exc:
            report["health_tried"].append({"path": path, "status": None,
                                           "error": type(exc).__name__})
            continue
        report["health_tried"].append({"path": path, "status": status})
        if 200 <= status < 300:
            report["health"] = {"path": path, "status": status, "body": _sample(body)}
            break

    spec = None
    if app["framework"] == "fastapi":
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
    predict: dict[str, Any] = {"path": route["path"], "method": "POST", "status": None,
                               "body_sent": valid, "response": "",
                               "from_schema": bool(route.get("schema"))}
    report["predict"] = predict
    if not route.get("schema") and app["framework"] == "flask":
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
    target = ("POST", predict["path"], valid) if ok_predict else (
        ("GET", report["health"]["path"], None) if report["health"] else None)
    if target is not None:
        report["latency"] = _latency(port, *target, requests=requests, deadline=deadline - 12)


def _latency(port: int, method: str, path: str, body: Any, *, requests: int,
             deadline: float) -> dict[str, Any]:
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
                connection = http.client.HTTPConnection("127.0.0.1", port,
                                                        timeout=REQUEST_TIMEOUT_S)
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
    result: dict[str, Any] = {"method": method, "path": path, "requests": len(samples),
                              "failures": failures}
    if samples:
        result.update(p50_ms=round(percentile(samples, 0.5), 2),
                      p95_ms=round(percentile(samples, 0.95), 2),
                      max_ms=round(max(samples), 2))
    return result


# -- the result ------------------------------------------------------------------------------------


def write_result(result: dict[str, Any]) -> None:
    """The one file the host reads. Created exclusively, never through a symlink."""
    result = {"schema": RESULT_SCHEMA, **result}
    data = json.dumps(result, ensure_ascii=False, default=str).encode("utf-8")
    if len(data) > RESULT_MAX_BYTES:
        for section in ("tests", "serving"):
            part = result.get(section)
            if isinstance(part, dict):
                for key in ("output_tail", "log_tail"):
                    if key in part:
                        part[key] = part[key][-1000:]
        data = json.dumps(result, ensure_ascii=False, default=str).encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(OUT / RESULT_FILE, flags, 0o644)
    try:
        os.fchmod(fd, 0o644)
        os.write(fd, data[: RESULT_MAX_BYTES + 1024])
    finally:
        os.close(fd)


def load_params() -> dict[str, dict[str, Any]]:
    try:
        with open(IN / PARAMS_FILE, "rb") as handle:
            given = json.loads(handle.read(256 * 1024))
    except (OSError, ValueError):
        given = {}
    return {name: {**defaults, **(given.get(name) or {})} if isinstance(given, dict) else defaults
            for name, defaults in DEFAULT_PARAMS.items()}


def main(argv: list[str]) -> int:
    started = time.time()
    parser = argparse.ArgumentParser(prog="project_runner")
    parser.add_argument("--wall-seconds", type=float, default=600)
    parser.add_argument("--steps", default="tests,serving")
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.wall_seconds - RESERVE_S
    steps = set(args.steps.split(","))

    build_layout()
    lower_own_oom_score()
    result: dict[str, Any] = {"status": "ok"}
    try:
        params = load_params()
        files, links, summary = list_tree(REPO)
        began = time.monotonic()
        copy_project(files, links)
        TIMINGS["copy"] = round(time.monotonic() - began, 3)
        pythonpath = python_path(files)
        result["project"] = {**summary, "pythonpath": [p.replace(str(PROJECT), ".")
                                                       for p in pythonpath]}
        if "tests" in steps:
            # The API needs its share of the wall clock: tests get what is left of it.
            reserve = float(params["serving"]["startup_seconds"]) + 30 if "serving" in steps else 0
            result["tests"] = run_tests(params["tests"], files, pythonpath, deadline - reserve)
        if "serving" in steps:
            kill_student_processes()
            result["serving"] = run_serving(params["serving"], files, pythonpath, deadline)
    except Exception as exc:  # whatever broke, the host gets a reason, not a silent zero
        traceback.print_exc()
        result = {**result, "status": "error", "error": f"{type(exc).__name__}: {exc}"[:1000]}
    result["killed_processes"] = kill_student_processes()
    result["runner_seconds"] = round(time.time() - started, 3)
    result["timings"] = TIMINGS
    write_result(result)
    log(f"{result['status']} in {result['runner_seconds']}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
