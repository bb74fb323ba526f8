"""Log to MLflow every finished grading run that has no MLflow run yet.

For runs graded while MLflow was down past the task's retries, or with logging switched
off, or before tracking existed. Synchronous (no worker needed) and idempotent: a second
backfill logs nothing; a run found in MLflow without its id stored is reused.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.grading import tracking
from portal.grading.models import GradingRun


class Command(BaseCommand):
    help = (
        "Log to MLflow (MLFLOW_TRACKING_URI) every finished grading run that was not "
        "logged yet, and store each MLflow run id on its grading run."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--tracking-uri", default="", help="MLflow tracking URI (default: MLFLOW_TRACKING_URI)"
        )

    def handle(self, *args, tracking_uri: str, **options) -> None:
        uri = tracking_uri or settings.MLFLOW_TRACKING_URI
        pending = list(
            GradingRun.objects.filter(status=GradingRun.Status.DONE, mlflow_run_id="")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        logged = 0
        for run_id in pending:
            try:
                tracking.log_grading_run(run_id, tracking_uri=uri)
            except tracking.NotTrackable as exc:  # re-run or deleted meanwhile
                self.stdout.write(self.style.WARNING(f"  skipped: {exc}"))
                continue
            except tracking.TrackingError as exc:
                # MLflow down: every other run would fail the same way.
                raise CommandError(
                    f"{exc}\n{logged} of {len(pending)} run(s) logged before the failure; "
                    "run the command again once MLflow is reachable."
                ) from None
            logged += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"{logged} grading run(s) logged to MLflow at {tracking.display_uri(uri)}."
            )
        )
