"""The project's tests: pytest as the student, its JUnit report read back and summarized.

The report is a file the student's processes could write, so it is read *as the student*
(``common.read_as_student``: a symlink gets nothing) and parsed here size-capped, DOCTYPE
refused (no entity bombs). Standard library only.
"""

from __future__ import annotations

import importlib.metadata
import re
import shlex
import signal
import sys
import time
import xml.etree.ElementTree as ET  # size-capped, DOCTYPE refused before parsing
from pathlib import PurePosixPath
from typing import Any

from autograder.container.common import (
    STUDENT_ROOT,
    TIMINGS,
    clip,
    kill_student_processes,
    read_as_student,
)
from autograder.container.student_process import DEPS, StudentProcess, student_environment

STUDENT_OUT = STUDENT_ROOT / "saida"
JUNIT = STUDENT_OUT / "junit.xml"
JUNIT_MAX_BYTES = 4 * 1024 * 1024
OUTPUT_TAIL_BYTES = 8 * 1024
MESSAGE_MAX_CHARS = 500
MAX_FAILURES = 20

_NO_MODULE = re.compile(r"No module named '([A-Za-z_][\w.]*)'")
_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)' from '([A-Za-z_][\w.]*)'")
_BAD_OPTION = re.compile(r"unrecognized arguments: ([^\n]+)")
PYTHON_LAUNCHER = re.compile(r"(?:\S*/)?python(?:3(?:\.\d+)?)?")
# pytest's default ``--doctest-glob``: a ``test*.txt`` file anywhere is collected as a doctest.
_DOCTEST_TEXT = re.compile(r"(?:^|[./])test[^/]*\.txt$")
_SHELL_WORDS = {"&&", "||", ";", "|", "&", ">", ">>", "<", "2>&1"}
DISCOVERY_COMMAND = "python -m pytest"  # what runs without a projeto.yaml
# After the student's: pytest keeps the last value of an option, so ours win.
OUR_OPTIONS = ("-p", "no:cacheprovider", f"--junitxml={JUNIT}", "--continue-on-collection-errors")


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
    tops |= {
        PurePosixPath(p).parts[1].removesuffix(".py")
        for p in project_files
        if p.startswith("src/") and p.count("/") >= 1
    }
    missing: list[str] = []
    own: list[str] = []
    names = [m.group(1) for m in _NO_MODULE.finditer(text)]
    names += [
        m.group(2) for m in _CANNOT_IMPORT.finditer(text) if m.group(2).split(".")[0] not in tops
    ]
    for dotted in names:
        top = dotted.split(".")[0]
        target = own if top in tops else missing
        value = dotted if top in tops else top
        if value not in target:
            target.append(value)
    return missing[:10], own[:10]


def doctest_file(name: str, files: set[str]) -> str | None:
    """The non-Python file a collection error is about, or None when it is a test module.

    pytest collects ``test*.txt`` files as doctests (and whatever ``--doctest-glob`` adds);
    JUnit names them by their path with "/" turned into "." (``data.test_x.txt``).
    """
    if name.endswith(".py"):
        return None
    by_dotted = {path.replace("/", "."): path for path in files if not path.endswith(".py")}
    if name in by_dotted:
        return by_dotted[name]
    return name if _DOCTEST_TEXT.search(name) else None


def summarize_junit(root: ET.Element, files: set[str]) -> dict[str, Any]:
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    failures: list[dict[str, str]] = []
    collection: list[dict[str, str]] = []
    doctests: list[dict[str, str]] = []  # text files pytest read as doctests, not test modules
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
        if (
            detail is not None
            and outcome == "error"
            and (not classname or detail.get("message", "").startswith("collection failure"))
        ):
            text_file = doctest_file(name, files)
            if text_file is not None:
                doctests.append({"name": text_file, "message": clip(message, MESSAGE_MAX_CHARS)})
                continue
            path = name.replace(".", "/") + ".py" if "/" not in name else name
            collection.append(
                {
                    "name": path if path in files else name,
                    "message": clip(message, MESSAGE_MAX_CHARS),
                }
            )
            continue
        key = {"passed": "passed", "failure": "failed", "error": "errors", "skipped": "skipped"}[
            outcome
        ]
        counts[key] += 1
        file = test_id(classname, name, files).split("::")[0]
        tally = by_file.setdefault(file if file.endswith(".py") else "?", {"passed": 0, "total": 0})
        tally["total"] += 1
        tally["passed"] += outcome == "passed"
        if outcome in ("failure", "error") and len(failures) < MAX_FAILURES:
            failures.append(
                {
                    "name": test_id(classname, name, files),
                    "kind": "falha" if outcome == "failure" else "erro",
                    "message": clip(message.strip(), MESSAGE_MAX_CHARS),
                }
            )
    missing, own = module_problems("\n".join(texts), files)
    return {
        **counts,
        "total": sum(counts.values()),
        "failures": failures,
        "collection_errors": collection[:MAX_FAILURES],
        "doctest_errors": doctests[:MAX_FAILURES],
        "missing_modules": missing,
        "by_file": [{"file": name, **tally} for name, tally in sorted(by_file.items())][:50],
        "unimportable_project_modules": own,
    }


