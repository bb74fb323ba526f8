"""Fetch a student's repository at one pinned commit, safely, with the ``git`` binary.

    allowed = allowed_prefixes()
    resolved = resolve("https://github.com/ana/projeto", "main", allowed=allowed)
    info = clone_at(resolved.url, resolved.sha, dest, allowed=allowed)

Why each step exists:

- :func:`check_url` accepts only plain HTTPS addresses under an allowed prefix
  (``AUTOGRADER_GIT_ALLOWED_URLS``, default ``https://github.com/``). Anything else is a way to
  make the grader read local files (``file://``, a path), run a command (``ext::``), reach
  internal hosts, or leak a student's token into our logs.
- :func:`resolve` turns "the branch main" into a commit SHA once, at submission time: grading
  then uses that SHA only, so a later push never changes what was graded.
- :func:`clone_at` fetches only that commit into a scratch git directory *outside* ``dest``,
  refuses it if the tree is too big (blob sizes are read before anything is written), then
  checks out plain files into ``dest`` and makes them read-only, ready to be mounted read-only
  in the sandbox. Git runs with no user or system configuration, no credential helper or
  prompt, no hooks, no LFS, no submodules, no symlinks and no attribute-driven filters, under
  a timeout and a size cap watched while it downloads.

A :class:`RepoError` carries a stable ``kind`` and a pt-BR ``message`` for the student.
The kinds that are no fault of the student (the host is down, it timed out: ``RETRYABLE``)
are raised as :class:`RepoUnavailable`, which is also an
:class:`~autograder.errors.InfrastructureError`; every other kind (wrong address, empty
repository, too big) is the student's to fix.

The package, one step a module: ``policy`` (which URLs and refs are acceptable, the errors),
``git`` (one safe way to run git), ``resolve`` and ``clone``. Import the names from here.
"""

from autograder.repos.clone import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_FILES,
    CloneInfo,
    clone_at,
    remove_tree,
)
from autograder.repos.policy import (
    DEFAULT_ALLOWED,
    ENV_ALLOWED,
    GITHUB_PREFIX,
    MESSAGES,
    RETRYABLE,
    SHA_RE,
    RepoError,
    RepoUnavailable,
    allowed_prefixes,
    check_url,
    redact,
    repo_error,
)
from autograder.repos.resolve import Resolved, resolve

__all__ = [
    "DEFAULT_ALLOWED",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_FILES",
    "ENV_ALLOWED",
    "GITHUB_PREFIX",
    "MESSAGES",
    "RETRYABLE",
    "SHA_RE",
    "CloneInfo",
    "RepoError",
    "RepoUnavailable",
    "Resolved",
    "allowed_prefixes",
    "check_url",
    "clone_at",
    "redact",
    "remove_tree",
    "repo_error",
    "resolve",
]
