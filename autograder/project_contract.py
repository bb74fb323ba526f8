"""The project contract: an optional ``projeto.yaml`` at the root of a final project.

A student who does not want the grader to guess declares how the project is run::

    python: "3.11"
    install: requirements.txt
    train: python train.py
    serve: uvicorn app.main:app --port 8000
    test: pytest -q tests
    port: 8000
    train_seconds: 120

:func:`read_contract` reads it on the host (never executed here: ``yaml.safe_load`` through
``autograder.checks.repofiles``, no symlink followed, size-capped) and never raises on what
the student wrote: a bad field is dropped and named in ``Contract.problems`` (pt-BR, shown
to the student). :meth:`Contract.running_params` is what the project container gets for its
``train``, ``tests`` and ``serving`` steps (``autograder/container/project_train.py``,
``project_tests.py``, ``project_serving.py``); ``python`` and ``install`` are for the
dependency step on the host.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from autograder.checks.repofiles import load_yaml, read_text

CONTRACT_FILES = ("projeto.yaml", "projeto.yml")
KEYS = ("python", "install", "train", "serve", "test", "port", "train_seconds")
COMMAND_KEYS = ("install", "train", "serve", "test")
MAX_CONTRACT_BYTES = 64 * 1024
MAX_COMMAND_CHARS = 500
MAX_PYTHON_CHARS = 30
TRAIN_SECONDS_MAX = 1800.0  # the runner caps it again by what is left of its wall clock

_TYPE_NAMES = {
    bool: "um booleano",
    int: "um número",
    float: "um número",
    list: "uma lista",
    dict: "um mapeamento",
    type(None): "vazio",
}


@dataclass(frozen=True)
class Contract:
    """What ``projeto.yaml`` declares; a field the file got wrong is None (see ``problems``)."""

    file: str  # "projeto.yaml" or "projeto.yml"
    python: str | None = None
    install: str | None = None
    train: str | None = None
    serve: str | None = None
    test: str | None = None
    port: int | None = None
    train_seconds: float | None = None
    problems: list[str] = field(default_factory=list)  # pt-BR, for the student

    def running_params(self) -> dict[str, dict[str, Any]]:
        """The project container's params for what is declared, by step.

        ``{"train": {"command", "timeout_seconds"}, "tests": {"command"},
        "serving": {"command", "port"}}``, each key only when the contract declares it.
        """
        params: dict[str, dict[str, Any]] = {}
        if self.train:
            params["train"] = {"command": self.train}
            if self.train_seconds is not None:
                params["train"]["timeout_seconds"] = self.train_seconds
        if self.test:
            params["tests"] = {"command": self.test}
        if self.serve:
            params["serving"] = {"command": self.serve}
            if self.port is not None:
                params["serving"]["port"] = self.port
        return params


def read_contract(repo: Path) -> Contract | None:
    """The contract at the root of ``repo``; None when there is no ``projeto.yaml``/``.yml``."""
    present = [name for name in CONTRACT_FILES if _exists(repo / name)]
    if not present:
        return None
    name = present[0]
    problems = []
    if len(present) > 1:
        problems.append(f"há {' e '.join(present)}: foi usado só o {name}")
    text, problem = _read(repo / name)
    if text is None:
        return Contract(file=name, problems=[*problems, f"{name} {problem}"])
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        return Contract(file=name, problems=[*problems, f"{name} não é YAML válido: {_where(exc)}"])
    except (RecursionError, ValueError, TypeError) as exc:  # odd documents PyYAML lets through
        problems.append(f"{name} não pôde ser lido ({type(exc).__name__})")
        return Contract(file=name, problems=problems)
    if data is None:
        return Contract(file=name, problems=[*problems, f"{name} está vazio"])
    if not isinstance(data, dict):
        problems.append(
            f"{name} deve ser um mapeamento de chaves ({', '.join(KEYS)}), não {_kind(data)}"
        )
        return Contract(file=name, problems=problems)
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in KEYS:
            shown = repr(key) if isinstance(key, str | int | float | bool) else _kind(key)
            problems.append(f"{name}: chave desconhecida {shown[:60]} (use {', '.join(KEYS)})")
            continue
        parsed, problem = _FIELDS[key](key, value)
        if problem:
            problems.append(problem)
        if parsed is not None:
            values[key] = parsed
    return Contract(file=name, problems=problems, **values)


# -- reading the file ------------------------------------------------------------------------------


def _exists(path: Path) -> bool:
    try:
        path.lstat()
    except OSError:
        return False
    return True


def _read(path: Path) -> tuple[str | None, str]:
    """(text, "") or (None, why it was not read: "é um link simbólico; ...")."""
    try:
        mode = path.lstat()
    except OSError:
        return None, "não pôde ser lido"
    if stat.S_ISLNK(mode.st_mode):
        return None, "é um link simbólico e não foi lido (use um arquivo comum)"
    if not stat.S_ISREG(mode.st_mode):
        return None, "não é um arquivo comum e não foi lido"
    if mode.st_size > MAX_CONTRACT_BYTES:
        return None, f"passa de {MAX_CONTRACT_BYTES // 1024} KB e não foi lido"
    text = read_text(path, MAX_CONTRACT_BYTES)  # O_NOFOLLOW: a swap after lstat gets nothing
    if text is None:
        return None, "não pôde ser lido como texto"
    return text, ""


def _where(exc: yaml.YAMLError) -> str:
    problem = str(getattr(exc, "problem", "") or exc).splitlines()[0][:200]
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"{problem} (linha {mark.line + 1}, coluna {mark.column + 1})"
    return problem


def _kind(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


# -- the fields ------------------------------------------------------------------------------------


def _command(key: str, value: Any) -> tuple[str | None, str]:
    if not isinstance(value, str):
        return None, f"`{key}` deve ser um texto (um comando), não {_kind(value)}"
    command = value.strip()
    if not command:
        return None, f"`{key}` está vazio"
    if "\n" in command or "\r" in command or "\x00" in command:
        return None, f"`{key}` deve ser um comando de uma linha só (junte os passos com &&)"
    if len(command) > MAX_COMMAND_CHARS:
        return None, f"`{key}` passa de {MAX_COMMAND_CHARS} caracteres"
    return command, ""


def _python(key: str, value: Any) -> tuple[str | None, str]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # YAML reads python: 3.10 as the number 3.1: kept as written, but the student is told.
        return str(value), f'`python` foi lido como o número {value}: escreva entre aspas ("3.11")'
    if not isinstance(value, str) or not value.strip():
        return None, f'`python` deve ser a versão como texto ("3.11"), não {_kind(value)}'
    version = value.strip()
    if len(version) > MAX_PYTHON_CHARS or "\n" in version:
        return None, '`python` deve ser uma versão curta, como "3.11"'
    return version, ""


def _port(key: str, value: Any) -> tuple[int | None, str]:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        shown = value if isinstance(value, int) else _kind(value)
        return None, f"`port` deve ser um número de porta entre 1 e 65535, não {shown}"
    return value, ""


def _train_seconds(key: str, value: Any) -> tuple[float | None, str]:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None, "`train_seconds` deve ser um número de segundos"
    if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
        return None, "`train_seconds` deve ser um número de segundos maior que zero"
    if value > TRAIN_SECONDS_MAX:  # NaN failed `> 0` above
        limit = int(TRAIN_SECONDS_MAX)
        return TRAIN_SECONDS_MAX, f"`train_seconds` passa do máximo de {limit} s: usado {limit}"
    return float(value), ""


_FIELDS = {
    "python": _python,
    "install": _command,
    "train": _command,
    "serve": _command,
    "test": _command,
    "port": _port,
    "train_seconds": _train_seconds,
}

__all__ = ["CONTRACT_FILES", "Contract", "read_contract"]
