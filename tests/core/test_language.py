from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


# --- Who may see a week -------------------------------------------------------------


# --- Instructor pages ---------------------------------------------------------------


def test_the_language_switch_serves_english(client, alice, published):
    client.force_login(alice)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    body = client.get("/").content.decode()

    assert '<html lang="en">' in body
    assert "Weeks" in body


def test_the_language_menu_names_each_language_in_itself(client, alice):
    client.force_login(alice)

    body = client.get("/").content.decode()

    assert ">English</option>" in body
    assert "Inglês" not in body
    assert ">Português Brasileiro</option>" in body


def test_pages_stay_in_portuguese_for_an_english_browser_until_the_switch_is_used(client, alice):
    client.force_login(alice)

    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()

    assert '<html lang="pt-br">' in body
    assert "Semanas" in body
