"""Every message a person reads has a stable id and a pt-BR text that goes through gettext.

Each app keeps its messages in one place, a :class:`Catalogue` in its ``messages.py``; code,
logs, templates (``data-message-id``) and tests refer to the id, so rewording a sentence never
breaks them, and English comes from the translation catalogue. A refusal is a
:class:`UserError` (a subclass per app, bound to that app's catalogue); its text is rendered
in the language active when it is read, i.e. the request's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from django.utils.functional import Promise


class Message(str):
    """One message rendered in the language of the moment: the text, carrying its ``id``.

    A ``str``, so lists of them read, compare and render like the text itself.
    """

    id: str
    params: Mapping[str, Any]

    def __new__(cls, message_id: str, text: str, params: Mapping[str, Any]) -> Message:
        message = super().__new__(cls, text)
        message.id = message_id
        message.params = params
        return message


class Catalogue:
    """The messages of one app: ``{"app.what": gettext_lazy("texto com %(params)s")}``.

    A plural is ``ngettext_lazy(singular, plural, "n")``: the count comes from ``n``.
    """

    def __init__(self, texts: Mapping[str, Promise]) -> None:
        self._texts = dict(texts)

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._texts

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def text(self, message_id: str, /, **params: Any) -> str:
        """The message in the active language; KeyError for an unknown id (our bug)."""
        return self.render(message_id, params)

    def render(self, message_id: str, params: Mapping[str, Any]) -> str:
        template = self._texts[message_id]
        # %-formatting the lazy text itself lets a lazy plural pick its form from the params.
        return str(template % params) if params else str(template)

    def __call__(self, message_id: str, /, **params: Any) -> Message:
        return Message(message_id, self.text(message_id, **params), params)


class UserError(Exception):
    """Something refused for a reason the person can act on; never a bug of ours.

    ``str()`` is the text in the active language; ``message_id`` is stable.
    """

    catalogue: ClassVar[Catalogue]

    def __init__(self, message_id: str, /, **params: Any) -> None:
        if message_id not in self.catalogue:
            raise KeyError(f"{type(self).__name__}: unknown message id {message_id!r}")
        self.message_id = message_id
        self.params = params
        super().__init__(message_id)

    @property
    def message(self) -> str:
        return self.catalogue.text(self.message_id, **self.params)

    def __str__(self) -> str:
        return self.message
