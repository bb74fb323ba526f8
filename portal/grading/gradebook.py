"""The grades of an assignment, one row per student, in a fixed number of queries.

The one read behind the review queue, the spreadsheet, the ranking and the reports: for
each student of the course (and anyone who submitted without being enrolled any more) the
attempt that counts (the latest graded one), its newest finished run, the scores by
criterion key and the grade with the late policy applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Subquery

from portal.accounts.models import User
from portal.courses.models import Course, Enrollment
from portal.grading.models import Criterion, CriterionScore, GradingRun, RegradeRequest
from portal.grading.scoring import Grade, grade_of
from portal.submissions.models import Assignment, Submission


@dataclass
class GradebookRow:
    name: str
    email: str
    student: User | None
    submission: Submission | None = None       # the attempt that counts
    run: GradingRun | None = None              # its newest finished run
    grade: Grade | None = None
    scores: dict[str, CriterionScore] = field(default_factory=dict)  # by criterion key
    open_regrades: int = 0

    @property
    def needs_review(self) -> bool:
        """Graded, but a criterion still waits for an instructor (points None)."""
        return self.run is not None and any(s.points is None for s in self.scores.values())


def gradebook(assignment: Assignment) -> tuple[list[Criterion], list[GradebookRow]]:
    criteria = list(assignment.criteria.order_by("order", "pk"))
    runs = _counting_runs(assignment)
    regrades = dict(RegradeRequest.objects.filter(run__in=[r.pk for r in runs.values()],
                                                  status=RegradeRequest.Status.OPEN)
                    .values_list("run_id").annotate(n=Count("pk")).order_by())
    rows = []
    for row in _people(assignment.course, assignment):
        run = runs.get(row.student.pk) if row.student else None
        if run is not None:
            row.run, row.submission = run, run.submission
            row.scores = {score.criterion.key: score for score in run.scores.all()}
            row.grade = grade_of(run)
            row.open_regrades = regrades.get(run.pk, 0)
        rows.append(row)
    return criteria, rows


def counting_run(assignment: Assignment, student_id: int) -> GradingRun | None:
    """The run that counts for one student (see :func:`gradebook`), with its scores."""
    return _counting_runs(assignment, student_id=student_id).get(student_id)


def _counting_runs(assignment: Assignment, student_id: int | None = None
                   ) -> dict[int, GradingRun]:
    """student id -> newest DONE run of their latest graded attempt (3 queries)."""
    counting = (Submission.objects.filter(assignment=assignment, student=OuterRef("student"),
                                          status=Submission.Status.GRADED)
                .order_by("-attempt").values("pk")[:1])
    newest_done = (GradingRun.objects.filter(submission=OuterRef("pk"),
                                             status=GradingRun.Status.DONE)
                   .order_by("-number").values("pk")[:1])
    submissions = Submission.objects.filter(assignment=assignment, pk=Subquery(counting))
    if student_id is not None:
        submissions = submissions.filter(student_id=student_id)
    run_ids = submissions.annotate(run_id=Subquery(newest_done)).values_list("run_id",
                                                                            flat=True)
    runs = (GradingRun.objects.filter(pk__in=[pk for pk in run_ids if pk])
            .select_related("submission__assignment", "submission__student")
            .prefetch_related("scores__criterion"))
    return {run.submission.student_id: run for run in runs}


def _people(course: Course, assignment: Assignment) -> list[GradebookRow]:
    """Enrolled students by name, then anyone else who submitted (2 queries)."""
    enrollments = (course.enrollments.filter(role=Enrollment.Role.STUDENT)
                   .select_related("user").order_by("full_name", "email"))
    rows, seen = [], set()
    for enrollment in enrollments:
        user = enrollment.user
        name = enrollment.full_name or (user.display_name if user else enrollment.email)
        rows.append(GradebookRow(name=name, email=enrollment.email, student=user))
        if user:
            seen.add(user.pk)
    others = (User.objects.filter(submissions__assignment=assignment)
              .exclude(pk__in=seen).distinct().order_by("full_name", "username"))
    rows += [GradebookRow(name=u.display_name, email=u.email, student=u) for u in others]
    return rows


def course_gradebooks(course: Course) -> dict[Assignment, tuple[list[Criterion],
                                                                list[GradebookRow]]]:
    """Every assignment's gradebook, in course order."""
    assignments = course.assignments.order_by("order", "due_at")
    return {assignment: gradebook(assignment) for assignment in assignments}


def review_queue(assignment: Assignment) -> list[GradebookRow]:
    """Graded attempts that need an instructor first (manual criteria, open regrade
    requests), then the rest of the graded ones."""
    _criteria, rows = gradebook(assignment)
    graded = [row for row in rows if row.run is not None]
    return sorted(graded, key=lambda r: (not (r.needs_review or r.open_regrades), r.name))
