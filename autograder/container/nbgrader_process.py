"""nbgrader's process, started before its command line is known.

    python -P /opt/mle/autograder/container/nbgrader_process.py [--kernel NAME --cwd DIR]
    (stdin: one line of JSON)

Importing nbgrader takes most of a small notebook's grading (about 1.5 s of the 2.2 s on the
reference machine), so the runner starts this process first, while it stages the course tree;
in a warm container (``runner warm``) it is started before the submission even exists. Once
its imports are done the process reads one line from stdin, the arguments as a JSON list of
strings, and then does exactly what ``python -m nbgrader <arguments>`` does. An empty stdin
(the runner gave up) ends it with status 2.

With ``--kernel``, it first starts the student's kernel (that kernel spec, as the student,
in ``--cwd``): the Execute preprocessor takes it instead of starting one
(``grader_ext.SandboxedExecute.create_kernel_manager``). Starting a kernel is the other large
fixed cost of a grading; this way it overlaps with the rest, or with the wait for work.

It runs as the runner's capless root, in the course root, with ``runner.nbgrader_environment``;
the student's kernel is started by nbgrader later, as the student (``kernel_launch.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# The directory that holds the ``autograder`` package, as nbgrader_config.py also adds it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

# The imports that take the time: nbgrader's applications (nbconvert, the gradebook's
# SQLAlchemy and alembic) and the sandboxed Execute preprocessor (nbclient, jupyter_client).
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbformat.validator import get_validator
from nbgrader.apps.nbgraderapp import NbGraderApp

from autograder.container import grader_ext

HISTORY_IN_MEMORY = "--HistoryManager.hist_file=:memory:"  # what nbclient gives an ipykernel
KERNEL_READY_TIMEOUT_S = 60  # nbclient's default startup_timeout


def compile_validators() -> None:
    """nbformat compiles a notebook schema on its first use (about 0.1 s per grading): the
    versions a course notebook has, strict and relaxed, are compiled now instead."""
    for minor in (4, 5):
        for relaxed in (False, True):
            get_validator(4, minor, relax_add_props=relaxed)


def start_kernel(name: str, cwd: str) -> None:
    """Start the kernel and connect a client to it, ready (its start-up output flushed)."""
    manager = AsyncKernelManager(kernel_name=name)
    try:
        run_sync(manager.start_kernel)(cwd=cwd, extra_arguments=[HISTORY_IN_MEMORY])
        client = manager.client()
        client.start_channels()
        run_sync(client.wait_for_ready)(timeout=KERNEL_READY_TIMEOUT_S)
    except Exception as exc:  # the Execute preprocessor starts one, and reports what fails
        print(f"nbgrader_process: kernel not started ahead: {exc!r}", file=sys.stderr)
        return
    client.allow_stdin = False  # as nbclient sets it on the clients it makes
    grader_ext.PRESTARTED[name] = (manager, client)


def read_arguments() -> list[str] | None:
    line = sys.stdin.readline()
    sys.stdin.close()
    try:
        arguments = json.loads(line) if line else None
    except ValueError:
        return None
    if not isinstance(arguments, list) or not all(isinstance(a, str) for a in arguments):
        return None
    return arguments


def main() -> int:
    parser = argparse.ArgumentParser(prog="nbgrader_process")
    parser.add_argument("--kernel", default="")
    parser.add_argument("--cwd", default="")
    options = parser.parse_args()
    compile_validators()
    if options.kernel:
        start_kernel(options.kernel, options.cwd)
    arguments = read_arguments()
    if arguments is None:
        print("nbgrader_process: no arguments on stdin", file=sys.stderr)
        return 2
    sys.argv = ["nbgrader", *arguments]
    NbGraderApp.launch_instance(argv=arguments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
