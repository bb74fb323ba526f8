"""What the review tells the apps above it (notifications), without importing them.

Each is sent inside the transaction of the service that made the change, so a receiver that
writes commits with it or not at all.
"""

from __future__ import annotations

from django.dispatch import Signal

# ``services.grades_release``: an assignment's grades became visible (``assignment=``).
grades_released = Signal()
# ``services.regrade_answer``: a regrade request was accepted or rejected (``request=``).
regrade_answered = Signal()
