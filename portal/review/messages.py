"""Every message of the review: score changes and regrade requests, by stable id."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.core.messages import Catalogue, UserError

REGRADE_REASON_MIN_CHARS = 10

MESSAGES = Catalogue(
    {
        "review.points_out_of_range": _(
            "os pontos de “%(criterion)s” vão de 0 a %(max)s; recebido %(points)s"
        ),
        "review.not_a_number": _("“%(criterion)s”: “%(text)s” não é um número"),
        "review.justification_required": _("“%(criterion)s” precisa de uma justificativa"),
        "review.reason_required": _("diga o motivo da alteração (fica no histórico)"),
        "regrade.not_owner": _("só quem entregou pode pedir revisão desta tentativa"),
        "regrade.not_released": _("a nota desta tentativa ainda não foi liberada"),
        "regrade.unknown_criterion": _("critério desconhecido"),
        "regrade.reason_too_short": _("explique o motivo do pedido (ao menos %(min)d caracteres)"),
        "regrade.already_open": _("já existe um pedido aberto para este critério"),
        "regrade.already_answered": _("este pedido já foi respondido"),
        "regrade.response_required": _("escreva uma resposta para o aluno"),
        "regrade.history_reason": _("Pedido de revisão: %(response)s"),
    }
)


class ScoreError(UserError):
    """A change of one criterion that cannot be applied."""

    catalogue = MESSAGES


class RegradeError(UserError):
    """Why a regrade request cannot be filed or answered."""

    catalogue = MESSAGES


class ReviewRefused(Exception):
    """Some criteria of one review form were refused; nothing of the form was applied."""

    def __init__(self, errors: list[ScoreError]) -> None:
        self.errors = errors
        super().__init__("; ".join(error.message_id for error in errors))

    def __str__(self) -> str:
        return "; ".join(str(error) for error in self.errors)
