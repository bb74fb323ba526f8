"""Criterion "Testes automatizados": the project's pytest suite, run inside the sandbox.

Reads ``context.run["tests"]`` (``autograder/project_run.py`` documents its shape); never runs
anything itself. Levels of the rubric (params ``min_tests``):

- 1.0: at least ``min_tests`` tests, all passing, covering the API (a test file or test about
  the API/endpoints) and something else (features, model);
- 0.8: at least ``min_tests`` tests, all passing;
- 0.5: some pass, but some fail or error, a test module cannot be collected, or there are
  fewer than ``min_tests`` tests;
- 0: no tests, none passing, or the suite could not run (time-out, memory, no report).

"All passing" also needs pytest's exit code 0: a JUnit report that claims success while
pytest failed is not believed.

A text file that pytest could not read as a doctest (``test*.txt`` files are doctests by
default, so a stray UTF-16 ``test.txt`` breaks collection) is named with what to do about it,
but is not a broken test module: alone, it lowers no level.

A test that fails only because a declared dependency could not be installed (no wheel for
the grading image's Python, see ``environment.py``) is not the student's failure: it is
counted apart as "não avaliado" and named, and the level is judged on the other tests. When
no test is left to judge, the criterion goes to the instructors. Every justification ends with
the environment the tests ran in (``environment.describe``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from autograder.checks import LeftToInstructors, environment
from autograder.checks.base import CheckContext, CheckOutcome
from autograder.checks.repofiles import plural
from autograder.messages import duration

API_TEST = re.compile(r"api|endpoint|rota|route|serv|predict|health|client", re.IGNORECASE)
NAMES_SHOWN = 5


def _names(items: list[dict[str, Any]], limit: int = NAMES_SHOWN) -> str:
    names = [str(item.get("name", "?")) for item in items[:limit]]
    more = len(items) - limit
    return ", ".join(names) + (f" e mais {more}" if more > 0 else "")


def _not_run(context: CheckContext) -> str | None:
    """Why the suite has no result at all, or None."""
    tests = context.run.get("tests")
    if not isinstance(tests, dict):
        reason = context.run.get("reason") or "o projeto não foi executado no sandbox"
        return f"Os testes não rodaram: {reason}."
    if not tests.get("ran"):
        return f"Os testes não rodaram: {tests.get('reason') or 'motivo desconhecido'}."
    return None


def _problems(tests: dict[str, Any], run: dict[str, Any]) -> list[str]:
    """Sentences about what kept tests from running (pt-BR)."""
    sentences = []
    blocked = environment.not_installable(run)
    installed_ran = (run.get("install") or {}).get("status") in ("ok", "partial")
    declared = environment.declared(run)
    for module in tests.get("missing_modules") or []:
        if module in blocked:
            continue  # said with the tests it kept from running (_set_aside)
        if installed_ran and module not in declared:
            sentences.append(
                f"dependência não declarada: {module} (acrescente-a ao requirements.txt "
                "para que a correção a instale)"
            )
        else:
            sentences.append(f"dependência ausente no ambiente de correção: {module}")
    for module in tests.get("unimportable_project_modules") or []:
        sentences.append(
            f"módulo do próprio projeto não importável: {module} "
            "(confira o caminho de importação ou um conftest.py)"
        )
    for option in tests.get("bad_options") or []:
        sentences.append(
            f"opção do pytest não reconhecida: {option} (plugin ausente no ambiente de correção?)"
        )
    doctests = tests.get("doctest_errors") or []
    if doctests:
        many = len(doctests) > 1
        sentences.append(
            f"o pytest tentou ler {_names(doctests)} como "
            f"doctest{'s' if many else ''} (arquivos test*.txt são doctests por padrão) e não "
            "conseguiu, o que não conta como teste quebrado: renomeie "
            f"o{'s' if many else ''} arquivo{'s' if many else ''} ou configure `--doctest-glob` "
            "no pytest"
        )
    collection = tests.get("collection_errors") or []
    if collection:
        sentences.append(
            f"{plural(len(collection), 'módulo de teste não pôde', 'módulos de teste não puderam')}"
            f" ser coletado{'s' if len(collection) > 1 else ''} ({_names(collection)})"
        )
    return sentences


def _covers_api(tests: dict[str, Any]) -> tuple[bool, bool]:
    """(some passing test file is about the API, some passing test file is about the rest)."""
    files = [item for item in tests.get("by_file") or [] if item.get("passed")]
    api = [item for item in files if API_TEST.search(str(item.get("file", "")))]
    return bool(api), len(api) < len(files)


_NO_MODULE = re.compile(r"No module named '([A-Za-z_][\w]*)")


@dataclass(frozen=True)
class SetAside:
    """Tests that failed only for a package the install step could not install."""

    sentence: str = ""  # pt-BR, naming them and the packages; "" when none did
    causes: frozenset[str] = frozenset()  # the packages, as environment.cited gives them


def _set_aside(tests: dict[str, Any], run: dict[str, Any]) -> tuple[dict[str, Any], SetAside]:
    """The tests without those that failed only for a dependency that could not be
    installed, and what was set aside."""
    blocked = environment.not_installable(run)
    if not blocked:
        return tests, SetAside()

    def blocker(item: dict[str, Any]) -> str | None:
        modules = _NO_MODULE.findall(str(item.get("message", "")))
        return next((blocked[m] for m in modules if m in blocked), None)

    failures = tests.get("failures") or []
    collection = tests.get("collection_errors") or []
    aside = [item for item in failures if blocker(item)]
    aside_modules = [item for item in collection if blocker(item)]
    if not aside and not aside_modules:
        return tests, SetAside()
    kept = dict(tests)
    kept["failures"] = [item for item in failures if not blocker(item)]
    kept["collection_errors"] = [item for item in collection if not blocker(item)]
    kept["failed"] = int(tests.get("failed", 0)) - sum(i.get("kind") != "erro" for i in aside)
    kept["errors"] = int(tests.get("errors", 0)) - sum(i.get("kind") == "erro" for i in aside)
    kept["total"] = int(tests.get("total", 0)) - len(aside)
    kept["missing_modules"] = [m for m in tests.get("missing_modules") or [] if m not in blocked]
    causes = frozenset(str(blocker(item)) for item in [*aside, *aside_modules])
    parts = []
    if aside:
        parts.append(plural(len(aside), "teste não avaliado", "testes não avaliados"))
    if aside_modules:
        parts.append(
            plural(len(aside_modules), "módulo de teste não coletado", "módulos não coletados")
            + f" ({_names(aside_modules)})"
        )
    sentence = (
        f"{' e '.join(parts)} por depender{'em' if len(aside) + len(aside_modules) > 1 else ''}"
        f" de pacote que a correção não pôde instalar: {'; '.join(sorted(causes))}. Isso não "
        "conta como falha do projeto"
    )
    return kept, SetAside(sentence, causes)


def _excused(tests: dict[str, Any], excuse: bool) -> dict[str, Any]:
    """The tests with pytest's exit code 1 (or 2) judged as 0 when there is an ``excuse`` (tests
    set aside, a text file read as a doctest) and nothing else in the report failed: pytest
    failed for the excused alone, and the rest is judged on its own."""
    failed = int(tests.get("failed", 0)) + int(tests.get("errors", 0))
    if not excuse or tests.get("exit_code") not in (1, 2) or failed > 0:
        return tests
    if tests.get("failures") or tests.get("collection_errors"):
        return tests
    return {**tests, "exit_code": 0}


def check(context: CheckContext) -> CheckOutcome:
    not_run = _not_run(context)
    if not_run is not None:
        outcome, aside = CheckOutcome(0.0, not_run, ["testes não executados"]), SetAside()
    else:
        tests, aside = _set_aside(context.run["tests"], context.run)
        tests = _excused(tests, bool(aside.sentence or tests.get("doctest_errors")))
        outcome = _judge(context, tests, aside.sentence)
    described = environment.describe(context.run, aside.causes)
    report = context.run.get("tests") or {}
    if report.get("source") == "projeto.yaml" and report.get("command"):
        declared = f"Testes rodados pelo comando `test` do projeto.yaml: `{report['command']}`."
        described = f"{declared} {described}"
    if not described.strip():
        return outcome
    text = f"{outcome.justification} {described.strip()}"
    return CheckOutcome(
        outcome.fraction, text, [*outcome.evidence, *environment.evidence(context.run)]
    )


def _judge(context: CheckContext, tests: dict[str, Any], aside: str) -> CheckOutcome:
    """The level of a suite that ran, ``tests`` with what was set aside removed."""
    if aside and int(tests.get("passed", 0)) == 0 and int(tests.get("total", 0)) <= 0:
        raise LeftToInstructors(
            f"Nenhum teste pôde ser avaliado: {aside[:1].lower()}{aside[1:]}. A banca vai "
            "corrigir este critério."
        )
    min_tests = int(context.params.get("min_tests", 5))
    passed, failed = int(tests.get("passed", 0)), int(tests.get("failed", 0))
    errors, skipped = int(tests.get("errors", 0)), int(tests.get("skipped", 0))
    total = int(tests.get("total", passed + failed + errors + skipped))
    collection = tests.get("collection_errors") or []
    problems = _problems(tests, context.run)
    if aside:
        problems.append(aside[:1].lower() + aside[1:])
    seconds = float(tests.get("seconds") or 0)
    evidence = [
        f"pytest: código de saída {tests.get('exit_code')}",
        f"{passed}/{total} passaram em {seconds:.1f} s".replace(".", ","),
    ]
    evidence += [f"falhou: {item.get('name')}" for item in (tests.get("failures") or [])[:10]]
    evidence += [f"não coletado: {item.get('name')}" for item in collection[:5]]
    evidence += [
        f"doctest ilegível: {item.get('name')}" for item in tests.get("doctest_errors") or []
    ][:5]
    evidence += [f"ausente: {module}" for module in tests.get("missing_modules") or []]

    if tests.get("timed_out"):
        limit = duration(round(float(tests.get("timeout_seconds") or 0)))
        text = (
            f"Os testes passaram do tempo limite de {limit} e foram "
            "interrompidos; nenhum resultado foi aproveitado."
        )
        return CheckOutcome(0.0, _join(text, problems), evidence)
    if tests.get("junit") != "ok":
        reason = tests.get("reason") or "o pytest não gerou o relatório JUnit"
        text = f"Os testes não produziram um relatório legível ({reason})."
        if tests.get("no_tests") or tests.get("exit_code") == 5:
            text = "Nenhum teste encontrado: o pytest não coletou testes (código de saída 5)."
        return CheckOutcome(0.0, _join(text, problems), evidence)
    if total == 0 and not collection:
        files = int(tests.get("test_files") or 0)
        where = (
            (
                f" ({plural(files, 'arquivo test_*.py existe', 'arquivos test_*.py existem')},"
                " mas sem testes coletados)"
            )
            if files
            else ""
        )
        return CheckOutcome(0.0, _join(f"Nenhum teste encontrado{where}.", problems), evidence)

    summary = _summary(total, passed, failed, errors, skipped, tests)
    if passed == 0:
        return CheckOutcome(0.0, _join(f"{summary}; nenhum teste passou.", problems), evidence)
    clean = failed == 0 and errors == 0 and not collection and tests.get("exit_code") == 0
    if not clean:
        text = summary + "."
        if failed == 0 and errors == 0 and not collection:
            text += (
                f" O pytest terminou com código {tests.get('exit_code')}, o que não confere "
                "com um relatório sem falhas."
            )
        return CheckOutcome(0.5, _join(text, problems), evidence)
    if passed < min_tests:
        text = f"{summary}, mas são poucos testes: o mínimo esperado é {min_tests} testes passando."
        return CheckOutcome(0.5, _join(text, problems), evidence)
    api, other = _covers_api(tests)
    if api and other:
        text = (
            f"{summary}: todos passaram, com testes da API e de outras partes do projeto "
            "(features, modelo)."
        )
        return CheckOutcome(1.0, _join(text, problems), evidence)
    missing = "da API (endpoints)" if not api else "além da API (features, modelo)"
    text = f"{summary}: todos passaram, mas não há testes {missing}."
    return CheckOutcome(0.8, _join(text, problems), evidence)


def _summary(
    total: int, passed: int, failed: int, errors: int, skipped: int, tests: dict[str, Any]
) -> str:
    parts = [plural(passed, "passou", "passaram")]
    failures = tests.get("failures") or []
    failed_names = [item for item in failures if item.get("kind") != "erro"]
    error_names = [item for item in failures if item.get("kind") == "erro"]
    if failed:
        parts.append(plural(failed, "falhou", "falharam") + f" ({_names(failed_names)})")
    if errors:
        parts.append(plural(errors, "com erro", "com erro") + f" ({_names(error_names)})")
    if skipped:
        parts.append(plural(skipped, "ignorado", "ignorados"))
    seconds = f"{float(tests.get('seconds') or 0):.1f}".replace(".", ",")
    return f"{plural(total, 'teste', 'testes')} em {seconds} s: " + ", ".join(parts)


def _join(text: str, problems: list[str]) -> str:
    if not problems:
        return text
    joined = "; ".join(problems)
    return f"{text} {joined[:1].upper()}{joined[1:]}."
