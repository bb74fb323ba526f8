"""Hidden tests never reach a student (autograder/container/hidden_tests.py and its callers).

First the redaction on made-up outputs (IPython's coloured tracebacks, prints, rich output),
then the host's last check, then a real grading of a notebook that fails its hidden tests
in every way a traceback shows them (tests/autograder/hidden_notebooks.py).
"""

from __future__ import annotations

import copy
import json
import re

import pytest

from autograder.container.hidden_tests import REDACTED, HiddenTests, notebook_text, plain
from autograder.notebooks import autograde, keep_hidden, prepare_source
from autograder.results import CellResult, GradeStatus, Limits, NotebookResult
from tests.autograder import hidden_notebooks as hn
from tests.autograder import notebooks as nb


def _as_dict(notebook: object) -> dict:
    return json.loads(json.dumps(notebook))


def _release() -> dict:
    """nbgrader's release, near enough: solution and hidden regions cut out."""
    release = _as_dict(hn.source_notebook())
    for cell in release["cells"]:
        cell["source"] = re.sub(
            r"### BEGIN (SOLUTION|HIDDEN TESTS).*?### END \1\n?", "", cell["source"], flags=re.S
        )
    return release


def _hidden() -> HiddenTests:
    return HiddenTests.of(_as_dict(hn.source_notebook()), known=[_release()])


def _shows_a_secret(text: str) -> list[str]:
    text = plain(text)
    return [secret for secret in hn.SECRET_LINES + hn.SECRET_FRAGMENTS if secret in text]


# IPython colours every token of the lines it quotes (as the kernel sends them).
COLOURED_TRACEBACK = [
    "\x1b[31m---------------------------------------------------------------------------\x1b[39m",
    "\x1b[31mAssertionError\x1b[39m                            Traceback (most recent call last)",
    "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m\x1b[32mIn[4]\x1b[39m\x1b[32m, line 4\x1b[39m\n"
    "\x1b[32m      1\x1b[39m \x1b[38;5;28;01massert\x1b[39;00m maximo([\x1b[32m1\x1b[39m, "
    "\x1b[32m3\x1b[39m, \x1b[32m2\x1b[39m]) == \x1b[32m3\x1b[39m\n"
    "\x1b[32m      2\x1b[39m \x1b[38;5;66m### BEGIN HIDDEN TESTS\x1b[39m\n"
    "\x1b[32m      3\x1b[39m _confere_oculta(maximo, [\x1b[32m7\x1b[39m], \x1b[32m7\x1b[39m)\n"
    "\x1b[32m----> \x1b[39m\x1b[32m4\x1b[39m \x1b[38;5;28;01massert\x1b[39;00m "
    "maximo([-\x1b[32m5\x1b[39m, -\x1b[32m2\x1b[39m]) == -\x1b[32m2\x1b[39m\n"
    "\x1b[32m      5\x1b[39m \x1b[38;5;66m### END HIDDEN TESTS\x1b[39m\n",
    "\x1b[31mAssertionError\x1b[39m: ",
]


def test_a_coloured_traceback_of_a_hidden_assert_keeps_only_its_visible_lines() -> None:
    redacted = [_hidden().redact(line) for line in COLOURED_TRACEBACK]

    text = plain("\n".join(redacted))
    assert _shows_a_secret(text) == []
    assert "      1 assert maximo([1, 3, 2]) == 3" in text  # visible: the student has it
    assert f"----> 4 {REDACTED}" in text  # where it failed, not what it tested
    assert f"      2 {REDACTED}" in text
    assert redacted[0] == COLOURED_TRACEBACK[0]  # lines without secrets keep their colours


def test_a_hidden_helper_is_redacted_from_frame_headers_and_exception_messages() -> None:
    hidden = _hidden()

    header = "Cell In[2], line 4, in _confere_oculta(funcao, entrada, esperado)"
    assert hidden.redact(header) == f"Cell In[2], line 4, in {REDACTED}"
    assert hidden.redact("name '_confere_oculta' is not defined") == (
        f"name '{REDACTED}' is not defined"
    )
    # a name the student defined is theirs
    assert hidden.redact("Cell In[1], line 2, in media(xs)") == "Cell In[1], line 2, in media(xs)"


def test_a_printed_cell_source_loses_its_hidden_lines_but_not_the_students_output() -> None:
    notebook = _as_dict(hn.source_notebook())
    printed = hn.TESTE_MEDIA + "\nmédia calculada: 2.5\n"
    notebook["cells"][1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": printed}]

    assert _hidden().redact_outputs(notebook) == 1

    text = notebook["cells"][1]["outputs"][0]["text"]
    assert _shows_a_secret(text) == []
    assert text.splitlines()[0] == "assert media([2, 4]) == 3"
    assert text.splitlines()[-1] == "média calculada: 2.5"


def test_rich_output_that_shows_a_hidden_line_is_dropped_and_images_kept() -> None:
    notebook = _as_dict(hn.source_notebook())
    html = "<pre>assert maximo([-5, -2]) ==<b> -2</b></pre>"
    notebook["cells"][3]["outputs"] = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"text/html": html, "image/png": "iVBORw0KGgo=", "text/plain": "<HTML>"},
        }
    ]

    _hidden().redact_outputs(notebook)

    assert notebook["cells"][3]["outputs"][0]["data"] == {
        "image/png": "iVBORw0KGgo=",
        "text/plain": "<HTML>",
    }


