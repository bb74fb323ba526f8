"""Writes for the course survey: one anonymous response per student, all answers or none."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.accounts.models import User
from portal.core import formats
from portal.surveys.messages import MESSAGES, TEXT_MAX_CHARS, SurveyError, SurveyInvalid
from portal.surveys.models import Answer, Participation, Question, Response, Survey

log = logging.getLogger(__name__)


def _answer(question: Question, raw: str) -> Answer | None:
    """The answer to ``question`` from what was posted; SurveyError (message only) if wrong."""
    value = (raw or "").strip()
    if not value:
        if question.required:
            raise ValueError(MESSAGES.text("survey.required"))
        return None
    if question.kind == Question.Kind.SCALE:
        if value not in {"1", "2", "3", "4", "5"}:
            raise ValueError(MESSAGES.text("survey.scale"))
        return Answer(question=question, number=int(value))
    if question.kind == Question.Kind.CHOICE:
        if value not in question.choices:
            raise ValueError(MESSAGES.text("survey.choice"))
        return Answer(question=question, text=value)
    if len(value) > TEXT_MAX_CHARS:
        raise ValueError(MESSAGES.text("survey.too_long", max=TEXT_MAX_CHARS))
    return Answer(question=question, text=value)


def survey_window_check(survey: Survey, now: dt.datetime | None = None) -> None:
    now = now or timezone.now()
    if now < survey.opens_at:
        raise SurveyError("survey.not_open", when=formats.moment(survey.opens_at))
    if now >= survey.closes_at:
        raise SurveyError("survey.closed", when=formats.moment(survey.closes_at))


@transaction.atomic
def survey_answer(
    *, survey: Survey, student: User, posted: Mapping[str, str], now: dt.datetime | None = None
) -> None:
    """Record ``student``'s answers, anonymously: SurveyError (closed, answered already) or
    SurveyInvalid (the message of each wrong answer); nothing is written unless all are right."""
    survey_window_check(survey, now)
    if Participation.objects.filter(survey=survey, student=student).exists():
        raise SurveyError("survey.already_answered")
    answers, errors = [], {}
    for question in survey.questions.all():
        try:
            answer = _answer(question, posted.get(question.key, ""))
        except ValueError as error:
            errors[question.key] = str(error)
            continue
        if answer is not None:
            answers.append(answer)
    if errors:
        raise SurveyInvalid(errors)
    try:
        with transaction.atomic():
            Participation.objects.create(survey=survey, student=student)
    except IntegrityError:
        raise SurveyError("survey.already_answered") from None
    response = Response.objects.create(survey=survey)
    for answer in answers:
        answer.response = response
    Answer.objects.bulk_create(answers)
    # No student id in this line: the log must not undo the anonymity either.
    log.info("survey answered course=%s answers=%d", survey.course_id, len(answers))
