"""Bruno releases a notebook's grades; Alice's bell shows it on her next page, the list takes
her to her grades, and the e-mail leaves through a real Celery worker (the maintenance queue,
Django's file-based e-mail backend as the outbox)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portal.accounts.models import User
from portal.assessments.models import Assignment
from portal.courses.models import Enrollment
from portal.notifications.models import Delivery
from tests.factories import AssignmentFactory, CriterionFactory, EnrollmentFactory
from tests.gradebook.sheets import graded
from tests.grading.worker import Worker, broker_url, database_url, scratch, wait_for  # noqa: F401

pytestmark = pytest.mark.browser

ALICE = {
    "oid": "a1000000-0000-4000-8000-0000000000b1",
    "name": "Alice Aluna",
    "email": "alice@example.edu",
}
BRUNO = {
    "oid": "b2000000-0000-4000-8000-0000000000b2",
    "name": "Bruno Instrutor",
    "email": "bruno@example.edu",
}


@pytest.fixture(scope="module")
def outbox(django_db_setup, django_db_blocker, broker_url, scratch) -> Iterator[Path]:  # noqa: F811
    """A worker of the maintenance queue writing every e-mail it sends into a folder."""
    folder = scratch / "outbox"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "EMAIL_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker_url,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(folder),
            "AUTOGRADER_SWEEP_CONTAINERS": "false",
        }
    )
    name = f"mail-{uuid.uuid4().hex[:8]}"
    worker = Worker(env=env, log=scratch / f"{name}.log", name=name, args=["-Q", "maintenance"])
    yield folder
    worker.stop()


def sent_to(folder: Path, address: str) -> list:
    messages = [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(folder.glob("*.log"))
    ]
    return [message for message in messages if message["To"] == address]


def test_alice_reads_in_the_bell_and_by_email_that_her_grades_were_released(
    new_page, sign_in, live_server, course, outbox
) -> None:
    for person, role in ((ALICE, Enrollment.Role.STUDENT), (BRUNO, Enrollment.Role.INSTRUCTOR)):
        EnrollmentFactory(
            course=course, user=None, email=person["email"], full_name=person["name"], role=role
        )
    assignment = AssignmentFactory(
        course=course,
        slug="semana-3",
        title="Semana 3 — Modelos",
        release_mode=Assignment.ReleaseMode.MANUAL,
    )
    CriterionFactory(assignment=assignment, key="codigo", max_points=4, order=0)
    CriterionFactory(assignment=assignment, key="escrita", max_points=2, order=1)
    alice_page = new_page("alice")
    sign_in(alice_page, **ALICE)
    graded(assignment, User.objects.get(email=ALICE["email"]), {"codigo": "3", "escrita": "2"})
    bell = alice_page.locator("[data-bell]")
    expect(bell).to_have_attribute("data-unread", "0")

    bruno_page = new_page("bruno")
    sign_in(bruno_page, **BRUNO)
    bruno_page.goto(live_server.url + reverse("review:queue", args=[course.slug, assignment.slug]))
    bruno_page.get_by_role("button", name="Liberar as notas aos alunos").click()
    expect(bruno_page.get_by_text("Notas liberadas aos alunos em")).to_be_visible()

    alice_page.reload()
    expect(bell).to_have_attribute("data-unread", "1")
    expect(bell).to_have_accessible_name("Notificações: 1 não lida")
    bell.click()
    item = alice_page.locator('[data-kind="grades_released"]')
    expect(item).to_contain_text("Notas liberadas: Semana 3 — Modelos")
    expect(item).to_have_attribute("data-unread", "1")
    alice_page.set_viewport_size({"width": 390, "height": 844})
    alice_page.screenshot(
        path=str(Path("test-artifacts/screenshots/notifications-list-390.png")), full_page=True
    )
    overflow = alice_page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    alice_page.set_viewport_size({"width": 1280, "height": 800})
    item.get_by_role("button").click()
    expect(alice_page.get_by_role("heading", level=1)).to_have_text("Minhas notas")
    expect(alice_page.locator('tr[data-assignment="semana-3"]')).to_contain_text("5 de 6")
    expect(bell).to_have_attribute("data-unread", "0")

    [email] = wait_for(lambda: sent_to(outbox, ALICE["email"]), timeout=30, what="the e-mail")
    assert email["Subject"].strip() == "[Portal MLE] Notas liberadas: Semana 3 — Modelos"
    assert Delivery.objects.get().status == Delivery.Status.SENT
    assert sent_to(outbox, BRUNO["email"]) == []

    # She would rather read grade news in the portal only.
    bell.click()
    alice_page.get_by_role("link", name="Preferências").click()
    email_off = alice_page.get_by_role("checkbox", name="Notas liberadas: Por e-mail")
    expect(email_off).to_be_checked()
    email_off.uncheck()
    alice_page.get_by_role("button", name="Salvar preferências").click()
    expect(alice_page.locator(".messages")).to_contain_text("Preferências de notificação salvas.")
    expect(email_off).not_to_be_checked()
    expect(alice_page.get_by_role("checkbox", name="Notas liberadas: No portal")).to_be_checked()
