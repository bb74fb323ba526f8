from typing import Any

from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "portal.review"
    label = "review"
    verbose_name = "Revisão"

    def ready(self) -> None:
        from portal.grading.signals import run_graded

        run_graded.connect(_carry_forward, dispatch_uid="review.decisions_carry_forward")


def _carry_forward(sender: Any, *, run: Any, **kwargs: Any) -> None:
    from portal.review.rerun import decisions_carry_forward

    decisions_carry_forward(run=run)