def overlay_plugins() -> tuple[dict[str, str], list[str]]:
    """(environment, ``-p`` options) that load each pytest plugin from the distribution Python
    imports, when the project's packages (``/opt/mle-deps``) overlay the image's.

    Both versions of a package are then on the path, and pytest loads the ``pytest11`` entry
    points of *every* distribution it finds: the image's newer ``platformdirs`` names
    ``platformdirs.pytest_plugin``, which the project's pinned version lacks, and pytest
    stops before running a test. So autoloading is turned off and the plugins of the first
    distribution of each name (the one imports resolve to) are named with ``-p``. Only the
    installed packages' metadata is read (never the student's tree); nothing changes
    without the overlay.
    """
    if not DEPS.is_dir():
        return {}, []
    path = [str(DEPS), *(entry for entry in sys.path if entry.endswith("site-packages"))]
    seen: set[str] = set()
    plugins: list[str] = []
    for dist in importlib.metadata.distributions(path=path):
        name = re.sub(r"[-_.]+", "-", str(dist.metadata["Name"] or "")).lower()
        if not name or name in seen:
            continue
        seen.add(name)
        for entry in dist.entry_points:
            if entry.group == "pytest11" and entry.module not in plugins:
                plugins.append(entry.module)
    options = [option for module in plugins for option in ("-p", module)]
    return {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}, options


def count_test_files(files: list[str]) -> int:
    return sum(1 for p in files if re.fullmatch(r"(.*/)?(test_[^/]*|[^/]*_test)\.py", p))


def killed_by(returncode: int, what: str) -> str:
    """pt-BR: ``what`` ended by the signal of a negative ``returncode`` (SIGKILL: memory?)."""
    number = -returncode
    name = signal.Signals(number).name if number in signal.valid_signals() else str(number)
    reason = f"{what} foi encerrado pelo sinal {name}"
    if number == signal.SIGKILL:
        reason += " (memória ou limite de processos esgotados?)"
    return reason


def pytest_arguments(command: str) -> list[str] | None:
    """The student's arguments when ``command`` is pytest itself, else None.

    ``pytest -q tests``, ``python -m pytest tests``, ``python3 -m pytest`` (``py.test`` too):
    pytest is then started by us, with the student's arguments and ours after them
    (:data:`OUR_OPTIONS`; they run as the student anyway). Anything else (``make test``,
    ``cd x && pytest``, a script) is None: the caller runs it through ``/bin/sh -c``.
    """
    try:
        words = shlex.split(command)
    except ValueError:  # an unclosed quote: the shell will say so
        return None
    if any(word in _SHELL_WORDS or word[:1] in "|&;<>" for word in words) or "$" in command:
        return None
    if words[:1] in (["pytest"], ["py.test"]):
        return words[1:]
    if len(words) >= 3 and PYTHON_LAUNCHER.fullmatch(words[0]) and words[1:3] == ["-m", "pytest"]:
        return words[3:]
    return None


def run_tests(
    params: dict[str, Any], files: list[str], pythonpath: list[str], deadline: float
) -> dict[str, Any]:
    timeout = float(params.get("timeout_seconds", 240))
    budget = min(timeout, deadline - time.monotonic())
    declared = str(params.get("command") or "").strip()  # projeto.yaml's `test`
    student_args = pytest_arguments(declared) if declared else []
    report: dict[str, Any] = {
        "command": declared or DISCOVERY_COMMAND,
        "source": "projeto.yaml" if declared else "descoberta",
        "runner": "shell" if student_args is None else "pytest",
        "ran": False,
        "exit_code": None,
        "timed_out": False,
        "timeout_seconds": round(budget, 1),
        "seconds": 0.0,
        "total": 0,
        "passed": 0,
        "failed": 0,
        "errors": 0,
        "skipped": 0,
        "failures": [],
        "collection_errors": [],
        "doctest_errors": [],
        "missing_modules": [],
        "by_file": [],
        "unimportable_project_modules": [],
        "killed_processes": 0,
        "bad_options": [],
        "no_tests": False,
        "test_files": count_test_files(files),
        "junit": "missing",
        "output_tail": "",
        "reason": "",
    }
    if budget < 5:
        report["reason"] = "sem tempo para rodar os testes dentro do limite do contêiner"
        return report
    env = student_environment(pythonpath)
    plugin_env, plugins = overlay_plugins()
    env.update(plugin_env)
    if student_args is None:
        # Not pytest itself (a script, make): run as written. If it calls pytest, these
        # options still get us its JUnit report; if not, only the exit code is known.
        argv = ["/bin/sh", "-c", declared]
        env["PYTEST_ADDOPTS"] = " ".join(["-p no:cacheprovider", f"--junitxml={JUNIT}", *plugins])
    else:
        argv = [sys.executable, "-m", "pytest", *plugins, *(student_args or ["-q"]), *OUR_OPTIONS]
    student = StudentProcess(argv, env=env, tail_bytes=OUTPUT_TAIL_BYTES)
    returncode = student.wait(budget)
    report["seconds"] = TIMINGS["tests"] = student.seconds
    report["killed_processes"] = kill_student_processes()
    output = student.output.text()
    report.update(ran=True, exit_code=returncode, timed_out=returncode is None, output_tail=output)
    if returncode is None:
        report["reason"] = f"os testes passaram do tempo limite de {budget:.0f} s"
    elif returncode < 0:
        report["reason"] = killed_by(returncode, "o pytest")
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
    elif report["runner"] == "shell" and not report["reason"]:
        report["reason"] = (
            f"o comando `test` do projeto.yaml ({clip(declared, 100)}) terminou com código "
            f"{returncode}, mas não rodou o pytest: sem relatório, os testes não puderam ser "
            "contados (use `pytest ...` ou `python -m pytest ...`)"
        )
    missing, own = module_problems(output, set(files))
    for key, found in (("missing_modules", missing), ("unimportable_project_modules", own)):
        report[key] = list(dict.fromkeys([*report[key], *found]))[:10]
    return report
