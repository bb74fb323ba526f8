"""The environment a project ran in, as the running checks (tests, serving) explain it.

``context.run["install"]`` is the install step's report (``autograder.dependencies``):
the Python version graded with and what the project declares, what was installed from
where, and each requirement that could not be installed with the reason. From it:

- :func:`describe`: one pt-BR sentence for a justification ("Ambiente: Python 3.11 (o projeto
  declara 3.10 no Dockerfile: ...); 14 dependências instaladas de requirements.txt (UTF-16);
  não instaláveis: seaborn==0.13.2 (sem wheel para Python 3.11)");
- :func:`not_installable`: the import names of the requirements that could not be installed,
  so a test that fails only because of one is reported as such, not as the student's failure.
"""

from __future__ import annotations

import re
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from autograder.checks.repofiles import plural

# Distributions whose import name is not their project name (the common ones in this course).
IMPORT_NAMES = {
    "scikit-learn": "sklearn",
    "python-dotenv": "dotenv",
    "pyyaml": "yaml",
    "opencv-python": "cv2",
    "opencv-python-headless": "cv2",
    "pillow": "PIL",
    "beautifulsoup4": "bs4",
    "python-json-logger": "pythonjsonlogger",
    "python-multipart": "multipart",
    "protobuf": "google",
    "pytest-cov": "pytest_cov",
    "attrs": "attr",
    "typing-extensions": "typing_extensions",
    "prometheus-client": "prometheus_client",
    "great-expectations": "great_expectations",
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
SHOWN = 4


def _admits(specifier: str, python: str) -> bool:
    try:
        return SpecifierSet(specifier).contains(f"{python}.0", prereleases=True)
    except InvalidSpecifier:
        return False


def _install(run: dict[str, Any]) -> dict[str, Any]:
    install = run.get("install")
    return install if isinstance(install, dict) else {}


def import_name(requirement: str) -> str:
    match = _NAME.match(requirement.strip())
    name = (match.group(0) if match else requirement).lower().replace("_", "-")
    return IMPORT_NAMES.get(name, name.replace("-", "_").replace(".", "_"))


def cited(item: dict[str, Any]) -> str:
    """An uninstallable requirement as justifications cite it: ``"seaborn==0.13.2 (reason)"``."""
    return f"{item.get('requirement')} ({item.get('reason')})"


def not_installable(run: dict[str, Any]) -> dict[str, str]:
    """{import name: :func:`cited` requirement} of what the install step could not install."""
    return {
        import_name(str(item.get("requirement", ""))): cited(item)
        for item in _install(run).get("unavailable") or []
        if isinstance(item, dict)
    }


def declared(run: dict[str, Any]) -> set[str]:
    """Import names of everything the project declared (installed or not)."""
    return {import_name(str(r)) for r in _install(run).get("requirements") or []}


def describe(run: dict[str, Any], explained: frozenset[str] = frozenset()) -> str:
    """The environment sentence, or "" when the project did not run. Requirements whose
    :func:`cited` form is in ``explained`` (the justification gave it already) are only
    named."""
    install = _install(run)
    if not install:
        return ""
    python = install.get("python", "?")
    declared_python = install.get("declared_python") or {}
    if declared_python:
        asked = declared_python.get("version") or declared_python.get("specifier")
        where = declared_python.get("source", "")
        same = asked == python or _admits(declared_python.get("specifier", ""), python)
        python_part = (
            f"Python {python}, conforme o projeto declara ({where})"
            if same
            else f"Python {python}, a versão mais próxima disponível na correção (o projeto "
            f"declara {asked} em {where})"
        )
    else:
        python_part = f"Python {python} (o projeto não declara versão)"
    status = install.get("status")
    sources = ", ".join(install.get("sources") or []) or "nenhum arquivo"
    installed = install.get("installed") or []
    if status == "disabled":
        deps = "dependências do projeto não instaladas (instalação desativada nesta correção)"
    elif status == "none":
        deps = (
            "o projeto não declara dependências (requirements.txt, pyproject.toml ou "
            "environment.yml); usados só os pacotes da imagem de correção"
        )
    elif status == "failed":
        deps = (
            f"as dependências de {sources} não foram instaladas: {install.get('reason')}; "
            "usados os pacotes da imagem de correção"
        )
    else:
        deps = f"{plural(len(installed), 'pacote instalado', 'pacotes instalados')} de {sources}"
    unavailable = [
        str(item.get("requirement"))
        + ("" if cited(item) in explained else f": {item.get('reason')}")
        for item in install.get("unavailable") or []
        if isinstance(item, dict)
    ]
    text = f"Ambiente: {python_part}; {deps}"
    if unavailable:
        more = len(unavailable) - SHOWN
        text += "; não instaláveis: " + "; ".join(unavailable[:SHOWN])
        text += f" e mais {more}" if more > 0 else ""
    return text + "."


def evidence(run: dict[str, Any], shown: int = 15) -> list[str]:
    """Short evidence items: the interpreter, what was installed, what could not be."""
    install = _install(run)
    if not install:
        return []
    items = [f"Python {install.get('python', '?')}"]
    installed = [str(item) for item in install.get("installed") or []]
    items += [f"instalado: {item}" for item in installed[:shown]]
    if len(installed) > shown:
        items.append(f"instalados: mais {len(installed) - shown}")
    items += [
        f"não instalável: {item.get('requirement')}"
        for item in install.get("unavailable") or []
        if isinstance(item, dict)
    ]
    return items
