"""Microsoft sign-in end to end: the portal's views, the real msal and PyJWT, a fake provider.

Only Microsoft is replaced (by tests.support.fake_oidc, over real HTTPS); every
refusal is checked on the page the person sees, in the database and in the session.
"""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from portal.accounts.messages import SIGN_IN_ERRORS, SignInError
from portal.accounts.models import User
from portal.courses.models import Enrollment
from portal.courses.selectors import course_role
from tests.factories import CourseFactory, EnrollmentFactory

OID = "00000000-0000-4000-8000-00000000a11c"
OTHER_OID = "11111111-2222-4333-8444-555555555555"
OTHER_TENANT = "99999999-8888-4777-8666-555555555555"
DASHBOARD = reverse("classroom:dashboard")
SIGNIN = reverse("accounts:signin")


def assert_refused(
    client: Client, response, error: SignInError, *, signed_in: User | None = None
) -> str:
    """Back on the sign-in page with the message; nobody (or still ``signed_in``) signed in."""
    assert response.status_code == 302
    assert response["Location"] == SIGNIN
    if signed_in is None:
        assert SESSION_KEY not in client.session
    else:
        assert client.session[SESSION_KEY] == str(signed_in.pk)
    page = client.get(SIGNIN)
    body = page.content.decode()
    assert escape(str(SIGN_IN_ERRORS[error])) in body
    assert f"signin-{error.value}" in body  # the stable id, as a class on the message
    return body


def fields(user: User) -> dict[str, str]:
    user.refresh_from_db()
    return {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "admin": user.is_admin,
        "tenant": user.entra_tenant_id,
        "oid": user.entra_object_id,
    }


@pytest.fixture
def signed_up(client, provider, microsoft_sign_in) -> User:
    """Ana has signed in once; then the client is signed out again."""
    provider.sign_in_as(oid=OID, name="Ana Pereira", email="ana.pereira@example.edu")
    microsoft_sign_in(client)
    client.logout()
    return User.objects.get(entra_object_id=OID)


# --- The good path ------------------------------------------------------------------------


def test_a_first_sign_in_creates_the_user_keyed_on_tenant_and_object_id(
    client, provider, microsoft_sign_in
):
    provider.sign_in_as(oid=OID, name="Ana Pereira", email="ana.pereira@example.edu")

    attempt = microsoft_sign_in(client)

    assert attempt.response.status_code == 302
    assert attempt.response["Location"] == DASHBOARD
    user = User.objects.get()
    assert fields(user) == {
        "username": f"entra-{OID}-{provider.tenant_id}",
        "full_name": "Ana Pereira",
        "email": "ana.pereira@example.edu",
        "admin": False,
        "tenant": provider.tenant_id,
        "oid": OID,
    }
    assert not user.has_usable_password()
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"
    # The real code path ran: PKCE verifier and client secret went to the token endpoint.
    [token_request] = provider.token_requests
    assert token_request["code_verifier"]
    assert token_request["client_secret"] == provider.client_secret
    assert client.get(DASHBOARD).status_code == 200


def test_the_start_view_sends_the_browser_to_the_provider_with_pkce_state_and_nonce(
    client, provider
):
    response = client.get(reverse("accounts:microsoft_start"))

    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{provider.authority}/oauth2/v2.0/authorize?")
    for parameter in ("code_challenge=", "code_challenge_method=S256", "state=", "nonce="):
        assert parameter in location
    assert (
        "redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Faccounts%2Fsignin%2Fmicrosoft%2Fcallback%2F"
        in location
    )
    [pending] = client.session["accounts.entra_pending"].values()
    assert pending["flow"]["auth_uri"] == location


def test_a_second_sign_in_updates_name_email_and_admin_of_the_same_user(
    client, provider, microsoft_sign_in, signed_up
):
    provider.sign_in_as(
        oid=OID, name="Ana P. Souza", email="ana.souza@example.edu", roles=["Portal.Admin"]
    )

    attempt = microsoft_sign_in(client)

    assert attempt.response["Location"] == DASHBOARD
    assert User.objects.count() == 1
    assert fields(signed_up) == {
        "username": f"entra-{OID}-{provider.tenant_id}",
        "full_name": "Ana P. Souza",
        "email": "ana.souza@example.edu",
        "admin": True,
        "tenant": provider.tenant_id,
        "oid": OID,
    }
    assert client.session[SESSION_KEY] == str(signed_up.pk)


