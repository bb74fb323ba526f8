"""The review queue at course size: fifty attempts a page with links that keep the filter and
the search, the late and nothing-pending filters, grading errors pointed out, and a number of
queries that does not grow with the class."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.submissions.models import Submission
from tests.factories import SubmissionFactory
from tests.review.test_queue_filters import _names, _student
from tests.review.test_review import graded_run


@pytest.fixture
def queue_url(client, bruno, course, assignment) -> str:
    client.force_login(bruno)
    return reverse("review:queue", args=[course.slug, assignment.slug])


def _class(course, assignment, n: int, start: int = 0) -> None:
    for index in range(start, start + n):
        student = _student(course, f"aluno{index:03d}", f"Aluno {index:03d}")
        graded_run(assignment, student, manual_pending=index % 2 == 0)


def test_the_queue_costs_the_same_queries_for_5_and_30_students(
    client, course, assignment, queue_url
) -> None:
    _class(course, assignment, 5)
    client.get(queue_url)  # the session and the caches, once
    with CaptureQueriesContext(connection) as five:
        assert client.get(queue_url).status_code == 200
    _class(course, assignment, 25, start=5)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(queue_url)
    assert len(_names(response)) == 30
    assert len(thirty.captured_queries) == len(five.captured_queries)


def test_the_queue_shows_fifty_a_page_and_its_links_keep_the_filter_and_the_search(
    client, course, assignment, queue_url
) -> None:
    _class(course, assignment, 56)  # 28 wait for a manual criterion

    first = client.get(queue_url, {"q": "aluno"})
    html = first.content.decode()
    assert len(_names(first)) == 50 and "1\u201350 de 56 tentativas" in html
    assert "Página 1 de 2" in html
    assert 'href="?q=aluno&amp;pagina=2"' in html

    second = client.get(queue_url, {"q": "aluno", "pagina": "2"})
    assert len(_names(second)) == 6 and "51\u201356 de 56 tentativas" in second.content.decode()
    # A filter starts again from its first page, keeping the search.
    assert 'href="?q=aluno&amp;filtro=manual"' in second.content.decode()

    manual = client.get(queue_url, {"filtro": "manual", "pagina": "9"})  # past the end: the last
    html = manual.content.decode()
    assert (
        len(_names(manual)) == 28 and "1\u201328 de 28 tentativas · 56 corrigidas ao todo" in html
    )
    assert "data-queue-pages" not in html


def test_the_late_filter_keeps_attempts_after_the_grace_period(
    client, course, assignment, queue_url
) -> None:
    late = _student(course, "tardia", "Tânia Tardia")
    on_time = _student(course, "pontual", "Paulo Pontual")
    graded_run(assignment, late, submitted_at=assignment.late_after + dt.timedelta(hours=1))
    graded_run(assignment, on_time, submitted_at=assignment.late_after - dt.timedelta(hours=1))

    response = client.get(queue_url, {"filtro": "atrasadas"})

    assert _names(response) == ["Tânia Tardia"]
    assert "Atrasada" in response.content.decode()


def test_nothing_pending_keeps_what_no_longer_waits_and_the_search_finds_usernames(
    client, course, assignment, queue_url
) -> None:
    graded_run(assignment, _student(course, "zeca", "José Pendente"), manual_pending=True)
    graded_run(assignment, _student(course, "xu", "Xu Pronta"), manual_pending=False)

    assert _names(client.get(queue_url, {"filtro": "prontas"})) == ["Xu Pronta"]
    assert _names(client.get(queue_url, {"q": "ZECA"})) == ["José Pendente"]


def test_students_whose_last_attempt_failed_to_grade_are_pointed_to_the_grading_page(
    client, course, assignment, queue_url
) -> None:
    failed = _student(course, "falhou", "Fábio Falhou")
    graded_run(assignment, failed)  # attempt 1 counts in the queue...
    SubmissionFactory(  # ...attempt 2 could not be graded
        assignment=assignment, student=failed, attempt=2, status=Submission.Status.ERROR
    )
    recovered = _student(course, "voltou", "Vera Voltou")
    SubmissionFactory(
        assignment=assignment, student=recovered, attempt=1, status=Submission.Status.ERROR
    )
    graded_run(assignment, recovered, attempt=2)

    html = client.get(queue_url).content.decode()

    notice = re.search(r"<p [^>]*data-queue-errors>(.*?)</p>", html, re.S).group(1)
    assert "1 aluno tem a última tentativa com erro de correção" in notice
    assert reverse("grading:assignment", args=[course.slug, assignment.slug]) in notice
