"""The one exception type of the autograder: our side failed.

Student faults are grades, not exceptions. A notebook that fails its tests, runs out of time
or memory, kills its kernel or tampers with the tests, a project whose tests fail or whose
API never starts: each is a result (``graded``, ``timeout``, ``oom``) with a pt-BR
justification. Input the student made unusable (a file that is not a notebook, a notebook
of another assignment, a repository that is too big or gone) is a result too (``invalid``),
with the reason. None of these is retried.

Everything the grader itself could not do raises a subclass of :class:`InfrastructureError`:
Docker or the image (``sandbox.SandboxError``), the release of a source notebook
(``notebooks.PrepareError``), a grading container that left no usable result
(``notebook_report.NotebookRunError``, ``project_run.ProjectRunError``), a git host that
does not answer (``repos.RepoUnavailable``), a file the worker cannot read
(:class:`InputUnavailable`). The caller retries later and never stores a grade for it.

A programming error (a ``KeyError`` or ``TypeError`` in our code) is neither: nothing turns
it into an :class:`InfrastructureError`, so it fails loudly instead of being retried.
"""

from __future__ import annotations

__all__ = ["InfrastructureError", "InputUnavailable"]


class InfrastructureError(Exception):
    """Our side failed: retry, never a grade. ``str()`` says what failed, for instructors."""


class InputUnavailable(InfrastructureError):
    """An input file the grader must read is missing or unreadable: storage, not the student.

    The source notebook, the file of a submission, a data file or a held-out file (and the
    scratch copies of them made for the container). A submission that *is* there but is not
    a usable notebook is the student's fault: an ``invalid`` result, never this.
    """
