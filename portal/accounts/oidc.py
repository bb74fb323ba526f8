"""Microsoft Entra ID sign-in (OpenID Connect auth-code flow with PKCE) through MSAL.

MSAL runs the protocol: it builds the authorization URL (state, nonce, PKCE),
checks the state of the answer, redeems the code and checks the nonce. Since
msal 1.38 it no longer validates the id token itself (see
``msal/oauth2cli/oidc.py``, ``decode_id_token``), so this module does, before a
single claim is believed:

- signature: RS256 only, with a key from the provider's JWKS (``jwks_uri`` of
  its discovery document), fetched through the same TLS trust settings and
  timeout as every other call to the provider;
- ``iss``: the discovery issuer, with Microsoft's ``{tenantid}`` placeholder of
  multi-tenant metadata (``/organizations``, ``/common``) replaced by the
  token's ``tid``;
- ``aud`` equal to our client id; ``exp``, ``iat`` and ``nbf`` with a small leeway;
- ``nonce`` equal to what MSAL sent (the SHA-256 hex digest of ``flow["nonce"]``);
- ``tid`` in ``settings.ENTRA_ALLOWED_TENANTS``, ``oid`` present, an e-mail present.

People are identified by (``tid``, ``oid``). E-mail is only an attribute: in Entra
the ``email`` claim can be edited by a tenant's administrators.

Nothing here touches the database; ``portal.accounts.services`` does.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import ssl
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
import msal
import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from portal.accounts.messages import SignInError

logger = logging.getLogger(__name__)

# Clock skew tolerated between us and the provider, in seconds.
LEEWAY_SECONDS = 60
# Discovery documents and signing keys change rarely; Microsoft rolls keys with
# weeks of overlap, and an unknown ``kid`` triggers an early refresh anyway.
METADATA_TTL_SECONDS = 60 * 60
JWKS_TTL_SECONDS = 60 * 60
# An unknown ``kid`` refreshes the JWKS at most this often (PyJWKClient's cooldown), so a
# stream of forged tokens cannot turn the portal into a load generator against the provider.
JWKS_MIN_REFRESH_SECONDS = 60
TENANT_PLACEHOLDER = "{tenantid}"


class SignInFailure(Exception):
    """The sign-in cannot go on. ``error`` is shown to the person, ``reason`` only logged."""

    def __init__(self, error: SignInError, reason: str) -> None:
        super().__init__(f"{error.value}: {reason}")
        self.error = error
        self.reason = reason


@dataclass(frozen=True)
class EntraConfig:
    """The Entra settings for one request, read once from ``django.conf.settings``.

    ``allowed_tenants``: tenant ids (``tid``) whose people may sign in. An empty
    set means *any tenant that the authority accepts*: with the default
    ``https://login.microsoftonline.com/organizations`` that is every work or
    school account in the world, so production should list its tenant(s).
    """

    client_id: str
    client_secret: str
    authority: str
    oidc_authority: str
    ca_bundle: str
    timeout: float
    scopes: tuple[str, ...]
    redirect_uri: str
    allowed_tenants: frozenset[str]

    @classmethod
    def from_settings(cls, *, default_redirect_uri: str) -> EntraConfig:
        return cls(
            client_id=settings.ENTRA_CLIENT_ID,
            client_secret=settings.ENTRA_CLIENT_SECRET,
            authority=settings.ENTRA_AUTHORITY.rstrip("/"),
            oidc_authority=settings.ENTRA_OIDC_AUTHORITY.rstrip("/"),
            ca_bundle=settings.ENTRA_CA_BUNDLE,
            timeout=settings.ENTRA_HTTP_TIMEOUT,
            scopes=tuple(settings.ENTRA_SCOPES),
            redirect_uri=settings.ENTRA_REDIRECT_URI or default_redirect_uri,
            allowed_tenants=frozenset(t.strip().lower() for t in settings.ENTRA_ALLOWED_TENANTS),
        )

    @property
    def is_configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def discovery_url(self) -> str:
        """The same document MSAL reads (see ``msal.authority.Authority``)."""
        if self.oidc_authority:
            return f"{self.oidc_authority}/.well-known/openid-configuration"
        # Entra authorities (https://host/<tenant>) publish v2.0 metadata under the tenant.
        # B2C and CIAM authorities have other layouts: give those as ENTRA_OIDC_AUTHORITY.
        return f"{self.authority}/v2.0/.well-known/openid-configuration"


@dataclass(frozen=True)
class EntraIdentity:
    """What a validated id token says about the person."""

    tenant_id: str
    object_id: str
    name: str
    email: str
    app_roles: tuple[str, ...]


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    jwks_uri: str
    end_session_endpoint: str


class ProviderSession(requests.Session):
    """requests.Session with the portal's TLS trust and timeout on every call.

    ``verify`` is passed on each request, not only set on the session: requests
    lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override a session-level
    ``verify``, and ENTRA_CA_BUNDLE must win over whatever the host exports.
    """

    def __init__(self, *, ca_bundle: str, timeout: float) -> None:
        super().__init__()
        self.verify = ca_bundle or True
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        kwargs.setdefault("verify", self.verify)
        return super().request(method, url, **kwargs)


def provider_session(config: EntraConfig) -> ProviderSession:
    return ProviderSession(ca_bundle=config.ca_bundle, timeout=config.timeout)


def build_client(
    config: EntraConfig, session: requests.Session
) -> msal.ConfidentialClientApplication:
    """An MSAL client; constructing it fetches the provider's discovery document."""
    if not config.is_configured:
        raise SignInFailure(SignInError.NOT_CONFIGURED, "ENTRA_CLIENT_ID/SECRET are not set")
    # Instance discovery asks login.microsoftonline.com whether an authority is a
    # Microsoft one. The authority comes from our own settings, MSAL skips that call
    # for Microsoft's hosts anyway, and a private provider would always fail it.
    where = (
        {"oidc_authority": config.oidc_authority}
        if config.oidc_authority
        else {"authority": config.authority}
    )
    try:
        return msal.ConfidentialClientApplication(
            config.client_id,
            client_credential=config.client_secret,
            http_client=session,
            instance_discovery=False,
            **where,
        )
    except (requests.RequestException, ValueError) as exc:
        raise SignInFailure(
            SignInError.PROVIDER_UNAVAILABLE, f"discovery failed: {type(exc).__name__}: {exc}"
        ) from exc


