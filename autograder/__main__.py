"""Command line: ``python -m autograder <command>``.

    grade-notebook --source SRC.ipynb --submission SUB.ipynb [--timeout S] [--wall-timeout S]
                   [--memory 1g] [--cpus N] [--pids N] [--image NAME] [--json] [--feedback F]
                   [--data FILE ...] [--holdout-features F --holdout-labels F
                   --holdout-points "0.84:4,0.80:3" [--holdout-metric roc_auc]]
    grade-repo --url URL [--ref REF] --rubric RUBRIC.yaml [--json] [--memory 2g] [--cpus N]
               [--wall-timeout S] [--image NAME]
    release --source SRC.ipynb --output STUDENT.ipynb [--image NAME]
    validate SRC.ipynb

Exit status: 0 when a grade was produced (also for time-outs, OOM and crashes of the student's
code) or the command did its job; 1 for unusable input (one line on stderr says why); 2 for
bad command-line usage; 3 for infrastructure errors (any
:class:`~autograder.errors.InfrastructureError`: Docker, the image, the grader itself, a file
or git host we cannot reach; one line on stderr), which are worth retrying.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograder import messages
from autograder.errors import InfrastructureError
from autograder.holdout import (
    DEFAULT_KEY,
    DEFAULT_PREDICTIONS,
    HoldoutSpec,
    HoldoutSpecError,
    parse_thresholds,
)
from autograder.notebooks import SourceNotebookError, autograde, default_image, write_release
from autograder.results import GradeStatus, Limits, NotebookResult, ProjectResult
from autograder.validate import NotebookError, errors, load_notebook, validate_source

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INFRA = 0, 1, 2, 3

STATUS_LABELS = {
    GradeStatus.GRADED: "avaliado",
    GradeStatus.TIMEOUT: "limite de tempo",
    GradeStatus.OOM: "memória esgotada",
    GradeStatus.INVALID: "entrada inválida",
}


def memory_mb(text: str) -> int:
    """'1g', '512m', '512MB', '2GiB' or a bare number of MB."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if not match:
        raise argparse.ArgumentTypeError(f"memória inválida: {text!r} (ex.: 512m, 1g)")
    value, unit = float(match.group(1)), match.group(2) or "m"
    factor = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}[unit]
    megabytes = int(value * factor)
    if megabytes < 64:
        raise argparse.ArgumentTypeError("a memória mínima é 64m")
    return megabytes


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("precisa ser maior que zero")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autograder", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    defaults = Limits()

    grade = commands.add_parser("grade-notebook", help="corrige um notebook com o nbgrader")
    grade.add_argument("--source", type=Path, required=True, help="notebook de origem (nbgrader)")
    grade.add_argument("--submission", type=Path, required=True, help="notebook do aluno")
    grade.add_argument(
        "--timeout",
        type=_positive_int,
        default=defaults.cell_timeout_seconds,
        help="limite por célula, em segundos (padrão %(default)s)",
    )
    grade.add_argument(
        "--wall-timeout",
        type=_positive_int,
        default=defaults.wall_seconds,
        help="limite da correção inteira, em segundos (padrão %(default)s)",
    )
    grade.add_argument(
        "--memory",
        type=memory_mb,
        default=defaults.memory_mb,
        help="memória do container, p.ex. 512m ou 1g (padrão %(default)s MB)",
    )
    grade.add_argument("--cpus", type=float, default=defaults.cpus)
    grade.add_argument("--pids", type=_positive_int, default=defaults.pids)
    grade.add_argument(
        "--image",
        default=None,
        help="imagem de correção (padrão: $AUTOGRADER_IMAGE ou mle-grader:latest)",
    )
    grade.add_argument("--json", action="store_true", help="resultado em JSON")
    grade.add_argument(
        "--feedback",
        type=Path,
        help="grava aqui o notebook corrigido (.ipynb, sem os testes ocultos)",
    )
    grade.add_argument(
        "--data",
        type=Path,
        action="append",
        default=[],
        metavar="ARQUIVO",
        help="arquivo de dados lido pelo notebook como dados/<nome> (repetível)",
    )
    held = grade.add_argument_group("conjunto de avaliação oculto")
    held.add_argument(
        "--holdout-features",
        type=Path,
        metavar="ARQUIVO",
        help="features do conjunto oculto (o notebook as lê em avaliacao/<nome>)",
    )
    held.add_argument(
        "--holdout-labels",
        type=Path,
        metavar="ARQUIVO",
        help="rótulos (id, rótulo): nunca chegam ao kernel do aluno",
    )
    held.add_argument(
        "--holdout-points",
        metavar="FAIXAS",
        help='faixas valor:pontos, da melhor para a pior, p.ex. "0.84:4,0.80:3"',
    )
    held.add_argument(
        "--holdout-metric",
        default="roc_auc",
        help="roc_auc, accuracy, f1, rmse ou mae (padrão %(default)s)",
    )
    held.add_argument(
        "--holdout-predictions",
        default=DEFAULT_PREDICTIONS,
        help="arquivo que o notebook grava (padrão %(default)s)",
    )
    held.add_argument("--holdout-id-column", default="customerID")
    held.add_argument("--holdout-key", default=DEFAULT_KEY, help="id do critério na nota")

    repo = commands.add_parser("grade-repo", help="corrige o projeto final de um repositório git")
    repo.add_argument(
        "--url",
        required=True,
        help="URL do repositório (prefixos permitidos: "
        "$AUTOGRADER_GIT_ALLOWED_URLS, padrão https://github.com/)",
    )
    repo.add_argument("--ref", default=None, help="branch, tag ou commit (padrão: o HEAD)")
    repo.add_argument(
        "--rubric",
        type=Path,
        required=True,
        help="rubrica do projeto final (course_content/final_project/rubric.yaml)",
    )
    repo.add_argument(
        "--wall-timeout",
        type=_positive_int,
        default=600,
        help="limite do container do projeto, em segundos (padrão %(default)s)",
    )
    repo.add_argument(
        "--memory",
        type=memory_mb,
        default=2048,
        help="memória do container (padrão %(default)s MB)",
    )
    repo.add_argument("--cpus", type=float, default=1.0)
    repo.add_argument("--pids", type=_positive_int, default=defaults.pids)
    repo.add_argument("--image", default=None)
    repo.add_argument(
        "--index-url",
        default=None,
        help="índice de pacotes de onde as dependências do projeto são instaladas (só wheels; "
        "padrão $AUTOGRADER_PACKAGE_INDEX_URL ou https://pypi.org/simple)",
    )
    repo.add_argument(
        "--no-install",
        action="store_true",
        help="não instala as dependências do projeto (só os pacotes da imagem de correção)",
    )
    repo.add_argument("--json", action="store_true", help="resultado em JSON")

    release = commands.add_parser("release", help="gera a versão do aluno de um notebook")
    release.add_argument("--source", type=Path, required=True)
    release.add_argument("--output", type=Path, required=True)
    release.add_argument("--image", default=None)

    validate = commands.add_parser("validate", help="verifica um notebook de origem do nbgrader")
    validate.add_argument("source", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    if args.command == "grade-notebook":
        return _grade(args)
    if args.command == "release":
        return _release(args)
    if args.command == "grade-repo":
        return _grade_repo(args)
    return _validate(args)


def _grade(args: argparse.Namespace) -> int:
    limits = Limits(
        memory_mb=args.memory,
        cpus=args.cpus,
        pids=args.pids,
        wall_seconds=args.wall_timeout,
        cell_timeout_seconds=args.timeout,
    )
    try:
        holdout = _holdout(args)
    except HoldoutSpecError as exc:
        print(f"conjunto oculto: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = autograde(
            args.source,
            args.submission,
            limits=limits,
            image=args.image or default_image(),
            data_files=args.data,
            holdout=holdout,
        )
    except InfrastructureError as exc:
        return _infrastructure(exc)
    if result.status is GradeStatus.INVALID:
        print(f"entrada inválida: {result.message}", file=sys.stderr)
        return EXIT_INVALID
    if args.feedback and result.feedback_notebook is not None:
        args.feedback.write_text(
            json.dumps(result.feedback_notebook, ensure_ascii=False, indent=1), encoding="utf-8"
        )
    if args.json:
        print(json.dumps(_json(result), ensure_ascii=False, indent=2))
    else:
        print(table(result))
    return EXIT_OK


def _infrastructure(exc: InfrastructureError) -> int:
    """One line on stderr (the reason may quote multi-line logs), exit status 3."""
    reason = " ".join(str(exc).split())[:1000] or type(exc).__name__
    print(f"erro de infraestrutura: {reason}", file=sys.stderr)
    return EXIT_INFRA


def _holdout(args: argparse.Namespace) -> HoldoutSpec | None:
    given = [args.holdout_features, args.holdout_labels, args.holdout_points]
    if not any(given):
        return None
    if not all(given):
        raise HoldoutSpecError("use --holdout-features, --holdout-labels e --holdout-points juntos")
    return HoldoutSpec(
        features=args.holdout_features,
        labels=args.holdout_labels,
        thresholds=parse_thresholds(args.holdout_points),
        metric=args.holdout_metric,
        predictions=args.holdout_predictions,
        id_column=args.holdout_id_column,
        key=args.holdout_key,
    )


def _json(result: NotebookResult) -> dict[str, Any]:
    data = result.to_dict()
    for key in ("feedback_notebook", "staff_feedback_notebook"):
        notebook = data.pop(key)
        data[f"{key}_cells"] = None if notebook is None else len(notebook.get("cells", []))
    return data


def table(result: NotebookResult) -> str:
    """The result as a table people read (pt-BR)."""
    lines = [
        f"Situação: {STATUS_LABELS[result.status]} ({result.status})",
        f"Nota: {messages.number(result.total)} de {messages.number(result.max_total)}",
        f"Resumo: {result.message}",
        "",
    ]
    width = max([len("Célula")] + [len(cell.grade_id) for cell in result.cells])
    lines.append(f"{'Célula':<{width}}  {'Pontos':>9}  Situação")
    for cell in result.cells:
        points = f"{messages.number(cell.points)}/{messages.number(cell.max_points)}"
        state = "manual" if cell.passed is None else "passou" if cell.passed else "falhou"
        lines.append(f"{cell.grade_id:<{width}}  {points:>9}  {state}")
    lines.append("")
    lines += [f"- {cell.message}" for cell in result.cells]
    if result.notes:
        lines += ["", "Ocorrências:"] + [f"- {note}" for note in result.notes]
    if result.tampered:
        lines += ["", "Possíveis adulterações (para revisão do instrutor):"]
        for finding in result.tampered:
            where = finding.cell + (f", linha {finding.line}" if finding.line else "")
            excerpt = f" — {finding.excerpt}" if finding.excerpt else ""
            lines.append(f"- [{finding.kind}] {where}: {finding.message}{excerpt}")
    resources = result.resources
    lines += [
        "",
        f"Recursos: CPU {resources.cpu_s:.1f} s, memória máx. {resources.peak_mem_mb:.0f} MB, "
        f"tempo {resources.wall_s:.1f} s",
        f"Imagem: {result.image}",
    ]
    return "\n".join(lines)


def _grade_repo(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from autograder.dependencies import settings_from_env
    from autograder.projects import grade_repo  # the git and check machinery, only here
    from autograder.rubric import RubricError, load_rubric

    try:
        rubric = load_rubric(args.rubric)
    except RubricError as exc:
        print(f"rubrica inválida: {exc}", file=sys.stderr)
        return EXIT_USAGE
    limits = Limits(
        memory_mb=args.memory, cpus=args.cpus, pids=args.pids, wall_seconds=args.wall_timeout
    )
    install = settings_from_env()
    if args.index_url is not None:
        install = replace(install, index_url=args.index_url)
    try:
        result = grade_repo(
            args.url,
            ref=args.ref,
            rubric=rubric,
            image=args.image or default_image(),
            limits=limits,
            install=None if args.no_install else install,
        )
    except InfrastructureError as exc:
        return _infrastructure(exc)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    if result.status is GradeStatus.INVALID:
        print(f"entrada inválida: {result.message}", file=sys.stderr)
        return EXIT_INVALID
    if not args.json:
        print(repo_table(result))
    return EXIT_OK


def repo_table(result: ProjectResult) -> str:
    """A graded repository as a table people read (pt-BR)."""
    lines = [
        f"Repositório: {result.url} @ {result.commit[:12]}",
        f"Nota automática: {messages.number(result.total)} de {messages.number(result.max_total)}",
        f"Resumo: {result.message}",
        "",
    ]
    width = max(len("Critério"), *(len(c.key) for c in result.criteria))
    lines.append(f"{'Critério':<{width}}  {'Pontos':>9}")
    for criterion in result.criteria:
        got = "banca" if criterion.points is None else messages.number(criterion.points)
        points = f"{got}/{messages.number(criterion.max_points)}"
        lines.append(f"{criterion.key:<{width}}  {points:>9}")
    lines.append("")
    lines += [f"- {c.key}: {c.justification}" for c in result.criteria]
    return "\n".join(lines)


def _release(args: argparse.Namespace) -> int:
    try:
        write_release(args.source, args.output, image=args.image or default_image())
    except SourceNotebookError as exc:
        print(f"notebook de origem inválido: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except InfrastructureError as exc:
        return _infrastructure(exc)
    except OSError as exc:  # the output file could not be written
        print(f"erro de infraestrutura: {exc}", file=sys.stderr)
        return EXIT_INFRA
    print(args.output)
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    try:
        notebook = load_notebook(args.source)
    except NotebookError as exc:
        print(f"erro: {exc}")
        print(f"{args.source}: inutilizável", file=sys.stderr)
        return EXIT_INVALID
    problems = validate_source(notebook)
    for problem in problems:
        print(problem)
    if errors(problems):
        count = len(errors(problems))
        print(
            f"{args.source}: inutilizável ({count} erro{'s' if count > 1 else ''})", file=sys.stderr
        )
        return EXIT_INVALID
    warned = f" ({len(problems)} aviso{'s' if len(problems) > 1 else ''})" if problems else ""
    print(f"{args.source}: ok{warned}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
