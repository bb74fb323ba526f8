"""The course feedback survey: one anonymous response per student, every answer checked
before anything is written, results for instructors only once five students answered, and
course.yaml's questions synchronised without touching what students answered."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import pytest
import yaml
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal.assessments.content import load_course_content
from portal.courses.content import ContentError
from portal.courses.sync import SyncReport
from portal.surveys import selectors, services
from portal.surveys.messages import SurveyError, SurveyInvalid
from portal.surveys.models import Answer, Participation, Question, Response, Survey
from portal.surveys.sync import survey_sync
from tests.courses.course_dir import COURSE_YAML, write_course
from tests.factories import EnrollmentFactory, UserFactory

NOW = timezone.now()
GOOD = {"geral": "5", "ritmo": "Adequado", "melhorar": "Mais exemplos de deploy."}


@pytest.fixture
def survey(course) -> Survey:
    survey = Survey.objects.create(
        course=course,
        title="Avaliação do curso",
        opens_at=NOW - dt.timedelta(days=1),
        closes_at=NOW + dt.timedelta(days=6),
    )
    Question.objects.create(survey=survey, key="geral", kind="scale", text="Nota geral?", order=0)
    Question.objects.create(
        survey=survey,
        key="ritmo",
        kind="choice",
        text="Ritmo?",
        choices=["Lento", "Adequado", "Rápido"],
        order=1,
    )
    Question.objects.create(
        survey=survey, key="melhorar", kind="text", text="Melhorar?", required=False, order=2
    )
    return survey


def students(course, n: int) -> list:
    people = []
    for i in range(n):
        user = UserFactory(username=f"aluno{i}")
        EnrollmentFactory(course=course, user=user, role="student")
        people.append(user)
    return people


def test_a_response_is_recorded_and_nothing_ties_it_to_the_student(survey, alice) -> None:
    services.survey_answer(survey=survey, student=alice, posted=GOOD)
    assert Participation.objects.get().student == alice
    response = Response.objects.get()
    assert {f.name for f in Response._meta.get_fields()} == {"id", "survey", "answers"}
    assert {f.name for f in Answer._meta.get_fields()} == {
        "id",
        "response",
        "question",
        "number",
        "text",
    }
    assert isinstance(response.pk, uuid.UUID)  # random: no creation order to line up
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM surveys_response")
        assert [c.name for c in cursor.description] == ["id", "survey_id"]


def test_answering_twice_is_refused_and_the_first_stays(survey, alice) -> None:
    services.survey_answer(survey=survey, student=alice, posted=GOOD)
    with pytest.raises(SurveyError) as refused:
        services.survey_answer(survey=survey, student=alice, posted={**GOOD, "geral": "1"})
    assert refused.value.message_id == "survey.already_answered"
    assert [a.number for a in Answer.objects.filter(question__key="geral")] == [5]


@pytest.mark.parametrize(
    ("posted", "key", "message"),
    [
        ({**GOOD, "geral": ""}, "geral", "responda esta pergunta"),
        ({**GOOD, "geral": "6"}, "geral", "escolha um valor de 1 a 5"),
        ({**GOOD, "geral": "3.5"}, "geral", "escolha um valor de 1 a 5"),
        ({**GOOD, "ritmo": "Péssimo"}, "ritmo", "escolha uma das opções"),
        ({**GOOD, "melhorar": "x" * 2001}, "melhorar", "escreva até 2000 caracteres"),
    ],
)
def test_a_bad_answer_is_named_and_nothing_is_written(survey, alice, posted, key, message) -> None:
    with pytest.raises(SurveyInvalid) as invalid:
        services.survey_answer(survey=survey, student=alice, posted=posted)
    assert invalid.value.errors == {key: message}
    assert not Participation.objects.exists() and not Response.objects.exists()


def test_an_optional_question_may_stay_blank(survey, alice) -> None:
    services.survey_answer(survey=survey, student=alice, posted={**GOOD, "melhorar": "  "})
    assert not Answer.objects.filter(question__key="melhorar").exists()


@pytest.mark.parametrize(
    ("opens", "closes", "message_id"), [(1, 5, "survey.not_open"), (-5, -1, "survey.closed")]
)
def test_outside_its_window_the_survey_takes_nothing(survey, alice, opens, closes, message_id):
    Survey.objects.filter(pk=survey.pk).update(
        opens_at=NOW + dt.timedelta(days=opens), closes_at=NOW + dt.timedelta(days=closes)
    )
    survey.refresh_from_db()
    with pytest.raises(SurveyError) as refused:
        services.survey_answer(survey=survey, student=alice, posted=GOOD)
    assert refused.value.message_id == message_id


def test_results_stay_hidden_until_five_answered_then_show_per_question(course, survey) -> None:
    people = students(course, 5)
    for person, (score, pace) in zip(
        people[:4],
        [("5", "Adequado"), ("4", "Adequado"), ("2", "Rápido"), ("5", "Lento")],
        strict=True,
    ):
        services.survey_answer(
            survey=survey, student=person, posted={"geral": score, "ritmo": pace}
        )
    assert selectors.results(survey) is None
    services.survey_answer(survey=survey, student=people[4], posted={**GOOD, "geral": "4"})
    found = selectors.results(survey)
    assert found is not None and found.responses == 5
    geral, ritmo, melhorar = found.questions
    assert geral.average == pytest.approx(4.0)
    assert [(b.label, b.count) for b in geral.bars] == [
        ("1", 0),
        ("2", 1),
        ("3", 0),
        ("4", 2),
        ("5", 2),
    ]
    assert [(b.label, b.count, b.share) for b in ritmo.bars] == [
        ("Lento", 1, 20.0),
        ("Adequado", 3, 60.0),
        ("Rápido", 1, 20.0),
    ]
    assert melhorar.texts == ["Mais exemplos de deploy."]


def test_the_csv_has_one_row_per_response_and_no_names(course, survey) -> None:
    for person in students(course, 5):
        services.survey_answer(
            survey=survey, student=person, posted={**GOOD, "melhorar": "=HYPERLINK(1)"}
        )
    text = selectors.results_csv(survey)
    lines = text.strip().splitlines()
    assert lines[0].lstrip("\ufeff") == "geral,ritmo,melhorar"
    assert len(lines) == 6 and all(line.startswith("5,Adequado,'=HYPERLINK") for line in lines[1:])
    assert "aluno" not in text


# -- pages ---------------------------------------------------------------------------------------


def test_a_student_answers_on_the_page_and_sees_thanks(client, alice, course, survey) -> None:
    client.force_login(alice)
    url = reverse("surveys:answer", args=[course.slug])
    assert "data-survey-invite" in client.get(reverse("classroom:dashboard")).content.decode()
    bad = client.post(url, {**GOOD, "geral": ""})
    assert bad.status_code == 400 and "responda esta pergunta" in bad.content.decode()
    assert 'value="Mais exemplos de deploy."' not in bad.content.decode()  # textarea keeps it
    assert "Mais exemplos de deploy.</textarea>" in bad.content.decode()
    response = client.post(url, GOOD, follow=True)
    html = response.content.decode()
    assert "Resposta registrada" in html and "data-survey-answered" in html
    assert "data-survey-invite" not in client.get(reverse("classroom:dashboard")).content.decode()


def test_instructors_see_results_only_with_enough_answers_and_students_never(
    client, alice, bruno, charlie, course, survey
) -> None:
    url = reverse("surveys:results", args=[course.slug])
    client.force_login(alice)
    assert client.get(url).status_code == 403
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    client.force_login(bruno)
    assert "data-survey-hidden" in client.get(url).content.decode()
    assert client.get(url + "?formato=csv")["Content-Type"].startswith("text/html")
    for person in students(course, 5):
        services.survey_answer(survey=survey, student=person, posted=GOOD)
    html = client.get(url).content.decode()
    assert 'data-result="ritmo"' in html and "Média: 5,0 de 5" in html
    assert client.get(url + "?formato=csv")["Content-Type"] == "text/csv; charset=utf-8"


# -- course.yaml -------------------------------------------------------------------------------


def survey_yaml(**changes) -> dict:
    raw = {
        "title": "Avaliação",
        "opens_at": "2027-04-05T08:00",
        "closes_at": "2027-04-12T23:59",
        "questions": [
            {"key": "geral", "kind": "scale", "text": "Nota?"},
            {"key": "ritmo", "kind": "choice", "text": "Ritmo?", "choices": ["A", "B"]},
        ],
    }
    raw.update(changes)
    return raw


def read(tmp_path: Path, raw: dict):
    """``raw`` as the survey of a real course.yaml, read as sync_course reads it."""
    root = write_course(
        tmp_path / "curso", COURSE_YAML + yaml.safe_dump({"survey": raw}, allow_unicode=True)
    )
    return load_course_content(root).survey


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"closes_at": "2027-04-01T00:00"}, "must be after opens_at"),
        ({"questions": [{"key": "x", "kind": "stars", "text": "?"}]}, "must be one of"),
        (
            {"questions": [{"key": "x", "kind": "choice", "text": "?", "choices": ["só uma"]}]},
            "at least two choices",
        ),
        (
            {"questions": [{"key": "x", "kind": "scale", "text": "?", "required": "sim"}]},
            "true or false",
        ),
        (
            {
                "questions": [
                    {"key": "x", "kind": "scale", "text": "?"},
                    {"key": "x", "kind": "text", "text": "?"},
                ]
            },
            "appears twice",
        ),
        ({"questions": []}, "question"),
    ],
)
def test_a_bad_survey_in_course_yaml_is_refused_with_where(tmp_path, changes, fragment) -> None:
    with pytest.raises(ContentError, match=fragment) as refused:
        read(tmp_path, survey_yaml(**changes))
    assert refused.value.line is not None  # course.yaml:LINE: what is wrong


def test_sync_keeps_the_questions_once_students_answered(tmp_path, course, survey, alice) -> None:
    services.survey_answer(survey=survey, student=alice, posted=GOOD)
    report = SyncReport(course_slug=course.slug)
    survey_sync(course=course, spec=read(tmp_path, survey_yaml()), report=report)
    assert set(survey.questions.values_list("key", flat=True)) == {"geral", "ritmo", "melhorar"}
    assert any("kept" in change for change in report.changes)
    assert Answer.objects.count() == 3


def test_sync_creates_and_replaces_questions_before_anyone_answered(tmp_path, course) -> None:
    report = SyncReport(course_slug=course.slug)
    survey_sync(course=course, spec=read(tmp_path / "a", survey_yaml()), report=report)
    survey = Survey.objects.get(course=course)
    assert list(survey.questions.values_list("key", "kind")) == [
        ("geral", "scale"),
        ("ritmo", "choice"),
    ]
    survey_sync(
        course=course,
        spec=read(
            tmp_path / "b", survey_yaml(questions=[{"key": "novo", "kind": "text", "text": "?"}])
        ),
        report=report,
    )
    assert list(survey.questions.values_list("key", flat=True)) == ["novo"]
    assert re.search("deleted survey question geral", "\n".join(report.changes))
