"""Messages of the course management pages, by stable id."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from portal.core.messages import Catalogue, UserError

TEAMS_MEETING_HOSTS = ("teams.microsoft.com", "teams.live.com")
LINK_MAX_CHARS = 1000  # ClassSession.teams_url

MESSAGES = Catalogue(
    {
        "sessions.link_not_https": _("o link precisa começar com https://"),
        "sessions.link_host": _(
            "“%(host)s” não é um link de reunião do Teams (teams.microsoft.com ou teams.live.com)"
        ),
        "sessions.link_too_long": _("o link tem mais de %(max)s caracteres"),
        "sessions.saved": ngettext_lazy(
            "%(n)d link de aula alterado.", "%(n)d links de aula alterados.", "n"
        ),
        "sessions.not_saved": _("Nada foi salvo: corrija os links marcados."),
    }
)


class SessionLinkError(UserError):
    catalogue = MESSAGES
