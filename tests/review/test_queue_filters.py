"""The review queue at class size: filters (waiting, manual, regrades, re-run changes,
tampering), a search by name or e-mail without accents or case, and a tampering column."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from portal.courses.models import Enrollment
from portal.review.models import RegradeRequest, RerunConflict, ScoreChange
from tests.factories import EnrollmentFactory, UserFactory
from tests.review.test_review import graded_run, review_url


def _student(course, username: str, name: str):
    user = UserFactory(username=username, full_name=name, email=f"{username}@example.edu")
    EnrollmentFactory(
        course=course, user=user, email=user.email, full_name=name, role=Enrollment.Role.STUDENT
    )
    return user


@pytest.fixture
def queue(client, bruno, course, assignment):
    people = {
        "manual": _student(course, "alvaro", "Álvaro Manual"),
        "regrade": _student(course, "bea", "Beatriz Pedido"),
        "conflict": _student(course, "caio", "Caio Mudou"),
        "tampered": _student(course, "dora", "Dora Adulterou"),
        "done": _student(course, "eva", "Eva Revisada"),
    }
    graded_run(assignment, people["manual"], manual_pending=True)
    run = graded_run(assignment, people["regrade"], manual_pending=False)
    RegradeRequest.objects.create(
        run=run, criterion=run.scores.first().criterion, student=people["regrade"], reason="?"
    )
    run = graded_run(assignment, people["conflict"], manual_pending=False)
    RerunConflict.objects.create(score=run.scores.first(), previous_auto_points=1)
    run = graded_run(assignment, people["tampered"], manual_pending=False)
    run.tampered = ["teste_normaliza: a célula de teste foi alterada"]
    run.save(update_fields=["tampered"])
    graded_run(assignment, people["done"], manual_pending=False)
    client.force_login(bruno)
    return reverse("review:queue", args=[course.slug, assignment.slug])


def _names(response) -> list[str]:
    html = response.content.decode()
    table = html[html.index("data-review-queue") :]
    return re.findall(r'<th scope="row">([^<]+)<br>', table)


def _count(response, key: str) -> str:
    html = response.content.decode()
    return re.search(rf'data-filter="{key}">[^<]*\((\d+)\)', html).group(1)


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        (
            "todas",
            ["Álvaro Manual", "Beatriz Pedido", "Caio Mudou", "Dora Adulterou", "Eva Revisada"],
        ),
        ("esperando", ["Álvaro Manual", "Beatriz Pedido", "Caio Mudou"]),
        ("manual", ["Álvaro Manual"]),
        ("pedidos", ["Beatriz Pedido"]),
        ("mudou", ["Caio Mudou"]),
        ("adulteracao", ["Dora Adulterou"]),
        (
            "nonsense",
            ["Álvaro Manual", "Beatriz Pedido", "Caio Mudou", "Dora Adulterou", "Eva Revisada"],
        ),
    ],
)
def test_each_filter_keeps_its_attempts(client, queue, kind, names) -> None:
    response = client.get(queue, {"filtro": kind})
    assert response.status_code == 200
    assert _names(response) == names


def test_the_search_ignores_accents_and_case_and_the_counts_follow_it(client, queue) -> None:
    response = client.get(queue, {"q": "ALVARO"})
    assert _names(response) == ["Álvaro Manual"]
    assert (_count(response, "todas"), _count(response, "manual"), _count(response, "pedidos")) == (
        "1",
        "1",
        "0",
    )
    assert _names(client.get(queue, {"q": "bea@example"})) == ["Beatriz Pedido"]
    empty = client.get(queue, {"q": "ninguém", "filtro": "manual"})
    assert (
        _names(empty) == []
        and "Nenhuma tentativa com esse filtro ou busca." in empty.content.decode()
    )


def test_tampering_shows_in_its_own_badge_and_the_filter_links_keep_the_search(
    client, queue
) -> None:
    html = client.get(queue, {"q": "dora"}).content.decode()
    assert "Adulteração: 1 achado" in html
    assert 'href="?q=dora&amp;filtro=adulteracao"' in html


# -- the review form: two instructors at once, criteria folded ----------------------------------


def _shown(client, url: str) -> dict[str, str]:
    """The review form's fields as the page shows them (what a browser would send back)."""
    return _shown_from(client.get(url).content.decode())


def test_a_form_opened_before_another_instructors_change_does_not_undo_it(
    client, bruno, alice, assignment
) -> None:
    run = graded_run(assignment, alice, manual_pending=True)
    manual = run.scores.get(criterion__key="resposta_escala")
    auto = run.scores.get(criterion__key="teste_normaliza")
    client.force_login(bruno)
    url = review_url(assignment, alice)
    bruno_form = _shown(client, url)  # Bruno opens the page...
    other = _shown(client, url)  # ...and so does a colleague, who saves first:
    other.update({f"pontos-{auto.pk}": "1", "motivo": "Teste parcial"})
    assert client.post(url, other).status_code == 302

    # Bruno grades the manual answer only; his form still shows 2 for the other criterion.
    bruno_form.update(
        {
            f"pontos-{manual.pk}": "1",
            f"justificativa-{manual.pk}": "Boa resposta.",
            "motivo": "Lida",
        }
    )
    assert client.post(url, bruno_form).status_code == 302
    auto.refresh_from_db()
    manual.refresh_from_db()
    assert (auto.points, manual.points) == (Decimal("1.00"), Decimal("1.00"))
    assert ScoreChange.objects.count() == 2

    # Editing a criterion someone changed since the page opened is refused, with the reason.
    stale = dict(bruno_form, **{f"pontos-{auto.pk}": "1,5", "motivo": "Revendo"})
    refused = client.post(url, stale)
    assert refused.status_code == 400
    assert (
        "foi alterado por outra pessoa depois que você abriu esta página"
        in refused.content.decode()
    )
    auto.refresh_from_db()
    assert auto.points == Decimal("1.00") and ScoreChange.objects.count() == 2
    # The page now compares with today's value: sending it again applies the change.
    again = _shown_from(refused.content.decode())
    again.update({f"pontos-{auto.pk}": "1,5", "motivo": "Revendo"})
    assert client.post(url, again).status_code == 302
    auto.refresh_from_db()
    assert auto.points == Decimal("1.50")


def _shown_from(html: str) -> dict[str, str]:
    inputs = r'<input type="(?:hidden|text)"[^>]* name="([^"]+)" value="([^"]*)"'
    fields = dict(re.findall(inputs, html))
    fields.update(re.findall(r'<textarea[^>]* name="([^"]+)"[^>]*>([^<]*)</textarea>', html))
    fields.pop("csrfmiddlewaretoken", None)
    return {name: unescape(value) for name, value in fields.items()}


def test_criteria_that_need_nobody_are_folded(client, bruno, alice, assignment) -> None:
    graded_run(assignment, alice, manual_pending=True)
    client.force_login(bruno)
    html = client.get(review_url(assignment, alice)).content.decode()
    bodies = re.findall(
        r'data-criterion="([^"]+)".*?<details class="review-criterion__body"( open)?>', html, re.S
    )
    assert dict(bodies) == {
        "teste_normaliza": "",
        "teste_conta_palavras": "",
        "resposta_escala": " open",
    }
