"""Every user-facing message: a stable id, a pt-BR text, an English translation."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy, ngettext_lazy

from portal.core.messages import Catalogue, Message, UserError

PORTAL = Path(__file__).resolve().parents[2] / "portal"
APPS_WITH_MESSAGES = sorted(
    p.parent.name for p in PORTAL.glob("*/messages.py") if p.parent.name != "core"
)
CATALOGUES = {
    app: importlib.import_module(f"portal.{app}.messages").MESSAGES
    for app in APPS_WITH_MESSAGES
    if app != "accounts"
}

TEST_CATALOGUE = Catalogue(
    {
        "test.plain": gettext_lazy("Nenhuma entrega ainda."),
        "test.count": ngettext_lazy("%(n)d entrega na fila.", "%(n)d entregas na fila.", "n"),
    }
)


class _Refused(UserError):
    catalogue = TEST_CATALOGUE


def test_a_refusal_keeps_its_id_and_renders_in_the_active_language():
    error = _Refused("test.plain")

    assert error.message_id == "test.plain"
    assert str(error) == "Nenhuma entrega ainda."
    with translation.override("en"):
        assert str(error) == "No submissions yet."


def test_a_plural_takes_its_form_from_the_count():
    assert TEST_CATALOGUE.text("test.count", n=1) == "1 entrega na fila."
    assert TEST_CATALOGUE.text("test.count", n=3) == "3 entregas na fila."
    with translation.override("en"):
        assert TEST_CATALOGUE.text("test.count", n=3) == "3 submissions queued."


def test_a_rendered_message_is_its_text_and_carries_its_id():
    message = TEST_CATALOGUE("test.count", n=2)

    assert isinstance(message, Message)
    assert message == "2 entregas na fila."
    assert (message.id, dict(message.params)) == ("test.count", {"n": 2})


def test_an_unknown_id_is_our_bug_and_fails_loudly():
    with pytest.raises(KeyError, match=r"test\.typo"):
        _Refused("test.typo")


def test_every_app_with_refusals_keeps_them_in_a_catalogue():
    assert {"submissions", "grading", "review", "gradebook", "ranking"} <= set(CATALOGUES)


def test_message_ids_are_unique_across_the_portal():
    seen: dict[str, str] = {}
    for app, catalogue in CATALOGUES.items():
        for message_id in catalogue:
            assert message_id not in seen, f"{message_id} is in {seen.get(message_id)} and {app}"
            seen[message_id] = app


class _AnyParams(dict):
    """Every placeholder gets 2: "%(n)d" and "%(name)s" alike, and a plural's count."""

    def __missing__(self, key: str) -> int:
        return 2


@pytest.mark.parametrize("app", sorted(CATALOGUES))
def test_every_message_has_an_english_translation(app):
    catalogue = CATALOGUES[app]
    untranslated = []
    for message_id in catalogue:
        portuguese = catalogue.render(message_id, _AnyParams(x=1))  # params given: formatted
        with translation.override("en"):
            english = catalogue.render(message_id, _AnyParams(x=1))
        # Only placeholders and punctuation ("2: 2"): nothing to translate.
        neutral = not any(character.isalpha() for character in portuguese)
        if english == portuguese and not neutral:
            untranslated.append(message_id)
    assert not untranslated, f"no English text for: {', '.join(untranslated)}"
