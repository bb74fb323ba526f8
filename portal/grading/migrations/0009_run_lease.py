"""The lease a worker renews while it grades a run (the sweeper re-sends an expired one)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0008_run_staff_feedback"),
    ]

    operations = [
        migrations.AddField(
            model_name="gradingrun",
            name="lease_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
