"""Processes as separate hosts run them: gunicorn for the web, ``celery worker`` for grading.

Each "host" gets its own ``PORTAL_VAR_DIR`` and ``MEDIA_ROOT`` (its local disk) and shares
with the others only what production hosts share: PostgreSQL, Redis and the media bucket.
Used by tests/deploy/test_two_hosts.py and bench/two_hosts.py.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.autograder.git_server import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def host_env(var_dir: Path, shared: dict[str, str]) -> dict[str, str]:
    """The environment of one host: its own disk, the ``shared`` services, nothing inherited
    that points elsewhere (the test process's CELERY_/DOCKER_ settings, its MEDIA_ROOT)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "DOCKER_", "AWS_", "MEDIA_", "DJANGO_SETTINGS"))
    }
    (var_dir / "media").mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "PORTAL_VAR_DIR": str(var_dir),
            "MEDIA_ROOT": str(var_dir / "media"),
            "AUTOGRADER_CACHE_DIR": str(var_dir / "cache"),
            "MLFLOW_TRACKING_URI": f"sqlite:///{var_dir / 'mlflow.db'}",
            **shared,
        }
    )
    return env


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


class WebHost:
    """gunicorn with deploy/gunicorn.conf.py, as production runs the web: the static files
    collected first (hashed names, served by whitenoise), as the image build does."""

    def __init__(self, env: dict[str, str], log: Path, *, workers: int = 2) -> None:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": str(workers)}
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "portal.wsgi"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def ready(self) -> bool:
        """True once it answers; raises if it exited."""
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{self.output()[-3000:]}")
        return answers(f"{self.url}/healthz")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
