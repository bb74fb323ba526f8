"""The final-project checks: one module per check, each ``check(context) -> CheckOutcome``.

:func:`run_criterion` fills one rubric criterion: it runs the criterion's check and snaps the
outcome to the rubric's levels. Criteria without a check are left to the instructors. A
check that breaks on an odd repository (our bug, logged with its traceback) or whose tool
cannot run (``tools.ToolUnavailable``: ruff, cfn-lint) leaves its criterion to the
instructors too, with a note, instead of giving a zero. Those tool failures are on purpose not
:class:`~autograder.errors.InfrastructureError`: a retry would meet the same repository and
the same time-out, and would hold back the grade of every other criterion.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from autograder.checks.base import CheckContext, CheckOutcome, points_for
from autograder.results import CriterionOutcome
from autograder.rubric import RubricCriterion

logger = logging.getLogger(__name__)

# The checks a rubric may name (rubric.yaml ``check:``); each is the module of that name here.
CHECKS = ("readme", "tests", "mlflow", "serving", "packaging", "monitoring", "code_quality")
# Checks that need the project to run in the sandbox (autograder.project_run).
RUNNING_CHECKS = frozenset({"tests", "serving"})

INSTRUCTOR = "Critério corrigido pela banca: não tem verificação automática."


class LeftToInstructors(Exception):
    """Raised by a check that cannot judge this repository fairly (e.g. every test depends on
    a package that could not be installed): the criterion goes to the instructors with
    ``str(exc)`` as its justification, never a zero."""


CHECK_FAILED = (
    "A verificação automática não conseguiu avaliar este critério ({error}); "
    "a banca vai corrigi-lo."
)


def run_criterion(
    criterion: RubricCriterion, repo: Path, run: dict[str, Any] | None = None
) -> CriterionOutcome:
    if not criterion.check:
        return CriterionOutcome(criterion.key, None, criterion.max_points, INSTRUCTOR)
    context = CheckContext(
        repo=repo, params=criterion.params, max_points=criterion.max_points, run=run or {}
    )
    try:
        if criterion.check not in CHECKS:  # the CLI reads rubrics the portal did not check
            raise LookupError(f"unknown check {criterion.check!r}")
        module = importlib.import_module(f"autograder.checks.{criterion.check}")
        outcome: CheckOutcome = module.check(context)
    except LeftToInstructors as exc:
        return CriterionOutcome(
            criterion.key, None, criterion.max_points, str(exc), check=criterion.check
        )
    except Exception as exc:  # a bug of ours on an odd repository: never a silent zero
        logger.exception("check %s failed on %s", criterion.check, repo)
        return CriterionOutcome(
            criterion.key,
            None,
            criterion.max_points,
            CHECK_FAILED.format(error=type(exc).__name__),
            check=criterion.check,
        )
    points = points_for(outcome.fraction, criterion.max_points, criterion.levels)
    return CriterionOutcome(
        criterion.key,
        points,
        criterion.max_points,
        outcome.justification,
        list(outcome.evidence)[:50],
        check=criterion.check,
    )
