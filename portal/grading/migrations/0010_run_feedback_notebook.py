"""The graded notebook (JSON) and each grade cell's result on the run, for the portal to render
the feedback; nbgrader's HTML fields stay for the runs graded before."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0009_run_lease"),
    ]

    operations = [
        migrations.AddField(
            model_name="gradingrun",
            name="cell_results",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="gradingrun",
            name="feedback_notebook",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="gradingrun",
            name="staff_feedback_notebook",
            field=models.JSONField(blank=True, null=True),
        ),
    ]
