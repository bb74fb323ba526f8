"""Minhas notas: every assignment of a student with its state, released grades only, and the
selection score the course page defines (portal/classroom/my_grades.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.assessments.models import Assignment
from portal.review.models import RegradeRequest
from portal.submissions.models import Submission
from tests.factories import AssignmentFactory, CriterionFactory, SubmissionFactory
from tests.gradebook.sheets import graded

URL = reverse("classroom:grades")


def _rubric(assignment: Assignment, *keys_points: tuple[str, int]) -> Assignment:
    for order, (key, points) in enumerate(keys_points):
        CriterionFactory(assignment=assignment, key=key, max_points=points, order=order)
    return assignment


@pytest.fixture
def course_work(course):
    now = timezone.now()
    released = {"release_mode": Assignment.ReleaseMode.AUTO}
    return {
        "todo": AssignmentFactory(
            course=course,
            slug="semana-5",
            title="Semana 5",
            due_at=now + dt.timedelta(days=3, hours=2),
        ),
        "partial": _rubric(
            AssignmentFactory(
                course=course, slug="semana-2", title="Semana 2", finalist_bonus=2, **released
            ),
            ("codigo", 4),
            ("escrita", 2),
        ),
        "hidden": _rubric(
            AssignmentFactory(
                course=course,
                slug="semana-3",
                title="Semana 3",
                finalist_bonus=2,
                release_mode=Assignment.ReleaseMode.MANUAL,
            ),
            ("codigo", 5),
        ),
        "project": _rubric(
            AssignmentFactory(
                course=course,
                slug="projeto-final",
                title="Projeto final",
                kind="project",
                **released,
            ),
            ("api", 60),
            ("readme", 40),
        ),
    }


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _row(response, slug: str) -> str:
    html = response.content.decode()
    start = html.index(f'data-assignment="{slug}"')
    return re.sub(r"\s+", " ", html[start : html.index("</tr>", start)])


def test_she_finds_every_assignment_with_its_state_and_only_released_points(
    client, alice, course_work
) -> None:
    partial = graded(course_work["partial"], alice, {"codigo": "3", "escrita": None})
    graded(course_work["hidden"], alice, {"codigo": "4.5"})
    project = graded(course_work["project"], alice, {"api": "50", "readme": "30"})
    RegradeRequest.objects.create(
        run=partial,
        criterion=course_work["partial"].criteria.get(key="codigo"),
        student=alice,
        reason="?",
    )
    client.force_login(alice)

    page = client.get(URL)

    assert page.status_code == 200
    todo = _row(page, "semana-5")
    assert 'data-state="not_sent"' in todo and "Não enviada" in todo and "prazo em 3 dias" in todo
    waiting = _row(page, "semana-2")
    assert 'data-state="pending"' in waiting and "Aguardando o instrutor" in waiting
    assert "3 de 6" in waiting and "1 pedido de revisão aberto" in waiting
    assert "1 de 2 pontos de seleção" in waiting  # 2 * 3/6
    hidden = _row(page, "semana-3")
    assert "Corrigida: nota ainda não liberada" in hidden and "4,5" not in hidden
    assert "80 de 100" in _row(page, "projeto-final")
    assert f"tentativas/{project.submission.attempt}/" in _row(page, "projeto-final")
    # The selection score: 80 (project) + 1 (released notebooks), the hidden one left out.
    assert "80 (projeto) + 1 (notebooks) = <strong>81</strong>" in _text(page)
    assert "1 notebook ainda sem nota liberada não entra na conta." in _text(page)


def test_a_newer_attempt_in_the_queue_keeps_the_graded_one_counting(
    client, alice, course_work
) -> None:
    graded(course_work["partial"], alice, {"codigo": "4", "escrita": "2"})
    SubmissionFactory(
        assignment=course_work["partial"], student=alice, attempt=2, status=Submission.Status.QUEUED
    )
    client.force_login(alice)

    row = _row(client.get(URL), "semana-2")

    assert 'data-state="graded"' in row and "6 de 6" in row and "tentativa 2: na fila" in row
    assert "tentativas/1/" in row


def test_an_attempt_not_graded_yet_shows_its_state_and_no_selection_before_the_project(
    client, alice, course_work
) -> None:
    SubmissionFactory(
        assignment=course_work["partial"], student=alice, status=Submission.Status.ERROR
    )
    client.force_login(alice)

    page = client.get(URL)

    assert "Erro de correção" in _row(page, "semana-2")
    assert "A nota de seleção aparece quando a nota do projeto final for liberada." in _text(page)


def test_nobody_sees_another_students_grades_and_the_menu_leads_there(
    client, alice, bruno, course_work
) -> None:
    graded(course_work["partial"], alice, {"codigo": "3", "escrita": "1"})
    client.force_login(bruno)  # the instructor is no student of this course

    page = client.get(URL)

    assert page.status_code == 200 and "data-course-grades" not in page.content.decode()
    assert "Você não está matriculado como aluno" in _text(page)
    assert f'href="{URL}"' in client.get(reverse("classroom:dashboard")).content.decode()
    client.logout()
    assert client.get(URL).status_code == 302  # sign in first


def test_the_page_costs_a_bounded_number_of_queries(
    client, alice, course_work, django_assert_max_num_queries
) -> None:
    for assignment in course_work.values():
        if assignment.criteria.exists():
            graded(assignment, alice, {c.key: "1" for c in assignment.criteria.all()})
    client.force_login(alice)
    with django_assert_max_num_queries(40):
        assert client.get(URL).status_code == 200


def test_the_dashboard_shows_her_assignments_state_instead_of_a_calendar_bar(
    client, alice, bruno, course_work
) -> None:
    graded(course_work["partial"], alice, {"codigo": "3", "escrita": "2"})
    client.force_login(alice)

    page = client.get(reverse("classroom:dashboard")).content.decode()

    assert "<progress" not in page and "Progresso no calendário" not in page
    mine = page[page.index("data-my-assignments") :]
    assert 'data-assignment="semana-5" data-state="not_sent"' in mine
    assert "prazo em 3 dias" in mine and "5 de 6" in re.sub(r"\s+", " ", mine)
    client.force_login(bruno)  # instructors follow the class elsewhere
    assert "data-my-assignments" not in client.get(reverse("classroom:dashboard")).content.decode()


def test_each_week_page_shows_her_state_of_its_assignments(client, alice, bruno, published) -> None:
    done = _rubric(
        AssignmentFactory(
            course=published.course,
            slug="semana-1-a",
            week=published,
            release_mode=Assignment.ReleaseMode.AUTO,
        ),
        ("codigo", 4),
    )
    AssignmentFactory(
        course=published.course,
        slug="semana-1-b",
        week=published,
        due_at=timezone.now() + dt.timedelta(days=2),
    )
    graded(done, alice, {"codigo": "3"})
    url = reverse("classroom:week", args=[published.course.slug, published.number])
    client.force_login(alice)

    page = re.sub(r"\s+", " ", client.get(url).content.decode())

    assert 'data-my-state="graded">Corrigida</span> 3 de 4' in page
    assert 'data-my-state="not_sent">Não enviada</span> <span class="muted">prazo em 2 dias' in page
    client.force_login(bruno)  # instructors see the assignments, not a state of their own
    assert "data-my-state" not in client.get(url).content.decode()
