"""The course's Teams channel: Adaptive Cards posted through a Teams *Workflows* webhook.

Instructors create a workflow "Post to a channel when a webhook request is received" in the
class's team and paste its URL in the portal. Every event of a kind that is ``posted`` then
becomes one card in that channel (``CoursePost``), in the envelope Workflows expects::

    {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                         "contentUrl": null, "content": <Adaptive Card 1.4>}]}

A card never names a student's grade: "grades released" says how many students have one.
The URL carries the workflow's signature, so it is a secret: only https, only the hosts of
Workflows (``TEAMS_WEBHOOK_HOSTS``), never shown back in full.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _

from portal.notifications.channels import DeliveryFailed, DeliveryRefused, absolute
from portal.notifications.kinds import KINDS, TEAMS, shown_params
from portal.notifications.messages import TeamsError
from portal.notifications.models import CoursePost, Event

CARD_VERSION = "1.4"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
URL_MAX_CHARS = 2000
ERROR_BODY_CHARS = 300


# -- the webhook's URL ---------------------------------------------------------------------------


def webhook_url_clean(raw: str) -> str:
    """The URL as stored, or TeamsError saying what is wrong with it."""
    url = (raw or "").strip()
    if not url:
        raise TeamsError("teams.url_required")
    if len(url) > URL_MAX_CHARS:
        raise TeamsError("teams.url_too_long", max=URL_MAX_CHARS)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise TeamsError("teams.url_invalid", url=url[:80]) from None
    if not host or parts.username or parts.password or any(c.isspace() for c in url):
        raise TeamsError("teams.url_invalid", url=url[:80])
    if parts.scheme.lower() != "https":
        raise TeamsError("teams.url_not_https")
    allowed = [suffix.lower().lstrip(".") for suffix in settings.TEAMS_WEBHOOK_HOSTS]
    if not any(host == suffix or host.endswith("." + suffix) for suffix in allowed):
        raise TeamsError("teams.url_host", host=host, hosts=", ".join(allowed))
    return url


def masked(url: str) -> str:
    """What the settings page shows of a stored URL: its host and last four characters."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…{url[-4:]}"


# -- the card ------------------------------------------------------------------------------------

# Teams renders a subset of Markdown in TextBlocks and facts: what people typed (a name, a
# title) is escaped so it shows as typed and never becomes a link.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_[]"})


def plain(text: str) -> str:
    return str(text).translate(_MARKDOWN)


def _facts(event: Event) -> list[tuple[str, str]]:
    params = shown_params(event.params)
    facts = []
    if event.course is not None:
        facts.append((_("Curso"), plain(event.course.title)))
    if "number" in params:
        facts.append((_("Semana"), str(params["number"])))
    if "due_at" in params:
        facts.append((_("Prazo"), str(params["due_at"])))
    if "students" in params:
        facts.append((_("Alunos com nota liberada"), str(params["students"])))
    if params.get("names"):
        facts.append((_("Finalistas"), ", ".join(plain(name) for name in params["names"])))
    if params.get("winner"):
        facts.append((_("Vencedor"), plain(params["winner"])))
    return facts


def card(event: Event) -> dict[str, Any]:
    """The Adaptive Card (1.4) of ``event``, in the active language."""
    kind = KINDS[event.kind]
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": plain(kind.title(event.params)),
            "size": "Medium",
            "weight": "Bolder",
            "wrap": True,
        },
        {
            "type": "TextBlock",
            "text": plain(kind.body(event.params)),
            "wrap": True,
            "spacing": "Small",
        },
    ]
    facts = _facts(event)
    if facts:
        body.append({"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]})
    content: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
    }
    if event.url:
        content["actions"] = [
            {"type": "Action.OpenUrl", "title": _("Abrir no portal"), "url": absolute(event.url)}
        ]
    return content


def envelope(content: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": content}],
    }


# -- posting -------------------------------------------------------------------------------------


def _retry_after(response: requests.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


class TeamsChannel:
    key: ClassVar[str] = TEAMS

    def send(self, post: CoursePost) -> int:
        """Post the card; the HTTP status when Workflows accepted it (200 or 202)."""
        webhook = getattr(post.event.course, "teams_webhook", None)
        if webhook is None:
            raise DeliveryRefused(_("o curso não tem mais webhook do Teams"))
        try:
            response = requests.post(
                webhook.url,
                json=envelope(card(post.event)),
                timeout=(5, settings.TEAMS_TIMEOUT_SECONDS),
                verify=settings.TEAMS_CA_BUNDLE or True,
                allow_redirects=False,
            )
        except requests.Timeout as error:
            raise DeliveryFailed(f"tempo esgotado: {error}") from error
        except requests.RequestException as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        status = response.status_code
        detail = f"HTTP {status}: {response.text[:ERROR_BODY_CHARS]}".strip()
        if 200 <= status < 300:
            return status
        if status in (408, 429) or status >= 500:
            raise DeliveryFailed(detail, http_status=status, retry_after=_retry_after(response))
        # A bad card, a deleted or disabled workflow, a redirect: trying again changes nothing.
        raise DeliveryRefused(detail, http_status=status)


COURSE_CHANNELS = {TEAMS: TeamsChannel()}
