"""Messages of the API's attempt inputs (``apis.py``), by stable id.

The refusals themselves are the services' (``submissions``, ``review``); these only say which
input of the request is missing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.core.messages import Catalogue, UserError

MESSAGES = Catalogue(
    {
        # Sent as the multipart field ``file``.
        "attempt.file_required": _(
            "Envie o notebook da entrega com suas respostas, salvo pelo Jupyter."
        ),
        # Sent as ``url`` (JSON or multipart).
        "attempt.url_required": _("Informe a URL do repositório no GitHub."),
        "attempt.criterion_required": _("Escolha o critério que você quer que seja revisto."),
    }
)


class InputMissing(UserError):
    catalogue = MESSAGES
