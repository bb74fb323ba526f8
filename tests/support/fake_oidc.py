"""A fake OpenID Connect provider shaped like Microsoft Entra ID, for tests.

It serves HTTPS on 127.0.0.1 with a certificate from a throw-away CA (trustme),
so the portal's real MSAL + PyJWT code path runs against it unchanged: only
the provider is fake. Nothing is mocked.

Quick start::

    from tests.support.fake_oidc import FakeOIDCProvider

    with FakeOIDCProvider() as provider:          # starts on a free port
        for name, value in provider.django_settings().items():
            setattr(settings, name, value)      # pytest-django's `settings` fixture
        provider.sign_in_as(oid="...", tid=provider.tenant_id, name="Ana",
                            email="ana@example.edu", roles=["Portal.Instructor"])
        # A browser (or `provider.follow_authorize(auth_uri)`) that opens the portal's
        # Microsoft button is sent straight back to the portal's redirect_uri with a
        # code and the state: there is no login form.

Public API (everything else is private):

- ``FakeOIDCProvider(client_id=..., client_secret=..., tenant_id=...)``;
  ``.start()`` / ``.stop()``, or use it as a context manager.
- ``.base_url``: ``https://127.0.0.1:<port>``.
- ``.authority``: ``<base_url>/organizations``, a value for ``ENTRA_AUTHORITY``
  (multi-tenant metadata, issuer with the ``{tenantid}`` placeholder, like Microsoft's).
- ``.oidc_authority``: ``<base_url>/organizations/v2.0``, for ``ENTRA_OIDC_AUTHORITY``.
- ``.authority_for(tenant)`` / ``.oidc_authority_for(tenant)``: the same for one tenant
  path; a tenant id there gives metadata with a fixed issuer (single-tenant style).
- ``.issuer``: the discovery issuer of ``.authority`` (contains ``{tenantid}``);
  ``.issuer_for(tid)`` is the ``iss`` a token for that tenant carries.
- ``.ca_pem_path``: PEM file of the CA that signed the server certificate
  (``ENTRA_CA_BUNDLE``). A browser must be told to trust it or to ignore HTTPS
  errors (Playwright: ``browser.new_context(ignore_https_errors=True)``).
- ``.tenant_id``: the default tenant of presets (a fixed GUID).
- ``.django_settings(oidc=False, tenant="organizations")``: the ENTRA_* settings that
  point the portal here (client id and secret, authority, CA bundle). For a browser
  test against ``live_server`` also set ``ENTRA_REDIRECT_URI`` (or ``SITE_URL``) to
  the live server's callback URL.
- ``.sign_in_as(identity=None, **fields) -> Identity``: who the next sign-ins are
  (fields of ``Identity``: oid, tid, name, email, preferred_username, roles). It stays
  until changed or ``.reset()``.
- ``.misbehave(**fields)``: make the next tokens wrong (fields of ``Misbehaviour``).
- ``.reset()``: default identity, good behaviour, the first key, forget codes and recorded
  requests.
- ``.rotate_key()``: sign with a new key (the old one stays published); ``.extra_jwks``:
  more JWKS entries, published as given; ``.jwks_requests``: how often the JWKS was read.
- ``.follow_authorize(auth_uri) -> str``: GET the authorize URL as a browser would
  and return the ``Location`` it redirects to (the portal's callback with code+state).
- ``.mint_id_token(unknown_key=False, kid=None, **claims) -> str``: exactly these
  claims, RS256-signed with the published key (or with a key not in the JWKS).
- Records: ``.token_requests`` (form bodies received by the token endpoint),
  ``.issued_id_tokens`` (every id token it handed out) and ``.logout_requests``
  (query strings received by the end-session endpoint).

Endpoints, for any ``{tenant}`` path segment:

- ``GET  /{tenant}/v2.0/.well-known/openid-configuration``
- ``GET  /{tenant}/oauth2/v2.0/authorize``: checks client_id, response_type=code,
  redirect_uri, PKCE S256 challenge; answers 302 to ``redirect_uri?code=&state=``.
- ``POST /{tenant}/oauth2/v2.0/token``: checks grant_type, client_id, client_secret,
  that the code is known, unused and fresh, the redirect_uri, and the PKCE
  code_verifier against the challenge; refuses with an OAuth error otherwise.
- ``GET  /{tenant}/discovery/v2.0/keys``: the JWKS (one RSA key).
- ``GET  /{tenant}/oauth2/v2.0/logout``: 302 to ``post_logout_redirect_uri`` if given.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
import requests
import trustme
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.tls import TLSServer

MULTI_TENANT_PATHS = frozenset({"organizations", "common", "consumers"})
CODE_LIFETIME_SECONDS = 300
DEFAULT_TENANT_ID = "8f0e2c1a-5b7d-4e43-9a6c-1d2e3f4a5b6c"
DEFAULT_CLIENT_ID = "6a1b2c3d-0000-4000-8000-000000000001"


@dataclass(frozen=True)
class Identity:
    """The person the provider signs in. ``None`` claims are left out of the token."""

    oid: str = "00000000-0000-4000-8000-00000000a11c"
    tid: str = DEFAULT_TENANT_ID
    name: str = "Ana Pereira"
    email: str | None = "ana.pereira@example.edu"
    # Defaults to ``email`` when None; give "" to leave it out.
    preferred_username: str | None = None
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Misbehaviour:
    """Ways to make the provider's answers wrong. The default is a correct provider."""

    # Sign with an RSA key that is not in the JWKS (same ``kid`` as the real one).
    sign_with_unknown_key: bool = False
    # Sign with this algorithm instead of RS256 ("HS256" uses the client secret as key).
    algorithm: str = "RS256"
    # Claims added to or replacing the id token's, e.g. {"aud": "someone-else"}.
    claims: dict[str, Any] = field(default_factory=dict)
    # Claims removed from the id token, e.g. ("email", "preferred_username").
    drop_claims: tuple[str, ...] = ()
    # iat/nbf = now + issued_at_offset; exp = iat + lifetime. Expired: (-7200, 3600).
    issued_at_offset: int = 0
    lifetime: int = 3600
    # The token endpoint refuses with this OAuth error (e.g. "invalid_grant").
    token_error: str | None = None
    # The authorize endpoint sends the browser back with this error (e.g. "access_denied").
    authorize_error: str | None = None


