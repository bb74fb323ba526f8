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
        "review.reason_required": _(
            "diga o motivo da alteração de %(criteria)s: ele fica no histórico"
        ),
        "review.changed_meanwhile": _(
            "“%(criterion)s” foi alterado por outra pessoa depois que você abriu esta página: "
            "confira o valor atual e salve de novo se ainda quiser mudá-lo"
        ),
        "review.refused": _("Nada foi alterado: veja o que há de errado em cada critério."),
        "review.unknown_criterion": _("o critério %(criterion)s não é desta entrega"),
        "review.conflict_resolved": _("esta diferença da nova correção já foi decidida"),
        "review.rerun_kept_reason": _(
            "Decisão mantida: a nova correção automática dava %(points)s"
        ),
        "review.rerun_automatic_reason": _("Novo resultado automático aplicado"),
        "review.rerun_carried_reason": _(
            "Correção %(number)d: a decisão do instrutor continua valendo"
        ),
        "review.rerun_conflict_reason": _(
            "Correção %(number)d: o resultado automático mudou de %(before)s para %(after)s;"
            " os pontos anteriores valem até um instrutor decidir"
        ),
        "review.rerun_changed_reason": _("Correção %(number)d: novo resultado automático"),
        "regrade.not_owner": _("só quem entregou pode pedir revisão desta tentativa"),
        "regrade.not_released": _("a nota desta tentativa ainda não foi liberada"),
        "regrade.unknown_criterion": _("critério desconhecido"),
        "regrade.reason_too_short": _("explique o motivo do pedido (ao menos %(min)d caracteres)"),
        "regrade.already_open": _("já existe um pedido aberto para este critério"),
        "regrade.already_answered": _("este pedido já foi respondido"),
        "regrade.response_required": _("escreva uma resposta para o aluno"),
        "regrade.points_required": _("diga os pontos de “%(criterion)s” para aceitar o pedido"),
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
    """Some criteria of one review form were refused; nothing of the form was applied.

    ``errors`` maps a score id to what is wrong with that criterion; the key None holds what
    is wrong with the form as a whole (a missing reason).
    """

    def __init__(self, errors: dict[int | None, ScoreError]) -> None:
        self.errors = errors
        super().__init__("; ".join(error.message_id for error in errors.values()))

    def __str__(self) -> str:
        return "; ".join(str(error) for error in self.errors.values())
