"""Feedback stored before hidden tests were redacted: the migration that adds the
instructors' copy moves a document quoting a hidden test there, out of the students' reach.
"""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from portal.grading.models import GradingRun
from tests.autograder import notebooks as nb
from tests.factories import AssignmentFactory, SubmissionFactory
from tests.support.attempts import release_bytes, source_bytes

BEFORE = [("grading", "0007_criterion_auto_points")]
LEAKING = (
    "<html><style>.cell{}</style><pre>----&gt; 7 <span>assert</span> normaliza([5.0, 5.0]) =="
    " [0.0, 0.0], &quot;valores iguais devem virar zero&quot;</pre></html>"
)
CLEAN = "<html><pre>AssertionError: valores iguais devem virar zero</pre></html>"


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_stored_feedback_that_quotes_a_hidden_test_becomes_the_instructors_copy(
    alice, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    assignment = AssignmentFactory(
        source_notebook=default_storage.save("fonte.ipynb", ContentFile(source_bytes())),
        release_notebook=default_storage.save("release.ipynb", ContentFile(release_bytes())),
        grade_ids=list(nb.POINTS),
    )
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old_run = _migrate(BEFORE).get_model("grading", "GradingRun")
    now = timezone.now()
    ids = {}
    for attempt, feedback in enumerate((LEAKING, CLEAN), start=1):
        submission = SubmissionFactory(assignment=assignment, student=alice, attempt=attempt)
        ids[feedback] = old_run.objects.create(
            submission_id=submission.pk,
            number=1,
            status="done",
            queued_at=now,
            feedback_html=feedback,
        ).pk

    _migrate(latest)

    leaked = GradingRun.objects.get(pk=ids[LEAKING])
    assert (leaked.feedback_html, leaked.staff_feedback_html) == ("", LEAKING)
    clean = GradingRun.objects.get(pk=ids[CLEAN])
    assert (clean.feedback_html, clean.staff_feedback_html) == (CLEAN, "")
