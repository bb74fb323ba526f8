"""Every message of the ranking services, by stable id."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from portal.core.messages import Catalogue, UserError

MESSAGES = Catalogue(
    {
        "ranking.no_project": _("Este curso não tem projeto final: não há o que classificar."),
        "ranking.nothing_graded": _(
            "Nenhum projeto final foi corrigido ainda: não há quem classificar."
        ),
        "ranking.pending": ngettext_lazy(
            "%(n)d projeto ainda tem critérios sem nota (%(names)s): termine a correção "
            "antes de confirmar os finalistas.",
            "%(n)d projetos ainda têm critérios sem nota (%(names)s): termine a correção "
            "antes de confirmar os finalistas.",
            "n",
        ),
        "ranking.changed": _(
            "A classificação mudou desde que a página foi aberta. Confira a "
            "lista atualizada e confirme de novo."
        ),
        "ranking.winner_recorded": _(
            "O vencedor (%(name)s) já foi registrado. Para confirmar os "
            "finalistas de novo, marque a opção que apaga o vencedor."
        ),
        "ranking.presentation_missing": _("Informe a data e a hora da apresentação."),
        "ranking.presentation_naive": _("A data da apresentação precisa de fuso horário."),
        "ranking.not_a_finalist": _("Só um finalista confirmado pode ser o vencedor."),
        "ranking.not_presented": _(
            "Registre a apresentação de %(name)s antes de escolher o vencedor."
        ),
        "ranking.presentation_ahead": _("A apresentação de %(name)s ainda não aconteceu."),
        "ranking.winner_exists": _(
            "%(name)s já foi registrado como vencedor. Marque “trocar o vencedor” para mudar."
        ),
    }
)


class RankingError(UserError):
    """Something the ranking services refuse."""

    catalogue = MESSAGES
