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
        "reports.archive_abandoned": _(
            "O gerador do arquivo parou no meio (o processo de tarefas foi interrompido). "
            "Peça o arquivo de novo; se acontecer outra vez, avise a equipe do portal."
        ),
        "reports.archive_never_started": _(
            "Nenhum processo de tarefas pegou o pedido. Verifique se o worker da fila "
            "de manutenção está rodando e peça o arquivo de novo."
        ),
        "reports.archive_not_stored": _(
            "O arquivo foi gerado mas não pôde ser gravado no armazenamento (%(detail)s). "
            "Verifique o espaço e as permissões do armazenamento e peça de novo."
        ),
        "reports.archive_failed": _(
            "O arquivo não pôde ser gerado (%(detail)s). Peça de novo; se acontecer outra vez, "
            "avise a equipe do portal."
        ),
    }
)


class ReportsRefused(UserError):
    catalogue = MESSAGES
