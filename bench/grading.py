"""How much the sandbox costs, and how grading scales with workers.

Usage: ``python bench/grading.py [--repeat 5] [--burst 40]`` (needs Docker and the grading
image: ``make sandbox-image``; nbgrader on the host comes with the ``dev`` extra).

1. Median seconds per submission of ``nbgrader autograde`` run directly on the host
   versus through ``autograder.notebooks.autograde`` (a fresh locked-down container,
   a throwaway course tree and gradebook per submission).
2. Graded submissions per minute for a burst of N submissions with 1 and 2 worker
   processes (each worker grades one submission at a time, like a Celery worker with
   prefetch 1).

The sample is the test suite's nbgrader notebook (two auto-graded test cells, one
manual answer) with a correct submission. Figures only; nothing is asserted. The last
line reads ``sandbox/host ratio: X.XX; 2-worker/1-worker throughput: Y.YY``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.notebooks import autograde  # noqa: E402
from autograder.results import GradeStatus, Limits  # noqa: E402
from tests.autograder import notebooks as sample  # noqa: E402

IMAGE = os.environ.get("AUTOGRADER_IMAGE", "mle-grader:latest")
LIMITS = Limits(memory_mb=1024, cpus=1.0, wall_seconds=300, cell_timeout_seconds=60)
NBGRADER = str(Path(sys.executable).with_name("nbgrader"))
ASSIGNMENT = "ps1"


def _nbgrader(course: Path, *args: str) -> None:
    # nbgrader runs `alembic` from PATH to set up its gradebook: put the venv's bin first.
    env = {**os.environ, "PATH": f"{Path(NBGRADER).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(  # noqa: S603 - fixed argv
        [NBGRADER, *args, f"--CourseDirectory.root={course}", "--log-level=ERROR"],
        cwd=course,
        check=True,
        capture_output=True,
        env=env,
    )


def prepare_host_course(workdir: Path) -> tuple[Path, Path]:
    """A host nbgrader course with the sample assignment released; returns (course, release)."""
    course = workdir / "host-course"
    source = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    source.parent.mkdir(parents=True)
    sample.write(sample.source_notebook(), source)
    _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    return course, course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def grade_on_host(course: Path, submission: Path, student: str) -> float:
    target = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(submission, target)
    started = time.perf_counter()
    _nbgrader(
        course,
        "autograde",
        ASSIGNMENT,
        f"--student={student}",
        "--force",
        f"--Execute.timeout={LIMITS.cell_timeout_seconds}",
        "--Execute.raise_on_iopub_timeout=False",
        "--OverwriteCells.add_missing_cells=True",
    )
    return time.perf_counter() - started


def grade_in_sandbox(paths: tuple[str, str]) -> float:
    source, submission = paths
    started = time.perf_counter()
    result = autograde(Path(source), Path(submission), limits=LIMITS, image=IMAGE)
    elapsed = time.perf_counter() - started
    if result.status != GradeStatus.GRADED or result.total != sample.AUTO_POINTS:
        raise SystemExit(f"unexpected grade: {result.status} {result.total} {result.message}")
    return elapsed


def burst(paths: tuple[str, str], count: int, workers: int) -> float:
    """Submissions per minute for ``count`` submissions graded by ``workers`` processes."""
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(grade_in_sandbox, [paths] * count))
    return count / (time.perf_counter() - started) * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per median (default 5)")
    parser.add_argument("--burst", type=int, default=40, help="submissions per burst")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        course, release = prepare_host_course(workdir)
        submission = sample.write(
            sample.correct(sample.read(release)), workdir / "submission.ipynb"
        )
        source = course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        paths = (str(source), str(submission))

        grade_in_sandbox(paths)  # warm-up: release/gradebook template cached, image in page cache
        grade_on_host(course, submission, "warmup")
        host = [grade_on_host(course, submission, f"s{i}") for i in range(args.repeat)]
        boxed = [grade_in_sandbox(paths) for _ in range(args.repeat)]
        host_median, box_median = statistics.median(host), statistics.median(boxed)
        print(
            f"nbgrader autograde on the host: median {host_median:.2f} s "
            f"(min {min(host):.2f}, max {max(host):.2f}, n={len(host)})"
        )
        print(
            f"autograde in the sandbox:       median {box_median:.2f} s "
            f"(min {min(boxed):.2f}, max {max(boxed):.2f}, n={len(boxed)})"
        )

        one = burst(paths, args.burst, 1)
        print(f"burst of {args.burst}, 1 worker:  {one:.1f} submissions/min")
        two = burst(paths, args.burst, 2)
        print(f"burst of {args.burst}, 2 workers: {two:.1f} submissions/min")
        print(
            f"sandbox/host ratio: {box_median / host_median:.2f}; "
            f"2-worker/1-worker throughput: {two / one:.2f}"
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
