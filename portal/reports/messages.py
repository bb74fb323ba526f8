"""Every message of the reports, by stable id."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.core.messages import Catalogue, UserError

MESSAGES = Catalogue(
    {
        "reports.archive_not_ready": _(
            "O arquivo de relatórios ainda não está pronto (situação: %(status)s)."
        ),
        "reports.archive_not_sent": _(
            "A fila de tarefas não respondeu; peça o arquivo de relatórios de novo."
        ),
        "reports.archive_too_slow": _(
            "Gerar o arquivo de relatórios levou tempo demais; peça de novo ou avise a equipe."
        ),
    }
)


class ReportsRefused(UserError):
    catalogue = MESSAGES
