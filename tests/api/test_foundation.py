"""What every endpoint shares: who the credential is, the one error body, scopes, the
session's CSRF, throttling per credential, and the language of the messages."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from rest_framework.test import APIClient

from portal.accounts import tokens
from tests.api.conftest import client_with
from tests.factories import AssignmentFactory


def test_a_token_signs_the_request_in_as_its_owner(bearer, alice):
    body = bearer(alice, "read", "submit").get("/api/v1/me/").json()
    assert body["username"] == "alice"
    assert body["courses"] == [
        {"slug": "mle", "title": "Machine Learning Engineering", "role": "student"}
    ]
    assert body["token"]["scopes"] == ["read", "submit"]


def test_the_session_signs_the_request_in_with_every_scope(alice):
    client = APIClient()
    client.force_login(alice)
    body = client.get("/api/v1/me/").json()
    assert body["username"] == "alice" and body["token"] is None


def test_no_credential_is_a_401_that_says_how_to_authenticate(api, db):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["id"] == "api.unauthenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_bad_bearer_headers_are_401_with_the_token_message(api, alice):
    created = tokens.api_token_create(user=alice, name="a", scopes=["read"], expires_days=1)
    for header in (
        "Bearer mle_unknown",
        "Bearer",
        f"Bearer {created.secret} extra",
        "Bearer \u00e9t\u00e9",
        f"bearer {created.secret[:-2]}",
    ):
        api.credentials(HTTP_AUTHORIZATION=header)
        response = api.get("/api/v1/me/")
        assert response.status_code == 401, header
        assert response.json() == {
            "error": {
                "id": "token.invalid",
                "message": "Token de acesso inválido ou revogado. Crie um novo na sua "
                "página de perfil.",
            }
        }


def test_an_expired_token_says_it_expired(alice):
    created = tokens.api_token_create(user=alice, name="a", scopes=["read"], expires_days=1)
    created.token.expires_at = timezone.now() - dt.timedelta(seconds=1)
    created.token.save(update_fields=["expires_at"])
    response = client_with(created.secret).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["id"] == "token.expired"


def test_a_token_without_the_scope_is_refused_with_the_scope_named(bearer, alice):
    response = bearer(alice, "submit").get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["error"] == {
        "id": "api.scope_missing",
        "message": "Este token não tem a permissão 'read'. Crie um token com ela na sua "
        "página de perfil.",
    }


def test_messages_follow_accept_language(api, db):
    response = api.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["id"] == "api.unauthenticated"
    assert response.json()["error"]["message"].startswith("Authentication required")


def test_a_session_write_without_csrf_is_refused_with_a_pointer_to_tokens(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/api/v1/me/", {})
    assert response.status_code == 403
    assert response.json()["error"]["id"] == "api.csrf"


def test_a_method_the_route_lacks_is_a_405_in_the_error_shape(bearer, alice):
    response = bearer(alice).delete("/api/v1/me/")
    assert response.status_code == 405
    assert response.json()["error"]["id"] == "api.method_not_allowed"
    assert response.json()["error"]["message"] == "Método DELETE não permitido aqui."


def test_a_body_of_an_unknown_type_is_a_415_naming_it(bearer, alice, course):
    AssignmentFactory(course=course, slug="x")
    response = bearer(alice).post(
        "/api/v1/courses/mle/assignments/x/attempts/", data="a=1", content_type="text/csv"
    )
    assert response.status_code == 415
    assert response.json()["error"] == {
        "id": "api.unsupported_media_type",
        "message": "Tipo de conteúdo não suportado: text/csv.",
    }


def test_throttling_counts_each_token_on_its_own(settings, alice):
    settings.API_THROTTLE_RATE = "3/min"
    first = tokens.api_token_create(user=alice, name="a", scopes=["read"], expires_days=1)
    second = tokens.api_token_create(user=alice, name="b", scopes=["read"], expires_days=1)
    script = client_with(first.secret)
    assert [script.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]
    refused = script.get("/api/v1/me/")
    assert refused.status_code == 429
    assert refused.json()["error"]["id"] == "api.throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert client_with(second.secret).get("/api/v1/me/").status_code == 200


def test_an_unknown_api_path_is_a_404(bearer, alice):
    assert bearer(alice).get("/api/v1/nada/").status_code == 404


def test_a_body_over_the_request_limit_is_a_413_in_the_error_shape(settings, bearer, alice):
    settings.MAX_REQUEST_BYTES = 1000
    response = bearer(alice).post(
        "/api/v1/me/", data=b"x" * 2000, content_type="application/octet-stream"
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["id"] == "api.too_large"
    assert error["message"].startswith("A requisição tem 2 KB; o limite é 1 KB.")
