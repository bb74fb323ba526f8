"""What the sandbox costs per run: ``true`` through run_in_sandbox vs a plain ``docker run``.

Usage: ``python bench/sandbox_overhead.py [--runs 20] [--image mle-grader:latest]``

Prints the median and spread of wall seconds for each; figures only, no thresholds. The
sandbox's extra work is the image lookup, the stale-container check, attaching to the output,
the cgroup reads and the cleanup; ``docker run`` pays the CLI's own start-up instead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.results import Limits  # noqa: E402
from autograder.sandbox import run_in_sandbox  # noqa: E402


def timed(action: Callable[[], object], runs: int) -> list[float]:
    action()  # warm-up: page cache, Docker's image metadata
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--image", default=os.environ.get("AUTOGRADER_IMAGE", "mle-grader:latest"))
    args = parser.parse_args()
    limits = Limits(memory_mb=256, wall_seconds=60)
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        sys.exit("the docker CLI is not on PATH")

    def sandbox() -> None:
        result = run_in_sandbox(
            ["true"], image=args.image, name=f"bench-{uuid.uuid4().hex[:12]}", limits=limits
        )
        assert result.exit_code == 0, result

    def docker_run() -> None:
        subprocess.run(  # noqa: S603 - fixed arguments, the image name is ours
            [docker_cli, "run", "--rm", "--network", "none", "--init", args.image, "true"],
            check=True,
        )

    print(f"{args.runs} runs of `true` in {args.image}")
    for label, action in (("run_in_sandbox", sandbox), ("docker run --rm", docker_run)):
        seconds = timed(action, args.runs)
        print(
            f"{label:>16}: median {statistics.median(seconds):.3f} s "
            f"(min {min(seconds):.3f}, max {max(seconds):.3f})"
        )


if __name__ == "__main__":
    main()