@dataclass(frozen=True)
class _Grant:
    identity: Identity
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    scope: str
    tenant_path: str
    expires_at: float


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class FakeOIDCProvider:
    def __init__(
        self,
        *,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = "fake-client-secret-0123456789abcdef",  # noqa: S107 - a test double's secret
        tenant_id: str = DEFAULT_TENANT_ID,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.tenant_id = tenant_id
        self.kid = "fake-key-1"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._first_key = (self.kid, self._key)
        self._retired_keys: list[tuple[str, rsa.RSAPrivateKey]] = []
        self.extra_jwks: list[dict[str, Any]] = []  # published as they are (bad keys, say)
        self.jwks_requests = 0
        self._unknown_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._lock = threading.Lock()
        self._grants: dict[str, _Grant] = {}
        self._identity = Identity(tid=tenant_id)
        self._misbehaviour = Misbehaviour()
        self.token_requests: list[dict[str, str]] = []
        self.issued_id_tokens: list[str] = []
        self.logout_requests: list[dict[str, str]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self.ca_pem_path = ""
        self.base_url = ""

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeOIDCProvider:
        ca = trustme.CA()
        server_cert = ca.issue_cert("127.0.0.1", "localhost")
        self._tmpdir = tempfile.TemporaryDirectory(prefix="fake-oidc-")
        ca_path = Path(self._tmpdir.name) / "fake-oidc-ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        self.ca_pem_path = str(ca_path)

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_cert.configure_cert(context)
        self._server = TLSServer(("127.0.0.1", 0), _handler_for(self), context)
        self.base_url = f"https://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-oidc", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> FakeOIDCProvider:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- configuration -----------------------------------------------------------------

    @property
    def authority(self) -> str:
        return self.authority_for("organizations")

    @property
    def oidc_authority(self) -> str:
        return self.oidc_authority_for("organizations")

    @property
    def issuer(self) -> str:
        return self._discovery_issuer("organizations")

    @property
    def jwks_uri(self) -> str:
        return f"{self.base_url}/organizations/discovery/v2.0/keys"

    @property
    def end_session_endpoint(self) -> str:
        return f"{self.base_url}/organizations/oauth2/v2.0/logout"

    def authority_for(self, tenant: str) -> str:
        return f"{self.base_url}/{tenant}"

    def oidc_authority_for(self, tenant: str) -> str:
        return f"{self.base_url}/{tenant}/v2.0"

    def issuer_for(self, tid: str, *, tenant_path: str = "organizations") -> str:
        return self._discovery_issuer(tenant_path).replace("{tenantid}", tid)

    def django_settings(
        self, *, oidc: bool = False, tenant: str = "organizations"
    ) -> dict[str, Any]:
        return {
            "ENTRA_CLIENT_ID": self.client_id,
            "ENTRA_CLIENT_SECRET": self.client_secret,
            "ENTRA_AUTHORITY": self.authority_for(tenant),
            "ENTRA_OIDC_AUTHORITY": self.oidc_authority_for(tenant) if oidc else "",
            "ENTRA_CA_BUNDLE": self.ca_pem_path,
        }

    def sign_in_as(self, identity: Identity | None = None, **fields: Any) -> Identity:
        if "roles" in fields:
            fields["roles"] = tuple(fields["roles"])
        with self._lock:
            self._identity = replace(identity or Identity(tid=self.tenant_id), **fields)
            return self._identity

    def misbehave(self, **fields: Any) -> Misbehaviour:
        with self._lock:
            self._misbehaviour = replace(Misbehaviour(), **fields)
            return self._misbehaviour

    def reset(self) -> None:
        with self._lock:
            self._identity = Identity(tid=self.tenant_id)
            self._misbehaviour = Misbehaviour()
            self._grants.clear()
            self.token_requests.clear()
            self.issued_id_tokens.clear()
            self.logout_requests.clear()
            self.kid, self._key = self._first_key
            self._retired_keys.clear()
            self.extra_jwks.clear()
            self.jwks_requests = 0

    # --- helpers for tests ---------------------------------------------------------------

    def follow_authorize(self, auth_uri: str) -> str:
        """What a browser does: open the authorize URL, return where it is sent next."""
        response = requests.get(
            auth_uri, verify=self.ca_pem_path, allow_redirects=False, timeout=10
        )
        if response.status_code != HTTPStatus.FOUND:
            raise AssertionError(f"authorize answered {response.status_code}: {response.text}")
        return response.headers["Location"]

    def rotate_key(self) -> str:
        """Sign with a new key from now on; the old one stays published (Entra overlaps
        them for weeks). Returns the new ``kid``."""
        with self._lock:
            self._retired_keys.append((self.kid, self._key))
            self.kid = f"fake-key-{len(self._retired_keys) + 1}"
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self.kid

    def mint_id_token(
        self, *, unknown_key: bool = False, kid: str | None = None, **claims: Any
    ) -> str:
        """Exactly ``claims``, RS256-signed by the published key (or an unknown one)."""
        key = self._unknown_key if unknown_key else self._key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid or self.kid})

    # --- the protocol ----------------------------------------------------------------------

    def _discovery_issuer(self, tenant_path: str) -> str:
        if tenant_path in MULTI_TENANT_PATHS:
            return f"{self.base_url}/{{tenantid}}/v2.0"
        return f"{self.base_url}/{tenant_path}/v2.0"

    def _discovery(self, tenant_path: str) -> dict[str, Any]:
        base = f"{self.base_url}/{tenant_path}"
        return {
            "issuer": self._discovery_issuer(tenant_path),
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
        }

    def _jwks(self) -> dict[str, Any]:
        with self._lock:
            self.jwks_requests += 1
            published = [*self._retired_keys, (self.kid, self._key)]
            extra = list(self.extra_jwks)
        keys = [
            {
                **jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True),
                "kid": kid,
                "use": "sig",
                "alg": "RS256",
            }
            for kid, key in published
        ]
        return {"keys": keys + extra}

    def _authorize(
        self, tenant_path: str, query: dict[str, str]
    ) -> tuple[int, dict[str, str], str]:
        redirect_uri = query.get("redirect_uri", "")
        problems = []
        if query.get("client_id") != self.client_id:
            problems.append("unknown client_id")
        if query.get("response_type") != "code":
            problems.append("response_type must be code")
        if not redirect_uri.startswith(("http://", "https://")):
            problems.append("redirect_uri missing")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            problems.append("PKCE S256 is required")
        if problems:
            return HTTPStatus.BAD_REQUEST, {}, "; ".join(problems)
        with self._lock:
            behaviour = self._misbehaviour
            back: dict[str, str] = {}
            if behaviour.authorize_error:
                back["error"] = behaviour.authorize_error
                back["error_description"] = "The fake provider was told to refuse."
            else:
                code = secrets.token_urlsafe(24)
                self._grants[code] = _Grant(
                    identity=self._identity,
                    client_id=query["client_id"],
                    redirect_uri=redirect_uri,
                    code_challenge=query["code_challenge"],
                    nonce=query.get("nonce"),
                    scope=query.get("scope", ""),
                    tenant_path=tenant_path,
                    expires_at=time.time() + CODE_LIFETIME_SECONDS,
                )
                back["code"] = code
        if "state" in query:
            back["state"] = query["state"]
        return HTTPStatus.FOUND, {"Location": _with_query(redirect_uri, back)}, ""

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.token_requests.append(dict(form))
            # A code is redeemed once, even by a request that fails below (RFC 6749 4.1.2).
            grant = self._grants.pop(form.get("code", ""), None)
            behaviour = self._misbehaviour
        if form.get("client_id") != self.client_id or not hmac.compare_digest(
            form.get("client_secret", ""), self.client_secret
        ):
            return HTTPStatus.UNAUTHORIZED, _oauth_error("invalid_client", "bad client credentials")
        if form.get("grant_type") != "authorization_code":
            return HTTPStatus.BAD_REQUEST, _oauth_error("unsupported_grant_type", "auth code only")
        if grant is None or grant.expires_at < time.time():
            return HTTPStatus.BAD_REQUEST, _oauth_error("invalid_grant", "unknown or used code")
        if form.get("redirect_uri") != grant.redirect_uri:
            return HTTPStatus.BAD_REQUEST, _oauth_error("invalid_grant", "redirect_uri differs")
        verifier = form.get("code_verifier", "")
        if _b64url(hashlib.sha256(verifier.encode("ascii")).digest()) != grant.code_challenge:
            return HTTPStatus.BAD_REQUEST, _oauth_error("invalid_grant", "PKCE verifier fails")
        if behaviour.token_error:
            return HTTPStatus.BAD_REQUEST, _oauth_error(behaviour.token_error, "told to refuse")
        identity = grant.identity
        id_token = self._id_token(grant, behaviour)
        with self._lock:
            self.issued_id_tokens.append(id_token)
        return HTTPStatus.OK, {
            "token_type": "Bearer",
            "scope": grant.scope,
            "expires_in": 3600,
            "ext_expires_in": 3600,
            "access_token": secrets.token_urlsafe(32),
            "id_token": id_token,
            "client_info": _b64url(
                json.dumps({"uid": identity.oid, "utid": identity.tid}).encode()
            ),
        }

    def _id_token(self, grant: _Grant, behaviour: Misbehaviour) -> str:
        identity = grant.identity
        now = int(time.time()) + behaviour.issued_at_offset
        preferred = (
            identity.email if identity.preferred_username is None else identity.preferred_username
        )
        claims: dict[str, Any] = {
            "ver": "2.0",
            "iss": self.issuer_for(identity.tid, tenant_path=grant.tenant_path),
            "aud": grant.client_id,
            "sub": f"sub-{identity.oid}",
            "oid": identity.oid,
            "tid": identity.tid,
            "name": identity.name,
            "email": identity.email,
            "preferred_username": preferred or None,
            "roles": list(identity.roles) or None,
            "nonce": grant.nonce,
            "iat": now,
            "nbf": now,
            "exp": now + behaviour.lifetime,
        }
        claims.update(behaviour.claims)
        for name in behaviour.drop_claims:
            claims.pop(name, None)
        claims = {name: value for name, value in claims.items() if value is not None}
        headers = {"kid": self.kid}
        if behaviour.algorithm == "HS256":
            return jwt.encode(claims, self.client_secret, algorithm="HS256", headers=headers)
        key = self._unknown_key if behaviour.sign_with_unknown_key else self._key
        return jwt.encode(claims, key, algorithm=behaviour.algorithm, headers=headers)

    def _logout(self, query: dict[str, str]) -> tuple[int, dict[str, str], str]:
        with self._lock:
            self.logout_requests.append(dict(query))
        target = query.get("post_logout_redirect_uri")
        if target:
            return HTTPStatus.FOUND, {"Location": target}, ""
        return HTTPStatus.OK, {}, "<!doctype html><title>Signed out</title><p>Signed out.</p>"


def _oauth_error(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = urlencode(params)
    return urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))


def _handler_for(provider: FakeOIDCProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: pytest shows the portal's own logs

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            tenant, _, rest = parts.path.lstrip("/").partition("/")
            if rest == "v2.0/.well-known/openid-configuration":
                self._json(HTTPStatus.OK, provider._discovery(tenant))
            elif rest == "discovery/v2.0/keys":
                self._json(HTTPStatus.OK, provider._jwks())
            elif rest == "oauth2/v2.0/authorize":
                self._reply(*provider._authorize(tenant, query))
            elif rest == "oauth2/v2.0/logout":
                self._reply(*provider._logout(query))
            else:
                self._reply(HTTPStatus.NOT_FOUND, {}, "not found")

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            _, _, rest = parts.path.lstrip("/").partition("/")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8")
            if rest == "oauth2/v2.0/token":
                self._json(*provider._token(dict(parse_qsl(body))))
            else:
                self._reply(HTTPStatus.NOT_FOUND, {}, "not found")

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            self._reply(status, {"Content-Type": "application/json"}, json.dumps(payload))

        def _reply(self, status: int, headers: dict[str, str], body: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

    return Handler


__all__ = ["FakeOIDCProvider", "Identity", "Misbehaviour"]