def start_sign_in(config: EntraConfig) -> dict[str, Any]:
    """Begin the auth-code flow; the caller keeps the returned flow in the session.

    The answer comes back as a query string (``response_mode=query``), not as a
    cross-site form POST: the session cookie is ``SameSite=Lax``, which a browser
    sends on a top-level GET from the provider but not on a cross-site POST, and
    the state check needs the session. The code in the URL is single-use, bound to
    our PKCE verifier, and the callback redirects away from it at once.
    """
    client = build_client(config, provider_session(config))
    with warnings.catch_warnings():
        # msal warns on every response mode but form_post; see the docstring.
        warnings.filterwarnings("ignore", message="response_mode='form_post'", category=UserWarning)
        return client.initiate_auth_code_flow(
            scopes=list(config.scopes), redirect_uri=config.redirect_uri
        )


def finish_sign_in(
    config: EntraConfig, *, flow: dict[str, Any], auth_response: dict[str, str]
) -> EntraIdentity:
    """Redeem the code of ``auth_response`` and return the validated identity."""
    session = provider_session(config)
    client = build_client(config, session)
    try:
        result = client.acquire_token_by_auth_code_flow(flow, auth_response)
    except requests.RequestException as exc:  # first: some of these are ValueErrors too
        raise SignInFailure(
            SignInError.PROVIDER_UNAVAILABLE, f"token endpoint: {type(exc).__name__}"
        ) from exc
    except ValueError as exc:  # state mismatch or a malformed answer: a forged or stale callback
        raise SignInFailure(SignInError.SESSION_EXPIRED, f"msal refused the answer: {exc}") from exc
    except RuntimeError as exc:  # msal's own nonce check
        raise SignInFailure(SignInError.INVALID_NONCE, f"msal nonce check: {exc}") from exc
    if "error" in result:
        raise SignInFailure(
            SignInError.PROVIDER_REFUSED,
            f"provider error {result.get('error')!r}: {result.get('error_description', '')!r}",
        )
    id_token = result.get("id_token")
    if not id_token:
        raise SignInFailure(SignInError.INVALID_TOKEN, "no id_token in the token response")
    metadata = provider_metadata(config, session)
    claims = validate_id_token(
        id_token,
        config=config,
        metadata=metadata,
        expected_nonce=nonce_hash(flow["nonce"]),
    )
    return identity_from_claims(claims, config=config)


def nonce_hash(nonce: str) -> str:
    """MSAL sends ``sha256(flow["nonce"]).hexdigest()`` as the OIDC nonce."""
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


