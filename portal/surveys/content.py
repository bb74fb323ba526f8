"""The ``survey`` block of course.yaml: its title, window and questions."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from portal.courses.yaml_reader import Reader, reject_duplicates

KINDS = ("scale", "choice", "text")
_SURVEY_KEYS = {"title", "intro", "opens_at", "closes_at", "min_responses", "questions"}
_QUESTION_KEYS = {"key", "kind", "text", "choices", "required"}


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    kind: str
    text: str
    choices: list[str] = field(default_factory=list)
    required: bool = True


@dataclass(frozen=True)
class SurveySpec:
    title: str
    intro: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    min_responses: int
    questions: list[QuestionSpec]


def read_survey(top: Reader, tz: zoneinfo.ZoneInfo) -> SurveySpec | None:
    raw = top.raw("survey", required=False)
    if raw is None:
        return None
    survey = Reader(raw, top.path, "survey", _SURVEY_KEYS)
    opens_at = survey.moment("opens_at", tz)
    closes_at = survey.moment("closes_at", tz)
    assert opens_at is not None and closes_at is not None
    if closes_at <= opens_at:
        raise survey.error("closes_at", "must be after opens_at")
    questions = []
    for index, item in enumerate(survey.sequence("questions", required=True)):
        question = Reader(item, top.path, f"survey.questions[{index}]", _QUESTION_KEYS)
        kind = question.choice("kind", KINDS)
        choices = [str(c) for c in question.sequence("choices")]
        if kind == "choice" and len(choices) < 2:
            raise question.error("choices", "a choice question needs at least two choices")
        if kind != "choice" and choices:
            raise question.error("choices", "only choice questions have choices")
        required = question.raw("required", required=False)
        if required is not None and not isinstance(required, bool):
            raise question.error("required", "must be true or false")
        questions.append(
            QuestionSpec(
                key=question.slug("key"),
                kind=kind,
                text=question.text("text"),
                choices=choices,
                required=True if required is None else required,
            )
        )
    if not questions:
        raise survey.error("questions", "the survey needs at least one question")
    reject_duplicates(survey, "questions", [q.key for q in questions], "question key")
    return SurveySpec(
        title=survey.text("title"),
        intro=survey.text("intro", required=False),
        opens_at=opens_at,
        closes_at=closes_at,
        min_responses=survey.integer("min_responses", required=False, default=5, minimum=1),
        questions=questions,
    )