def test_another_object_id_with_the_same_email_gets_a_separate_user(
    client, provider, microsoft_sign_in, signed_up
):
    """Decision: e-mail never identifies anybody. The first user keeps its data."""
    course = CourseFactory()
    enrollment = EnrollmentFactory(course=course, user=signed_up, email=signed_up.email)
    before = fields(signed_up)
    provider.sign_in_as(oid=OTHER_OID, name="Impostora", email="ana.pereira@example.edu")

    attempt = microsoft_sign_in(client)

    assert attempt.response["Location"] == DASHBOARD
    assert User.objects.count() == 2
    other = User.objects.get(entra_object_id=OTHER_OID)
    assert other.pk != signed_up.pk
    assert client.session[SESSION_KEY] == str(other.pk)
    assert fields(signed_up) == before
    enrollment.refresh_from_db()
    assert enrollment.user == signed_up
    assert not other.enrollments.exists()


def test_a_local_user_with_the_same_email_is_not_taken_over(
    client, provider, microsoft_sign_in, alice
):
    provider.sign_in_as(oid=OID, name="Alguém", email=alice.email)
    before = fields(alice)

    microsoft_sign_in(client)

    assert fields(alice) == before
    newcomer = User.objects.get(entra_object_id=OID)
    assert newcomer.pk != alice.pk
    assert client.session[SESSION_KEY] == str(newcomer.pk)


def test_it_uses_preferred_username_when_the_email_claim_is_missing(
    client, provider, microsoft_sign_in
):
    provider.sign_in_as(oid=OID, email=None, preferred_username="ana@contoso.example")

    microsoft_sign_in(client)

    assert User.objects.get().email == "ana@contoso.example"


def test_it_accepts_any_tenant_when_the_allowed_list_is_empty(
    client, provider, microsoft_sign_in, settings
):
    settings.ENTRA_ALLOWED_TENANTS = []
    provider.sign_in_as(oid=OID, tid=OTHER_TENANT)

    attempt = microsoft_sign_in(client)

    assert attempt.response["Location"] == DASHBOARD
    assert User.objects.get().entra_tenant_id == OTHER_TENANT


def test_it_works_with_an_oidc_authority(client, provider, microsoft_sign_in, settings):
    settings.ENTRA_OIDC_AUTHORITY = provider.oidc_authority
    settings.ENTRA_AUTHORITY = "https://login.microsoftonline.com/organizations"  # must be unused

    attempt = microsoft_sign_in(client)

    assert attempt.start["Location"].startswith(provider.oidc_authority.removesuffix("/v2.0"))
    assert attempt.response["Location"] == DASHBOARD
    assert User.objects.filter(entra_object_id=OID).exists()


def test_it_works_with_a_single_tenant_authority_whose_issuer_is_fixed(
    client, provider, microsoft_sign_in, settings
):
    settings.ENTRA_AUTHORITY = provider.authority_for(provider.tenant_id)

    attempt = microsoft_sign_in(client)

    assert attempt.start["Location"].startswith(settings.ENTRA_AUTHORITY + "/oauth2/")
    assert attempt.response["Location"] == DASHBOARD
    assert User.objects.filter(entra_tenant_id=provider.tenant_id).exists()


def test_it_gives_the_session_a_new_key_on_sign_in(client, provider, microsoft_sign_in):
    client.get(SIGNIN)
    client.session.save()
    anonymous_key = client.session.session_key
    start = client.get(reverse("accounts:microsoft_start"))
    assert client.session.session_key == anonymous_key
    callback_url = provider.follow_authorize(start["Location"])
    path, _, query = callback_url.removeprefix("http://localhost:8000").partition("?")
    client.get(f"{path}?{query}")

    assert SESSION_KEY in client.session
    assert client.session.session_key != anonymous_key


def test_a_sign_in_started_in_another_tab_does_not_break_the_first_one(client, provider):
    first = client.get(reverse("accounts:microsoft_start"))
    client.get(reverse("accounts:microsoft_start"))  # a second tab, or a double click
    callback_url = provider.follow_authorize(first["Location"])
    path, _, query = callback_url.removeprefix("http://localhost:8000").partition("?")

    response = client.get(f"{path}?{query}")

    assert response["Location"] == DASHBOARD
    assert SESSION_KEY in client.session


