"""The final-project rubric file (``course_content/final_project/rubric.yaml``), for the CLI.

The portal reads the same file with line-numbered validation (``portal.courses.assessment``)
and stores it as Criterion rows; both hand :class:`RubricCriterion` objects to
``autograder.projects``. Here only what grading needs is read, with a clear error when the
file does not have that shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class RubricError(ValueError):
    """The rubric file is unusable; ``str()`` says why, in pt-BR."""


@dataclass(frozen=True)
class RubricCriterion:
    key: str
    title: str
    max_points: float
    check: str = ""  # "" -> graded by an instructor
    params: dict[str, Any] = field(default_factory=dict)
    levels: list[dict[str, Any]] = field(default_factory=list)  # [{"points", "description"}]


def load_rubric(path: Path) -> list[RubricCriterion]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise RubricError(f"não foi possível ler a rubrica {path}: {exc}") from exc
    items = data.get("criteria") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise RubricError(f"{path}: a rubrica precisa de uma lista 'criteria'")
    criteria = []
    for index, item in enumerate(items):
        try:
            graded_by = item.get("graded_by", "instructor")
            criteria.append(
                RubricCriterion(
                    key=str(item["key"]),
                    title=str(item["title"]),
                    max_points=float(item["points"]),
                    check=str(item.get("check", "")) if graded_by == "check" else "",
                    params=dict(item.get("params") or {}),
                    levels=[
                        {
                            "points": float(level["points"]),
                            "description": str(level.get("description", "")),
                        }
                        for level in item.get("levels") or []
                    ],
                )
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise RubricError(f"{path}: critério {index + 1} inválido ({exc})") from exc
    return criteria
