"""Messages of grading that people read on pages, by stable id.

The justifications stored with each score are the grader's record, written in pt-BR when the
run is stored (``justifications.py``, from ``autograder/messages.py``); these are rendered
when a page is.
"""

from __future__ import annotations

from django.utils.translation import ngettext_lazy

from portal.core.messages import Catalogue

MESSAGES = Catalogue(
    {
        "grading.late_penalty": ngettext_lazy(
            "Atraso: entregue %(n)d dia depois do prazo (%(when)s); a política desta entrega tira "
            "%(per_day)s%% por dia, até %(max)s%%: -%(percent)s%% (-%(points)s pontos).",
            "Atraso: entregue %(n)d dias depois do prazo (%(when)s); a política desta entrega tira "
            "%(per_day)s%% por dia, até %(max)s%%: -%(percent)s%% (-%(points)s pontos).",
            "n",
        ),
        "grading.late_no_penalty": ngettext_lazy(
            "Atraso: entregue %(n)d dia depois do prazo (%(when)s), sem desconto.",
            "Atraso: entregue %(n)d dias depois do prazo (%(when)s), sem desconto.",
            "n",
        ),
    }
)