# --- Roles ---------------------------------------------------------------------------------


def test_the_admin_app_role_makes_a_portal_admin_whatever_else_it_has(
    client, provider, microsoft_sign_in
):
    provider.sign_in_as(oid=OID, roles=["Portal.Student", "Portal.Admin", "Portal.Instructor"])

    microsoft_sign_in(client)

    assert User.objects.get().is_admin


def test_an_instructor_seat_on_the_roster_makes_an_instructor_of_that_course_only(
    client, provider, microsoft_sign_in
):
    course = CourseFactory(slug="mle")
    roster = EnrollmentFactory(
        course=course, user=None, email="Ana.Pereira@example.edu", role=Enrollment.Role.INSTRUCTOR
    )
    other = CourseFactory(slug="outro")
    provider.sign_in_as(oid=OID, email="ana.pereira@example.edu", roles=["Something.Else"])

    microsoft_sign_in(client)

    user = User.objects.get()
    assert not user.is_admin
    roster.refresh_from_db()
    assert roster.user == user
    assert course_role(user, course) == Enrollment.Role.INSTRUCTOR
    assert course_role(user, other) is None


def test_a_student_seat_on_the_roster_makes_a_student_of_that_course(
    client, provider, microsoft_sign_in
):
    course = CourseFactory()
    roster = EnrollmentFactory(course=course, user=None, email="ana.pereira@example.edu")
    provider.sign_in_as(oid=OID, email="ana.pereira@example.edu", roles=[])

    microsoft_sign_in(client)

    user = User.objects.get()
    assert not user.is_admin
    roster.refresh_from_db()
    assert roster.user == user
    assert course_role(user, course) == Enrollment.Role.STUDENT


def test_an_app_role_other_than_admin_changes_nothing_of_the_enrollment(
    client, provider, microsoft_sign_in
):
    course = CourseFactory()
    EnrollmentFactory(
        course=course,
        user=None,
        email="ana.pereira@example.edu",
        role=Enrollment.Role.INSTRUCTOR,
    )
    provider.sign_in_as(oid=OID, email="ana.pereira@example.edu", roles=["Portal.Student"])

    microsoft_sign_in(client)

    assert course_role(User.objects.get(), course) == Enrollment.Role.INSTRUCTOR


def test_losing_the_admin_app_role_demotes_the_user_at_the_next_sign_in(
    client, provider, microsoft_sign_in
):
    provider.sign_in_as(oid=OID, roles=["Portal.Admin"])
    microsoft_sign_in(client)
    assert User.objects.get().is_admin

    provider.sign_in_as(oid=OID, roles=[])
    microsoft_sign_in(client)

    assert not User.objects.get().is_admin


# --- Where to go afterwards -------------------------------------------------------------------


def test_it_goes_to_a_safe_next_after_sign_in(client, provider, microsoft_sign_in):
    attempt = microsoft_sign_in(client, next_url="/cursos/mle/?aba=semanas")

    assert attempt.response["Location"] == "/cursos/mle/?aba=semanas"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/roubo",
        "//evil.example/roubo",
        "javascript:alert(1)",
        "http:///evil.example",
    ],
)
def test_it_ignores_an_off_site_next(client, provider, microsoft_sign_in, next_url):
    attempt = microsoft_sign_in(client, next_url=next_url)

    assert attempt.response["Location"] == DASHBOARD
    assert SESSION_KEY in client.session


# --- Refusals: message on the sign-in page, nobody signed in, nothing written ------------------


def test_it_refuses_an_account_from_a_tenant_that_is_not_allowed(
    client, provider, microsoft_sign_in, signed_up
):
    before = fields(signed_up)
    provider.sign_in_as(oid=OID, tid=OTHER_TENANT, name="Outro Nome")

    attempt = microsoft_sign_in(client)

    body = assert_refused(client, attempt.response, SignInError.TENANT_NOT_ALLOWED)
    assert "Sua conta pertence a uma organização que não tem acesso a este portal." in body
    assert User.objects.count() == 1
    assert fields(signed_up) == before


