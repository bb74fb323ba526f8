"""Every message of the notifications' settings pages, by stable id."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.core.messages import Catalogue, UserError

MESSAGES = Catalogue(
    {
        "teams.url_required": _("cole o endereço do webhook gerado pelo fluxo do Teams"),
        "teams.url_too_long": _(
            "o endereço tem mais de %(max)s caracteres: confira se colou só o webhook"
        ),
        "teams.url_invalid": _("“%(url)s” não é um endereço da web"),
        "teams.url_not_https": _("o endereço do webhook precisa começar com https://"),
        "teams.url_host": _(
            "“%(host)s” não é um endereço de fluxo do Teams (Workflows): ele termina em %(hosts)s"
        ),
        "teams.saved": _("Webhook do Teams salvo. Envie um cartão de teste para conferir."),
        "teams.removed": _("Webhook do Teams removido: nada mais é postado no canal."),
        "teams.test_sent": _("Cartão de teste na fila: veja o resultado no registro abaixo."),
        "teams.no_webhook": _("Configure o webhook antes de enviar um cartão de teste."),
    }
)


class TeamsError(UserError):
    catalogue = MESSAGES