# --- Validation ---------------------------------------------------------------------


_JWT_ERRORS: tuple[tuple[type[jwt.PyJWTError], SignInError], ...] = (
    (jwt.InvalidSignatureError, SignInError.INVALID_SIGNATURE),
    (jwt.InvalidAlgorithmError, SignInError.INVALID_SIGNATURE),
    (jwt.ExpiredSignatureError, SignInError.TOKEN_EXPIRED),
    (jwt.InvalidAudienceError, SignInError.INVALID_AUDIENCE),
    (jwt.InvalidIssuerError, SignInError.INVALID_ISSUER),
)


def validate_id_token(
    id_token: str,
    *,
    config: EntraConfig,
    metadata: ProviderMetadata,
    expected_nonce: str,
) -> dict[str, Any]:
    """Check signature, issuer, audience, lifetime and nonce; return the claims."""
    try:
        header = jwt.get_unverified_header(id_token)
        # Only to know which issuer to expect; the signature check below covers it.
        unverified_tid = str(
            jwt.decode(id_token, options={"verify_signature": False}).get("tid", "")
        )
    except jwt.PyJWTError as exc:
        raise SignInFailure(SignInError.INVALID_TOKEN, f"malformed id token: {exc}") from exc
    if header.get("alg") != "RS256":
        raise SignInFailure(
            SignInError.INVALID_SIGNATURE, f"alg {header.get('alg')!r} is not RS256"
        )
    key = _signing_key(config, metadata.jwks_uri, str(header.get("kid", "")))
    expected_issuer = metadata.issuer
    if TENANT_PLACEHOLDER in expected_issuer:
        if not unverified_tid:
            raise SignInFailure(SignInError.MISSING_IDENTITY, "no tid for a multi-tenant issuer")
        expected_issuer = expected_issuer.replace(TENANT_PLACEHOLDER, unverified_tid)
    try:
        claims = jwt.decode(
            id_token,
            key=key.key,
            algorithms=["RS256"],
            audience=config.client_id,
            issuer=expected_issuer,
            leeway=LEEWAY_SECONDS,
            options={
                "require": ["iss", "aud", "exp", "iat", "nonce"],
                # OIDC allows a list, Entra sends a string: aud must be exactly our client id.
                "strict_aud": True,
                "enforce_minimum_key_length": True,
            },
        )
    except jwt.PyJWTError as exc:
        error = next(
            (e for cls, e in _JWT_ERRORS if isinstance(exc, cls)), SignInError.INVALID_TOKEN
        )
        raise SignInFailure(error, f"id token rejected: {type(exc).__name__}: {exc}") from exc
    if not hmac.compare_digest(str(claims["nonce"]), expected_nonce):
        raise SignInFailure(SignInError.INVALID_NONCE, "id token nonce differs from the flow's")
    return claims


def identity_from_claims(claims: dict[str, Any], *, config: EntraConfig) -> EntraIdentity:
    tenant_id = str(claims.get("tid") or "").strip().lower()
    object_id = str(claims.get("oid") or "").strip().lower()
    if not tenant_id or not object_id:
        raise SignInFailure(SignInError.MISSING_IDENTITY, "tid or oid missing from the id token")
    if config.allowed_tenants and tenant_id not in config.allowed_tenants:
        raise SignInFailure(SignInError.TENANT_NOT_ALLOWED, f"tenant {tenant_id} is not allowed")
    email = _email_from_claims(claims)
    if not email:
        raise SignInFailure(
            SignInError.MISSING_EMAIL, f"no usable email/preferred_username for oid {object_id}"
        )
    roles = claims.get("roles") or []
    if not isinstance(roles, list):
        roles = [roles]
    return EntraIdentity(
        tenant_id=tenant_id,
        object_id=object_id,
        name=str(claims.get("name") or "").strip(),
        email=email,
        app_roles=tuple(str(role) for role in roles),
    )


def _email_from_claims(claims: dict[str, Any]) -> str:
    for claim in ("email", "preferred_username"):
        value = str(claims.get(claim) or "").strip()
        try:
            validate_email(value)
        except ValidationError:
            continue
        return value
    return ""


# --- Discovery and keys, cached per process --------------------------------------------

_cache_lock = threading.Lock()
_metadata_cache: dict[str, tuple[float, ProviderMetadata]] = {}
_jwks_clients: dict[str, jwt.PyJWKClient] = {}