def test_it_refuses_a_token_signed_by_another_key(client, provider, microsoft_sign_in, signed_up):
    before = fields(signed_up)
    provider.sign_in_as(oid=OID, name="Forjada", roles=["Portal.Admin"])
    provider.misbehave(sign_with_unknown_key=True)

    attempt = microsoft_sign_in(client)

    body = assert_refused(client, attempt.response, SignInError.INVALID_SIGNATURE)
    assert (
        "Não foi possível validar a resposta da Microsoft (assinatura inválida). Tente novamente."
        in body
    )
    assert User.objects.count() == 1
    assert fields(signed_up) == before


def test_it_refuses_a_token_signed_with_hs256_and_the_client_secret(
    client, provider, microsoft_sign_in
):
    provider.misbehave(algorithm="HS256")

    attempt = microsoft_sign_in(client)

    assert_refused(client, attempt.response, SignInError.INVALID_SIGNATURE)
    assert not User.objects.exists()


def test_it_refuses_a_token_for_another_audience(client, provider, microsoft_sign_in, signed_up):
    before = fields(signed_up)
    provider.sign_in_as(oid=OID, name="Outro Nome")
    provider.misbehave(claims={"aud": "another-application"})

    attempt = microsoft_sign_in(client)

    assert_refused(client, attempt.response, SignInError.INVALID_AUDIENCE)
    assert User.objects.count() == 1
    assert fields(signed_up) == before


def test_it_refuses_an_expired_token(client, provider, microsoft_sign_in, signed_up):
    before = fields(signed_up)
    provider.sign_in_as(oid=OID, name="Outro Nome")
    provider.misbehave(issued_at_offset=-7200, lifetime=3600)

    attempt = microsoft_sign_in(client)

    assert_refused(client, attempt.response, SignInError.TOKEN_EXPIRED)
    assert User.objects.count() == 1
    assert fields(signed_up) == before


def test_it_refuses_a_token_whose_issuer_names_another_tenant(client, provider, microsoft_sign_in):
    provider.misbehave(claims={"iss": provider.issuer_for(OTHER_TENANT)})

    attempt = microsoft_sign_in(client)

    assert_refused(client, attempt.response, SignInError.INVALID_ISSUER)
    assert not User.objects.exists()


def test_it_refuses_a_token_with_another_nonce(client, provider, microsoft_sign_in, signed_up):
    before = fields(signed_up)
    provider.sign_in_as(oid=OID, name="Outro Nome")
    provider.misbehave(claims={"nonce": "0" * 64})

    attempt = microsoft_sign_in(client)

    assert_refused(client, attempt.response, SignInError.INVALID_NONCE)
    assert User.objects.count() == 1
    assert fields(signed_up) == before


def test_it_refuses_a_replayed_state(client, provider, microsoft_sign_in):
    provider.misbehave(claims={"aud": "another-application"})
    attempt = microsoft_sign_in(client)
    assert_refused(client, attempt.response, SignInError.INVALID_AUDIENCE)
    provider.misbehave()  # the provider behaves again; the answer is replayed as it was

    replayed = attempt.replay(client)

    assert_refused(client, replayed, SignInError.SESSION_EXPIRED)
    assert len(provider.token_requests) == 1  # the replay never reached the provider
    assert not User.objects.exists()


def test_replaying_the_callback_after_a_good_sign_in_changes_nothing(
    client, provider, microsoft_sign_in
):
    attempt = microsoft_sign_in(client)
    user = User.objects.get()
    before = fields(user)
    provider.sign_in_as(oid=OID, name="Nome Novo", roles=["Portal.Admin"])

    replayed = attempt.replay(client)

    assert_refused(client, replayed, SignInError.SESSION_EXPIRED, signed_in=user)
    assert len(provider.token_requests) == 1
    assert fields(user) == before


def test_it_refuses_a_callback_in_a_browser_that_did_not_start_the_sign_in(
    client, provider, microsoft_sign_in
):
    attempt = microsoft_sign_in(Client())  # someone else's browser started it

    stolen = attempt.replay(client)

    body = assert_refused(client, stolen, SignInError.SESSION_EXPIRED)
    assert "A sessão de login expirou ou já foi usada. Comece de novo." in body
    assert User.objects.count() == 1  # only the other browser's sign-in


