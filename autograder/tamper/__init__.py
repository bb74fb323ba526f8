"""Tampering findings for instructor review: static, host side, nothing is executed.

Two sources:

- :func:`~autograder.tamper.structure.structural_findings` compares the submission with the
  source and release notebooks by grade id: deleted or edited test cells and locked cells
  (nbgrader restores edited ones from the source and re-adds deleted test cells; we name what
  happened), edited nbgrader metadata, duplicated or invented grade ids.
- :func:`~autograder.tamper.scan.scan_notebook` reads the student's code (AST, with a regex
  fallback for cells that do not parse even after IPython magics are blanked) for the ways a
  notebook can subvert the tests from inside the kernel (``tamper/rules.py``: input/AST
  transformers, traceback or run_cell overrides, custom exception handlers, IPython events,
  the kernel's messaging, ``sys.modules`` and builtins patching, trace hooks, signal tricks,
  an ``__eq__`` that is always true, ``gc`` and ``ctypes`` meddling, ``/proc``...).

A finding never changes a score: the student's kernel already ran whatever it ran, and many
hits have innocent uses. Each finding names the cell, the line, the excerpt and what the
construct can do, so a person can decide.
"""

from __future__ import annotations

from typing import Any

from autograder.results import TamperFinding
from autograder.tamper.scan import scan_notebook
from autograder.tamper.structure import structural_findings

__all__ = ["findings"]


def findings(
    submission: dict[str, Any], *, source: dict[str, Any], release: dict[str, Any]
) -> list[TamperFinding]:
    """Every finding of the submission: the structural ones first, then the scan's."""
    return structural_findings(submission, source=source, release=release) + scan_notebook(
        submission, source=source, release=release
    )
