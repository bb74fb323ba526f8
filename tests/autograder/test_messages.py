"""The grader's pt-BR messages (autograder/messages.py): plurals, durations, numbers."""

from __future__ import annotations

import pytest

from autograder import messages
from autograder.project_run import _report
from autograder.results import ExitReason, Limits, Resources, SandboxResult


@pytest.mark.parametrize(
    ("seconds", "written"),
    [
        (5, "5 s"),
        (2.5, "2,5 s"),
        (89, "89 s"),
        (90, "1 min 30 s"),
        (125, "2 min 5 s"),
        (900, "15 min"),
    ],
)
def test_a_duration_is_in_seconds_below_90_s_and_in_minutes_above(seconds, written) -> None:
    assert messages.duration(seconds) == written


def test_a_seconds_field_is_written_as_a_duration() -> None:
    assert messages.text("cell.timeout", grade_id="t", seconds=900) == (
        "o teste `t` excedeu o limite de tempo de 15 min por célula"
    )
    assert messages.text("note.deadline", where="3", seconds=40).startswith(
        "limite de tempo de 40 s atingido"
    )


def test_one_failed_test_is_singular_and_several_are_plural() -> None:
    one = messages.counted("summary.failed", 1, ids="`a`", total="2", max_total="6")
    two = messages.counted("summary.failed", 2, ids="`a`, `b`", total="0", max_total="6")
    assert one == messages.Message("summary.failed", "nota 2 de 6: o teste `a` falhou")
    assert two == messages.Message("summary.failed", "nota 0 de 6: 2 testes falharam (`a`, `b`)")


def test_pending_answers_agree_with_their_count() -> None:
    assert messages.counted("summary.manual", 1).text == "1 resposta aguarda correção manual"
    assert messages.counted("summary.manual", 3).text == "3 respostas aguardam correção manual"


def test_no_message_hedges_its_plural_with_parentheses() -> None:
    for message_id, template in messages.MESSAGES.items():
        for hedge in ("(s)", "(is)", "(ões)", "(es)"):
            assert hedge not in template, message_id


def test_a_project_that_outlived_its_container_names_the_limit_in_minutes(tmp_path) -> None:
    sandbox = SandboxResult(
        exit_reason=ExitReason.TIMEOUT,
        exit_code=137,
        logs="",
        logs_truncated=False,
        resources=Resources(),
        image="grader",
        container_name="run-1",
    )
    report = _report(tmp_path / "absent.json", sandbox, Limits(wall_seconds=600))
    assert report["reason"] == "o projeto passou do tempo limite do contêiner (10 min)"
