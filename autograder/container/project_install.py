"""The install step's container command: the project's wheels into a directory, offline.

The host (``autograder/dependencies/install.py``) has already downloaded every wheel the
project needs, from the configured index only and wheels only, into a folder it mounts here
read-only; this container has no network. pip installs them into ``out/site`` with
``--no-index --only-binary=:all:`` (unpacking wheels runs no package code), and the result
lists what was installed. The host then keeps ``out/site`` as the project's environment,
mounted read-only into the project's container.

    /tmp/grader/wheels    read-only bind mount: the downloaded wheels
    /tmp/grader/in        requirements.txt (+ constraints.txt), checked by the host
    /tmp/grader/out       site/ (the environment) and result.json

    python -P -m autograder.container.project_install

Standard library only (and its sibling modules).
"""

from __future__ import annotations

import email.parser
import os
import subprocess
import sys
import time
from pathlib import Path

from autograder.container.common import GRADER, IN, OUT, clip, log, write_result

WHEELS = GRADER / "wheels"
SITE = OUT / "site"
HOME = GRADER / "home"
# pip unpacks into a temporary folder before moving into --target: on the host's disk, not in
# the container's small /tmp tmpfs (the host capped the unpacked size before starting this).
WORK = OUT / "tmp"
OUTPUT_TAIL_CHARS = 4000


def installed(site: Path) -> list[str]:
    """``name==version`` of every distribution pip put in ``site``."""
    found = []
    for metadata in sorted(site.glob("*.dist-info/METADATA")):
        with open(metadata, "rb") as handle:
            headers = email.parser.BytesHeaderParser().parsebytes(handle.read(64 * 1024))
        found.append(f"{headers.get('Name', '?')}=={headers.get('Version', '?')}")
    return found


def main(argv: list[str]) -> int:
    began = time.monotonic()
    os.umask(0o022)  # the environment is read by the student's uid later
    HOME.mkdir(mode=0o700, exist_ok=True)
    WORK.mkdir(mode=0o700, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-index",
        f"--find-links={WHEELS}",
        "--only-binary=:all:",
        f"--target={SITE}",
        "--no-input",
        "--disable-pip-version-check",
        "--no-cache-dir",
        "--no-warn-script-location",
        "--progress-bar=off",
        "-r",
        str(IN / "requirements.txt"),
    ]
    if (IN / "constraints.txt").is_file():
        command += ["-c", str(IN / "constraints.txt")]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(HOME),
        "TMPDIR": str(WORK),
        "PIP_CONFIG_FILE": os.devnull,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(  # noqa: S603 - fixed command, no shell
        command, env=env, capture_output=True, text=True, check=False
    )
    result = {
        "status": "ok" if done.returncode == 0 else "failed",
        "exit_code": done.returncode,
        "installed": installed(SITE) if done.returncode == 0 else [],
        "output_tail": clip(done.stdout + done.stderr, OUTPUT_TAIL_CHARS),
        "seconds": round(time.monotonic() - began, 3),
    }
    subprocess.run(["rm", "-rf", str(WORK)], check=False)  # noqa: S603, S607 - fixed command
    write_result(result, max_bytes=512 * 1024)
    log(f"install {result['status']} in {result['seconds']}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
