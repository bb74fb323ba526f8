"""Where a grading run lives in MLflow, for the instructors' attempt page."""

from __future__ import annotations

from django import template
from django.conf import settings

from portal.grading import tracking
from portal.grading.models import GradingRun

register = template.Library()


@register.inclusion_tag("grading/_mlflow_run.html")
def mlflow_run_link(run: GradingRun) -> dict[str, str]:
    """A link when MLFLOW_UI_URL is set; else the run id and how to open the store."""
    uri = tracking.display_uri(settings.MLFLOW_TRACKING_URI)
    return {
        "run_id": run.mlflow_run_id,
        "url": tracking.run_ui_url(run.mlflow_run_id),
        "tracking_uri": uri,
        "server": uri.startswith(("http://", "https://")),
    }
