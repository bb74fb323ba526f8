"""The nbgrader adapter: grade one notebook submission inside the sandbox.

    result = autograde(source, submission, limits=Limits(), image="mle-grader:latest")

Per submission, a scratch nbgrader course tree is built *inside* the container (a tmpfs) from
copies of the source notebook, its release version, the gradebook template and the
submission; nothing is shared between submissions. A shared course directory would let code
in one notebook read the hidden tests and rewrite every student's grades in the gradebook.

Who runs what in the container: ``grading_container.py`` (the lockdown shared with final
projects). Here, nbgrader (``autograde``; its post-convert hook reads the scores with
nbgrader's API and writes the graded notebook for the feedback) and the score computation run as the
container's capless root; the student's kernel runs as uid 1001: a custom kernel spec,
written at run time into a root-only JUPYTER_PATH, starts ``kernel_launch.py``, which raises
its own oom_score_adj to 1000, hands the 0600 connection file over as a 0644 copy (no CHOWN
to give it away) and execs ``setpriv --reuid=1001 --regid=1001 --clear-groups --inh-caps=-all
--pdeathsig=KILL python -m ipykernel_launcher``. The kernel works in ``/aluno/trabalho``;
nbgrader's course tree (the source, the gradebook, the autograded notebook with the hidden
tests restored) is under ``/tmp/grader``, out of its reach (``autograder/container/runner.py``).
A missing, oversized or malformed result file is a
:class:`~autograder.notebook_report.NotebookRunError`, never a zero.

The release version and the gradebook template of a source notebook are made once by
``nbgrader generate_assignment`` (in the sandbox too) and cached by the source's sha256 in
:func:`default_cache_dir`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import docker

from autograder import messages, tamper
from autograder.container.common import RESULT_FILE
from autograder.container.hidden_tests import HiddenTests, notebook_text
from autograder.container.runner import HOLDOUT_LABELS_FILE
from autograder.errors import InfrastructureError, InputUnavailable
from autograder.grading_container import RUNNER_DIGEST, io_dirs, make_readable, run_runner
from autograder.holdout import HoldoutSpec, HoldoutSpecError
from autograder.notebook_report import (
    Context,
    GradeCell,
    NotebookRunError,
    Payload,
    SourceInfo,
    from_run,
    invalid_result,
)
from autograder.pool import SandboxPool, WarmSandbox, WarmUnavailable, threads
from autograder.results import Limits, NotebookResult, SandboxResult
from autograder.sandbox import image_id
from autograder.validate import (
    DEFAULT_MAX_BYTES,
    NotebookError,
    check_submission,
    errors,
    grade_id,
    nbgrader_meta,
    parse_notebook,
    read_capped,
    validate_source,
)

logger = logging.getLogger(__name__)

IMAGE_ENV = "AUTOGRADER_IMAGE"
DEFAULT_IMAGE = "mle-grader:latest"
CACHE_ENV = "AUTOGRADER_CACHE_DIR"

RESULT_MAX_BYTES = 5 * 1024 * 1024
RELEASE_MAX_BYTES = DEFAULT_MAX_BYTES
GRADEBOOK_MAX_BYTES = 64 * 1024 * 1024


class PrepareError(InfrastructureError):
    """The release/gradebook of a source could not be made (infrastructure): retry."""


class SourceNotebookError(ValueError):
    """The source notebook is not usable with nbgrader; ``str()`` is the pt-BR reason."""


class ResultFileError(NotebookRunError):
    """The runner's result file is missing, oversized or not JSON."""


def default_image() -> str:
    return os.environ.get(IMAGE_ENV, DEFAULT_IMAGE)


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "mle-autograder"


# -- the release version and gradebook template of a source notebook ------------------------------


@dataclass(frozen=True)
class PreparedSource:
    sha256: str
    directory: Path
    image_id: str  # the image that made it; grading uses the same one (gradebook schema)

    @property
    def release_path(self) -> Path:
        return self.directory / "release.ipynb"

    @property
    def gradebook_path(self) -> Path:
        return self.directory / "gradebook.db"


