"""Scripts that run *inside* the grading container, bind-mounted read-only at run time.

They are plain scripts, not part of the host package's import graph: the container has only
the image's venv (nbgrader, nbclient, ipykernel) and these files, so they import nothing from
``autograder``. The host finds them with :data:`DIRECTORY`.

- ``runner.py``: the container's command (as capless root): builds the scratch nbgrader course
  tree, runs ``nbgrader generate_assignment`` or ``nbgrader autograde`` and writes the one
  result file the host reads.
- ``grader_ext.py``: nbgrader's Execute preprocessor, adapted to the sandbox (kernel cwd,
  per-run deadline, dead or unresponsive kernels, cgroup limit events, output cap), and
  autograde's post-convert hook (scores through nbgrader's API, ``generate_feedback``).
- ``procs.py``: ends the student's leftover processes.
- ``kernel_launch.py``: the kernel spec's argv: drops to the student's uid and execs ipykernel.
"""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
