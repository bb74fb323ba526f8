"""Code that runs *inside* the grading container, bind-mounted read-only at run time.

The container has only the image's venv (nbgrader, nbclient, ipykernel, the course's
libraries) and this directory, mounted where the image's Python finds it as the package
``autograder.container`` (``grading_container.RUNNER_TARGET``): the commands run as
``python -P -m autograder.container.runner`` and import their siblings, never anything else
of ``autograder``. Standard library only, except ``grader_ext`` (nbgrader's process). The host
imports the same modules for their constants and pure helpers, and finds the directory with
:data:`DIRECTORY`.

- ``common.py``: what both commands share: the scratch layout, the student's uid, reading a
  file as the student, ending the student's processes, the one result file.
- ``runner.py``: the notebook command (as capless root): builds the scratch nbgrader course
  tree, runs ``nbgrader generate_assignment`` or ``nbgrader autograde`` and writes the one
  result file the host reads.
- ``grader_ext.py``: nbgrader's Execute preprocessor, adapted to the sandbox (kernel cwd,
  per-run deadline, dead or unresponsive kernels, cgroup limit events, output cap), and
  autograde's post-convert hook (scores through nbgrader's API, the graded notebook as
  feedback).
- ``kernel_launch.py``: the kernel spec's argv: drops to the student's uid and execs ipykernel.
- ``holdout_metrics.py``: the held-out set's metric, computed outside the kernel.
- ``hidden_tests.py``: the source's hidden tests redacted from every output students read
  (the feedback, the per-cell excerpts); the host checks the result with it once more.
- ``project_runner.py``: the final-project command, in steps: ``project_tree`` (the student's
  copy), ``project_tests`` (pytest), ``project_api`` (finding the app and what to send it),
  ``project_serving`` (serving and probing it); ``student_process`` runs them as the student.
"""

from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent
