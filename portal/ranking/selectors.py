"""The selection of the final projects: the ranking, the finalists, the presentations and the
winner (course_content/pages/avaliacao.md, "Seleção dos finalistas e premiação").

The rule, as the course page tells students::

    nota de seleção = nota do projeto final (0 a 100) + pontos dos notebooks práticos

- **Project score**: the grade total of the final project's counting attempt (the latest
  graded one, its newest finished run) after the late policy (``scoring.grade_of``, through
  ``grading.selectors.assignment_grades``). Only students enrolled in the course with a
  graded final project are ranked; roster seats never signed in, people no longer enrolled
  and instructors who tried the assignment are left out.
- **Notebook bonus**: each notebook assignment is worth its ``finalist_bonus`` points
  (course.yaml, 2 each). A student earns ``finalist_bonus * total / max_total`` of it, where
  ``total`` is that notebook's grade total after the late policy, made of the points that
  exist (automatic ones and those an instructor already set; a criterion still without
  points counts 0), rounded half-up to 2 decimals per notebook, then summed. No graded
  attempt: 0.
- **Tie-breaks**, in this order (each applies only when everything before it is equal):

  1. higher selection score;
  2. higher final-project score (the course page promises this one to students);
  3. higher notebook bonus;
  4. earlier submission of the final-project attempt that counts;
  5. name, alphabetically (then the account id, so the order never flips between loads).

  Rule 3 never decides on its own (equal selection and project scores mean equal bonuses);
  it is listed because it is part of the published order. The order is always strict:
  positions are 1, 2, 3... with no shared places, and the page says which rule separated two
  students with the same selection score.

The top three are the *proposed* finalists. Instructors confirm them (``finalists_confirm``):
that writes ``Finalist`` rows with the score components frozen, so later regrades do not
silently change who was chosen; the page then shows when the live ranking no longer agrees.
Confirming again replaces the rows (a finalist who stays keeps the presentation already
recorded). Once a winner is recorded a re-confirmation is refused unless it is an explicit
reset, which also clears the winner. Presentations (date and time, notes) and the winner
(one per course, among the confirmed finalists, after their presentation; a database
constraint backs it) are recorded by ``portal/ranking/services.py``, which raise
``RankingError`` with a pt-BR message for anything they refuse.

Students never see any of this (the views answer 404); the ranking uses unreleased grades,
which only the course's instructors and admins may see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy

from portal.accounts.models import User
from portal.assessments.models import Assignment
from portal.attendance.selectors import Summary
from portal.core.text import name_key
from portal.courses.models import Course, Enrollment
from portal.grading.scoring import Grade
from portal.grading.selectors import GradeRow, assignment_grades
from portal.ranking.models import Finalist
from portal.submissions.models import Submission

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
FINALISTS = 3

# The tie-breaks, in the order they apply (see the module docstring); shown on the page.
TIE_BREAKS = (
    ("selection", gettext_lazy("maior nota de seleção")),
    ("project", gettext_lazy("maior nota do projeto final")),
    ("bonus", gettext_lazy("mais pontos dos notebooks")),
    ("submitted", gettext_lazy("entrega do projeto final mais cedo")),
    ("name", gettext_lazy("ordem alfabética do nome")),
)
TIE_BREAK_LABELS = dict(TIE_BREAKS)


# -- the ranking ---------------------------------------------------------------------------------


@dataclass
class RankingRow:
    name: str
    email: str
    student: User
    submission: Submission  # the final-project attempt that counts
    project_score: Decimal
    bonuses: list[Decimal]  # one per notebook, in ``Ranking.notebooks`` order
    notebook_bonus: Decimal
    pending_review: bool  # project criteria still without points
    position: int = 0
    tie_break: str = ""  # the rule that put this row below the previous one, when tied
    finalist: Finalist | None = None
    attendance: Summary | None = None  # shown beside the scores on the page; never ranks

    @property
    def selection_score(self) -> Decimal:
        return self.project_score + self.notebook_bonus

    @property
    def tie_break_label(self) -> str:
        return str(TIE_BREAK_LABELS[self.tie_break]) if self.tie_break else ""

    @property
    def proposed(self) -> bool:
        return self.position <= FINALISTS

    def sort_key(self) -> tuple:
        return (
            -self.selection_score,
            -self.project_score,
            -self.notebook_bonus,
            self.submission.submitted_at,
            name_key(self.name),
            self.student.pk,
        )


@dataclass
class Ranking:
    project: Assignment | None
    notebooks: list[Assignment]
    rows: list[RankingRow]
    finalists: list[Finalist] = field(default_factory=list)

    @property
    def proposed(self) -> list[RankingRow]:
        return self.rows[:FINALISTS]

    @property
    def pending(self) -> list[RankingRow]:
        return [row for row in self.rows if row.pending_review]

    @property
    def winner(self) -> Finalist | None:
        return next((f for f in self.finalists if f.is_winner), None)

    @property
    def confirmed_matches(self) -> bool:
        """Do the confirmed finalists still match the live top three (same people, same
        order)?"""
        return [f.student_id for f in self.finalists] == [row.student.pk for row in self.proposed]


def notebook_bonus(assignment: Assignment, grade: Grade | None) -> Decimal:
    """The points one notebook adds to the selection: its share of ``finalist_bonus``."""
    bonus = Decimal(assignment.finalist_bonus)
    if grade is None or grade.total is None or not grade.max_total or bonus <= 0:
        return Decimal(0).quantize(CENT)
    share = bonus * max(grade.total, Decimal(0)) / grade.max_total
    return min(share, bonus).quantize(CENT, rounding=ROUND_HALF_UP)


def project_assignment(course: Course) -> Assignment | None:
    """The course's final project (the first one, in course order, should there be two)."""
    return (
        course.assignments.filter(kind=Assignment.Kind.PROJECT)
        .order_by("order", "due_at", "pk")
        .first()
    )