def clear_caches() -> None:
    """Forget discovery documents and keys (tests; a rotated provider)."""
    with _cache_lock:
        _metadata_cache.clear()
        _jwks_clients.clear()


def provider_metadata(config: EntraConfig, session: requests.Session) -> ProviderMetadata:
    url = config.discovery_url
    with _cache_lock:
        cached = _metadata_cache.get(url)
    if cached and time.monotonic() - cached[0] < METADATA_TTL_SECONDS:
        return cached[1]
    document = _get_json(session, url, what="discovery document")
    issuer, jwks_uri = document.get("issuer"), document.get("jwks_uri")
    if not isinstance(issuer, str) or not isinstance(jwks_uri, str) or not issuer:
        raise SignInFailure(SignInError.PROVIDER_UNAVAILABLE, f"{url} lacks issuer or jwks_uri")
    if urlsplit(jwks_uri).scheme != "https":
        raise SignInFailure(SignInError.PROVIDER_UNAVAILABLE, f"jwks_uri {jwks_uri} is not https")
    metadata = ProviderMetadata(
        issuer=issuer,
        jwks_uri=jwks_uri,
        end_session_endpoint=str(document.get("end_session_endpoint") or ""),
    )
    with _cache_lock:
        _metadata_cache[url] = (time.monotonic(), metadata)
    return metadata


def _jwks_client(config: EntraConfig, jwks_uri: str) -> jwt.PyJWKClient:
    """One PyJWKClient per key set: it caches the set for JWKS_TTL_SECONDS and refetches it
    for an unknown ``kid`` at most every JWKS_MIN_REFRESH_SECONDS."""
    with _cache_lock:
        client = _jwks_clients.get(jwks_uri)
        if client is None:
            tls = ssl.create_default_context(cafile=config.ca_bundle or None)
            client = jwt.PyJWKClient(
                jwks_uri,
                cache_jwk_set=True,
                lifespan=JWKS_TTL_SECONDS,
                cooldown_duration=JWKS_MIN_REFRESH_SECONDS,
                timeout=config.timeout,
                ssl_context=tls,
            )
            _jwks_clients[jwks_uri] = client
    return client


def _signing_key(config: EntraConfig, jwks_uri: str, kid: str) -> jwt.PyJWK:
    if not kid:
        raise SignInFailure(SignInError.INVALID_SIGNATURE, "id token header has no kid")
    try:
        key = _jwks_client(config, jwks_uri).get_signing_key(kid)
    except jwt.PyJWKClientConnectionError as exc:
        raise SignInFailure(SignInError.PROVIDER_UNAVAILABLE, f"JWKS at {jwks_uri}: {exc}") from exc
    except jwt.PyJWKSetError as exc:
        raise SignInFailure(
            SignInError.PROVIDER_UNAVAILABLE, f"JWKS at {jwks_uri} has no usable key: {exc}"
        ) from exc
    except jwt.PyJWKClientError as exc:  # no key with this kid, even after a refresh
        raise SignInFailure(
            SignInError.INVALID_SIGNATURE, f"kid {kid!r} is not in the JWKS: {exc}"
        ) from exc
    # RSA signing keys only: an "oct" (HMAC) or EC key must never verify an RS256 token.
    if key.key_type != "RSA" or key.algorithm_name != "RS256":
        raise SignInFailure(
            SignInError.INVALID_SIGNATURE,
            f"kid {kid!r} is a {key.key_type} key for {key.algorithm_name}",
        )
    return key


def _get_json(session: requests.Session, url: str, *, what: str) -> dict[str, Any]:
    try:
        response = session.get(url)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SignInFailure(
            SignInError.PROVIDER_UNAVAILABLE, f"{what} at {url}: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(document, dict):
        raise SignInFailure(SignInError.PROVIDER_UNAVAILABLE, f"{what} at {url} is not an object")
    return document


# --- Sign-out --------------------------------------------------------------------------


def end_session_url(config: EntraConfig, *, post_logout_redirect_uri: str) -> str:
    """The provider's sign-out URL, or "" when the provider has none or cannot be reached."""
    if not config.is_configured:
        return ""
    try:
        metadata = provider_metadata(config, provider_session(config))
    except SignInFailure as failure:
        logger.warning("No Microsoft sign-out link: %s", failure.reason)
        return ""
    if not metadata.end_session_endpoint:
        return ""
    parts = urlsplit(metadata.end_session_endpoint)
    query = urlencode(
        {"post_logout_redirect_uri": post_logout_redirect_uri, "client_id": config.client_id}
    )
    return urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))