def prepare_source(
    source_notebook: Path,
    *,
    image: str,
    limits: Limits | None = None,
    cache_dir: Path | None = None,
    client: docker.DockerClient | None = None,
) -> PreparedSource:
    """The cached release + gradebook of ``source_notebook``, made now if missing.

    Raises SourceNotebookError (unusable source); InputUnavailable (the source cannot be
    read), PrepareError (nbgrader or the cache failed) or SandboxError, all
    InfrastructureError (retry).
    """
    data = _read_source(source_notebook)
    sha = hashlib.sha256(data).hexdigest()
    image_ref = image_id(image, client)
    root = cache_dir or default_cache_dir()
    entry = root / sha
    meta = {"sha256": sha, "image": image_ref, "runner": RUNNER_DIGEST}
    try:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _valid_entry(entry, meta):
            _make_entry(data, entry, meta, limits=limits or Limits(), client=client)
            logger.info("prepared source %s in %s", sha[:12], entry)
    except OSError as exc:  # the cache directory: our storage
        raise PrepareError(f"notebook cache {root}: {exc}") from exc
    return PreparedSource(sha, entry, image_ref)


def _make_entry(
    data: bytes,
    entry: Path,
    meta: dict[str, str],
    *,
    limits: Limits,
    client: docker.DockerClient | None,
) -> None:
    """Run ``nbgrader generate_assignment`` on the source and install what it made."""
    sha = meta["sha256"]
    with tempfile.TemporaryDirectory(dir=entry.parent, prefix=f".{sha[:12]}-") as tmp:
        in_dir, out_dir = io_dirs(Path(tmp))
        (in_dir / "source.ipynb").write_bytes(data)
        make_readable(in_dir)
        sandbox = run_runner(
            "runner",
            ["prepare", f"--wall-seconds={limits.wall_seconds}"],
            in_dir=in_dir,
            out_dir=out_dir,
            limits=limits,
            image=meta["image"],
            name=f"nb-prepare-{sha[:12]}-{secrets.token_hex(3)}",
            client=client,
        )
        try:
            raw = read_result_file(out_dir / RESULT_FILE)
        except ResultFileError as exc:
            raise PrepareError(f"{exc} ({sandbox.exit_reason}; {sandbox.logs[-500:]})") from exc
        status = raw.get("status") if isinstance(raw, dict) else None
        log_tail = str(raw.get("log_tail", "")) if isinstance(raw, dict) else ""
        if status == "invalid-source":
            raise SourceNotebookError(_nbgrader_error(log_tail))
        if status != "ok":
            raise PrepareError(f"prepare ended with {status!r}: {log_tail[-500:]}")
        staged = Path(tmp) / "entry"
        staged.mkdir(mode=0o700)
        try:
            release = read_capped(out_dir / "release.ipynb", max_bytes=RELEASE_MAX_BYTES)
            parse_notebook(release)  # what nbgrader wrote must be a notebook
        except NotebookError as exc:
            raise PrepareError(f"the release nbgrader wrote is unusable: {exc}") from exc
        (staged / "release.ipynb").write_bytes(release)
        _copy_capped(out_dir / "gradebook.db", staged / "gradebook.db", GRADEBOOK_MAX_BYTES)
        (staged / "meta.json").write_text(json.dumps(meta))
        _install(staged, entry, meta)


def write_release(
    source_notebook: Path,
    output: Path,
    *,
    image: str,
    limits: Limits | None = None,
    cache_dir: Path | None = None,
    client: docker.DockerClient | None = None,
) -> Path:
    """The student version of ``source_notebook`` (solutions and hidden tests removed)."""
    prepared = prepare_source(
        source_notebook, image=image, limits=limits, cache_dir=cache_dir, client=client
    )
    shutil.copyfile(prepared.release_path, output)
    return output