def test_hidden_lines_the_release_also_shows_are_not_secrets() -> None:
    source = _as_dict(hn.source_notebook())
    source["cells"][4]["source"] = source["cells"][4]["source"].replace(
        "### BEGIN HIDDEN TESTS", "### BEGIN HIDDEN TESTS\n" + hn.VISIBLE
    )
    hidden = HiddenTests.of(source, known=[_release()])

    assert hidden.redact(hn.VISIBLE) == hn.VISIBLE
    assert hidden.redact("assert maximo([-5, -2]) == -2") == REDACTED


# -- the host's last check ------------------------------------------------------------------


def _notebook(*outputs: dict) -> dict:
    return {
        "cells": [{"cell_type": "code", "source": "maximo([1])", "outputs": list(outputs)}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_a_result_that_still_quotes_a_hidden_test_keeps_it_for_instructors_only() -> None:
    """Whatever the runner let through: the cell texts are redacted again, and a graded
    notebook whose output quotes a hidden line (here inside HTML) goes to the instructors'
    copy only."""
    leaking = _notebook(
        {
            "output_type": "display_data",
            "data": {"text/html": "<pre>----&gt; 4 assert maximo([-5, -2]) == -2</pre>"},
        }
    )
    message = "o teste `teste_maximo` falhou: NameError: name '_confere_oculta' is not defined"
    result = NotebookResult(
        status=GradeStatus.GRADED,
        total=0.0,
        max_total=5.0,
        cells=[
            CellResult(
                grade_id="teste_maximo",
                points=0.0,
                max_points=2.0,
                manual=False,
                passed=False,
                message=message,
                error="----> 3 _confere_oculta(maximo, [7], 7)\nNameError",
            )
        ],
        feedback_notebook=leaking,
    )

    keep_hidden(result, _hidden())

    [cell] = result.cells
    assert _shows_a_secret(cell.message + cell.error) == []
    assert cell.message == message.replace("_confere_oculta", REDACTED)
    assert cell.error == f"----> 3 {REDACTED}\nNameError"
    assert result.feedback_notebook is None
    assert result.staff_feedback_notebook == leaking
    assert result.notes == [
        "o notebook corrigido não é mostrado porque citaria testes ocultos; os instrutores o veem"
    ]


def test_a_graded_notebook_without_hidden_lines_is_left_to_the_student() -> None:
    feedback = _notebook(
        {"output_type": "stream", "name": "stdout", "text": "assert maximo([1, 3, 2]) == 3\n"}
    )
    result = NotebookResult(
        status=GradeStatus.GRADED, total=0, max_total=5, feedback_notebook=feedback
    )

    keep_hidden(result, _hidden())

    assert (result.feedback_notebook, result.staff_feedback_notebook, result.notes) == (
        feedback,
        None,
        [],
    )


# -- a real grading ---------------------------------------------------------------------------

LIMITS = Limits(
    memory_mb=512,
    cpus=1.0,
    pids=128,
    wall_seconds=60,
    cell_timeout_seconds=10,
    tmpfs_mb=64,
    output_bytes=64 * 1024,
)


@pytest.fixture(scope="module")
def failing_hidden(grader_image: str, tmp_path_factory: pytest.TempPathFactory) -> NotebookResult:
    workdir = tmp_path_factory.mktemp("hidden")
    cache = tmp_path_factory.getbasetemp() / "notebook-cache"
    source = nb.write(hn.source_notebook(), workdir / "fonte.ipynb")
    prepared = prepare_source(source, image=grader_image, cache_dir=cache, limits=LIMITS)
    release = nb.read(prepared.release_path)
    submission = nb.write(hn.failing_answers(copy.deepcopy(release)), workdir / "entrega.ipynb")
    return autograde(source, submission, limits=LIMITS, image=grader_image, cache_dir=cache)


@pytest.mark.docker
def test_hidden_tests_failing_in_every_way_show_nothing_of_them_to_the_student(
    failing_hidden: NotebookResult,
) -> None:
    result = failing_hidden
    assert result.total == 0.0 and [c.passed for c in result.cells] == [False, False, False]
    student_texts = {
        "feedback": notebook_text(result.feedback_notebook or {}),
        "summary": result.message,
        "notes": "\n".join(result.notes),
        **{f"{c.grade_id} message": c.message for c in result.cells},
        **{f"{c.grade_id} error": c.error for c in result.cells},
    }
    leaks = {
        where: found for where, text in student_texts.items() if (found := _shows_a_secret(text))
    }
    assert leaks == {}
    # ...yet the student still sees what failed and where
    feedback = student_texts["feedback"]
    assert hn.VISIBLE in feedback
    assert "ZeroDivisionError: division by zero" in feedback
    assert "SyntaxError" in feedback and "def mediana(xs)" in feedback  # the student's own cell
    assert f"----> 4 {REDACTED}" in feedback
    messages = [c.message for c in result.cells]
    assert messages == [
        "o teste `teste_media` falhou: ZeroDivisionError: division by zero",
        "o teste `teste_maximo` falhou: AssertionError",
        "o teste `teste_mediana` falhou: NameError: name 'mediana' is not defined",
    ]


@pytest.mark.docker
def test_the_instructors_copy_of_the_feedback_shows_the_hidden_tests_that_failed(
    failing_hidden: NotebookResult,
) -> None:
    staff = notebook_text(failing_hidden.staff_feedback_notebook or {})
    assert [line for line in hn.SECRET_LINES if line not in staff] == []
    assert "### BEGIN HIDDEN TESTS" in staff
    assert "Cell In[2], line 4, in _confere_oculta(funcao, entrada, esperado)" in staff
