"""Grading throughput with two worker "hosts" versus one.

Usage: ``python bench/two_hosts.py [--notebooks 16]
[--database-url postgres://portal:portal@127.0.0.1:5432/portal] [--redis-url redis://...]``
(needs PostgreSQL, Redis, Docker and the grading image: ``eval "$(scripts/services.sh)"``).

Each host is a ``celery worker -Q grading --concurrency 1`` with its own ``PORTAL_VAR_DIR``
and ``MEDIA_ROOT``; the hosts share only a scratch PostgreSQL database (``<name>_bench``,
dropped at the end), a Redis database and an S3 bucket served by moto. N correct notebooks
of N students go through the real intake (``attempt_submit``: stored in the bucket, queued on
commit); the clock runs from the first upload to the last finished grading. Before each
round every host grades one warm-up notebook (its grading image and release cache), which is
not counted. Figures only; nothing is asserted. The last line reads
``two hosts / one host throughput: X.XX``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from export import scratch_postgres  # noqa: E402 - bench/export.py

from tests.support.s3 import S3Server, s3_environment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=16)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://portal:portal@127.0.0.1:5432/portal"),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url must be PostgreSQL: the hosts share it")
    broker = urlunsplit(urlsplit(args.redis_url)._replace(path="/11"))
    work = Path(tempfile.mkdtemp(prefix="two-hosts-"))
    s3 = S3Server(work / "moto.log")
    try:
        with scratch_postgres(args.database_url) as database:
            shared = {
                "DATABASE_URL": database,
                "REDIS_URL": broker,
                "AUTOGRADER_IMAGE": os.environ.get("AUTOGRADER_IMAGE", "mle-grader:latest"),
                "MLFLOW_LOGGING_ENABLED": "false",
                **s3_environment(s3.url, s3.bucket()),
            }
            os.environ.update({**shared, "PORTAL_VAR_DIR": str(work / "bench")})
            rates = {hosts: _round(hosts, args.notebooks, shared, work) for hosts in (1, 2)}
    finally:
        s3.stop()
        shutil.rmtree(work, ignore_errors=True)
    for hosts, (seconds, rate) in rates.items():
        label = "one host" if hosts == 1 else "two hosts"
        print(f"{label}: {args.notebooks} notebooks in {seconds:.1f} s ({rate:.1f} per minute)")
    print(f"two hosts / one host throughput: {rates[2][1] / rates[1][1]:.2f}")


_SETUP: dict = {}


def _setup():
    """Django on the scratch database, migrated, with the sample assignment and its release."""
    if _SETUP:
        return _SETUP
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.core.management import call_command

    from autograder.notebooks import prepare_source
    from portal.courses.models import Course
    from tests.autograder import notebooks as nb
    from tests.support.graded_assignment import sample_assignment

    call_command("migrate", verbosity=0)
    course = Course.objects.create(slug="mle", title="MLE", start_date=time.strftime("%Y-%m-%d"))
    work = Path(os.environ["PORTAL_VAR_DIR"])
    work.mkdir(parents=True, exist_ok=True)
    source = nb.write(nb.source_notebook(), work / "fonte.ipynb")
    release = prepare_source(source, image=os.environ["AUTOGRADER_IMAGE"], cache_dir=work)
    _SETUP.update(
        course=course,
        assignment=sample_assignment(course),
        notebook=json.dumps(nb.correct(nb.read(release.release_path))).encode(),
    )
    return _SETUP


def _submit(count: int, prefix: str) -> list[int]:
    """``count`` new students each upload the correct notebook; the ids of their runs."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from portal.accounts.models import User
    from portal.courses.models import Enrollment
    from portal.grading import services

    setup = _setup()
    runs = []
    for index in range(count):
        student = User.objects.create(username=f"{prefix}{index}", email=f"{prefix}{index}@b.local")
        Enrollment.objects.create(course=setup["course"], user=student, email=student.email)
        upload = SimpleUploadedFile("entrega.ipynb", setup["notebook"])
        submission = services.attempt_submit(
            assignment=setup["assignment"], student=student, upload=upload, now=timezone.now()
        )
        runs.append(submission.runs.get().pk)
    return runs


def _wait(runs: list[int], timeout: float = 900) -> float:
    """Seconds until every run of ``runs`` is finished; fails on a run that is not graded."""
    from django.db.models import Max

    from portal.grading.models import GradingRun

    deadline = time.monotonic() + timeout
    pending = GradingRun.objects.filter(pk__in=runs).exclude(
        status__in=[GradingRun.Status.DONE, GradingRun.Status.ERROR]
    )
    while pending.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"runs not graded after {timeout} s")
        time.sleep(0.2)
    failed = GradingRun.objects.filter(pk__in=runs).exclude(status=GradingRun.Status.DONE)
    if failed.exists():
        raise SystemExit(f"{failed.count()} run(s) failed: {failed.first().error}")
    return GradingRun.objects.filter(pk__in=runs).aggregate(last=Max("finished_at"))["last"]


def _round(hosts: int, notebooks: int, shared: dict[str, str], work: Path) -> tuple[float, float]:
    from tests.grading.worker import Worker
    from tests.support.hosts import host_env

    _setup()
    workers = []
    try:
        for index in range(hosts):
            var_dir = work / f"round{hosts}-host{index}"
            workers.append(
                Worker(
                    env=host_env(var_dir, shared),
                    log=work / f"round{hosts}-host{index}.log",
                    name=f"bench-host{index}",
                    args=["-Q", "grading"],
                )
            )
        _wait(_submit(hosts, f"warm{hosts}-"))
        start = time.time()
        last = _wait(_submit(notebooks, f"round{hosts}-"))
    finally:
        for worker in workers:
            worker.stop()
    seconds = last.timestamp() - start
    return seconds, notebooks / seconds * 60


if __name__ == "__main__":
    main()
