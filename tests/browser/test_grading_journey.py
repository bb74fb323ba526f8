"""Grading end to end in a real browser: a real Celery worker, real containers, the real
demo notebook (course_content/notebooks/aquecimento).

Ana downloads the release, uploads her answers and watches her attempt be graded without
reloading; then Bruno, the instructor, grades the whole class again from the assignment's
class page and watches the progress panel until every run is done.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal.assessments.services import assignment_create
from portal.courses.models import Enrollment
from portal.grading.models import GradingRun
from portal.submissions.models import Submission
from tests.autograder import notebooks as nb
from tests.autograder.conftest import docker_client, grader_image  # noqa: F401 - fixtures
from tests.browser.conftest import SCREENSHOTS
from tests.factories import EnrollmentFactory
from tests.grading.worker import *  # noqa: F403 - the worker fixtures

pytestmark = [pytest.mark.browser, pytest.mark.docker, pytest.mark.worker]

DEMO_SOURCE = (
    Path(__file__).resolve().parents[2] / "course_content/notebooks/aquecimento/aquecimento.ipynb"
)
GRADE_TIMEOUT_MS = 90_000

ANA = {
    "oid": "a0a00000-0000-4000-8000-000000000001",
    "name": "Ana Pereira",
    "email": "ana.pereira@example.edu",
}
BRUNO = {
    "oid": "b2000000-0000-4000-8000-000000000002",
    "name": "Bruno Instrutor",
    "email": "bruno@example.edu",
}


@pytest.fixture
def demo_assignment(course, media_root, grader_image, settings):  # noqa: F811
    """The demo notebook as the `assignment_create` command stores it (release by nbgrader)."""
    settings.AUTOGRADER_IMAGE = grader_image
    for person, role in ((ANA, Enrollment.Role.STUDENT), (BRUNO, Enrollment.Role.INSTRUCTOR)):
        EnrollmentFactory(
            course=course, user=None, email=person["email"], full_name=person["name"], role=role
        )
    assignment, _changed = assignment_create(
        course=course,
        slug="aquecimento",
        title="Notebook de aquecimento",
        source_path=DEMO_SOURCE,
        due_at=timezone.now() + dt.timedelta(days=7),
        wall_timeout_seconds=120,
        cell_timeout_seconds=30,
    )
    return assignment


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"grading_journey-{name}.png"), full_page=True)


def mark_document(page: Page) -> None:
    """A flag that only survives as long as no navigation happens."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def test_ana_is_graded_live_and_bruno_grades_the_class_again_with_live_progress(
    worker, new_page, sign_in, demo_assignment, live_server, tmp_path
):
    assignment = demo_assignment
    assignment_url = reverse("classroom:assignment", args=["mle", assignment.slug])

    # -- Ana ----------------------------------------------------------------------------
    ana = new_page("ana")
    sign_in(ana, **ANA)
    ana.goto(assignment_url)
    expect(ana.get_by_role("heading", level=1)).to_have_text("Notebook de aquecimento")

    with ana.expect_download() as download_info:
        ana.get_by_role("link", name="Baixar o notebook da entrega").click()
    download = download_info.value
    assert download.suggested_filename == "aquecimento.ipynb"
    release_text = Path(download.path()).read_text(encoding="utf-8")
    assert "BEGIN HIDDEN TESTS" not in release_text
    assert "BEGIN SOLUTION" not in release_text

    answer = nb.write(nb.correct(nb.read(Path(download.path()))), tmp_path / "minha.ipynb")
    ana.locator('input[type="file"]').set_input_files(str(answer))
    ana.get_by_role("button", name="Enviar notebook").click()
    expect(ana.locator("#submission-status")).to_be_visible()
    mark_document(ana)
    shot(ana, "1-ana-queued")

    expect(ana.locator("#submission-status h2 .badge")).to_have_text(
        "Corrigida", timeout=GRADE_TIMEOUT_MS
    )
    assert_same_document(ana)
    status = ana.locator("#submission-status")
    expect(status).to_contain_text(re.compile(r"teste_normaliza`? passou"))
    expect(status).to_contain_text("Nota: 5 de 6")
    expect(status).not_to_have_attribute("hx-trigger", re.compile("."))
    shot(ana, "2-ana-graded")
    submission = Submission.objects.get(assignment=assignment)
    assert submission.runs.get().status == GradingRun.Status.DONE

    # -- Bruno --------------------------------------------------------------------------
    bruno = new_page("bruno")
    sign_in(bruno, **BRUNO)
    bruno.goto(assignment_url)
    bruno.get_by_role("link", name="Ver entregas da turma").click()
    expect(bruno.get_by_role("heading", level=1)).to_have_text("Entregas da turma")
    row = bruno.locator('tr[data-student="ana.pereira@example.edu"]')
    expect(row).to_contain_text("Corrigida")
    expect(row).to_contain_text("5 de 6")
    panel = bruno.locator("#grading-progress")
    expect(panel).to_have_attribute("data-final", "true")

    bruno.once("dialog", lambda dialog: dialog.accept())
    bruno.get_by_role("button", name="Corrigir todas de novo").click()
    expect(bruno.locator(".message--success")).to_contain_text(
        "1 entrega voltou para a fila de correção"
    )
    mark_document(bruno)
    # Right after the click the one run is queued (or already taken by the worker).
    expect(panel).to_have_attribute("data-final", "false")
    pending = int(panel.locator('[data-count="queued"]').inner_text()) + int(
        panel.locator('[data-count="running"]').inner_text()
    )
    assert pending == 1
    shot(bruno, "3-bruno-regrading")

    expect(panel).to_have_attribute("data-final", "true", timeout=GRADE_TIMEOUT_MS)
    assert_same_document(bruno)
    expect(panel.locator('[data-count="done"]')).to_have_text("1")
    expect(panel.locator('[data-count="queued"]')).to_have_text("0")
    expect(panel.locator('[data-count="running"]')).to_have_text("0")
    expect(panel.locator("progress")).to_have_attribute("value", "1")
    expect(panel).to_contain_text("Todas as correções terminaram")
    shot(bruno, "4-bruno-all-done")
    assert [r.status for r in submission.runs.order_by("number")] == ["done", "done"]
