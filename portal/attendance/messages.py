"""Every message of attendance: reading a Teams report, importing it, corrections."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.core.messages import Catalogue, UserError

MESSAGES = Catalogue(
    {
        "attendance.empty": _("o arquivo está vazio"),
        "attendance.too_big": _(
            "o arquivo tem mais de %(max)s: um relatório de presença é bem menor"
        ),
        "attendance.not_text": _(
            "não consegui ler o arquivo como texto (UTF-16 ou UTF-8): baixe de novo o relatório "
            "de presença no Teams, sem abrir e salvar no Excel"
        ),
        "attendance.not_a_report": _(
            "não parece um relatório de presença do Teams: falta a seção “%(section)s”"
        ),
        "attendance.missing_column": _(
            "a seção “%(section)s” não tem a coluna “%(column)s” (linha %(line)s)"
        ),
        "attendance.bad_date": _(
            "linha %(line)s: “%(value)s” não é uma data e hora que eu reconheça"
        ),
        "attendance.no_start": _("o relatório não diz quando a reunião começou"),
        "attendance.other_date": _(
            "este relatório é de uma reunião de %(report)s, mas a aula escolhida é de %(session)s: "
            "confira se baixou o relatório da aula certa"
        ),
        "attendance.expired": _("a prévia expirou ou já foi confirmada: envie o arquivo de novo"),
        "attendance.reason_required": _("diga o motivo da correção: ele fica no histórico"),
        "attendance.unknown_session": _("nenhuma aula do curso %(course)s em %(date)s"),
        "attendance.ambiguous_session": _(
            "o curso %(course)s tem %(n)s aulas em %(date)s: importe pela página da aula"
        ),
    }
)


class AttendanceError(UserError):
    catalogue = MESSAGES
