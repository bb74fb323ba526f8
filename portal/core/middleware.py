"""Response headers, request language, arrival time, body size and request id for every request.

A strict Content-Security-Policy on every response.

All scripts and styles are vendored and served from our own origin, so nothing
inline is needed. Markdown is sanitised before it is rendered; this header is
the second wall if a sanitiser ever lets something through.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import get_supported_language_variant

from portal.core import formats, logs, metrics

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response


class PortugueseFirstLocaleMiddleware(LocaleMiddleware):
    """Portuguese unless the person chose another language with the switch.

    Django's LocaleMiddleware also follows the browser's Accept-Language, but many
    Brazilian students run English-language browsers while the course is taught in
    Portuguese: only the language cookie set by the switch may change it. The API is the
    exception: a script asks for its language explicitly, so ``Accept-Language`` counts there.
    """

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/api/"):
            translation.activate(translation.get_language_from_request(request))
            request.LANGUAGE_CODE = translation.get_language()
            return
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = get_supported_language_variant(chosen) if chosen else None
        except LookupError:
            language = None
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


class RequestArrivalMiddleware:
    """Notes when the request arrived, before anything reads its body.

    A 5 MB upload over a slow link, or a busy server, can take seconds between arrival and
    the view: deadlines and the rate limit are the student's time, so they use
    :func:`arrived_at`, not the time the attempt is finally stored.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.arrived_at = timezone.now()  # type: ignore[attr-defined]
        return self.get_response(request)


def arrived_at(request: HttpRequest) -> dt.datetime:
    """When ``request`` arrived (now, for a request made without the middleware)."""
    return getattr(request, "arrived_at", None) or timezone.now()


class RequestSizeLimitMiddleware:
    """Refuses a body larger than ``MAX_REQUEST_BYTES`` by its Content-Length, unread: 413.

    Django reads a multipart body whole (to memory or a temporary file) as soon as anything
    touches ``request.POST``; this runs before that. A body without a Content-Length (chunked)
    is not read by Django at all. The proxy in front should refuse earlier still
    (docs/intake.md); this is the limit that holds whatever the proxy does.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body it cannot size
        limit = settings.MAX_REQUEST_BYTES
        if length > limit and request.path.startswith("/api/"):
            from portal.core.api import ApiRefused, error_body  # DRF loads after settings

            size, most = formats.size(length), formats.size(limit)
            error = ApiRefused("api.too_large", size=size, limit=most)
            response = JsonResponse(error_body(error), status=413)
            response["Content-Length"] = str(len(response.content))
            return response
        if length > limit:
            page = render_to_string(
                "413.html", {"limit": formats.size(limit), "size": formats.size(length)}, request
            )
            response = HttpResponse(page, status=413)
            # The client may still be sending: the length lets it read the page without
            # waiting for the connection to close (CommonMiddleware, which sets it, is after us).
            response["Content-Length"] = str(len(response.content))
            return response
        return self.get_response(request)


REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or load balancer sends (UUIDs, AWS trace ids): anything else is replaced.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")


class RequestContextMiddleware:
    """Gives every request an id, for the log lines it writes and in its response header.

    An incoming ``X-Request-ID`` (from the proxy in front) is kept when it is short and plain;
    anything else (newlines, a 500-character header) gets a fresh UUID, so a client cannot
    forge log lines. The signed-in user's id is noted once the view is known: by then
    AuthenticationMiddleware has run, and the views read ``request.user`` anyway.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        # Kept until the response is finished (below): Django logs 4xx/5xx after the middleware.
        logs.request_id.set(rid)
        logs.user_id.set(None)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = rid
        return response

    def process_view(self, request: HttpRequest, *args, **kwargs) -> None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            logs.user_id.set(user.pk)


class RequestMetricsMiddleware:
    """Sends each request's latency, tagged with its view (``namespace:url_name``) and status.

    The view, not the path: paths carry course slugs and attempt numbers, one series each.
    A URL that matched no view (404s from scanners) is tagged ``unresolved``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        metrics.http_request(
            view=(match.view_name if match and match.url_name else "unresolved"),
            method=request.method or "",
            status=response.status_code,
            milliseconds=(time.perf_counter() - start) * 1000,
        )
        return response


def _forget_request(**kwargs) -> None:
    logs.request_id.set(None)
    logs.user_id.set(None)


request_finished.connect(_forget_request, dispatch_uid="portal.core.middleware.forget_request")
