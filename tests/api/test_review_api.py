"""The review API: the queue, one student's counting run, score changes audited as on the
review page, release, regrade answers and re-run differences; who may call them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from portal.assessments.models import Assignment
from portal.review.models import RegradeRequest, RerunConflict, ScoreChange
from tests.factories import EnrollmentFactory, UserFactory
from tests.review.test_review import _form, graded_run, review_url
from tests.support import graded_assignment

# The grading tests' sample assignment (tests/support/graded_assignment.py) as fixtures here.
assignment, media_root = graded_assignment.assignment, graded_assignment.media_root

BASE = "/api/v1/courses/mle/assignments/semana-1/"


def queue_url(**params: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("api:review-queue", args=["mle", "semana-1"]) + (f"?{query}" if query else "")


def detail_url(student) -> str:
    return reverse("api:review-detail", args=["mle", "semana-1", student.pk])


def scores_url(student) -> str:
    return reverse("api:review-scores", args=["mle", "semana-1", student.pk])


def student(name: str, course) -> object:
    user = UserFactory(username=name.lower(), full_name=name)
    EnrollmentFactory(course=course, user=user, role="student")
    return user


def score_of(run, key: str):
    return run.scores.get(criterion__key=key)


def history(user) -> list[tuple]:
    return list(
        ScoreChange.objects.filter(score__run__submission__student=user)
        .order_by("score__criterion__order")
        .values_list(
            "score__criterion__key",
            "changed_by",
            "points_before",
            "points_after",
            "justification_before",
            "justification_after",
            "reason",
            "source",
        )
    )


# -- the queue ------------------------------------------------------------------------------


def test_the_queue_lists_graded_attempts_with_what_waits_and_a_summary(
    bearer, bruno, alice, assignment
) -> None:
    dora = student("Dora", assignment.course)
    graded_run(assignment, alice, manual_pending=False)
    graded_run(assignment, dora, manual_pending=True)

    body = bearer(bruno, "read").get(queue_url()).json()

    rows = {row["name"]: row for row in body["results"]}
    assert set(rows) == {"Alice Aluna", "Dora"}
    assert (rows["Dora"]["needs_review"], rows["Dora"]["waits"]) == (True, True)
    assert (rows["Alice Aluna"]["waits"], rows["Alice Aluna"]["points"]) == (False, "5.00")
    assert rows["Alice Aluna"]["max_points"] == "6.00"
    assert rows["Alice Aluna"]["attempt"] == 1 and rows["Alice Aluna"]["status"] == "graded"
    assert body["summary"]["total"] == 2 and body["summary"]["waiting"] == 1
    assert body["summary"]["counts"]["manual"] == 1 and body["summary"]["released"] is True
    assert body["next"] is None


def test_the_queue_filters_and_searches_as_the_page(bearer, bruno, alice, assignment) -> None:
    dora = student("Dóra Souza", assignment.course)
    graded_run(assignment, alice, manual_pending=False)
    graded_run(assignment, dora, manual_pending=True)
    client = bearer(bruno, "read")

    manual = client.get(queue_url(filter="manual")).json()
    found = client.get(queue_url(q="dora")).json()  # accents and case ignored
    bad = client.get(queue_url(filter="nenhum"))

    assert [row["name"] for row in manual["results"]] == ["Dóra Souza"]
    assert [row["name"] for row in found["results"]] == ["Dóra Souza"]
    assert found["summary"]["counts"]["todas"] == 1 and found["summary"]["total"] == 2
    assert bad.status_code == 400 and bad.json()["error"]["id"] == "api.invalid"
    assert "filter" in bad.json()["error"]["fields"]


def test_the_queue_is_paged_by_student_id_until_next_is_null(bearer, bruno, assignment) -> None:
    people = [student(f"Aluno {n}", assignment.course) for n in range(5)]
    for person in people:
        graded_run(assignment, person)
    client = bearer(bruno, "read")

    seen, url = [], queue_url(page_size="2")
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 2
        seen += [row["student_id"] for row in body["results"]]
        url = body["next"]

    assert seen == sorted(person.pk for person in people)


def test_the_queue_costs_the_same_queries_for_many_students(
    bearer, bruno, assignment, django_assert_max_num_queries
) -> None:
    client = bearer(bruno, "read")

    def students(n: int) -> None:
        for _index in range(n):
            graded_run(assignment, student(f"Aluno {UserFactory().pk}", assignment.course))

    students(3)
    with django_assert_max_num_queries(20) as few:
        client.get(queue_url())
    students(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(queue_url(page_size="200")).json()["results"]) == 33


# -- one student's run -------------------------------------------------------------------------


def test_a_students_run_shows_scores_history_requests_and_differences(
    bearer, bruno, alice, assignment, django_assert_max_num_queries
) -> None:
    run = graded_run(assignment, alice, manual_pending=False)
    words = score_of(run, "teste_conta_palavras")
    ScoreChange.objects.create(
        score=words, changed_by=bruno, reason="ajuste", points_before=None, points_after=1
    )
    regrade = RegradeRequest.objects.create(
        run=run, criterion=words.criterion, student=alice, reason="O teste aceita minha saída."
    )
    conflict = RerunConflict.objects.create(score=words, previous_auto_points=Decimal(2))

    with django_assert_max_num_queries(15):
        body = bearer(bruno, "read").get(detail_url(alice)).json()

    assert body["student"] == {"id": alice.pk, "name": "Alice Aluna", "email": alice.email}
    assert (body["attempt"], body["points"], body["max_points"]) == (1, "5.00", "6.00")
    scores = {score["criterion_key"]: score for score in body["scores"]}
    assert scores["teste_conta_palavras"]["set_by"] == {
        "id": bruno.pk,
        "username": "bruno",
        "name": "Bruno Instrutor",
    }
    assert scores["teste_normaliza"]["set_by"] is None
    assert [(h["reason"], h["by"]["id"]) for h in body["history"]] == [("ajuste", bruno.pk)]
    assert [r["id"] for r in body["regrade_requests"]] == [regrade.pk]
    assert [c["id"] for c in body["conflicts"]] == [conflict.pk]
    assert body["conflicts"][0]["previous_auto_points"] == "2.00"


def test_a_student_without_a_graded_attempt_is_not_found(bearer, bruno, alice, assignment) -> None:
    assert bearer(bruno, "read").get(detail_url(alice)).status_code == 404


# -- changing scores ---------------------------------------------------------------------------


def test_a_score_change_through_the_api_is_audited_exactly_as_on_the_page(
    client, bearer, bruno, alice, assignment
) -> None:
    dora = student("Dora", assignment.course)
    page_run, api_run = graded_run(assignment, alice), graded_run(assignment, dora)
    reason, text = "Correção da resposta escrita", "Resposta parcial: faltou a escala."
    client.force_login(bruno)
    manual = score_of(page_run, "resposta_escala")
    words = score_of(page_run, "teste_conta_palavras")
    client.post(
        review_url(assignment, alice),
        _form(
            page_run,
            **{
                f"pontos-{manual.pk}": "0,5",
                f"justificativa-{manual.pk}": text,
                f"pontos-{words.pk}": "1",
                "motivo": reason,
            },
        ),
    )

    manual_id = score_of(api_run, "resposta_escala").criterion_id
    words_id = score_of(api_run, "teste_conta_palavras").criterion_id
    response = bearer(bruno).post(
        scores_url(dora),
        {
            "reason": reason,
            "changes": [
                {"criterion": manual_id, "points": "0,5", "justification": text},
                {"criterion": words_id, "points": 1},
                {"criterion": score_of(api_run, "teste_normaliza").criterion_id},  # unchanged
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert history(dora) == history(alice) and len(history(dora)) == 2
    page_run.refresh_from_db()
    api_run.refresh_from_db()
    assert api_run.total == page_run.total
    body = response.json()
    assert sorted(change["criterion"] for change in body["changes"]) == sorted(
        [manual_id, words_id]
    )
    scores = {score["criterion"]: score for score in body["scores"]}
    assert scores[manual_id]["points"] == "0.50" and scores[manual_id]["source"] == "manual"
    assert scores[manual_id]["set_by"]["id"] == bruno.pk


@pytest.mark.parametrize(
    ("points", "message_id"),
    [("9", "review.points_out_of_range"), ("muito", "review.not_a_number")],
)
def test_a_bad_points_value_is_refused_by_criterion_and_nothing_is_written(
    bearer, bruno, alice, assignment, points, message_id
) -> None:
    run = graded_run(assignment, alice)
    manual, other = score_of(run, "resposta_escala"), score_of(run, "teste_normaliza")

    response = bearer(bruno).post(
        scores_url(alice),
        {
            "reason": "motivo",
            "changes": [
                {"criterion": manual.criterion_id, "points": points},
                {"criterion": other.criterion_id, "points": "1"},
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["id"] == "review.refused"
    assert [e["id"] for e in error["fields"][str(manual.criterion_id)]] == [message_id]
    assert str(other.criterion_id) not in error["fields"]
    assert not ScoreChange.objects.exists()
    other.refresh_from_db()
    assert other.points == Decimal(2)  # the valid change in the same request was not applied


def test_a_change_without_a_reason_is_refused_with_the_pages_message(
    bearer, bruno, alice, assignment
) -> None:
    run = graded_run(assignment, alice)
    manual = score_of(run, "resposta_escala")

    response = bearer(bruno).post(
        scores_url(alice),
        {"changes": [{"criterion": manual.criterion_id, "points": "1"}]},
        format="json",
    )

    error = response.json()["error"]
    assert (response.status_code, error["id"]) == (400, "review.reason_required")
    assert error["fields"]["reason"][0]["id"] == "review.reason_required"
    assert not ScoreChange.objects.exists()


def test_an_edit_of_a_criterion_someone_changed_meanwhile_is_refused(
    bearer, bruno, alice, assignment
) -> None:
    run = graded_run(assignment, alice)
    manual = score_of(run, "resposta_escala")
    read = bearer(bruno, "read").get(detail_url(alice)).json()
    shown = next(s for s in read["scores"] if s["id"] == manual.pk)
    carla_change = {"criterion": manual.criterion_id, "points": "1", "justification": "Certo."}
    first = bearer(bruno).post(
        scores_url(alice), {"reason": "outra pessoa", "changes": [carla_change]}, format="json"
    )
    assert first.status_code == 200

    second = bearer(bruno).post(
        scores_url(alice),
        {
            "reason": "eu, com a página velha",
            "changes": [
                {
                    "criterion": manual.criterion_id,
                    "points": "0.5",
                    "justification": "Parcial.",
                    "points_before": shown["points"],
                    "justification_before": shown["justification"],
                }
            ],
        },
        format="json",
    )

    assert second.status_code == 400
    fields = second.json()["error"]["fields"]
    assert fields[str(manual.criterion_id)][0]["id"] == "review.changed_meanwhile"
    manual.refresh_from_db()
    assert (manual.points, ScoreChange.objects.count()) == (Decimal(1), 1)


def test_a_criterion_of_another_assignment_is_refused(bearer, bruno, alice, assignment) -> None:
    graded_run(assignment, alice)

    response = bearer(bruno).post(
        scores_url(alice),
        {"reason": "motivo", "changes": [{"criterion": 999999, "points": "1"}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["999999"][0]["id"] == "review.unknown_criterion"


# -- release, regrades, differences --------------------------------------------------------------


def test_releasing_grades_shows_them_to_the_student_and_withdrawing_hides_them(
    client, bearer, bruno, alice, assignment
) -> None:
    assignment.release_mode = Assignment.ReleaseMode.MANUAL
    assignment.save()
    graded_run(assignment, alice, manual_pending=False)
    status_url = reverse("classroom:status", args=["mle", assignment.slug, 1])
    release_url = reverse("api:review-release", args=["mle", assignment.slug])
    manager = bearer(bruno)
    client.force_login(alice)
    assert "Nota:" not in client.get(status_url).content.decode()

    released = manager.post(release_url, {"released": True}, format="json")
    assert released.json()["released"] is True
    assert "Nota: 5 de 6" in client.get(status_url).content.decode()

    withdrawn = manager.post(release_url, {"released": False}, format="json")
    assert withdrawn.json() == {"released": False, "released_at": None, "release_mode": "manual"}
    assert "Nota:" not in client.get(status_url).content.decode()


def test_an_accepted_regrade_request_changes_the_criterion_as_a_regrade(
    bearer, bruno, alice, assignment
) -> None:
    run = graded_run(assignment, alice, manual_pending=False)
    criterion = assignment.criteria.get(key="teste_conta_palavras")
    regrade = RegradeRequest.objects.create(
        run=run, criterion=criterion, student=alice, reason="O teste oculto aceita minha saída."
    )
    url = reverse("api:review-regrade-answer", args=["mle", "semana-1", alice.pk, regrade.pk])

    empty = bearer(bruno).post(url, {"accept": True, "response": ""}, format="json")
    answered = bearer(bruno).post(
        url, {"accept": True, "response": "Conferido: vale 2,5.", "points": "2,5"}, format="json"
    )
    again = bearer(bruno).post(url, {"accept": False, "response": "de novo"}, format="json")

    assert (empty.status_code, empty.json()["error"]["id"]) == (400, "regrade.response_required")
    assert answered.status_code == 200
    assert answered.json()["status"] == "accepted"
    assert answered.json()["responded_by"]["id"] == bruno.pk
    assert run.scores.get(criterion=criterion).points == Decimal("2.50")
    assert ScoreChange.objects.get().source == ScoreChange.Source.REGRADE
    assert (again.status_code, again.json()["error"]["id"]) == (400, "regrade.already_answered")


def test_a_rerun_difference_is_decided_and_the_decision_is_audited(
    bearer, bruno, alice, assignment
) -> None:
    run = graded_run(assignment, alice, manual_pending=False)
    words = score_of(run, "teste_conta_palavras")
    words.auto_points = Decimal(1)
    words.save()
    conflict = RerunConflict.objects.create(
        score=words, previous_auto_points=Decimal(3), auto_justification="novo resultado"
    )
    url = reverse("api:review-conflict-resolve", args=["mle", "semana-1", alice.pk, conflict.pk])

    response = bearer(bruno).post(url, {"use_automatic": True}, format="json")

    assert response.status_code == 200
    assert response.json()["resolution"] == RerunConflict.Resolution.AUTOMATIC
    words.refresh_from_db()
    assert (words.points, words.justification) == (Decimal(1), "novo resultado")
    assert ScoreChange.objects.filter(score=words).count() == 1


# -- who may call them -------------------------------------------------------------------------


def _endpoints(alice, regrade_pk: int, conflict_pk: int) -> list[tuple[str, str, dict]]:
    student = f"{BASE}review/{alice.pk}/"
    return [
        ("get", f"{BASE}review/", {}),
        ("get", student, {}),
        ("post", student + "scores/", {"reason": "x", "changes": [{"criterion": 1}]}),
        ("post", f"{BASE}release/", {"released": True}),
        (
            "post",
            f"{student}regrade-requests/{regrade_pk}/answer/",
            {"accept": False, "response": "x"},
        ),
        ("post", f"{student}conflicts/{conflict_pk}/resolve/", {"use_automatic": False}),
    ]


@pytest.fixture
def reachable(alice, assignment) -> list[tuple[str, str, dict]]:
    run = graded_run(assignment, alice, manual_pending=False)
    words = score_of(run, "teste_conta_palavras")
    regrade = RegradeRequest.objects.create(
        run=run, criterion=words.criterion, student=alice, reason="Por favor, revise isto."
    )
    conflict = RerunConflict.objects.create(score=words, previous_auto_points=Decimal(3))
    return _endpoints(alice, regrade.pk, conflict.pk)


def test_students_get_403_and_outsiders_404_on_every_review_endpoint(
    bearer, alice, charlie, reachable
) -> None:
    as_alice, as_charlie = bearer(alice), bearer(charlie)
    for method, url, body in reachable:
        mine = getattr(as_alice, method)(url, body, format="json")
        theirs = getattr(as_charlie, method)(url, body, format="json")
        assert (mine.status_code, mine.json()["error"]["id"]) == (403, "api.forbidden"), url
        assert (theirs.status_code, theirs.json()["error"]["id"]) == (404, "api.not_found"), url
    assert not ScoreChange.objects.exists()
    assert RegradeRequest.objects.get().status == "open"


def test_a_token_without_manage_cannot_change_anything(bearer, bruno, reachable) -> None:
    reader = bearer(bruno, "read", "submit")
    for method, url, body in reachable:
        if method != "post":
            continue
        response = reader.post(url, body, format="json")
        assert response.status_code == 403, url
        assert response.json()["error"]["id"] == "api.scope_missing", url
    assert not ScoreChange.objects.exists()
    assert RegradeRequest.objects.get().status == "open"
    assert RerunConflict.objects.get().resolution == ""


def test_an_admin_reviews_any_course(bearer, carla, reachable) -> None:
    _method, url, _body = reachable[1]
    assert bearer(carla, "read").get(url).status_code == 200
