"""Every message of the course survey, by stable id."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.core.messages import Catalogue, UserError

TEXT_MAX_CHARS = 2000

MESSAGES = Catalogue(
    {
        "survey.not_open": _("a avaliação do curso abre em %(when)s"),
        "survey.closed": _("a avaliação do curso foi encerrada em %(when)s"),
        "survey.already_answered": _("você já respondeu a avaliação do curso: obrigado!"),
        "survey.required": _("responda esta pergunta"),
        "survey.scale": _("escolha um valor de 1 a 5"),
        "survey.choice": _("escolha uma das opções"),
        "survey.too_long": _("escreva até %(max)s caracteres"),
        "survey.invalid": _("Nada foi registrado: confira as perguntas marcadas."),
        "survey.thanks": _("Resposta registrada. Obrigado por ajudar a melhorar o curso!"),
    }
)


class SurveyError(UserError):
    catalogue = MESSAGES


class SurveyInvalid(Exception):
    """Answers that cannot be recorded: the message of each question, by key."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors
