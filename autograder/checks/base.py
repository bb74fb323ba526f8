"""What every final-project check receives and returns.

A check is a module in ``autograder/checks/`` with one function::

    def check(context: CheckContext) -> CheckOutcome

``context.repo`` is the repository checked out at the pinned commit on the host: read it,
never execute it there (symlinks are checked out as plain files, sizes are capped by
``autograder.repos``), and only through :mod:`autograder.checks.repofiles`: its walk is the
one place that decides which trees are not the project (``.venv/``, ``mlruns/``,
``node_modules/``...) and its ``python_sources`` the one reading of the project's Python,
notebooks included. Checks that must *run* the project (tests, serving) read what the project
container reported (``context.run``), never start processes on the host. Thresholds and
weights come from ``context.params`` (the rubric's ``params``), not from code.

The outcome is a fraction of the criterion's points plus a pt-BR justification that cites
its evidence (files, counts, test names, numbers); :func:`points_for` snaps the fraction down
to the rubric's levels, so the grade always matches a level a person can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CheckContext:
    repo: Path  # the checkout (read only, never executed here)
    params: dict[str, Any]  # the rubric criterion's params
    max_points: float
    run: dict[str, Any] = field(default_factory=dict)  # the project container's report


@dataclass(frozen=True)
class CheckOutcome:
    fraction: float  # 0..1 of the criterion's points
    justification: str  # pt-BR, names the evidence
    evidence: list[str] = field(default_factory=list)  # short items: paths, counts, names


def points_for(fraction: float, max_points: float, levels: list[dict[str, Any]]) -> float:
    """The highest level whose points do not exceed ``fraction`` of ``max_points``.

    Without levels, the fraction of the points rounded down to a half point.
    """
    fraction = min(max(fraction, 0.0), 1.0)
    earned = fraction * max_points + 1e-9
    values = sorted((float(level["points"]) for level in levels), reverse=True)
    if values:
        return next((value for value in values if value <= earned), 0.0)
    return int(earned * 2) / 2


def leveled(
    facts: list[str],
    gaps: list[str],
    fraction: float,
    evidence: list[str],
    *,
    capitalize: bool = True,
) -> CheckOutcome:
    """The outcome with the usual justification: the facts, then what would raise the level.

    ``"Fato; fato. Para subir de nível: lacuna; lacuna."``, or ``"... Nível máximo desta
    verificação."`` without gaps. ``capitalize`` upper-cases the first letter (off where the
    first fact starts with a file path, which must stay as written).
    """
    text = "; ".join(fact for fact in facts if fact) + "."
    if capitalize:
        text = text[0].upper() + text[1:]
    text += (
        f" Para subir de nível: {'; '.join(gaps)}." if gaps else " Nível máximo desta verificação."
    )
    return CheckOutcome(fraction, text, evidence)
