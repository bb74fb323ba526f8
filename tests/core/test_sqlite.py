"""The laptop default (``make run``: a SQLite file, no DATABASE_URL) takes simultaneous
uploads: WAL, writes that wait for each other (BEGIN IMMEDIATE) and a busy timeout, instead of
"database is locked" on the second upload."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STUDENTS = 8


def _laptop_env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "DEV_SIGNIN_ENABLED")
    }
    return {
        **env,
        "PORTAL_VAR_DIR": str(var_dir),
        "DEBUG": "true",  # as `make run`
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_simultaneous_uploads_on_the_default_sqlite_database_are_all_stored(tmp_path):
    env = _laptop_env(tmp_path)
    migrated = _run(["manage.py", "migrate", "-v0"], env)
    assert migrated.returncode == 0, migrated.stderr

    done = _run(["tests/core/sqlite_uploads.py", str(STUDENTS)], env)

    assert done.returncode == 0, done.stderr[-3000:]
    statuses = json.loads(done.stdout.strip().splitlines()[-1])["statuses"]
    assert "database is locked" not in done.stderr
    assert statuses == [302] * STUDENTS  # each redirected to its new attempt
    with sqlite3.connect(tmp_path / "portal.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT count(*) FROM submissions_submission").fetchone() == (STUDENTS,)
