"""A database of the old layout (everything graded lived in ``submissions`` and ``grading``)
migrates to the apps of today without losing a row.

The schema is rolled back to the migrations before the reshape, filled through the historical
models as the old code would have, and migrated forward again; every row is then read through
today's models.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from portal.accounts.models import User
from portal.assessments.models import Assignment, AssignmentFile, Criterion
from portal.grading.models import CriterionScore, GradingRun
from portal.ranking.models import Finalist
from portal.review.models import RegradeRequest, ScoreChange
from portal.submissions.models import LeaderboardEntry, Submission

BEFORE_THE_RESHAPE = [
    ("accounts", "0001_initial"),
    ("courses", "0001_initial"),
    ("submissions", "0004_submission_lateness_derived"),
    ("grading", "0005_review_and_ranking"),
    ("assessments", None),
    ("review", None),
    ("ranking", None),
]
MOVED = {
    "assignment": "assessments",
    "assignmentfile": "assessments",
    "criterion": "assessments",
    "scorechange": "review",
    "regraderequest": "review",
    "finalist": "ranking",
}


def _migrate(targets: list[tuple[str, str | None]]):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _latest() -> list[tuple[str, str]]:
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _fill_old_layout(apps) -> dict[str, int]:
    """One row of every moved or affected model, as the code before the reshape wrote it."""
    user = apps.get_model("accounts", "User")
    now = timezone.now()
    carla = user.objects.create(username="carla", role="admin")
    ana = user.objects.create(username="ana", role="student")
    bruno = user.objects.create(username="bruno", role="instructor")
    course = apps.get_model("courses", "Course").objects.create(
        slug="mle", title="MLE", start_date=dt.date(2026, 3, 2)
    )
    assignment = apps.get_model("submissions", "Assignment").objects.create(
        course=course, slug="semana-2", title="Semana 2", due_at=now, grade_ids=["teste"]
    )
    data = apps.get_model("submissions", "AssignmentFile").objects.create(
        assignment=assignment,
        role="data",
        name="telco.csv",
        file="assignments/files/t.csv",
        sha256="a" * 64,
        size_bytes=10,
    )
    criterion = apps.get_model("grading", "Criterion").objects.create(
        assignment=assignment,
        key="teste",
        title="Teste",
        max_points=Decimal(2),
        grade_ids=["teste"],
    )
    submission = apps.get_model("submissions", "Submission").objects.create(
        assignment=assignment,
        student=ana,
        attempt=1,
        original_name="a.ipynb",
        size_bytes=3,
        sha256="b" * 64,
        submitted_at=now,
        status="graded",
        status_changed_at=now,
    )
    entry = apps.get_model("submissions", "LeaderboardEntry").objects.create(
        assignment=assignment, student=ana, pseudonym="Capivara Veloz 42"
    )
    run = apps.get_model("grading", "GradingRun").objects.create(
        submission=submission,
        number=1,
        status="done",
        queued_at=now,
        total=Decimal(1),
        max_total=Decimal(2),
    )
    score = apps.get_model("grading", "CriterionScore").objects.create(
        run=run,
        criterion=criterion,
        points=Decimal(1),
        max_points=Decimal(2),
        justification="o teste falhou",
    )
    change = apps.get_model("grading", "ScoreChange").objects.create(
        score=score,
        changed_by=bruno,
        points_before=Decimal(0),
        points_after=Decimal(1),
        reason="revisado",
    )
    regrade = apps.get_model("grading", "RegradeRequest").objects.create(
        run=run, criterion=criterion, student=ana, reason="o teste estava certo"
    )
    finalist = apps.get_model("grading", "Finalist").objects.create(
        course=course,
        student=ana,
        position=1,
        project_score=Decimal(90),
        notebook_bonus=Decimal(2),
        selection_score=Decimal(92),
        confirmed_by=bruno,
    )
    return {
        "carla": carla.pk,
        "ana": ana.pk,
        "assignment": assignment.pk,
        "data": data.pk,
        "criterion": criterion.pk,
        "submission": submission.pk,
        "entry": entry.pk,
        "run": run.pk,
        "score": score.pk,
        "change": change.pk,
        "regrade": regrade.pk,
        "finalist": finalist.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_old_layout_keeps_every_row_in_the_new_apps():
    latest = _latest()
    try:
        old = _fill_old_layout(_migrate(BEFORE_THE_RESHAPE))
        before = {(ct.app_label, ct.model) for ct in ContentType.objects.all()}
        _migrate(latest)
    finally:
        _migrate(latest)  # the rest of the suite runs on today's schema, whatever happened

    assignment = Assignment.objects.get(pk=old["assignment"])
    assert (assignment.slug, assignment.course.slug) == ("semana-2", "mle")
    assert AssignmentFile.objects.get(pk=old["data"]).assignment == assignment
    criterion = Criterion.objects.get(pk=old["criterion"])
    assert criterion.assignment == assignment
    submission = Submission.objects.get(pk=old["submission"])
    assert (submission.assignment, submission.status) == (assignment, "graded")
    assert LeaderboardEntry.objects.get(pk=old["entry"]).assignment == assignment
    run = GradingRun.objects.get(pk=old["run"])
    assert run.submission == submission
    score = CriterionScore.objects.get(pk=old["score"])
    assert (score.run, score.criterion, score.points) == (run, criterion, Decimal(1))
    assert ScoreChange.objects.get(pk=old["change"]).score == score
    regrade = RegradeRequest.objects.get(pk=old["regrade"])
    assert (regrade.run, regrade.criterion, regrade.status) == (run, criterion, "open")
    finalist = Finalist.objects.get(pk=old["finalist"])
    assert (finalist.course, finalist.student_id, finalist.position) == (
        assignment.course,
        old["ana"],
        1,
    )
    # Related names still reach across apps.
    assert list(assignment.criteria.all()) == [criterion]
    assert list(run.regrades.all()) == [regrade]
    # Only "admin" survives as a property of the person.
    assert User.objects.get(pk=old["carla"]).is_admin
    assert not User.objects.get(pk=old["ana"]).is_admin
    # Content types (permissions, admin history) followed the models.
    after = {(ct.app_label, ct.model) for ct in ContentType.objects.all()}
    for model, app in MOVED.items():
        assert (app, model) in after
        assert (app, model) not in before
    assert not after & {
        (old_app, model) for old_app in ("submissions", "grading") for model in MOVED
    }
