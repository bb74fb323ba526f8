"""How much the sandbox costs, what the warm pool saves, and how grading scales with workers.

Usage: ``python bench/grading.py [--repeat 5] [--burst 40] [--uploads 5] [--pause 5]
[--database-url postgres://portal:portal@127.0.0.1:5432/portal]
[--redis-url redis://127.0.0.1:6379/10] [--portal-only [--source DIR] [--no-pool]]``
(needs Docker and the grading image: ``make sandbox-image``; nbgrader on the host comes with
the ``dev`` extra; PostgreSQL and Redis for part 3).

1. Median seconds per submission of ``nbgrader autograde`` run directly on the host
   versus through ``autograder.notebooks.autograde`` (a fresh locked-down container,
   a throwaway course tree and gradebook per submission).
2. Graded submissions per minute for a burst of N submissions with 1 and 2 worker
   processes (each worker grades one submission at a time, like a Celery worker with
   prefetch 1).
3. The demo notebook (``course_content/notebooks/aquecimento``, solved) through the real
   portal: upload -> graded (the upload's start to the run's ``finished_at``), one upload at
   a time, median of ``--uploads``, by a real stack (gunicorn with one web worker, one grading
   worker, the maintenance worker, a scratch PostgreSQL database ``<name>_grading``, Redis)
   without the warm pool (AUTOGRADER_POOL_SIZE=0) and with it (1); against the raw execution
   of the same notebook on the host with nbclient (kernel start included). Also the grading worker
   child's resident memory at the end. ``--portal-only`` runs this part alone; with
   ``--source`` (a ``git worktree`` of an older commit) and ``--no-pool`` it measures that
   commit's stack, which has no pool.

Parts 1 and 2 use the test suite's nbgrader notebook (two auto-graded test cells, one
manual answer) with a correct submission. Figures only; nothing is asserted. The last
line reads ``sandbox/host ratio: X.XX; 2-worker/1-worker throughput: Y.YY; pool/raw ratio:
Z.ZZ``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
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
from bench import burst as stack_bench  # noqa: E402
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


# -- 3. the demo notebook through the portal, with and without the warm pool ----------------

STAGE = Path(__file__).with_name("demo_stage.py")  # run with the checkout's code first


def upload_to_graded(uploader, db, stack, count: int, *, pause: float) -> list[float]:
    """Seconds from each upload's start to its run's ``finished_at``, one at a time, after
    one warm-up (it fills the pool); ``pause`` between uploads, as between two students."""
    http = uploader.session(uploader.plan["sessions"][0])
    seconds: list[float] = []
    phases: list[tuple[float, float]] = []
    for index in range(count + 1):
        first = db.scalar("SELECT coalesce(max(id), 0) FROM submissions_submission")
        started = time.time()
        _, status = uploader.upload(http)
        if status != 302:
            raise SystemExit(f"the upload was refused: HTTP {status}")
        deadline = started + 600
        while not db.finished_runs(first):
            if time.time() > deadline:
                raise SystemExit("no grade in 600 s")
            stack.check_alive()
            time.sleep(0.01)
        created, claimed, finished, status = db.rows(
            "SELECT extract(epoch FROM s.submitted_at), extract(epoch FROM r.started_at),"
            " extract(epoch FROM r.finished_at), r.grade_status FROM grading_gradingrun r"
            " JOIN submissions_submission s ON s.id = r.submission_id WHERE s.id > %s",
            first,
        )[0]
        if status != "graded":
            raise SystemExit(f"the demo notebook was not graded: {status}")
        if index:
            seconds.append(float(finished) - started)
            phases.append((float(created) - started, float(claimed) - float(created)))
        time.sleep(pause)
    print(
        "  of which: upload request to stored attempt median "
        f"{statistics.median(p[0] for p in phases) * 1000:.0f} ms, stored to claimed by the "
        f"worker {statistics.median(p[1] for p in phases) * 1000:.0f} ms"
    )
    return seconds


def worker_child_rss_mb(stack) -> float:
    """Resident memory of the grading worker's child process (the one that grades)."""
    parent = next(process for name, process in stack.processes if name == "grading0").pid
    total = 0.0
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def portal_latency(args: argparse.Namespace, pool_size: int, plan_env) -> tuple[list[float], float]:
    """(upload -> graded seconds, worker child RSS MB) with AUTOGRADER_POOL_SIZE=pool_size."""
    import requests

    env, plan, notebook, scratch = plan_env
    pool_env = {**env, "AUTOGRADER_POOL_SIZE": str(pool_size)}
    stack = stack_bench.Stack(args.source.resolve(), pool_env, scratch)
    uploader = stack_bench.Uploader(f"http://127.0.0.1:{args.port}", plan, notebook)
    try:
        # One web worker: the warm-up upload warms it (a web worker's first request loads
        # what Django loads lazily), so every measured upload meets a warm one.
        stack_bench.start_stack(stack, port=args.port, workers=1, profile_dir=None, web_workers=1)

        def answering() -> bool:
            try:
                return requests.get(uploader.url, timeout=30).status_code < 500
            except (requests.ConnectionError, requests.Timeout):
                return False

        stack_bench.wait_until(answering, timeout=120, what="gunicorn", stack=stack)
        db = stack_bench.Database(env["DATABASE_URL"])
        seconds = upload_to_graded(uploader, db, stack, args.uploads, pause=args.pause)
        return seconds, worker_child_rss_mb(stack)
    finally:
        stack.stop()


