"""What a worker grades from: the stored files of an attempt, copied to the worker's disk.

The web and the workers share only the database, the broker and the media storage (a local
folder on one machine, an S3 bucket across hosts: ``portal/core/storage.py``). A worker never
reads a file's path in the storage; it copies every input through the storage API into a
private temporary folder and grades from there:

- the assignment's files (source notebook, data, held-out set) are content-addressed (their
  sha256 is recorded at sync), so each host keeps one verified copy of each in
  ``GRADING_INPUTS_CACHE_DIR`` and links it into the attempt's folder under its own name;
- the submitted notebook is copied per attempt and checked against its recorded sha256.

A file that cannot be read whole (missing object, storage down, different bytes) raises
:class:`~autograder.errors.InputUnavailable`: the run waits and is retried, and never becomes
a grade. Held-out files stay readable by the worker's user only.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models.fields.files import FieldFile

from autograder.errors import InfrastructureError, InputUnavailable
from autograder.holdout import HoldoutSpec, HoldoutSpecError
from portal.assessments.models import Assignment, AssignmentFile
from portal.core.storage import StorageReadError, copy_to, link_or_copy
from portal.submissions.models import Submission

__all__ = ["GradingInputsUnusable", "LocalInputs", "local_inputs"]


class GradingInputsUnusable(InfrastructureError):
    """The assignment's own grading inputs are incomplete (a held-out file missing, its
    configuration unusable): the course content must be fixed; retried, never a grade."""


@dataclass(frozen=True)
class LocalInputs:
    """The files of one attempt in the worker's folder, as ``autograder.autograde`` takes them."""

    source: Path
    submission: Path
    data_files: list[Path]
    holdout: HoldoutSpec | None


@contextmanager
def local_inputs(submission: Submission) -> Iterator[LocalInputs]:
    """Copy what grading ``submission`` needs into a temporary folder, removed afterwards."""
    assignment = submission.assignment
    with tempfile.TemporaryDirectory(prefix="mle-inputs-") as tmp:
        folder = Path(tmp)
        source = _cached(
            assignment.source_notebook, assignment.source_sha256, folder, "source.ipynb"
        )
        mine = folder / "submission.ipynb"
        _stored(lambda: copy_to(submission.file, mine, sha256=submission.sha256))
        yield LocalInputs(source=source, submission=mine, **assignment_files(assignment, folder))


def assignment_files(assignment: Assignment, folder: Path) -> dict:
    """The data files and held-out set of ``assignment``, linked into ``folder`` by name."""
    files = {
        (f.role, f.name): _cached(f.file, f.sha256, folder / f.role, f.name)
        for f in assignment.files.all()
    }
    data = [
        path for (role, _name), path in sorted(files.items()) if role == AssignmentFile.Role.DATA
    ]
    return {"data_files": data, "holdout": _holdout(assignment, files)}


def _holdout(assignment: Assignment, files: dict[tuple[str, str], Path]) -> HoldoutSpec | None:
    if not assignment.holdout:
        return None
    by_role = {role: path for (role, _name), path in files.items()}
    wanted = (AssignmentFile.Role.HOLDOUT_FEATURES, AssignmentFile.Role.HOLDOUT_LABELS)
    missing = [role for role in wanted if role not in by_role]
    if missing:
        raise GradingInputsUnusable(
            f"{assignment.slug}: held-out file(s) missing: {', '.join(missing)}"
        )
    config = assignment.holdout
    try:
        return HoldoutSpec(
            features=by_role[AssignmentFile.Role.HOLDOUT_FEATURES],
            labels=by_role[AssignmentFile.Role.HOLDOUT_LABELS],
            thresholds=tuple(tuple(band) for band in config["thresholds"]),
            metric=config["metric"],
            predictions=config["predictions"],
            id_column=config["id_column"],
            key=config["key"],
        )
    except HoldoutSpecError as exc:
        raise GradingInputsUnusable(f"{assignment.slug}: held-out set: {exc}") from exc


def cache_dir() -> Path:
    path = Path(settings.GRADING_INPUTS_CACHE_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _cached(field: FieldFile, sha256: str, folder: Path, name: str) -> Path:
    """``folder/name`` with the stored file of ``field``, through this host's cache by sha256."""
    if not field:
        raise GradingInputsUnusable(f"{name}: no file stored for it")
    folder.mkdir(exist_ok=True, mode=0o700)
    if not sha256:  # nothing to address it by: copy it for this attempt only
        return _stored(lambda: copy_to(field, folder / name))
    entry = cache_dir() / sha256
    if not entry.exists():
        _stored(lambda: copy_to(field, entry, sha256=sha256))
    return link_or_copy(entry, folder / name)


def _stored(copy: Callable[[], Path]) -> Path:
    try:
        return copy()
    except StorageReadError as exc:
        raise InputUnavailable(str(exc)) from exc
