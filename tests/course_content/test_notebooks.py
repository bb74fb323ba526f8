"""Every practice notebook of the course, graded for real in the grading image, three ways:

- the reference solution (the release with every solution region filled back in from the
  source, as a student who solved everything would hand it in) gets every automatic point,
  the held-out criterion included;
- the blank release gets zero, and the grader still produces a grade (no crash);
- a partial version (the solutions of the first half of the solution cells) gets some
  points but not all.

Grading times are written to ``test-artifacts/notebook-grading.json`` for the closing note
and the README; nothing here asserts a duration.
"""

from __future__ import annotations

import copy
import json
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.notebooks import autograde, prepare_source
from autograder.results import GradeStatus, Limits, NotebookResult
from autograder.validate import grade_id, is_solution
from portal.assessments.content import AssignmentSpec, load_course_content

ROOT = Path(__file__).resolve().parents[2]
SPECS = [
    spec
    for spec in load_course_content(ROOT / "course_content").assignments
    if spec.kind == "notebook"
]
VERSIONS = ("referencia", "em-branco", "parcial")
ARTIFACT = ROOT / "test-artifacts" / "notebook-grading.json"

pytestmark = pytest.mark.docker


def limits_of(spec: AssignmentSpec) -> Limits:
    values = spec.limits
    return Limits(
        memory_mb=values.get("memory_mb", 2048),
        cpus=values.get("cpus", 1.0),
        wall_seconds=values.get("wall_timeout_seconds", 300),
        cell_timeout_seconds=values.get("cell_timeout_seconds", 120),
    )


def solution_cells(notebook: dict, kind: str = "code") -> list[dict]:
    return [
        cell
        for cell in notebook["cells"]
        if cell["cell_type"] == kind and is_solution(cell) and grade_id(cell)
    ]


def filled(release: dict, source: dict, count: int | None = None) -> dict:
    """``release`` with the first ``count`` solution code cells solved from ``source``; with
    ``count=None`` every solution cell, the written answers too (they await an instructor)."""
    cells_of = (
        (lambda nb: solution_cells(nb))
        if count is not None
        else (lambda nb: solution_cells(nb) + solution_cells(nb, "markdown"))
    )
    answers = {grade_id(cell): cell["source"] for cell in cells_of(source)}
    notebook = copy.deepcopy(release)
    cells = cells_of(notebook)
    for cell in cells[: len(cells) if count is None else count]:
        cell["source"] = answers[grade_id(cell)]
    return notebook


@dataclass
class Graded:
    spec: AssignmentSpec
    release: dict
    results: dict[str, NotebookResult]
    seconds: dict[str, float]

    @property
    def auto_max(self) -> float:
        return float(sum(c.max_points for c in self.spec.criteria if not c.manual))


@pytest.fixture(scope="module")
def graded(grader_image: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
    """Grades 3 versions of every notebook, two containers at a time (the CI machine has 2
    cores and each grading gets 1 CPU)."""
    cache = tmp_path_factory.mktemp("notebook-cache")
    work = tmp_path_factory.mktemp("notebooks")
    jobs, prepared = [], {}
    for spec in SPECS:
        ready = prepare_source(
            spec.notebook, image=grader_image, cache_dir=cache, limits=limits_of(spec)
        )
        release = json.loads(ready.release_path.read_text("utf-8"))
        source = json.loads(spec.notebook.read_text("utf-8"))
        half = math.ceil(len(solution_cells(source)) / 2)
        versions = {
            "referencia": filled(release, source),
            "em-branco": release,
            "parcial": filled(release, source, half),
        }
        prepared[spec.slug] = Graded(spec, release, {}, {})
        for version, notebook in versions.items():
            path = work / f"{spec.slug}-{version}.ipynb"
            path.write_text(json.dumps(notebook), encoding="utf-8")
            jobs.append((spec, version, path))

    def grade(job: tuple[AssignmentSpec, str, Path]) -> tuple[str, str, NotebookResult, float]:
        spec, version, path = job
        began = time.monotonic()
        result = autograde(
            spec.notebook,
            path,
            limits=limits_of(spec),
            image=grader_image,
            cache_dir=cache,
            data_files=spec.data,
            holdout=spec.holdout.spec if spec.holdout else None,
        )
        return spec.slug, version, result, time.monotonic() - began

    with ThreadPoolExecutor(max_workers=2) as pool:
        for slug, version, result, seconds in pool.map(grade, jobs):
            prepared[slug].results[version] = result
            prepared[slug].seconds[version] = round(seconds, 1)
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(
        json.dumps(
            {
                slug: {
                    version: {
                        "total": g.results[version].total,
                        "max_total": g.results[version].max_total,
                        "sandbox_wall_s": g.results[version].resources.wall_s,
                        "cpu_s": g.results[version].resources.cpu_s,
                        "peak_mem_mb": g.results[version].resources.peak_mem_mb,
                        "end_to_end_s": g.seconds[version],
                        "holdout": g.results[version].holdout,
                    }
                    for version in VERSIONS
                }
                for slug, g in prepared.items()
            },
            indent=1,
            ensure_ascii=False,
        )
    )
    return prepared


def _explain(result: NotebookResult) -> str:
    lines = [f"{result.status} {result.total}/{result.max_total}: {result.message}"]
    lines += [f"  {c.grade_id}: {c.points}/{c.max_points} {c.message}" for c in result.cells]
    return "\n".join([*lines, result.logs_excerpt[-1500:]])


@pytest.mark.parametrize("slug", [spec.slug for spec in SPECS])
def test_the_release_keeps_no_solution_and_no_hidden_test(graded, slug: str) -> None:
    text = json.dumps(graded[slug].release)
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "raise NotImplementedError" in text
    for name in ("telco_avaliacao_rotulos", "holdout_labels"):
        assert name not in text


@pytest.mark.parametrize("slug", [spec.slug for spec in SPECS])
def test_the_reference_solution_gets_every_automatic_point(graded, slug: str) -> None:
    result = graded[slug].results["referencia"]
    assert result.status is GradeStatus.GRADED, _explain(result)
    automatic = [cell for cell in result.cells if not cell.manual]
    assert all(cell.passed for cell in automatic), _explain(result)
    assert result.total == pytest.approx(graded[slug].auto_max), _explain(result)
    manual = [c.key for c in graded[slug].spec.criteria if c.manual]
    assert manual and result.needs_manual_grade, "every notebook has a written answer"
    assert not result.tampered, _explain(result)
    if graded[slug].spec.holdout:
        assert result.holdout["value"] is not None, result.holdout


@pytest.mark.parametrize("slug", [spec.slug for spec in SPECS])
def test_the_blank_release_gets_zero_without_breaking_the_grader(graded, slug: str) -> None:
    result = graded[slug].results["em-branco"]
    assert result.status is GradeStatus.GRADED, _explain(result)
    assert result.total == 0, _explain(result)
    assert len(result.cells) == len(
        [c for spec in graded[slug].spec.criteria for c in spec.grade_ids]
    )
    assert all(cell.message for cell in result.cells)


@pytest.mark.parametrize("slug", [spec.slug for spec in SPECS])
def test_a_partial_solution_gets_some_points_but_not_all(graded, slug: str) -> None:
    result = graded[slug].results["parcial"]
    assert result.status is GradeStatus.GRADED, _explain(result)
    assert 0 < result.total < graded[slug].auto_max, _explain(result)
