"""Hidden tests never reach a student through the portal, after a real grading.

Alice's answers pass every visible test and fail every hidden one (a failing assert, an
exception inside a hidden helper, a syntax error in her own cell; see
tests/autograder/hidden_notebooks.py); the run is graded by the task in a real container.
Nothing she can fetch (the attempt and assignment pages with the graded notebook, the status
fragment, the notebook's own page, the PDF report the admins send her) shows a hidden line;
Bruno, her instructor, still sees them in his copy of the notebook, and when he changes a
test's score she reads his points and justification on that test's badge.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import nbformat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from portal.assessments.services import assignment_create
from portal.grading import tasks
from portal.grading.services import attempt_submit
from portal.review import services as review_services
from tests.autograder import hidden_notebooks as hn
from tests.autograder import notebooks as nb
from tests.autograder.conftest import docker_client, grader_image  # noqa: F401 - fixtures

pytestmark = pytest.mark.docker


@pytest.fixture
def graded_attempt(course, alice, media, grader_image, settings, tmp_path):  # noqa: F811
    settings.AUTOGRADER_IMAGE = grader_image
    source = nb.write(hn.source_notebook(), tmp_path / "fonte.ipynb")
    assignment, _changed = assignment_create(
        course=course,
        slug="estatisticas",
        title="Média, máximo e mediana",
        source_path=source,
        due_at=timezone.now() + dt.timedelta(days=3),
        wall_timeout_seconds=60,
        cell_timeout_seconds=10,
    )
    with assignment.release_notebook.open("rb") as handle:
        release = nbformat.reads(handle.read().decode("utf-8"), as_version=4)
    answers = json.dumps(hn.failing_answers(release)).encode()
    upload = SimpleUploadedFile("entrega.ipynb", answers, content_type="application/x-ipynb+json")
    submission = attempt_submit(assignment=assignment, student=alice, upload=upload)
    run = submission.runs.get()
    assert tasks.grade_run.apply(args=(run.pk,)).get() == "done"
    return submission


def _secrets_in(text: str) -> list[str]:
    return [secret for secret in hn.SECRET_LINES + hn.SECRET_FRAGMENTS if secret in text]


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_nothing_a_student_can_fetch_shows_a_hidden_test_and_the_instructor_sees_them(
    client, alice, bruno, carla, graded_attempt
):
    assignment = graded_attempt.assignment
    args = [assignment.course.slug, assignment.slug]
    pages = {
        name: reverse(f"classroom:{name}", args=[*args, 1])
        for name in ("submission", "status", "feedback")
    }
    pages["assignment"] = reverse("classroom:assignment", args=args)

    client.force_login(alice)
    fetched = {name: client.get(url) for name, url in pages.items()}
    assert {name: response.status_code for name, response in fetched.items()} == dict.fromkeys(
        pages, 200
    )
    texts = {name: response.content.decode() for name, response in fetched.items()}
    client.force_login(carla)
    report = client.get(reverse("reports:student_pdf", args=[assignment.course.slug, alice.pk]))
    texts["pdf"] = _pdf_text(report.content)

    assert {name: found for name, text in texts.items() if (found := _secrets_in(text))} == {}
    # She still reads what failed: the justifications and her own cell's syntax error
    assert "ZeroDivisionError: division by zero" in texts["submission"]
    assert "NameError: name 'mediana' is not defined" in texts["submission"]
    assert "ZeroDivisionError" in texts["pdf"]
    for name in ("submission", "status", "feedback"):  # her graded notebook, rendered
        assert "SyntaxError" in texts[name] and "[teste oculto]" in texts[name], name
        assert 'data-grade-id="teste_maximo"' in texts[name], name

    client.force_login(bruno)
    for name in ("submission", "feedback"):
        staff = client.get(pages[name] + f"?aluno={alice.pk}").content.decode()
        assert "### BEGIN HIDDEN TESTS" in staff, name
        assert "_confere_oculta" in staff and "obtido_oculto" in staff, name


def test_a_score_the_instructor_changed_shows_on_the_badge_of_its_test(
    client, alice, bruno, graded_attempt
):
    score = graded_attempt.runs.get().scores.get(criterion__grade_ids=["teste_maximo"])
    review_services.score_set(
        score=score,
        points=Decimal(1),
        justification="O caso da lista vazia ficou de fora; o resto está certo.",
        by=bruno,
        reason="revisão do teste oculto",
    )
    assignment = graded_attempt.assignment
    client.force_login(alice)

    page = client.get(
        reverse("classroom:submission", args=[assignment.course.slug, assignment.slug, 1])
    ).content.decode()

    badge = page.split('data-grade-id="teste_maximo"')[1].split("nb-input")[0]
    assert '<span class="badge badge--danger" data-state="failed">falhou</span>' in badge
    assert '<span class="nb-points" data-points>1 de 2</span>' in badge
    assert "ajustado pelo instrutor" in badge
    assert "O caso da lista vazia ficou de fora; o resto está certo." in badge
    assert _secrets_in(page) == []
