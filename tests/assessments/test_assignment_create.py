"""Creating an assignment from an nbgrader source: release, grade ids, criteria, idempotency.

The tests marked ``docker`` make the release with nbgrader in the grading image; the others
pass a stand-in ``release_builder`` so they check the bookkeeping alone.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from portal.assessments.models import Assignment, Criterion
from portal.assessments.services import AssignmentSourceError, assignment_create
from tests.autograder import notebooks
from tests.support.attempts import HIDDEN_MARKER, release_bytes

DEMO_SOURCE = (
    Path(__file__).resolve().parents[2]
    / "course_content/notebooks/aquecimento"
    / "aquecimento.ipynb"
)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return notebooks.write(notebooks.source_notebook(), tmp_path / "fonte.ipynb")


class FakeRelease:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, path: Path) -> bytes:
        self.calls += 1
        return release_bytes()


def _create(course, source: Path, builder=None, **extra) -> tuple[Assignment, bool]:
    return assignment_create(
        course=course,
        slug="aquecimento",
        title="Aquecimento",
        source_path=source,
        due_at=timezone.now() + dt.timedelta(days=7),
        release_builder=builder or FakeRelease(),
        **extra,
    )


def _criteria(assignment: Assignment) -> list[tuple]:
    return list(
        Criterion.objects.filter(assignment=assignment)
        .order_by("order")
        .values_list("key", "title", "max_points", "manual")
    )


def test_it_records_grade_ids_and_one_criterion_per_grade_cell(course, media, source):
    assignment, changed = _create(course, source, min_seconds_between_attempts=30)

    assert changed
    assert assignment.grade_ids == ["teste_normaliza", "teste_conta_palavras", "resposta_escala"]
    assert _criteria(assignment) == [
        ("teste_normaliza", "Teste normaliza", Decimal("2.00"), False),
        ("teste_conta_palavras", "Teste conta palavras", Decimal("3.00"), False),
        ("resposta_escala", "Resposta escala", Decimal("1.00"), True),
    ]
    assert assignment.min_seconds_between_attempts == 30
    with assignment.source_notebook.open("rb") as handle:
        assert handle.read() == source.read_bytes()
    assert len(assignment.source_sha256) == 64 and len(assignment.release_sha256) == 64


def test_running_it_again_with_the_same_source_does_not_rebuild_anything(course, media, source):
    builder = FakeRelease()
    first, _ = _create(course, source, builder)
    second, changed = _create(course, source, builder, late_grace_minutes=10)

    assert not changed
    assert builder.calls == 1
    assert second.pk == first.pk
    assert second.release_notebook.name == first.release_notebook.name
    assert second.late_grace_minutes == 10
    assert Assignment.objects.count() == 1
    assert Criterion.objects.count() == 3


def test_a_changed_source_updates_the_release_and_the_criteria(course, media, source):
    builder = FakeRelease()
    first, _ = _create(course, source, builder)
    nb = notebooks.source_notebook()
    notebooks.cell(nb, "teste_conta_palavras").metadata["nbgrader"]["points"] = 4
    nb.cells = [
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "resposta_escala"
    ]
    notebooks.write(nb, source)

    second, changed = _create(course, source, builder)

    assert changed and builder.calls == 2
    assert second.source_sha256 != first.source_sha256
    assert second.grade_ids == ["teste_normaliza", "teste_conta_palavras"]
    assert [(key, points) for key, _t, points, _m in _criteria(second)] == [
        ("teste_normaliza", Decimal("2.00")),
        ("teste_conta_palavras", Decimal("4.00")),
    ]


def test_an_unusable_source_is_refused_with_its_problems_and_nothing_is_made(
    course, media, tmp_path
):
    nb = notebooks.source_notebook()
    for each in nb.cells:  # no autograder test left
        each.metadata.get("nbgrader", {})["grade"] = False
    bad = notebooks.write(nb, tmp_path / "ruim.ipynb")
    builder = FakeRelease()

    with pytest.raises(AssignmentSourceError) as info:
        _create(course, bad, builder)

    assert info.value.problems and all(p.startswith("erro") for p in info.value.problems)
    assert builder.calls == 0
    assert Assignment.objects.count() == 0

    (tmp_path / "lixo.ipynb").write_text("não é json")
    with pytest.raises(CommandError, match="cannot be used"):
        call_command(
            "assignment_create",
            course.slug,
            "lixo",
            "--title",
            "Lixo",
            "--source",
            str(tmp_path / "lixo.ipynb"),
            "--due",
            "2030-01-01T23:59",
        )


def test_the_demo_source_in_course_content_is_the_test_suites_sample():
    committed = json.loads(DEMO_SOURCE.read_text(encoding="utf-8"))
    expected = notebooks.source_notebook()
    # Same cells, points and grade ids; only the unused `import math` is gone (ruff lints
    # committed notebooks).
    assert [c["metadata"] for c in committed["cells"]] == [c.metadata for c in expected.cells]
    sources = ["".join(c["source"]) for c in committed["cells"]]
    assert sources[1] == "from collections import Counter"
    assert sources[:1] + sources[2:] == [c.source for i, c in enumerate(expected.cells) if i != 1]


@pytest.mark.docker
def test_the_command_makes_the_release_with_nbgrader_and_is_idempotent(
    course, media, alice, client
):
    from tests.factories import WeekFactory

    WeekFactory(course=course, number=2)
    args = [
        course.slug,
        "semana-2-aquecimento",
        "--title",
        "Semana 2 — Notebook de aquecimento",
        "--source",
        str(DEMO_SOURCE),
        "--due",
        "2030-03-20T23:59",
        "--week",
        "2",
    ]

    call_command("assignment_create", *args)
    call_command("assignment_create", *args)

    assignment = Assignment.objects.get()
    assert assignment.week.number == 2
    release = assignment.release_notebook.open("rb").read()
    assert HIDDEN_MARKER not in release.decode()
    assert "BEGIN SOLUTION" not in release.decode()
    assert "assert abs(media) < 1e-9" in release.decode()  # the visible tests stay
    assert Criterion.objects.filter(assignment=assignment).count() == 3
    client.force_login(alice)
    response = client.get(f"/cursos/{course.slug}/entregas/{assignment.slug}/notebook/")
    assert b"".join(response.streaming_content) == release
