"""Reads for the course survey: its state for one student, and the results for instructors
(only once ``min_responses`` students answered)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from portal.accounts.models import User
from portal.core.csv import csv_text
from portal.courses.models import Course
from portal.surveys.models import Answer, Participation, Question, Response, Survey


def answered(survey: Survey, student: User) -> bool:
    return Participation.objects.filter(survey=survey, student=student).exists()


def is_open(survey: Survey) -> bool:
    return survey.opens_at <= timezone.now() < survey.closes_at


def waiting_for(course: Course, student: User) -> Survey | None:
    """The course's survey if it is open and ``student`` has not answered it."""
    survey = Survey.objects.filter(course=course).first()
    if survey is None or not is_open(survey) or answered(survey, student):
        return None
    return survey


@dataclass
class Bar:
    label: str
    count: int
    share: float  # 0..100, of the answers to this question


@dataclass
class QuestionResult:
    question: Question
    answers: int = 0
    bars: list[Bar] = field(default_factory=list)
    average: float | None = None  # scale questions
    texts: list[str] = field(default_factory=list)  # text questions, in no telling order


@dataclass
class Results:
    responses: int
    questions: list[QuestionResult]


def results(survey: Survey) -> Results | None:
    """None while fewer than ``min_responses`` students answered."""
    count = Response.objects.filter(survey=survey).count()
    if count < survey.min_responses:
        return None
    questions = list(survey.questions.all())
    by_question: dict[int, list[Answer]] = {q.pk: [] for q in questions}
    # Ordered by the responses' random keys: the order says nothing about who or when.
    for answer in Answer.objects.filter(response__survey=survey).order_by("response_id", "pk"):
        by_question[answer.question_id].append(answer)
    out = []
    for question in questions:
        answers = by_question[question.pk]
        result = QuestionResult(question=question, answers=len(answers))
        if question.kind == Question.Kind.SCALE:
            labels = [str(n) for n in range(1, 6)]
            values = [str(a.number) for a in answers]
            if answers:
                result.average = sum(a.number or 0 for a in answers) / len(answers)
        elif question.kind == Question.Kind.CHOICE:
            labels = list(question.choices)
            values = [a.text for a in answers]
        else:
            result.texts = [a.text for a in answers]
            out.append(result)
            continue
        result.bars = [
            Bar(
                label, values.count(label), 100 * values.count(label) / len(values) if values else 0
            )
            for label in labels
        ]
        out.append(result)
    return Results(responses=count, questions=out)


def results_csv(survey: Survey) -> str:
    """One row per response (in random-key order), one column per question."""
    questions = list(survey.questions.all())
    rows: dict[object, dict[int, object]] = {}
    for answer in Answer.objects.filter(response__survey=survey).order_by("response_id"):
        rows.setdefault(answer.response_id, {})[answer.question_id] = (
            answer.number if answer.number is not None else answer.text
        )
    return csv_text(
        [q.key for q in questions],
        ([row.get(q.pk) for q in questions] for row in rows.values()),
        int_columns=[q.key for q in questions if q.kind == Question.Kind.SCALE],
    )