def _read_input(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """An input file's bytes: InputUnavailable when it cannot be read (storage, retry),
    NotebookError when it is too big (the file is there: unusable input)."""
    try:
        return read_capped(path, max_bytes=max_bytes)
    except OSError as exc:
        raise InputUnavailable(f"could not read {path}: {exc.strerror or exc}") from exc


def _read_source(path: Path) -> bytes:
    try:
        data = _read_input(path)
        notebook = parse_notebook(data)
    except NotebookError as exc:
        raise SourceNotebookError(str(exc)) from exc
    problems = errors(validate_source(notebook))
    if problems:
        raise SourceNotebookError("; ".join(str(problem) for problem in problems))
    return data


def _nbgrader_error(log_tail: str) -> str:
    lines = [line.strip() for line in log_tail.splitlines() if "ERROR" in line or "Error" in line]
    return (lines[-1] if lines else "nbgrader generate_assignment falhou")[:300]


def _valid_entry(entry: Path, meta: dict[str, str]) -> bool:
    try:
        found = json.loads((entry / "meta.json").read_text())
    except (OSError, ValueError):
        return False
    return (
        found == meta and (entry / "release.ipynb").is_file() and (entry / "gradebook.db").is_file()
    )


def _install(staged: Path, entry: Path, meta: dict[str, str]) -> None:
    """Move ``staged`` to ``entry`` atomically; concurrent preparations may race."""
    try:
        staged.rename(entry)
        return
    except OSError:
        if _valid_entry(entry, meta):
            return  # another worker made the same entry meanwhile
    stale = entry.with_name(f".{entry.name}.stale-{secrets.token_hex(4)}")
    with contextlib.suppress(FileNotFoundError):
        entry.rename(stale)  # made by another image or runner version
    try:
        staged.rename(entry)
    except OSError:
        if not _valid_entry(entry, meta):
            raise
    shutil.rmtree(stale, ignore_errors=True)


def _copy_capped(source: Path, target: Path, limit: int) -> None:
    if source.stat().st_size > limit:
        raise PrepareError(f"{source.name} is larger than {limit} bytes")
    shutil.copyfile(source, target)


# -- grading a submission -------------------------------------------------------------------------


def autograde(
    source_notebook: Path,
    submitted_notebook: Path,
    *,
    limits: Limits,
    image: str,
    name: str | None = None,
    cache_dir: Path | None = None,
    client: docker.DockerClient | None = None,
    max_notebook_bytes: int = DEFAULT_MAX_BYTES,
    data_files: Sequence[Path] = (),
    holdout: HoldoutSpec | None = None,
    pool: SandboxPool | None = None,
) -> NotebookResult:
    """Grade ``submitted_notebook`` against the nbgrader ``source_notebook``.

    ``data_files`` are readable by the notebook as ``dados/<name>``; ``holdout`` adds a
    criterion scored on a hidden test set outside the kernel (``autograder/holdout.py``).
    With a ``pool``, a warm container of it grades (``autograder/pool.py``) when it has one
    for these limits, a cold one otherwise.

    Never raises for what the student did: time-outs, OOM, crashes and tampering are grades
    with justifications, and input that cannot be graded (not a notebook, too big, another
    assignment's, an unusable source) is status ``invalid`` with the reason. Faults on our
    side raise an :class:`~autograder.errors.InfrastructureError`, to be retried:
    InputUnavailable (a file we cannot read), PrepareError (the release), SandboxError
    (Docker, the image) or NotebookRunError (the container left no usable result).
    """
    inputs = _read_inputs(
        source_notebook,
        submitted_notebook,
        limits=limits,
        max_notebook_bytes=max_notebook_bytes,
        data_files=data_files,
        holdout=holdout,
    )
    if isinstance(inputs, NotebookResult):
        return inputs
    try:
        prepared = prepare_source(
            source_notebook, image=image, limits=limits, cache_dir=cache_dir, client=client
        )
    except SourceNotebookError as exc:
        return invalid_result(messages.message("invalid.source", detail=str(exc)), inputs.context)
    release = _read_release(prepared)
    findings = tamper.findings(inputs.submission, source=inputs.source, release=release)
    context = _with(inputs.context, tampered=tuple(findings))
    graded_copy = sanitized_submission(inputs.submission, release)
    run_name = name or f"nb-{context.submission_sha256[:12]}-{secrets.token_hex(3)}"

    staged = _Staged(inputs, prepared, graded_copy, data_files, holdout, run_name)
    arguments = _autograde_arguments(limits, holdout)
    warm = pool.take(prepared.image_id, limits) if pool is not None else None
    ran = _in_warm_sandbox(warm, staged, arguments) if warm is not None else None
    if ran is None:
        with tempfile.TemporaryDirectory(prefix="mle-autograder-") as tmp:
            in_dir, out_dir = io_dirs(Path(tmp))
            staged.write(in_dir)
            sandbox = run_runner(
                "runner",
                arguments,
                in_dir=in_dir,
                out_dir=out_dir,
                limits=limits,
                image=prepared.image_id,
                name=run_name,
                client=client,
            )
            ran = (sandbox, *_payload(out_dir / RESULT_FILE))
    sandbox, payload, problem = ran
    result = from_run(sandbox, payload, problem, context)
    keep_hidden(result, HiddenTests.of(inputs.source, known=[release, inputs.submission]))
    logger.info(
        "graded %s: %s %s/%s in %.1fs",
        run_name,
        result.status,
        result.total,
        result.max_total,
        sandbox.resources.wall_s,
    )
    return result


@dataclass(frozen=True)
class _Inputs:
    source_data: bytes
    source: dict[str, Any]
    submission: dict[str, Any]
    context: Context


@dataclass(frozen=True)
class _Staged:
    """What the container reads from its input directory."""

    inputs: _Inputs
    prepared: PreparedSource
    graded_copy: dict[str, Any]
    data_files: Sequence[Path]
    holdout: HoldoutSpec | None
    run_name: str

    def write(self, in_dir: Path) -> None:
        try:
            (in_dir / "source.ipynb").write_bytes(self.inputs.source_data)
            shutil.copyfile(self.prepared.release_path, in_dir / "release.ipynb")
            shutil.copyfile(self.prepared.gradebook_path, in_dir / "gradebook.db")
            (in_dir / "submission.ipynb").write_text(json.dumps(self.graded_copy), encoding="utf-8")
            _copy_data(in_dir, self.data_files, self.holdout)
            make_readable(in_dir)
        except OSError as exc:
            raise InputUnavailable(f"could not stage the inputs of {self.run_name}: {exc}") from exc


def _in_warm_sandbox(
    warm: WarmSandbox, staged: _Staged, arguments: list[str]
) -> tuple[SandboxResult, Payload | None, NotebookRunError | None] | None:
    """The run in ``warm``; None when it could not take it (then it is graded cold)."""
    try:
        staged.write(warm.in_dir)
        sandbox = warm.give(arguments, name=staged.run_name)
        return (sandbox, *_payload(warm.out_dir / RESULT_FILE))
    except WarmUnavailable as exc:
        logger.warning("%s: warm sandbox unusable, graded cold: %s", staged.run_name, exc)
        return None
    finally:
        warm.discard()


def _read_inputs(
    source_notebook: Path,
    submitted_notebook: Path,
    *,
    limits: Limits,
    max_notebook_bytes: int,
    data_files: Sequence[Path],
    holdout: HoldoutSpec | None,
) -> _Inputs | NotebookResult:
    """The parsed inputs, or the ``invalid`` result that says why they cannot be graded.

    A file that cannot be read at all raises InputUnavailable (storage, not the student).
    """
    try:
        source_data = _read_input(source_notebook)
        source = parse_notebook(source_data)
    except NotebookError as exc:
        context = Context(limits=limits, source=SourceInfo(()))
        return invalid_result(messages.message("invalid.source", detail=str(exc)), context)
    info = SourceInfo.from_notebook(source)
    if holdout is not None:
        info = info.with_cell(GradeCell(holdout.key, holdout.max_points, manual=False))
    context = Context(
        limits=limits,
        source=info,
        holdout=holdout,
        source_sha256=hashlib.sha256(source_data).hexdigest(),
    )
    try:
        _check_inputs(data_files, holdout)
    except HoldoutSpecError as exc:
        return invalid_result(messages.message("invalid.source", detail=str(exc)), context)

    try:
        submission_data = _read_input(submitted_notebook, max_bytes=max_notebook_bytes)
        submission = parse_notebook(submission_data)
    except NotebookError as exc:
        return invalid_result(messages.Message(exc.message_id, str(exc)), context)
    context = _with(context, submission_sha256=hashlib.sha256(submission_data).hexdigest())
    wrong = check_submission(submission, source)
    if wrong is not None:
        return invalid_result(wrong, context)
    return _Inputs(source_data, source, submission, context)


def _with(context: Context, **changes: Any) -> Context:
    return Context(**{**context.__dict__, **changes})


def _check_inputs(data_files: Sequence[Path], holdout: HoldoutSpec | None) -> None:
    """HoldoutSpecError for a wrong declaration; InputUnavailable for a file not there."""
    names = [Path(path).name for path in data_files]
    if len(set(names)) != len(names):
        raise HoldoutSpecError("dois arquivos de dados com o mesmo nome")
    for path in data_files:
        if not Path(path).is_file():
            raise InputUnavailable(f"arquivo de dados não encontrado: {path}")
    if holdout is not None:
        holdout.check_files()


def _read_release(prepared: PreparedSource) -> dict[str, Any]:
    try:
        release: dict[str, Any] = json.loads(prepared.release_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:  # the cache entry went bad under us
        raise PrepareError(f"cached release {prepared.release_path}: {exc}") from exc
    return release


def _copy_data(in_dir: Path, data_files: Sequence[Path], holdout: HoldoutSpec | None) -> None:
    """``in/dados/*`` and ``in/avaliacao/*`` go to the kernel; the labels stay in ``in/``."""
    if data_files:
        (in_dir / "dados").mkdir(mode=0o700)
        for path in data_files:
            shutil.copyfile(path, in_dir / "dados" / Path(path).name)
    if holdout is not None:
        (in_dir / "avaliacao").mkdir(mode=0o700)
        shutil.copyfile(holdout.features, in_dir / "avaliacao" / Path(holdout.features).name)
        shutil.copyfile(holdout.labels, in_dir / HOLDOUT_LABELS_FILE)


def _autograde_arguments(limits: Limits, holdout: HoldoutSpec | None) -> list[str]:
    """The runner's ``autograde`` command line: the limits it enforces itself, the held-out set."""
    arguments = [
        "autograde",
        f"--cell-timeout={limits.cell_timeout_seconds}",
        f"--wall-seconds={limits.wall_seconds}",
        f"--threads={threads(limits)}",
    ]
    if holdout is not None:
        arguments += [
            f"--holdout-predictions={holdout.predictions}",
            f"--holdout-metric={holdout.metric}",
            f"--holdout-id-column={holdout.id_column}",
        ]
    return arguments


def _payload(path: Path) -> tuple[Payload | None, NotebookRunError | None]:
    """The runner's result, or why there is none (ResultFileError, MalformedResult)."""
    try:
        return Payload.parse(read_result_file(path)), None
    except NotebookRunError as exc:
        return None, exc


def keep_hidden(result: NotebookResult, hidden: HiddenTests) -> None:
    """The last check before a result is stored: nothing a student reads shows a hidden test.

    The runner already redacted them (``autograder/container/hidden_tests.py``); whatever
    still quotes one here is redacted again, and a graded notebook that does is kept for
    instructors only (the notes say why the student has none).
    """
    result.cells = [
        replace(cell, message=hidden.redact(cell.message), error=hidden.redact(cell.error))
        for cell in result.cells
    ]
    result.message = hidden.redact(result.message)
    if result.feedback_notebook and hidden.leaks(notebook_text(result.feedback_notebook)):
        result.staff_feedback_notebook = result.staff_feedback_notebook or result.feedback_notebook
        result.feedback_notebook = None
        result.notes.append(messages.text("note.feedback_withheld"))


def read_result_file(path: Path, *, max_bytes: int = RESULT_MAX_BYTES) -> Any:
    """The runner's JSON result: size-capped, never anything but JSON."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise ResultFileError(messages.message("error.no_result", detail="ausente")) from exc
    except OSError as exc:
        raise ResultFileError(messages.message("error.no_result", detail=str(exc))) from exc
    if len(data) > max_bytes:
        size = path.stat().st_size
        raise ResultFileError(messages.message("error.result_too_big", size=size, limit=max_bytes))
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ResultFileError(
            messages.message("error.result_malformed", detail=str(exc)[:200])
        ) from exc


def sanitized_submission(submission: dict[str, Any], release: dict[str, Any]) -> dict[str, Any]:
    """The copy nbgrader grades: the uploaded file itself is never modified.

    nbgrader metadata is the instructor's, not the student's: on cells whose grade id exists
    in the release it is replaced by the release's (nbgrader would restore points, locks and
    checksums but trusts edited grade/solution flags), and on cells with an unknown grade id
    it is dropped (nbgrader would ignore the id, but odd metadata there can crash it, which
    would turn a student's edit into a retried infrastructure error).
    """
    released = {
        gid: nbgrader_meta(cell) for cell in release.get("cells", []) if (gid := grade_id(cell))
    }
    copy: dict[str, Any] = json.loads(json.dumps(submission))
    for cell in copy.get("cells", []):
        metadata = cell.get("metadata")
        if not isinstance(metadata, dict) or "nbgrader" not in metadata:
            continue
        gid = grade_id(cell)
        instructors = released.get(gid) if gid is not None else None
        if instructors is not None:
            metadata["nbgrader"] = dict(instructors)
        else:
            del metadata["nbgrader"]
    return copy
