"""What grading tells the apps above it, without importing them (they import grading)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by ``services.grading_run_finish`` inside its transaction, once the run is stored as
# done with its scores (``run=``). Receivers that write join that transaction, so a grade and
# what the review carries forward onto it are committed together or not at all.
run_graded = Signal()

# Sent by ``services.grading_run_fail`` inside its transaction when a run ends in "erro de
# correção" (its retries exhausted; ``run=``).
run_failed = Signal()
