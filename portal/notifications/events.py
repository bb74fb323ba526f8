"""Each event of the course, from the objects it is about, announced through ``event_notify``.

Called by the receivers of the lower apps' signals (``receivers.py``) and by the periodic scan
(``scan.py``); an event's key makes the second announcement a no-op. Links are paths of the
pages each reader opens (students' pages; staff reach the same ones).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.urls import reverse

from portal.assessments.models import Assignment
from portal.assessments.selectors import grades_released as released
from portal.courses.models import Week
from portal.grading.models import GradingRun
from portal.notifications import selectors
from portal.notifications.services import event_notify
from portal.ranking.models import Finalist
from portal.review.models import RegradeRequest
from portal.submissions.models import Submission


def _stamp(moment: dt.datetime) -> str:
    return str(int(moment.timestamp()))


def _attempt_url(submission: Submission) -> str:
    assignment = submission.assignment
    return reverse(
        "classroom:submission", args=[assignment.course.slug, assignment.slug, submission.attempt]
    )


def grades_released(assignment: Assignment) -> None:
    """To every student with an attempt at ``assignment``, once per assignment."""
    students = list(
        Submission.objects.filter(assignment=assignment)
        .values_list("student_id", flat=True)
        .distinct()
    )
    event_notify(
        kind="grades_released",
        key=f"grades_released:{assignment.pk}",
        course=assignment.course,
        recipients=students,
        # A count for the class's channel, never names.
        params={"assignment": assignment.title, "students": len(students)},
        url=reverse("classroom:grades"),
    )


def regrade_answered(request: RegradeRequest) -> None:
    submission = request.run.submission
    event_notify(
        kind="regrade_answered",
        key=f"regrade_answered:{request.pk}",
        course=submission.assignment.course,
        recipients=[request.student_id],
        params={
            "assignment": submission.assignment.title,
            "criterion": request.criterion.title,
            "response": request.response,
        },
        url=_attempt_url(submission),
        variants={request.student_id: request.status},
    )


def attempt_graded(run: GradingRun) -> None:
    """The first grading of an attempt (a re-run by the staff tells nobody)."""
    submission = run.submission
    assignment = submission.assignment
    event_notify(
        kind="attempt_graded",
        key=f"attempt_graded:{submission.pk}",
        course=assignment.course,
        recipients=[submission.student_id],
        params={"assignment": assignment.title, "attempt": submission.attempt},
        url=_attempt_url(submission),
        variants={submission.student_id: "released" if released(assignment) else "unreleased"},
    )


def grading_error(run: GradingRun) -> None:
    submission = run.submission
    event_notify(
        kind="grading_error",
        key=f"grading_error:{run.pk}",
        course=submission.assignment.course,
        recipients=[submission.student_id],
        params={"assignment": submission.assignment.title, "attempt": submission.attempt},
        url=_attempt_url(submission),
    )


def week_published(week: Week) -> None:
    assert week.publish_at is not None
    event_notify(
        kind="week_published",
        key=f"week_published:{week.pk}:{_stamp(week.publish_at)}",
        course=week.course,
        recipients=selectors.course_students(week.course),
        params={"number": week.number, "week": week.title, "course": week.course.title},
        url=reverse("classroom:week", args=[week.course.slug, week.number]),
    )


def assignment_open(assignment: Assignment) -> None:
    """Its week was published: a card in the class's channel (people hear of the week)."""
    opened = assignment.week.publish_at if assignment.week else None
    assert opened is not None
    _assignment_card("assignment_open", assignment, at=opened)


def deadline_48h(assignment: Assignment) -> None:
    """Two days before the deadline: a card in the class's channel."""
    _assignment_card("deadline_48h", assignment, at=assignment.due_at)


def _assignment_card(kind: str, assignment: Assignment, *, at: dt.datetime) -> None:
    event_notify(
        kind=kind,
        key=f"{kind}:{assignment.pk}:{_stamp(at)}",
        course=assignment.course,
        recipients=[],
        params={"assignment": assignment.title, "due_at": assignment.due_at.isoformat()},
        url=reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug]),
    )


def deadline_soon(assignment: Assignment) -> None:
    """To the students of the course who have sent nothing for ``assignment``."""
    sent = Submission.objects.filter(assignment=assignment, student=OuterRef("user_id"))
    students = (
        assignment.course.enrollments.filter(role="student", user__isnull=False)
        .exclude(Exists(sent))
        .values_list("user_id", flat=True)
    )
    event_notify(
        kind="deadline_soon",
        key=f"deadline_soon:{assignment.pk}:{_stamp(assignment.due_at)}",
        course=assignment.course,
        recipients=list(students),
        params={"assignment": assignment.title, "due_at": assignment.due_at.isoformat()},
        url=reverse("classroom:assignment", args=[assignment.course.slug, assignment.slug]),
    )


def finalists_announced(course_id: int, finalists: list[Finalist]) -> None:
    if not finalists:
        return
    course = finalists[0].course
    chosen = sorted(finalist.student_id for finalist in finalists)
    event_notify(
        kind="finalists_announced",
        key=f"finalists_announced:{course_id}:{'-'.join(map(str, chosen))}",
        course=course,
        recipients=selectors.course_members(course),
        params={
            "course": course.title,
            "names": [f.student.display_name for f in sorted(finalists, key=lambda f: f.position)],
        },
        url=reverse("classroom:course", args=[course.slug]),
        variants=dict.fromkeys(chosen, "finalist"),
    )


def winner_announced(finalist: Finalist) -> None:
    course = finalist.course
    event_notify(
        kind="winner_announced",
        key=f"winner_announced:{course.pk}:{finalist.student_id}",
        course=course,
        recipients=selectors.course_members(course),
        params={"course": course.title, "winner": finalist.student.display_name},
        url=reverse("classroom:course", args=[course.slug]),
        variants={finalist.student_id: "winner"},
    )
