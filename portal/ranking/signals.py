"""What the ranking tells the apps above it (notifications), without importing them.

Sent inside the transaction of the service that made the change.
"""

from __future__ import annotations

from django.dispatch import Signal

# ``services.finalists_confirm``: the top three were confirmed (``course=``, ``finalists=``).
finalists_confirmed = Signal()
# ``services.finalist_winner_set``: a winner was recorded (``finalist=``).
winner_chosen = Signal()