def test_it_refuses_a_callback_with_a_state_it_never_issued(client, provider):
    client.get(reverse("accounts:microsoft_start"))

    response = client.get(
        reverse("accounts:microsoft_callback"), {"code": "forged", "state": "forged-state"}
    )

    assert_refused(client, response, SignInError.SESSION_EXPIRED)
    assert provider.token_requests == []
    assert len(client.session["accounts.entra_pending"]) == 1  # the real flow is still there


def test_it_refuses_a_callback_with_neither_code_nor_error(client, provider):
    start = client.get(reverse("accounts:microsoft_start"))
    [state] = client.session["accounts.entra_pending"]

    response = client.get(reverse("accounts:microsoft_callback"), {"state": state})

    assert start.status_code == 302
    assert_refused(client, response, SignInError.SESSION_EXPIRED)
    assert client.session["accounts.entra_pending"] == {}  # that state cannot be used again
    assert provider.token_requests == []


def test_it_refuses_an_account_without_an_email(client, provider, microsoft_sign_in, signed_up):
    before = fields(signed_up)
    provider.sign_in_as(oid=OID, email=None, preferred_username="")

    attempt = microsoft_sign_in(client)

    body = assert_refused(client, attempt.response, SignInError.MISSING_EMAIL)
    assert "Sua conta Microsoft não informou um e-mail; peça ao administrador" in body
    assert User.objects.count() == 1
    assert fields(signed_up) == before


def test_it_refuses_a_token_without_an_object_id(client, provider, microsoft_sign_in):
    provider.misbehave(drop_claims=("oid",))

    attempt = microsoft_sign_in(client)

    assert_refused(client, attempt.response, SignInError.MISSING_IDENTITY)
    assert not User.objects.exists()


def test_it_refuses_a_disabled_user(client, provider, microsoft_sign_in, signed_up):
    User.objects.filter(pk=signed_up.pk).update(is_active=False)
    before = fields(signed_up)
    provider.sign_in_as(oid=OID, name="Outro Nome", roles=["Portal.Admin"])

    attempt = microsoft_sign_in(client)

    assert_refused(client, attempt.response, SignInError.ACCOUNT_DISABLED)
    assert fields(signed_up) == before


def test_it_shows_a_message_when_the_person_cancels_at_microsoft(
    client, provider, microsoft_sign_in
):
    provider.misbehave(authorize_error="access_denied")

    attempt = microsoft_sign_in(client)

    assert_refused(client, attempt.response, SignInError.PROVIDER_REFUSED)
    assert provider.token_requests == []
    assert not User.objects.exists()


def test_it_shows_a_message_when_the_token_endpoint_refuses(client, provider, microsoft_sign_in):
    provider.misbehave(token_error="invalid_grant")

    attempt = microsoft_sign_in(client)

    assert_refused(client, attempt.response, SignInError.PROVIDER_REFUSED)
    assert not User.objects.exists()


def test_it_does_not_trust_the_provider_without_the_configured_ca(client, provider, settings):
    settings.ENTRA_CA_BUNDLE = ""  # system CAs: the fake provider's certificate is unknown

    response = client.get(reverse("accounts:microsoft_start"))

    assert_refused(client, response, SignInError.PROVIDER_UNAVAILABLE)
    assert "accounts.entra_pending" not in client.session


def test_it_shows_a_message_when_the_provider_is_unreachable(client, provider, settings):
    settings.ENTRA_AUTHORITY = "https://127.0.0.1:9/organizations"
    settings.ENTRA_HTTP_TIMEOUT = 2

    response = client.get(reverse("accounts:microsoft_start"))

    assert_refused(client, response, SignInError.PROVIDER_UNAVAILABLE)


def test_it_shows_a_message_when_microsoft_sign_in_is_not_configured(client, provider, settings):
    settings.ENTRA_CLIENT_ID = ""

    response = client.get(reverse("accounts:microsoft_start"))

    assert_refused(client, response, SignInError.NOT_CONFIGURED)


def test_it_logs_why_it_refused_but_never_the_token(client, provider, microsoft_sign_in, caplog):
    provider.misbehave(claims={"aud": "another-application"})

    with caplog.at_level(logging.INFO):
        microsoft_sign_in(client)

    [token] = provider.issued_id_tokens
    assert "invalid_audience" in caplog.text
    assert token not in caplog.text
    assert token.split(".")[2] not in caplog.text
