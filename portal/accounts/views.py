"""Sign-in and sign-out pages. The protocol lives in ``oidc``, the writes in ``services``."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.accounts import tokens
from portal.accounts.forms import ApiTokenForm, DevSignInForm
from portal.accounts.messages import SignInError, TokenRefused, sign_in_error_text
from portal.accounts.oidc import (
    EntraConfig,
    SignInFailure,
    end_session_url,
    finish_sign_in,
    start_sign_in,
)
from portal.accounts.services import user_upsert_from_entra

logger = logging.getLogger(__name__)

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# Flows waiting for the provider's answer, keyed by their state. Several can be in
# flight (two tabs, a double click); each state can be redeemed once.
PENDING_FLOWS_KEY = "accounts.entra_pending"
MAX_PENDING_FLOWS = 5


def dev_signin_enabled() -> bool:
    # Read at request time: settings can change under tests and the URL is always routed.
    return bool(settings.DEBUG and settings.DEV_SIGNIN_ENABLED)


def _entra_config() -> EntraConfig:
    return EntraConfig.from_settings(
        default_redirect_uri=settings.SITE_URL + reverse("accounts:microsoft_callback")
    )


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _signed_in_redirect(request: HttpRequest, next_url: str) -> HttpResponse:
    return redirect(_safe_next(request, next_url) or resolve_url(settings.LOGIN_REDIRECT_URL))


def _refuse(request: HttpRequest, failure: SignInFailure) -> HttpResponse:
    # The reason goes to the log only; it never contains a token.
    logger.warning("Sign-in refused [%s]: %s", failure.error.value, failure.reason)
    messages.error(
        request, sign_in_error_text(failure.error), extra_tags=f"signin-{failure.error.value}"
    )
    return redirect("accounts:signin")


@require_GET
@never_cache
def signin(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.GET.get("next"))
    start_url = reverse("accounts:microsoft_start")
    if next_url:
        start_url += "?" + urlencode({"next": next_url})
    context: dict[str, Any] = {
        "microsoft_configured": _entra_config().is_configured,
        "microsoft_start_url": start_url,
        "dev_form": DevSignInForm(initial={"next": next_url}) if dev_signin_enabled() else None,
    }
    return render(request, "accounts/signin.html", context)


@require_GET
@never_cache
def microsoft_start(request: HttpRequest) -> HttpResponse:
    try:
        flow = start_sign_in(_entra_config())
    except SignInFailure as failure:
        return _refuse(request, failure)
    pending: dict[str, Any] = request.session.get(PENDING_FLOWS_KEY, {})
    pending[flow["state"]] = {"flow": flow, "next": _safe_next(request, request.GET.get("next"))}
    request.session[PENDING_FLOWS_KEY] = dict(list(pending.items())[-MAX_PENDING_FLOWS:])
    return redirect(flow["auth_uri"])


@require_GET
@never_cache
def microsoft_callback(request: HttpRequest) -> HttpResponse:
    # Popped before anything else, so that a replayed answer finds nothing to redeem,
    # whatever happens next.
    pending: dict[str, Any] = request.session.get(PENDING_FLOWS_KEY, {})
    entry = pending.pop(request.GET.get("state", ""), None)
    request.session[PENDING_FLOWS_KEY] = pending
    try:
        if entry is None:
            raise SignInFailure(SignInError.SESSION_EXPIRED, "no pending flow for this state")
        identity = finish_sign_in(
            _entra_config(), flow=entry["flow"], auth_response=request.GET.dict()
        )
        user = user_upsert_from_entra(identity=identity)
    except SignInFailure as failure:
        return _refuse(request, failure)
    # login() gives the session a new key (or flushes someone else's session), so a
    # session id planted before sign-in is worthless after it.
    login(request, user, backend=MODEL_BACKEND)
    logger.info(
        "Microsoft sign-in: user %s (tid %s, oid %s, admin %s)",
        user.pk,
        identity.tenant_id,
        identity.object_id,
        user.is_admin,
    )
    return _signed_in_redirect(request, entry["next"])


@never_cache
def dev_signin(request: HttpRequest) -> HttpResponse:
    """Become any active user, for demos and local development only."""
    if not dev_signin_enabled():
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = DevSignInForm(request.POST)
    if not form.is_valid():
        return _refuse(
            request, SignInFailure(SignInError.DEV_USER_INVALID, f"dev sign-in form: {form.errors}")
        )
    user = form.cleaned_data["user"]
    login(request, user, backend=MODEL_BACKEND)
    logger.info("Dev sign-in: user %s", user.pk)
    return _signed_in_redirect(request, form.cleaned_data["next"])


@require_POST
@never_cache
def signout(request: HttpRequest) -> HttpResponse:
    """End the portal session and offer, as a link, to end the Microsoft one too.

    A link and not a redirect: the CSP says ``form-action 'self'``, and Chrome
    blocks a form POST whose response redirects to another origin.
    """
    logout(request)
    microsoft_url = end_session_url(
        _entra_config(), post_logout_redirect_uri=settings.SITE_URL + reverse("accounts:signin")
    )
    return render(request, "accounts/signed_out.html", {"microsoft_signout_url": microsoft_url})


# -- the profile page: personal access tokens for the API --------------------------------------

# The secret of a token just created, shown once on the next page and then forgotten.
NEW_TOKEN_KEY = "accounts.new_token"  # noqa: S105 - a session key, not a secret


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm()
    status = 200
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                created = tokens.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_days=form.cleaned_data["expires_days"],
                )
            except TokenRefused as exc:
                form.add_error(None, str(exc))
            else:
                request.session[NEW_TOKEN_KEY] = {
                    "id": created.token.pk,
                    "secret": created.secret,
                }
                return redirect("accounts:profile")
        status = 400
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "tokens": tokens.tokens_of(request.user),
            "new_token": request.session.pop(NEW_TOKEN_KEY, None),
            "now": timezone.now(),
            "docs_url": reverse("api-docs"),
        },
        status=status,
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if tokens.api_token_revoke(user=request.user, token_id=pk):
        messages.success(request, _("Token revogado: ele deixa de funcionar agora."))
    else:
        messages.error(request, str(TokenRefused("token.not_found")))
    return redirect("accounts:profile")
