"""The instructors' copy of the feedback, and stored feedback that quotes hidden tests kept
for them only.

Feedback stored before the autograder redacted hidden tests from the outputs may quote them
(a failing hidden test's traceback). Such a document becomes the instructors' copy and
students get none; the justifications never quoted tracebacks.
"""

import json

from django.core.files.storage import default_storage
from django.db import migrations, models

from autograder.container.hidden_tests import HiddenTests, document_text


def _notebook(name):
    if not name or not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as handle:
        return json.loads(handle.read().decode("utf-8"))


def withhold_leaking_feedback(apps, schema_editor):
    GradingRun = apps.get_model("grading", "GradingRun")
    hidden_of = {}
    runs = GradingRun.objects.exclude(feedback_html="").select_related("submission__assignment")
    for run in runs.iterator(chunk_size=100):
        assignment = run.submission.assignment
        if assignment.pk not in hidden_of:
            source = _notebook(assignment.source_notebook.name)
            release = _notebook(assignment.release_notebook.name)
            hidden_of[assignment.pk] = (
                HiddenTests.of(source, known=[release] if release else []) if source else None
            )
        hidden = hidden_of[assignment.pk]
        if hidden and hidden.leaks(document_text(run.feedback_html)):
            run.staff_feedback_html, run.feedback_html = run.feedback_html, ""
            run.save(update_fields=["staff_feedback_html", "feedback_html"])


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0007_criterion_auto_points"),
    ]

    operations = [
        migrations.AddField(
            model_name="gradingrun",
            name="staff_feedback_html",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(withhold_leaking_feedback, migrations.RunPython.noop),
    ]
