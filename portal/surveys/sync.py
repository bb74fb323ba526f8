"""course.yaml's survey into the database (part of ``sync_course``'s transaction).

Once students have answered, the questions stay as they were (a changed or removed question
would orphan or misread their answers): only the title, the intro, the window and the
threshold follow the file, and the report says so.
"""

from __future__ import annotations

from portal.courses.models import Course
from portal.courses.sync import SyncReport, upsert
from portal.surveys.content import SurveySpec
from portal.surveys.models import Question, Survey


def survey_sync(*, course: Course, spec: SurveySpec | None, report: SyncReport) -> None:
    survey = Survey.objects.filter(course=course).first()
    if spec is None:
        if survey is not None and not survey.responses.exists():
            survey.delete()
            report.add("deleted survey")
        return
    survey = survey or Survey(course=course)
    upsert(
        report,
        "survey",
        survey,
        {
            "title": spec.title,
            "intro": spec.intro,
            "opens_at": spec.opens_at,
            "closes_at": spec.closes_at,
            "min_responses": spec.min_responses,
        },
    )
    existing = {q.key: q for q in survey.questions.all()}
    wanted = {q.key for q in spec.questions}
    if survey.responses.exists():
        unchanged = all(
            (
                q.key in existing
                and existing[q.key].kind == q.kind
                and existing[q.key].choices == q.choices
            )
            for q in spec.questions
        ) and wanted == set(existing)
        if not unchanged:
            report.add("survey questions kept: students have answered (only wording may change)")
        for order, question in enumerate(spec.questions):
            if question.key in existing:
                upsert(
                    report,
                    f"survey question {question.key}",
                    existing[question.key],
                    {"text": question.text, "order": order},
                )
        return
    for order, question in enumerate(spec.questions):
        upsert(
            report,
            f"survey question {question.key}",
            existing.get(question.key) or Question(survey=survey, key=question.key),
            {
                "kind": question.kind,
                "text": question.text,
                "choices": question.choices,
                "required": question.required,
                "order": order,
            },
        )
    for key in sorted(set(existing) - wanted):
        existing[key].delete()
        report.add(f"deleted survey question {key}")
