"""The tampering findings of a whole submission (autograder/tamper/): the structural
comparison with the instructor's notebooks and the scan of the student's cells; host side, no
Docker."""

from __future__ import annotations

import copy

import pytest

from autograder import tamper
from tests.autograder import notebooks as nb

# -- the whole submission -------------------------------------------------------------------------


@pytest.fixture
def source() -> nb.Notebook:
    return nb.source_notebook()


@pytest.fixture
def release(source: nb.Notebook) -> nb.Notebook:
    """Close enough to nbgrader's: solutions cleared, hidden tests removed."""
    released = copy.deepcopy(source)
    nb.cell(released, "normaliza").source = "def normaliza(xs):\n    raise NotImplementedError()"
    nb.cell(
        released, "conta_palavras"
    ).source = "def conta_palavras(texto):\n    raise NotImplementedError()"
    for gid in ("teste_normaliza", "teste_conta_palavras"):
        cell = nb.cell(released, gid)
        cell.source = cell.source.split("### BEGIN HIDDEN TESTS")[0].rstrip()
    nb.cell(released, "resposta_escala").source = "SUA RESPOSTA AQUI"
    return released


def _findings(submission: nb.Notebook, source: nb.Notebook, release: nb.Notebook) -> list:
    return tamper.findings(submission, source=source, release=release)


def test_a_correct_submission_has_no_findings(source, release) -> None:
    assert _findings(nb.correct(release), source, release) == []


def test_a_deleted_test_cell_is_named(source, release) -> None:
    [finding] = _findings(nb.deletes_test_cell(release), source, release)
    assert (finding.kind, finding.cell) == ("deleted-test-cell", "teste_normaliza")
    assert finding.message == (
        "a célula de teste `teste_normaliza` foi apagada e restaurada a partir do original"
    )


def test_edited_test_and_locked_cells_are_named_with_the_edit(source, release) -> None:
    found = {f.kind: f for f in _findings(nb.edits_locked_cells(release), source, release)}
    assert found["edited-test-cell"].cell == "teste_normaliza"
    assert found["edited-test-cell"].excerpt == "assert True  # confie em mim"
    assert found["edited-locked-cell"].cell == "importacoes"
    assert found["edited-locked-cell"].excerpt == "import os"
    assert "editada e restaurada" in found["edited-locked-cell"].message


def test_deleted_locked_and_answer_cells_are_named(source, release) -> None:
    submission = nb.correct(release)
    submission.cells = [
        c
        for c in submission.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") not in ("importacoes", "resposta_escala")
    ]
    kinds = {(f.kind, f.cell) for f in _findings(submission, source, release)}
    assert kinds == {
        ("deleted-locked-cell", "importacoes"),
        ("deleted-answer-cell", "resposta_escala"),
    }


def test_edited_nbgrader_metadata_is_named(source, release) -> None:
    submission = nb.correct(release)
    nb.cell(submission, "teste_conta_palavras").metadata["nbgrader"]["points"] = 100
    nb.cell(submission, "normaliza").metadata["nbgrader"]["grade"] = True
    found = {(f.kind, f.cell): f for f in _findings(submission, source, release)}
    assert "(points)" in found[("edited-metadata", "teste_conta_palavras")].message
    assert "(grade)" in found[("edited-metadata", "normaliza")].message


def test_duplicated_and_invented_grade_ids_are_named(source, release) -> None:
    submission = nb.correct(release)
    submission.cells.append(copy.deepcopy(nb.cell(submission, "normaliza")))
    invented = copy.deepcopy(nb.cell(submission, "teste_normaliza"))
    invented.metadata["nbgrader"]["grade_id"] = "teste_bonus"
    submission.cells.append(invented)
    kinds = {(f.kind, f.cell) for f in _findings(submission, source, release)}
    assert ("duplicate-cell", "normaliza") in kinds
    assert ("unknown-grade-cell", "teste_bonus") in kinds


def test_the_scan_reads_the_students_cells_only(source, release) -> None:
    """Instructor code (even with gc or signal) is not flagged; code in a test cell never ran."""
    nb.cell(source, "importacoes").source = "import gc\ngc.get_objects()"
    nb.cell(release, "importacoes").source = "import gc\ngc.get_objects()"
    submission = nb.correct(release)
    nb.cell(submission, "teste_conta_palavras").source = "import ctypes"
    kinds = {f.kind for f in _findings(submission, source, release)}
    assert kinds == {"edited-test-cell"}


def test_hostile_submissions_are_flagged_in_the_cell_they_touch(source, release) -> None:
    cases = {
        nb.always_equal_wins: ("always-equal", "conta_palavras"),
        nb.hides_tracebacks: ("traceback-override", "normaliza"),
        nb.input_transformer: ("input-transformer", "normaliza"),
        nb.kills_own_kernel: ("signals", "conta_palavras"),
        nb.sigint_ignoring_loop: ("signals", "conta_palavras"),
    }
    for build, expected in cases.items():
        found = {(f.kind, f.cell) for f in _findings(build(release), source, release)}
        assert expected in found, build.__name__
