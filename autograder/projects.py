"""Grade a final-project repository at one commit: clone, run, check, justify.

    result = grade_repo("https://github.com/ana/churn", sha="3f2a...", rubric=criteria,
                        image="mle-grader:latest", limits=Limits(...))

1. ``repos.clone_at`` fetches exactly the pinned commit outside the sandbox, with hard
   limits, into a read-only tree (no hooks, no submodules, no LFS, no symlinks).
2. When the rubric has checks that *run* the project (tests, serving): the install step
   (``autograder.dependencies``) makes the project's declared dependencies into a cached
   environment (wheels only, from the configured index, installed in the grading container
   without network), then ``project_run.run_project`` runs the project once in the grading
   container, with the read-only tree and that environment mounted and no network: the
   ``train`` command of ``projeto.yaml`` when there is one (``autograder.project_contract``),
   the tests, the API. What it reports, with the install step's report,
   is what the running checks read.
3. Every rubric criterion is filled by its check (``autograder.checks``): points snapped to
   a level of the rubric and a pt-BR justification with evidence; criteria without a check
   are left to the instructors.

Statuses follow ``autograde``: a repository that cannot be graded as submitted (gone, too
big, ref vanished) is ``invalid`` with the reason. Our own faults raise an
:class:`~autograder.errors.InfrastructureError`, to be retried: ``repos.RepoUnavailable``
(the git host did not answer), ``sandbox.SandboxError`` (Docker, the image),
``project_run.ProjectRunError`` (the project container left no usable report).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import docker

from autograder import repos
from autograder.checks import RUNNING_CHECKS, run_criterion
from autograder.dependencies import InstallSettings, prepare_environment
from autograder.messages import number
from autograder.project_contract import Contract, read_contract
from autograder.results import GradeStatus, Limits, ProjectResult, Resources
from autograder.rubric import RubricCriterion

logger = logging.getLogger(__name__)

LOGS_EXCERPT_CHARS = 4000


def grade_repo(
    url: str,
    *,
    rubric: Sequence[RubricCriterion],
    image: str,
    limits: Limits,
    ref: str | None = None,
    sha: str | None = None,
    allowed: Sequence[str] | None = None,
    name: str | None = None,
    client: docker.DockerClient | None = None,
    max_repo_bytes: int | None = None,
    install: InstallSettings | None = None,
) -> ProjectResult:
    """Grade ``url`` at ``sha`` (else at ``ref``, resolved now) against ``rubric``.

    ``install`` configures the install step (the index, the cache, its limits); None grades
    with the grading image's packages only, and the justifications say so.

    The result is ``graded`` (points per criterion, instructors' criteria pending) or
    ``invalid`` (the repository cannot be graded as submitted: the reason, no points).
    Raises RepoUnavailable, SandboxError or ProjectRunError (InfrastructureError: retry).
    """
    allowed = tuple(allowed) if allowed is not None else repos.allowed_prefixes()
    timings: dict[str, float] = {}
    began = time.monotonic()
    try:
        if sha is None:
            sha = repos.resolve(url, ref, allowed=allowed).sha
            timings["resolve"] = round(time.monotonic() - began, 3)
        with tempfile.TemporaryDirectory(prefix="mle-project-") as tmp:
            step = time.monotonic()
            clone_options = {} if max_repo_bytes is None else {"max_bytes": max_repo_bytes}
            info = repos.clone_at(url, sha, Path(tmp) / "repo", allowed=allowed, **clone_options)
            timings["clone"] = round(time.monotonic() - step, 3)
            try:
                return _graded(
                    url, ref, sha, info.path, rubric, image, limits, name, client, timings, install
                )
            finally:
                repos.remove_tree(info.path)  # read-only, as the sandbox got it
    except repos.RepoUnavailable:
        raise  # the git host did not answer: ours to retry, not the student's fault
    except repos.RepoError as exc:
        return ProjectResult(
            status=GradeStatus.INVALID,
            url=url,
            ref=ref or "",
            commit=sha or "",
            total=0.0,
            max_total=round(sum(c.max_points for c in rubric), 4),
            message=exc.message,
            image=image,
            limits=limits,
            timings=timings,
        )


def _graded(
    url: str,
    ref: str | None,
    sha: str,
    tree: Path,
    rubric: Sequence[RubricCriterion],
    image: str,
    limits: Limits,
    name: str | None,
    client: docker.DockerClient | None,
    timings: dict[str, float],
    install: InstallSettings | None,
) -> ProjectResult:
    running = {c.check: dict(c.params) for c in rubric if c.check in RUNNING_CHECKS}
    report: dict[str, Any] = {}
    resources, logs, image_used = Resources(), "", image
    if running:
        from autograder.project_run import run_project  # imports the container runner

        contract = read_contract(tree)
        run_name = name or f"project-{sha[:12]}"
        step = time.monotonic()
        environment = prepare_environment(
            tree,
            settings=install,
            image=image,
            limits=limits,
            install=contract.install if contract else None,
            python=contract.python if contract else None,
            name=run_name,
            client=client,
        )
        timings["install"] = round(time.monotonic() - step, 3)
        step = time.monotonic()
        report, sandbox = run_project(
            tree,
            params=_with_contract(running, contract),
            image=image,
            limits=limits,
            name=run_name,
            client=client,
            site=environment.site,
        )
        timings["run"] = round(time.monotonic() - step, 3)
        report["install"] = {**environment.to_dict(), "site": None}
        resources, image_used = sandbox.resources, sandbox.image
        logs = sandbox.logs[-LOGS_EXCERPT_CHARS:]
    step = time.monotonic()
    outcomes = [run_criterion(criterion, tree, report) for criterion in rubric]
    timings["checks"] = round(time.monotonic() - step, 3)
    total = round(sum(o.points for o in outcomes if o.points is not None), 4)
    max_total = round(sum(o.max_points for o in outcomes), 4)
    pending = [o.key for o in outcomes if o.points is None]
    message = f"nota automática {number(total)} de {number(max_total)}"
    if pending:
        waiting = (
            "1 critério aguarda" if len(pending) == 1 else f"{len(pending)} critérios aguardam"
        )
        message += f"; {waiting} a banca ({', '.join(pending)})"
    return ProjectResult(
        status=GradeStatus.GRADED,
        url=url,
        ref=ref or "",
        commit=sha,
        total=total,
        max_total=max_total,
        criteria=outcomes,
        message=message,
        image=image_used,
        limits=limits,
        resources=resources,
        logs_excerpt=logs,
        timings=timings,
    )


def _with_contract(
    running: dict[str, dict[str, Any]], contract: Contract | None
) -> dict[str, dict[str, Any]]:
    """The rubric's params of the running steps, with what projeto.yaml declares on top."""
    params = {step: dict(values) for step, values in running.items()}
    for step, declared in (contract.running_params() if contract else {}).items():
        params[step] = {**params.get(step, {}), **declared}
    return params
