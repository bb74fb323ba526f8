"""The sign-in page, the demo sign-in and the sign-out page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from portal.accounts.messages import SIGN_IN_ERRORS, SignInError

SIGNIN = reverse("accounts:signin")
DEV_SIGNIN = reverse("accounts:dev_signin")
SIGNOUT = reverse("accounts:signout")
DASHBOARD = reverse("classroom:dashboard")


@pytest.fixture
def dev_signin_on(settings):
    settings.DEBUG = True
    settings.DEV_SIGNIN_ENABLED = True


# --- Sign-in page -------------------------------------------------------------------------


def test_the_sign_in_page_shows_the_microsoft_button(client, provider):
    response = client.get(SIGNIN)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Entrar com a Microsoft" in body
    assert f'href="{reverse("accounts:microsoft_start")}"' in body
    assert DEV_SIGNIN not in body  # DEBUG is off in tests


def test_the_sign_in_page_passes_a_safe_next_to_the_microsoft_button(client, provider):
    response = client.get(SIGNIN, {"next": "/cursos/mle/"})

    assert escape(f"{reverse('accounts:microsoft_start')}?next=%2Fcursos%2Fmle%2F") in (
        response.content.decode()
    )


def test_the_sign_in_page_drops_an_off_site_next(client, provider):
    response = client.get(SIGNIN, {"next": "https://evil.example/"})

    body = response.content.decode()
    assert f'id="microsoft-signin" href="{reverse("accounts:microsoft_start")}"' in body
    assert "microsoft/?next=" not in body


def test_the_sign_in_page_says_so_when_microsoft_is_not_configured(client, settings):
    settings.ENTRA_CLIENT_ID = ""
    settings.ENTRA_CLIENT_SECRET = ""

    response = client.get(SIGNIN)

    body = response.content.decode()
    assert "Entrar com a Microsoft" not in body
    assert "O login com a Microsoft ainda não está configurado neste portal." in body


# --- Demo sign-in ---------------------------------------------------------------------------


@pytest.mark.parametrize(("debug", "enabled"), [(False, True), (True, False), (False, False)])
def test_the_dev_sign_in_is_not_found_unless_debug_and_the_flag_are_both_on(
    client, settings, alice, debug, enabled
):
    settings.DEBUG = debug
    settings.DEV_SIGNIN_ENABLED = enabled

    post = client.post(DEV_SIGNIN, {"user": alice.pk})
    get = client.get(DEV_SIGNIN)
    page = client.get(SIGNIN)

    assert post.status_code == 404
    assert get.status_code == 404
    assert SESSION_KEY not in client.session
    assert DEV_SIGNIN not in page.content.decode()


def test_the_sign_in_page_lists_the_demo_users_when_dev_sign_in_is_on(
    client, dev_signin_on, alice, bruno, carla
):
    body = client.get(SIGNIN).content.decode()

    assert f'action="{DEV_SIGNIN}"' in body
    for user in (alice, bruno, carla):
        assert f'<option value="{user.pk}"' in body
        assert escape(str(user)) in body


def test_the_dev_sign_in_signs_in_the_chosen_user(client, dev_signin_on, alice, bruno):
    response = client.post(DEV_SIGNIN, {"user": bruno.pk})

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD
    assert client.session[SESSION_KEY] == str(bruno.pk)


def test_the_dev_sign_in_honours_a_safe_next_only(client, dev_signin_on, alice):
    safe = client.post(DEV_SIGNIN, {"user": alice.pk, "next": "/cursos/mle/"})
    client.logout()
    unsafe = client.post(DEV_SIGNIN, {"user": alice.pk, "next": "https://evil.example/"})

    assert safe["Location"] == "/cursos/mle/"
    assert unsafe["Location"] == DASHBOARD


def test_the_dev_sign_in_refuses_an_unknown_or_inactive_user(client, dev_signin_on, alice):
    alice.is_active = False
    alice.save(update_fields=["is_active"])

    response = client.post(DEV_SIGNIN, {"user": alice.pk}, follow=True)

    assert SESSION_KEY not in client.session
    assert escape(str(SIGN_IN_ERRORS[SignInError.DEV_USER_INVALID])) in response.content.decode()


def test_the_dev_sign_in_only_accepts_post(client, dev_signin_on, alice):
    assert client.get(DEV_SIGNIN).status_code == 405


def test_the_dev_sign_in_needs_the_csrf_token(dev_signin_on, alice):
    client = Client(enforce_csrf_checks=True)

    response = client.post(DEV_SIGNIN, {"user": alice.pk})

    assert response.status_code == 403
    assert SESSION_KEY not in client.session


# --- Sign-out -------------------------------------------------------------------------------


def test_sign_out_clears_the_session_and_offers_the_microsoft_sign_out_link(
    client, provider, microsoft_sign_in, settings
):
    microsoft_sign_in(client)
    assert SESSION_KEY in client.session

    response = client.post(SIGNOUT)

    assert response.status_code == 200  # a page, not a redirect off-site (CSP form-action)
    assert "Location" not in response.headers
    assert SESSION_KEY not in client.session
    assert "accounts.entra_pending" not in client.session
    link = response.context["microsoft_signout_url"]
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == provider.end_session_endpoint
    assert parse_qs(parts.query) == {
        "post_logout_redirect_uri": [settings.SITE_URL + SIGNIN],
        "client_id": [provider.client_id],
    }
    body = response.content.decode()
    assert f'href="{escape(link)}"' in body
    assert "Sair também da conta Microsoft" in body
    # The next page is anonymous again.
    assert client.get(DASHBOARD)["Location"].startswith(SIGNIN)


def test_sign_out_still_signs_out_when_the_provider_is_unreachable(
    client, provider, settings, alice
):
    client.force_login(alice)
    settings.ENTRA_AUTHORITY = "https://127.0.0.1:9/organizations"

    response = client.post(SIGNOUT)

    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert response.context["microsoft_signout_url"] == ""
    assert "Sair também da conta Microsoft" not in response.content.decode()
    assert "Você saiu do portal" in response.content.decode()


def test_sign_out_only_accepts_post(client, alice):
    client.force_login(alice)

    response = client.get(SIGNOUT)

    assert response.status_code == 405
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_the_sign_in_page_and_its_messages_are_in_english_when_chosen(client, provider, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    settings.ENTRA_CA_BUNDLE = ""  # the provider cannot be trusted: an error message follows

    response = client.get(reverse("accounts:microsoft_start"), follow=True)

    body = response.content.decode()
    assert "Sign in with Microsoft" in body
    assert "Microsoft cannot be reached right now. Please try again in a few minutes." in body
    assert "signin-provider_unavailable" in body
