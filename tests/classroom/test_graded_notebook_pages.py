"""The graded notebook on the attempt page and on its own page, for runs that store it.

Alice's attempt is graded with a notebook whose output tries everything (a script, a
redirect); she reads it inline under "Notebook corrigido" with a badge per test, Bruno (her
instructor) gets the copy with the hidden tests, Dora (another student) nothing, and a run
graded before keeps nbgrader's document in its sandboxed frame.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from portal.assessments.models import Assignment
from portal.grading.models import GradingRun
from portal.grading.services import attempt_submit
from portal.review import services as review_services
from portal.submissions.models import Submission
from tests.support.attempts import graded, upload

SCRIPT = "<script>document.title='roubado'</script>"


def _notebook(test_source: str) -> dict:
    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "## Normalização"},
            {
                "cell_type": "code",
                "execution_count": 1,
                "metadata": {"nbgrader": {"solution": True, "grade": False, "grade_id": "sol"}},
                "source": "def normaliza(xs):\n    return xs",
                "outputs": [
                    {
                        "output_type": "display_data",
                        "metadata": {},
                        "data": {
                            "text/html": f"<table><tr><td>1</td></tr></table>{SCRIPT}"
                            '<meta http-equiv="refresh" content="0; url=https://x.example">'
                        },
                    }
                ],
            },
            {
                "cell_type": "code",
                "execution_count": 2,
                "metadata": {
                    "nbgrader": {"grade": True, "grade_id": "teste_normaliza", "points": 2}
                },
                "source": test_source,
                "outputs": [
                    {
                        "output_type": "error",
                        "ename": "AssertionError",
                        "evalue": "",
                        "traceback": ["\x1b[0;31mAssertionError\x1b[0m"],
                    }
                ],
            },
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


STUDENTS = _notebook("assert normaliza([1, 1]) == [0, 0]")
STAFF = _notebook(
    "assert normaliza([1, 1]) == [0, 0]\n### BEGIN HIDDEN TESTS\nassert normaliza([]) == []\n"
    "### END HIDDEN TESTS"
)
RESULTS = [
    {"grade_id": "teste_normaliza", "points": 0, "max_points": 2, "manual": False, "passed": False}
]


def _url(name: str, assignment: Assignment, query: str = "") -> str:
    return reverse(f"classroom:{name}", args=[assignment.course.slug, assignment.slug, 1]) + query


@pytest.fixture
def alices(alice, assignment, media) -> Submission:
    return attempt_submit(assignment=assignment, student=alice, upload=upload())


@pytest.fixture
def graded_run(alices) -> GradingRun:
    return graded(alices, notebook=STUDENTS, staff_notebook=STAFF, cell_results=RESULTS)


def test_the_student_reads_her_graded_notebook_inline_with_a_badge_per_test(
    client, alice, alices, graded_run
):
    client.force_login(alice)

    page = client.get(_url("submission", alices.assignment)).content.decode()

    assert '<details class="graded-notebook" open>' in page
    assert "Notebook corrigido" in page and "feedback-frame" not in page
    assert '<div class="nb-cell nb-cell--code nb-cell--grade nb-cell--failed"' in page
    assert '<span class="badge badge--danger" data-state="failed">falhou</span>' in page
    assert '<span class="nb-points" data-points>0 de 2</span>' in page
    assert "In [2]" in page and "<table><tbody><tr><td>1</td></tr></tbody></table>" in page
    assert SCRIPT not in page and "http-equiv" not in page
    assert "HIDDEN TESTS" not in page and "assert normaliza([]) == []" not in page
    assert "Cópia dos instrutores" not in page


def test_the_instructor_sees_the_copy_with_the_hidden_tests_and_dora_nothing(
    client, alice, bruno, dora, alices, graded_run
):
    owner = f"?aluno={alice.pk}"
    client.force_login(bruno)

    for name in ("submission", "feedback"):
        page = client.get(_url(name, alices.assignment, owner)).content.decode()
        assert "### BEGIN HIDDEN TESTS" in page, name
        assert "Cópia dos instrutores: mostra os testes ocultos" in page, name

    client.force_login(dora)
    assert client.get(_url("feedback", alices.assignment)).status_code == 404


def test_the_feedback_url_is_a_portal_page_under_the_sites_policy(
    client, alice, alices, graded_run
):
    client.force_login(alice)

    response = client.get(_url("feedback", alices.assignment))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Notebook corrigido</h1>" in page
    assert "falhou" in page and "HIDDEN TESTS" not in page and SCRIPT not in page
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_a_score_the_instructor_changed_shows_on_the_tests_badge(
    client, alice, bruno, alices, graded_run
):
    score = graded_run.scores.get(criterion__key="teste_normaliza")
    review_services.score_set(
        score=score,
        points=Decimal("1.5"),
        justification="A ideia está certa; faltou tratar listas constantes.",
        by=bruno,
        reason="revisão",
    )
    client.force_login(alice)

    page = client.get(_url("submission", alices.assignment)).content.decode()

    assert '<span class="nb-points" data-points>1,5 de 2</span>' in page
    assert '<span class="badge badge--accent" data-adjusted>ajustado pelo instrutor</span>' in page
    assert "A ideia está certa; faltou tratar listas constantes." in page


def test_an_unreleased_grade_shows_no_notebook_to_the_student(client, alice, alices, graded_run):
    Assignment.objects.filter(pk=alices.assignment_id).update(
        release_mode=Assignment.ReleaseMode.MANUAL
    )
    client.force_login(alice)

    page = client.get(_url("submission", alices.assignment)).content.decode()

    assert "ainda não foi liberada" in page
    assert "nb-cell" not in page and "falhou" not in page
    assert client.get(_url("feedback", alices.assignment)).status_code == 404


def test_a_run_graded_before_keeps_nbgraders_document_in_its_frame(client, alice, alices):
    graded(alices, feedback="<html><body>nbgrader</body></html>")
    client.force_login(alice)

    page = client.get(_url("submission", alices.assignment)).content.decode()
    response = client.get(_url("feedback", alices.assignment))

    assert (
        f'<iframe class="feedback-frame" sandbox src="{_url("feedback", alices.assignment)}"'
        in page
    )
    assert "nb-cell" not in page
    assert response.content == b"<html><body>nbgrader</body></html>"
    assert response["Content-Security-Policy"].startswith("sandbox;")


def test_the_review_page_shows_the_instructors_copy_inline(
    client, alice, bruno, alices, graded_run
):
    client.force_login(bruno)
    url = reverse(
        "review:detail", args=[alices.assignment.course.slug, alices.assignment.slug, alice.pk]
    )

    page = client.get(url).content.decode()

    assert '<section class="panel graded-notebook"' in page and "feedback-frame" not in page
    assert "### BEGIN HIDDEN TESTS" in page
    assert '<span class="badge badge--danger" data-state="failed">falhou</span>' in page
    assert SCRIPT not in page
