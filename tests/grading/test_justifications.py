"""Rubric lines from a NotebookResult (portal/grading/justifications.py): no Docker needed."""

from __future__ import annotations

from decimal import Decimal

from autograder.messages import text
from autograder.results import CellResult, GradeStatus, Limits, NotebookResult, TamperFinding
from portal.grading.justifications import MANUAL_PENDING, score_lines


def _cell(
    grade_id: str,
    points: float,
    max_points: float,
    *,
    passed: bool | None,
    message: str,
    error: str = "",
    manual: bool = False,
) -> CellResult:
    return CellResult(
        grade_id=grade_id,
        points=points,
        max_points=max_points,
        manual=manual,
        passed=passed,
        message=message,
        error=error,
    )


PASSED = _cell(
    "teste_normaliza",
    2,
    2,
    passed=True,
    message=text("cell.passed", grade_id="teste_normaliza", points=2, max_points=2),
)
FAILED = _cell(
    "teste_conta_palavras",
    0,
    3,
    passed=False,
    message=text(
        "cell.failed",
        grade_id="teste_conta_palavras",
        error="AssertionError: esperado {'a': 2}, obtido {'a': 1}",
    ),
    error="Traceback ...\nAssertionError: esperado {'a': 2}, obtido {'a': 1}",
)
MANUAL = _cell(
    "resposta_escala",
    0,
    1,
    passed=None,
    manual=True,
    message=text("cell.manual_pending", grade_id="resposta_escala", max_points=1),
)


def _result(*cells: CellResult, **fields) -> NotebookResult:
    return NotebookResult(
        status=fields.pop("status", GradeStatus.GRADED),
        total=sum(c.points for c in cells),
        max_total=6.0,
        cells=list(cells),
        **fields,
    )


def _by_key(criteria, result):
    return {line.criterion.key: line for line in score_lines(criteria, result)}


def test_a_passed_test_gets_its_points_and_says_it_passed(criteria) -> None:
    line = _by_key(criteria, _result(PASSED, FAILED, MANUAL))["teste_normaliza"]
    assert line.points == Decimal("2")
    assert line.max_points == Decimal("2")
    assert "teste_normaliza` passou" in line.justification


def test_a_failed_test_names_the_exception_and_its_message(criteria) -> None:
    line = _by_key(criteria, _result(PASSED, FAILED, MANUAL))["teste_conta_palavras"]
    assert line.points == Decimal("0")
    assert "falhou" in line.justification
    assert "esperado {'a': 2}, obtido {'a': 1}" in line.justification


def test_a_manual_criterion_has_no_points_and_awaits_the_instructor(criteria) -> None:
    line = _by_key(criteria, _result(PASSED, FAILED, MANUAL))["resposta_escala"]
    assert line.points is None
    assert line.max_points == Decimal("1")
    assert line.justification.startswith(MANUAL_PENDING.capitalize())


def test_every_criterion_gets_a_line_even_without_its_cell(criteria) -> None:
    lines = _by_key(criteria, _result(PASSED))
    assert set(lines) == {"teste_normaliza", "teste_conta_palavras", "resposta_escala"}
    assert lines["teste_conta_palavras"].points == Decimal("0")
    assert "não aparece no resultado" in lines["teste_conta_palavras"].justification


def test_a_timeout_names_the_limit_and_its_value(criteria) -> None:
    summary = text("summary.timeout", seconds=120, total="2", max_total="6")
    not_run = _cell(
        "teste_conta_palavras",
        0,
        3,
        passed=False,
        message=text("cell.deadline", grade_id="teste_conta_palavras", seconds=120),
    )
    result = _result(
        PASSED,
        not_run,
        MANUAL,
        status=GradeStatus.TIMEOUT,
        message=summary,
        limits=Limits(wall_seconds=120),
    )
    lines = _by_key(criteria, result)
    assert "limite de tempo de 2 min atingido" in lines["teste_conta_palavras"].justification
    assert summary[1:] in lines["teste_conta_palavras"].justification
    assert summary[1:] not in lines["teste_normaliza"].justification  # it passed: not concerned


def test_tampering_stays_out_of_the_rows_students_read(criteria) -> None:
    finding = TamperFinding(
        kind="edited-test-cell",
        cell="teste_normaliza",
        line=None,
        excerpt="assert True",
        message=text("tamper.edited_test", cell="teste_normaliza"),
    )
    lines = _by_key(criteria, _result(PASSED, FAILED, MANUAL, tampered=[finding]))
    for line in lines.values():
        assert "adulteração" not in line.justification
        assert "foi editada e restaurada" not in line.justification
    assert "passou" in lines["teste_normaliza"].justification


def test_a_limit_that_hit_every_test_is_left_to_the_run_message(criteria) -> None:
    summary = text("summary.timeout", seconds=600, total="0", max_total="6")
    not_run = [
        _cell(
            grade_id,
            0,
            points,
            passed=False,
            message=text("cell.not_run.deadline", grade_id=grade_id, seconds=600),
        )
        for grade_id, points in (("teste_normaliza", 2), ("teste_conta_palavras", 3))
    ]
    result = _result(*not_run, MANUAL, status=GradeStatus.TIMEOUT, message=summary, limits=Limits())
    lines = _by_key(criteria, result)
    for key in ("teste_normaliza", "teste_conta_palavras"):
        assert "não foi executado: limite de tempo de 10 min atingido" in lines[key].justification
        assert summary[1:] not in lines[key].justification


def test_points_are_capped_at_the_criterion_maximum(criteria) -> None:
    over = _cell("teste_normaliza", 5, 2, passed=True, message="o teste passou")
    assert _by_key(criteria, _result(over))["teste_normaliza"].points == Decimal("2")


def test_a_failed_test_is_explained_without_its_traceback(criteria) -> None:
    """Students read justifications: a hidden test's code must not appear in them."""
    hidden = 'assert normaliza([5.0, 5.0]) == [0.0, 0.0], "valores iguais devem virar zero"'
    result = NotebookResult(
        status=GradeStatus.GRADED,
        total=0,
        max_total=2,
        cells=[
            CellResult(
                grade_id="teste_normaliza",
                points=0,
                max_points=2,
                manual=False,
                passed=False,
                message="o teste `teste_normaliza` falhou: AssertionError: valores iguais "
                "devem virar zero",
                error=f"AssertionError Traceback\n----> 3 {hidden}\n",
            ),
        ],
    )

    text = " ".join(line.justification for line in score_lines(criteria, result))

    assert "valores iguais devem virar zero" in text
    assert "normaliza([5.0, 5.0])" not in text
