"""``Authorization: Bearer mle_...``: a personal access token signs a request in (tokens.py)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from portal.accounts import tokens
from portal.accounts.messages import TokenRefused
from portal.accounts.models import ApiToken, User


class TokenFailed(exceptions.AuthenticationFailed):
    """Carries the message id and text the error body shows (core/api.py)."""

    def __init__(self, error: TokenRefused) -> None:
        self.error = error
        super().__init__(str(error))


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None  # the session may still sign the request in
        if len(header) != 2:
            raise TokenFailed(TokenRefused("token.invalid"))
        try:
            token = tokens.api_token_authenticate(header[1].decode("ascii"))
        except UnicodeDecodeError:
            raise TokenFailed(TokenRefused("token.invalid")) from None
        except TokenRefused as exc:
            raise TokenFailed(exc) from None
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.accounts.authentication.BearerTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal access token (mle_...), created on the profile page or with "
                "`manage.py create_api_token`. Scopes: read, submit, manage."
            ),
        }
