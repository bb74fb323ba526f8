"""The kinds of event people are told about: their texts, audience and default channels.

A kind's title and body are messages of :data:`MESSAGES`, rendered when they are read (the
bell) or sent (an e-mail) from the event's ``params``; ``<kind>.body.<variant>`` is the text
for people with a variant (the finalists themselves, an accepted regrade). Parameters named
``*_at`` hold ISO date-times and are shown as the portal's short date and time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.core import formats
from portal.core.messages import Catalogue

PORTAL = "portal"  # the bell: a channel whose delivery is the notification itself
EMAIL = "email"
TEAMS = "teams"  # the course's Teams channel: one post per event, not one per person

STUDENTS = "students"
EVERYONE = "everyone"  # students and course staff
NOBODY = "nobody"  # only course-wide channels (a card in the class's Teams channel)


@dataclass(frozen=True)
class Kind:
    key: str
    label: Promise  # what the preferences page calls it
    audience: str
    channels: frozenset[str]  # on unless the person turns them off
    posted: bool = False  # also posted to the course's channels (Teams) when it has one

    def title(self, params: dict[str, Any]) -> str:
        return MESSAGES.render(f"{self.key}.title", shown_params(params))

    def body(self, params: dict[str, Any], variant: str = "") -> str:
        message_id = f"{self.key}.body.{variant}" if variant else f"{self.key}.body"
        return MESSAGES.render(message_id, shown_params(params))


def shown_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as people read them: ``*_at`` ISO date-times in the portal's short form."""
    shown = dict(params)
    for name, value in params.items():
        if name.endswith("_at") and isinstance(value, str):
            shown[name] = formats.moment(dt.datetime.fromisoformat(value))
    return shown


BOTH = frozenset({PORTAL, EMAIL})
BELL = frozenset({PORTAL})

KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Kind("grades_released", _("Notas liberadas"), STUDENTS, BOTH, posted=True),
        Kind("regrade_answered", _("Pedido de revisão respondido"), STUDENTS, BOTH),
        Kind("attempt_graded", _("Tentativa corrigida"), STUDENTS, BELL),
        Kind("grading_error", _("Erro na correção"), STUDENTS, BOTH),
        Kind("deadline_soon", _("Prazo em 24 horas sem entrega"), STUDENTS, BOTH),
        Kind("week_published", _("Semana publicada"), STUDENTS, BOTH, posted=True),
        Kind("finalists_announced", _("Finalistas anunciados"), EVERYONE, BOTH, posted=True),
        Kind("winner_announced", _("Projeto vencedor anunciado"), EVERYONE, BOTH, posted=True),
        Kind("assignment_open", _("Entrega aberta"), NOBODY, frozenset(), posted=True),
        Kind("deadline_48h", _("Prazo em menos de 48 horas"), NOBODY, frozenset(), posted=True),
        Kind("teams_test", _("Cartão de teste"), NOBODY, frozenset(), posted=True),
    )
}

MESSAGES = Catalogue(
    {
        "grades_released.title": _("Notas liberadas: %(assignment)s"),
        "grades_released.body": _(
            "A nota de “%(assignment)s” já está no portal, com a justificativa de cada critério."
        ),
        "regrade_answered.title": _("Pedido de revisão respondido: %(assignment)s"),
        "regrade_answered.body.accepted": _(
            "Seu pedido sobre “%(criterion)s” foi aceito. Resposta: %(response)s"
        ),
        "regrade_answered.body.rejected": _(
            "Seu pedido sobre “%(criterion)s” foi recusado. Resposta: %(response)s"
        ),
        "attempt_graded.title": _("Tentativa %(attempt)s corrigida: %(assignment)s"),
        "attempt_graded.body.released": _(
            "A correção automática terminou. Veja os pontos e a justificativa de cada critério."
        ),
        "attempt_graded.body.unreleased": _(
            "A correção automática terminou. A nota aparece quando o instrutor liberá-la."
        ),
        "grading_error.title": _("Erro na correção: %(assignment)s"),
        "grading_error.body": _(
            "Não conseguimos corrigir a tentativa %(attempt)s. A equipe do curso vê o erro e "
            "pode corrigir de novo; você não precisa reenviar."
        ),
        "deadline_soon.title": _("Prazo em menos de 24 horas: %(assignment)s"),
        "deadline_soon.body": _(
            "Você ainda não enviou “%(assignment)s”. O prazo termina em %(due_at)s."
        ),
        "week_published.title": _("Semana %(number)s publicada: %(week)s"),
        "week_published.body": _(
            "O conteúdo e as atividades da semana %(number)s de %(course)s já estão no portal."
        ),
        "finalists_announced.title": _("Finalistas anunciados: %(course)s"),
        "finalists_announced.body": _(
            "Os três projetos finais que vão para a apresentação foram escolhidos."
        ),
        "finalists_announced.body.finalist": _(
            "Parabéns! Seu projeto final está entre os três finalistas. Prepare a apresentação."
        ),
        "winner_announced.title": _("Projeto vencedor: %(course)s"),
        "winner_announced.body": _("O projeto vencedor do curso foi escolhido."),
        "winner_announced.body.winner": _("Parabéns! Seu projeto final venceu o curso."),
        "assignment_open.title": _("Entrega aberta: %(assignment)s"),
        "assignment_open.body": _("Já dá para enviar “%(assignment)s” pelo portal."),
        "deadline_48h.title": _("Prazo chegando: %(assignment)s"),
        "deadline_48h.body": _("O prazo de “%(assignment)s” termina em %(due_at)s."),
        "teams_test.title": _("Cartão de teste do Portal MLE"),
        "teams_test.body": _(
            "Os avisos do curso %(course)s vão chegar a este canal: semanas publicadas, entregas "
            "abertas, prazos, notas liberadas, finalistas e vencedor."
        ),
    }
)

CHANNEL_LABELS: dict[str, Promise] = {
    PORTAL: _("No portal"),
    EMAIL: _("Por e-mail"),
    TEAMS: _("Canal do Teams"),
}