def bonus_notebooks(course: Course) -> list[Assignment]:
    return list(
        course.assignments.filter(kind=Assignment.Kind.NOTEBOOK, finalist_bonus__gt=0).order_by(
            "order", "due_at", "pk"
        )
    )


def course_ranking(course: Course) -> Ranking:
    """The live ranking of ``course``, with the confirmed finalists attached.

    A fixed number of queries whatever the class size: one grades table per assignment (each
    bounded, see ``grading.selectors.assignment_grades``), the enrolled students and the finalists.
    """
    project = project_assignment(course)
    notebooks = bonus_notebooks(course)
    finalists = list(
        Finalist.objects.filter(course=course).select_related("student").order_by("position")
    )
    if project is None:
        return Ranking(project=None, notebooks=notebooks, rows=[], finalists=finalists)
    enrolled = set(
        course.enrollments.filter(role=Enrollment.Role.STUDENT, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    bonuses = {notebook.pk: _bonuses(notebook) for notebook in notebooks}
    _criteria, project_rows = assignment_grades(project)
    rows = [
        _row(graded, notebooks, bonuses) for graded in project_rows if _is_ranked(graded, enrolled)
    ]
    rows.sort(key=RankingRow.sort_key)
    by_student = {f.student_id: f for f in finalists}
    previous = None
    for position, row in enumerate(rows, start=1):
        row.position = position
        row.tie_break = _tie_break(previous, row) if previous else ""
        row.finalist = by_student.get(row.student.pk)
        previous = row
    return Ranking(project=project, notebooks=notebooks, rows=rows, finalists=finalists)


def _is_ranked(row: GradeRow, enrolled: set[int]) -> bool:
    return (
        row.student is not None
        and row.student.pk in enrolled
        and row.run is not None
        and row.grade is not None
        and row.grade.total is not None
    )


def _bonuses(notebook: Assignment) -> dict[int, Decimal]:
    """student id -> the bonus this notebook gives them."""
    _criteria, rows = assignment_grades(notebook)
    return {
        row.student.pk: notebook_bonus(notebook, row.grade)
        for row in rows
        if row.student is not None and row.run is not None
    }


def _row(
    graded: GradeRow, notebooks: list[Assignment], bonuses: dict[int, dict[int, Decimal]]
) -> RankingRow:
    student = graded.student
    zero = Decimal(0).quantize(CENT)
    parts = [bonuses[notebook.pk].get(student.pk, zero) for notebook in notebooks]
    return RankingRow(
        name=graded.name,
        email=graded.email,
        student=student,
        submission=graded.submission,
        project_score=graded.grade.total,
        bonuses=parts,
        notebook_bonus=sum(parts, zero),
        pending_review=graded.needs_review,
    )


def _tie_break(above: RankingRow, row: RankingRow) -> str:
    """Which rule ordered two neighbours with the same selection score ("" if not tied)."""
    if above.selection_score != row.selection_score:
        return ""
    a, b = above.sort_key(), row.sort_key()
    for (key, _label), left, right in zip(TIE_BREAKS[1:4], a[1:4], b[1:4], strict=True):
        if left != right:
            return key
    return "name"