def raw_nbclient(notebook: Path, repeat: int) -> list[float]:
    """Seconds to execute ``notebook`` on the host with nbclient, kernel start included."""
    import nbclient
    import nbformat

    seconds = []
    for index in range(repeat + 1):
        executed = nbformat.read(str(notebook), as_version=4)
        started = time.perf_counter()
        nbclient.NotebookClient(executed, timeout=60, kernel_name="python3").execute(
            cwd=str(notebook.parent)
        )
        if index:  # the first one warms the page cache
            seconds.append(time.perf_counter() - started)
    return seconds


def pool_versus_raw(args: argparse.Namespace) -> float:
    """Part 3; returns the pool/raw ratio of the medians."""
    import redis

    scratch = Path(tempfile.mkdtemp(prefix="bench-grading-portal-"))
    redis.Redis.from_url(args.redis_url).flushdb()
    try:
        with stack_bench.scratch_postgres(args.database_url, "grading") as database_url:
            env = stack_bench.stack_env(database_url, args.redis_url, scratch)
            plan_file = scratch / "plan.json"
            subprocess.run(  # noqa: S603 - fixed argv
                [sys.executable, str(STAGE), str(args.source.resolve()), str(plan_file)],
                cwd=args.source.resolve(),
                env=env,
                check=True,
            )
            plan = json.loads(plan_file.read_text())
            solved = scratch / "entrega.ipynb"
            plan_env = (env, plan, solved.read_bytes(), scratch)
            cold, cold_rss = portal_latency(args, 0, plan_env)
            warm, warm_rss = portal_latency(args, 1, plan_env) if args.pool else (cold, cold_rss)
            raw = raw_nbclient(solved, args.uploads)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    raw_median = statistics.median(raw)
    runs = [("without the pool", cold, cold_rss)]
    if args.pool:
        runs.append(("with the pool", warm, warm_rss))
    for name, values, rss in runs:
        print(
            f"demo notebook upload->graded, {name}: median {statistics.median(values):.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)}); "
            f"grading worker child {rss:.0f} MB resident"
        )
    print(
        f"demo notebook, raw nbclient on the host: median {raw_median:.2f} s "
        f"(min {min(raw):.2f}, max {max(raw):.2f}, n={len(raw)})"
    )
    return statistics.median(warm) / raw_median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per median (default 5)")
    parser.add_argument("--burst", type=int, default=40, help="submissions per burst")
    parser.add_argument("--uploads", type=int, default=5, help="demo uploads per median")
    parser.add_argument("--pause", type=float, default=5.0, help="seconds between uploads")
    parser.add_argument("--database-url", default="postgres://portal:portal@127.0.0.1:5432/portal")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--source", type=Path, default=ROOT, help="the checkout whose stack part 3 runs"
    )
    parser.add_argument(
        "--portal-only", action="store_true", help="part 3 only (e.g. on an older --source)"
    )
    parser.add_argument(
        "--no-pool", dest="pool", action="store_false", help="part 3 without the pool only"
    )
    args = parser.parse_args()
    if args.portal_only:
        print(f"pool/raw ratio: {pool_versus_raw(args):.2f}")
        return
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill`: clean up like Ctrl-C

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
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    pool_ratio = pool_versus_raw(args)
    print(
        f"sandbox/host ratio: {box_median / host_median:.2f}; "
        f"2-worker/1-worker throughput: {two / one:.2f}; pool/raw ratio: {pool_ratio:.2f}"
    )


if __name__ == "__main__":
    main()
