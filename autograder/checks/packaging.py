"""Packaging and delivery: one rubric check, three criteria told apart by ``params.part``.

``dockerfile`` (:mod:`autograder.checks.dockerfile`), ``ci``
(:mod:`autograder.checks.ci_workflow`) and ``cloudformation``
(:mod:`autograder.checks.cloudformation`): each module has its levels and evidence. The
rubric names the check ``packaging`` (``autograder.checks.CHECKS``) with the part to grade.
"""

from __future__ import annotations

from collections.abc import Callable

from autograder.checks import ci_workflow, cloudformation, dockerfile
from autograder.checks.base import CheckContext, CheckOutcome

PARTS: dict[str, Callable[[CheckContext], CheckOutcome]] = {
    "dockerfile": dockerfile.check,
    "ci": ci_workflow.check,
    "cloudformation": cloudformation.check,
}


def check(context: CheckContext) -> CheckOutcome:
    part = context.params.get("part")
    if part not in PARTS:
        raise ValueError(f"packaging: params.part must be one of {sorted(PARTS)}, not {part!r}")
    return PARTS[part](context)
