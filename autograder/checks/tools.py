"""Running a linter of ours (ruff, cfn-lint) on scratch copies of the student's files.

The copies live in a scratch directory of the caller's, never in the checkout (which may hold
a configuration file that changes the tool's rules); the tool runs with our own interpreter,
a fixed command line and a clean environment, under a time-out.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any


class ToolUnavailable(RuntimeError):
    """The tool could not run (time-out, no JSON out): ours to fix, never the student's grade.

    ``checks.run_criterion`` leaves the criterion to the instructors with a note; see there
    why this is on purpose not an InfrastructureError.
    """


def run_json_tool(
    argv: list[str], *, cwd: Path, timeout: float, name: str, unavailable: type[ToolUnavailable]
) -> list[dict[str, Any]]:
    """The findings the tool prints as a JSON list; ``unavailable`` when it cannot say."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8"}
    try:
        done = subprocess.run(  # noqa: S603 (fixed argv, our own interpreter)
            argv,
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise unavailable(f"{name} excedeu {timeout:.0f} s") from error
    try:
        findings: list[dict[str, Any]] = json.loads(done.stdout or "[]")
    except ValueError as error:
        raise unavailable(
            f"{name} falhou (código {done.returncode}): {done.stderr[-500:]}"
        ) from error
    return findings
