"""Every message a student can get for a refused attempt, by stable id."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from portal.core.messages import Catalogue, UserError

MESSAGES = Catalogue(
    {
        "upload.not_student": _("Só alunos matriculados neste curso podem enviar esta entrega."),
        "upload.closed": _(
            "O prazo final desta entrega terminou em %(when)s: não é mais possível "
            "enviar tentativas."
        ),
        "upload.rate_limited": _(
            "Você enviou uma tentativa há pouco. Aguarde %(wait)s antes de enviar outra."
        ),
        "upload.pending": _(
            "Sua tentativa %(attempt)d ainda não terminou de ser corrigida (%(status)s). "
            "Aguarde o resultado dela para enviar outra: esta página mostra quando terminar."
        ),
        "upload.throttled": ngettext_lazy(
            "Você teve %(n)d tentativa recusada nos últimos %(window)s. Aguarde %(wait)s "
            "antes de enviar outra e confira o arquivo antes de enviar.",
            "Você teve %(n)d tentativas recusadas nos últimos %(window)s. Aguarde %(wait)s "
            "antes de enviar outra e confira o arquivo antes de enviar.",
            "n",
        ),
        "upload.extension": _(
            "O arquivo precisa ser um notebook Jupyter com extensão .ipynb (recebido: %(name)s)."
        ),
        "upload.empty": _("O arquivo enviado está vazio."),
        "upload.storage_unavailable": _(
            "Não foi possível guardar o seu arquivo agora: o armazenamento do portal não "
            "respondeu. Nada foi registrado; envie de novo em alguns minutos."
        ),
        "upload.too_big": _(
            "O arquivo passa do limite de %(limit)s desta entrega. Limpe as saídas "
            "das células (menu Kernel, Restart & Clear Output) e envie de novo."
        ),
        "upload.not_json": _(
            "O arquivo não é um notebook: não é um JSON em UTF-8 (%(detail)s). "
            "Envie o arquivo .ipynb salvo pelo Jupyter."
        ),
        "upload.not_nbformat4": _(
            "O notebook não está no formato nbformat 4 (%(detail)s). Abra-o "
            "num Jupyter recente, salve e envie de novo."
        ),
        "upload.too_many_cells": _(
            "O notebook tem %(count)d células; o limite é de %(limit)d células. Apague as "
            "células vazias ou repetidas, salve e envie de novo."
        ),
        "upload.outputs_too_big": _(
            "As saídas das células somam %(size)s; o limite é de %(limit)s. Limpe as saídas "
            "(menu Kernel, Restart & Clear Output), salve e envie de novo."
        ),
        "upload.too_deep": _(
            "O notebook tem estruturas JSON aninhadas demais (mais de %(limit)d níveis) e não "
            "pode ser lido. Envie o arquivo .ipynb salvo pelo Jupyter."
        ),
        "repo.rejected": _("Este repositório não pode ser entregue: %(detail)s"),
        "repo.unavailable": _(
            "Não foi possível consultar o repositório agora (%(detail)s). Tente de "
            "novo em alguns minutos."
        ),
        "repo.not_project": _("Esta entrega é de notebook: envie o arquivo .ipynb."),
        "upload.missing_cells": _(
            "Faltam no notebook células de avaliação desta entrega: "
            "%(ids)s. Baixe o notebook da entrega de novo e copie suas "
            "respostas para ele, sem apagar nem recriar essas células."
        ),
    }
)


# Refusals because a service of ours did not answer: not the student's doing, so they are a
# 503 and the refused-upload throttle does not count them.
OURS = frozenset({"repo.unavailable", "upload.storage_unavailable"})


class UploadRejected(UserError):
    """Why an attempt is refused; ``str()`` is the text, ``message_id`` is stable."""

    catalogue = MESSAGES
